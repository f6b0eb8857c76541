"""Normalising claim values so that claims from different sources compare.

Each normaliser keeps the raw text beside what it made of it:

* ``normalize_date(text, published)`` -> ``DateValue`` (ISO ``start``/``end``,
  ``precision`` day|month|year, ``flags``, and the ``rule`` used). Dates
  without a year are resolved against the source's publication date by the
  **nearest-date rule**: a news article's bare "November 30" or "December
  3-5" is the such date nearest its publication date (within six months
  either side), so "November 30" in an article of 2021-12-01 is 2021-11-30
  and in one of 2024-12-02 is 2024-11-30. "Last September" is the latest
  September before the publication month; a bare weekday ("Tuesday") is the
  nearest such day (-3..+3 days), "last Tuesday" the one before, "next
  Tuesday" the one after. An impossible range ("December 5-3") or date
  ("February 30") is flagged and left unresolved, never guessed.
* ``normalize_quantity(text)`` -> ``Quantity`` (``value``, ``unit``,
  ``counts``, ``flags`` such as upper-bound/lower-bound/approximate).
* ``normalize_title(text)`` -> a comparison key for a title or role
  ("director of the Royal Academy of Cambodia's International Relations
  Institute" and "director of the International Relations Institute at the
  Royal Academy of Cambodia" give the same key).
* ``fold_name(text)`` -> the key entity aliases are matched on (see
  ``ledger.core.entities``).

python-dateutil does the calendar arithmetic and parses the date forms the
patterns here do not cover; the patterns cover what news text says that a
date parser does not (ranges, "last September", bare weekdays).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

# the fold is core/text.py's, the dates core/dates.py's (issue 19); both are still named here
from ledger.core.dates import DateValue, _as_date, _iso, _nearest_year, normalize_date  # noqa: F401
from ledger.core.text import _TRANSLATE, fold_text  # noqa: F401

__all__ = [
    "DateValue",
    "Quantity",
    "normalize_date",
    "normalize_quantity",
    "normalize_title",
    "fold_text",
    "fold_name",
    "parse_number",
]

# ------------------------------------------------------------------ quantities


@dataclass(frozen=True)
class Quantity:
    """A number with its unit and what it counts, and the raw text."""

    value: float
    unit: str | None
    counts: str | None
    raw: str
    flags: tuple[str, ...] = ()

    @property
    def normalized(self) -> str:
        v = int(self.value) if float(self.value).is_integer() else self.value
        return f"{v} {self.unit}" if self.unit else str(v)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = list(self.flags)
        d["normalized"] = self.normalized
        return d


_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})
_WORD_NUMBERS.update({"a hundred": 100, "hundred": 100, "a dozen": 12, "dozen": 12, "half a dozen": 6, "a": 1, "an": 1, "single": 1})
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
    # South Asian English: a lakh is 100,000, a crore 10 million ("one lakh spectators", "Rs 700 crore")
    "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7,
}
_CURRENCIES = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "us dollars": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "pounds": "GBP",
    "¥": "CNY", "yuan": "CNY", "cny": "CNY", "rmb": "CNY", "renminbi": "CNY",
    "riel": "KHR", "riels": "KHR", "khr": "KHR", "baht": "THB", "thb": "THB",
}
# unit words after a number -> (unit, what it counts)
_UNITS = {
    "seat": ("seats", None), "seats": ("seats", None), "seater": ("seats", None), "seated": ("seats", None),
    "people": ("people", None), "persons": ("people", None), "person": ("people", None),
    "spectators": ("people", "spectators"), "fans": ("people", "fans"), "visitors": ("people", "visitors"),
    "delegates": ("people", "delegates"), "participants": ("people", "participants"),
    "athletes": ("people", "athletes"), "workers": ("people", "workers"), "students": ("people", "students"),
    "day": ("days", None), "days": ("days", None), "week": ("weeks", None), "weeks": ("weeks", None),
    "month": ("months", None), "months": ("months", None), "year": ("years", None), "years": ("years", None),
    "hour": ("hours", None), "hours": ("hours", None), "minute": ("minutes", None), "minutes": ("minutes", None),
    "decade": ("decades", None), "decades": ("decades", None),
    "km": ("km", None), "kilometre": ("km", None), "kilometres": ("km", None), "kilometer": ("km", None),
    "kilometers": ("km", None), "metre": ("m", None), "metres": ("m", None), "meter": ("m", None),
    "meters": ("m", None), "hectares": ("ha", None), "hectare": ("ha", None), "ha": ("ha", None),
    "m": ("m", None), "percent": ("%", None), "per cent": ("%", None), "%": ("%", None), "tonnes": ("t", None), "tons": ("t", None),
    # issue 16: imperial units are units too ("a 1.6-mile bridge", "1,200 miles"); converting is the predicate's
    # business (ledger/predicates.yml `units`)
    "mile": ("mi", None), "miles": ("mi", None), "mi": ("mi", None), "foot": ("ft", None), "feet": ("ft", None),
    "ft": ("ft", None), "acre": ("acres", None), "acres": ("acres", None),
}
_COUNT_HINTS = [
    (re.compile(r"seating capacity|seats?\b|seater", re.I), "seats", "capacity"),
    (re.compile(r"\bcapacity\b", re.I), None, "capacity"),
    (re.compile(r"\bpopulation\b", re.I), "people", "population"),
    (re.compile(r"\battendance\b|\battended\b", re.I), "people", "attendance"),
]
_BOUNDS = [
    (re.compile(r"\b(?:up to|as many as|at most|no more than|a maximum of|maximum of|max\.?)\s*$", re.I), "upper-bound"),
    (re.compile(r"\b(?:more than|over|at least|in excess of|upwards of|a minimum of|no fewer than|no less than)\s*$", re.I), "lower-bound"),
    (re.compile(r"\b(?:about|around|roughly|approximately|nearly|almost|some|an estimated|estimated|close to|approx\.?)\s*$", re.I), "approximate"),
]
# "1,10,000" is South Asian digit grouping (1 lakh 10 thousand): pairs of digits, then the last three
_NUMBER = r"(?P<num>\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_WORDNUM = r"(?P<word>" + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS if w not in ("a", "an")), key=len, reverse=True)) + r")"
_CUR_PREFIX = r"(?P<cur>US\$|\$|€|£|¥|USD|EUR|GBP|CNY|RMB|KHR)?\s*"
_SCALE = r"(?:\s*(?P<scale>thousand|million|billion|trillion|lakhs?|crores?|mln|mn|bn|tn|k|m|b)\b)?"
_QUANTITY_RE = re.compile(
    rf"{_CUR_PREFIX}(?:{_NUMBER}|\b{_WORDNUM}\b){_SCALE}(?P<tail>(?:\s*-\s*|\s+)?(?P<unit>[A-Za-z%]+(?:\s+cent|(?<=US)\s+dollars)?))?",
    re.I,
)


def parse_number(text: str) -> float | None:
    """'60,000' -> 60000.0, 'two' -> 2.0, '1.5' -> 1.5; None if not a number."""
    t = fold_text(text).lower().replace(",", "")
    if t in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[t])
    try:
        return float(t)
    except ValueError:
        return None


def normalize_quantity(text: str, unit_hint: str | None = None) -> Quantity | None:
    """The first quantity ``text`` states, with its unit and what it counts.

    "60,000" -> 60000 (no unit); "60,000-seat" / "75,000-seater" -> seats;
    "a capacity of 70,000" -> counts "capacity"; "up to 88,000 people" ->
    people, flagged upper-bound; "two-day" -> 2 days; "$200 million" ->
    200000000 USD. ``unit_hint`` fills in the unit when the text gives none
    (e.g. "seats" for a seating_capacity claim)."""
    if text is None:
        return None
    return _normalize_quantity_cached(str(text), unit_hint)


@lru_cache(maxsize=65536)
def _normalize_quantity_cached(text: str, unit_hint: str | None) -> Quantity | None:
    folded = fold_text(text)
    for m in _QUANTITY_RE.finditer(folded):
        if m.group("num"):
            value = float(m.group("num").replace(",", ""))
        else:
            word = m.group("word").lower()
            value = float(_WORD_NUMBERS[word])
        # a year or day of month is not a quantity unless a unit says so
        unit_word = (m.group("unit") or "").lower()
        scale = (m.group("scale") or "").lower()
        cur = m.group("cur")
        if scale in ("m", "b", "k") and not cur:
            scale, unit_word = "", unit_word or scale  # "60 m" is metres unless money is meant
        if scale:
            value *= _SCALES[scale]
        unit = counts = None
        flags: list[str] = []
        if unit_word in _UNITS:
            unit, counts = _UNITS[unit_word]
        elif unit_word in _CURRENCIES:
            unit = _CURRENCIES[unit_word]
        if cur:
            unit = _CURRENCIES.get(cur.lower(), cur.upper())
        if unit is None and m.group("word") and not unit_word:
            continue  # a bare "two" is not a quantity
        if unit is None and m.group("num") and not cur:
            # a bare 4-digit year-like number with no unit, in a date context
            n = m.group("num")
            if re.fullmatch(r"(1[6-9]|20)\d\d", n) and re.search(r"\b(in|since|from|for|by|until|of)\s*$", folded[: m.start()], re.I):
                continue
        before = folded[: m.start()]
        for pattern, flag in _BOUNDS:
            if pattern.search(before):
                flags.append(flag)
                break
        for pattern, hint_unit, hint_counts in _COUNT_HINTS:
            if pattern.search(folded):
                if unit is None and hint_unit:
                    unit = hint_unit
                counts = counts or hint_counts
                break
        if unit is None and unit_hint:
            unit = unit_hint
        return Quantity(value, unit, counts, text, tuple(flags))
    return None


# ------------------------------------------------------------------ titles and names


_CONNECTORS = {"of", "the", "and", "for", "de", "on", "&"}
_ROLE_NOUNS = {
    "president", "chairman", "chairwoman", "chair", "minister", "secretary", "director", "spokesman",
    "spokeswoman", "spokesperson", "governor", "ambassador", "leader", "head", "chief", "speaker",
}
_TITLE_DROP = {"the", "a", "an"}
# "People's Party", "Women's Affairs": a possessive inside a proper name, kept
_COLLECTIVE = {"people", "women", "children", "workers", "men", "farmers", "veterans", "youth", "nation"}
# "Prime Minister" is not "minister of Prime"
_ROLE_MODIFIERS = {"prime", "vice", "deputy", "foreign", "general", "chief", "executive", "first", "senior", "former",
                   "acting", "managing", "permanent", "co", "assistant", "associate"}


def _capitalised_run_before(words: list[str], end: int) -> int:
    """Index where the run of Capitalised words (with connectors) ending at
    ``end`` (exclusive) starts."""
    i = end
    while i > 0:
        w = words[i - 1]
        if w[:1].isupper() or (w.lower() in _CONNECTORS and i - 1 > 0):
            i -= 1
            continue
        break
    while i < end and words[i].lower() in _CONNECTORS:
        i += 1
    return i


def _capitalised_run_after(words: list[str], start: int) -> int:
    i = start
    while i < len(words) and (words[i][:1].isupper() or (words[i].lower() in _CONNECTORS and i + 1 < len(words) and words[i + 1][:1].isupper())):
        i += 1
    return i


def _unpossess(text: str) -> str:
    """"the Royal Academy of Cambodia's International Relations Institute" ->
    "the International Relations Institute at Royal Academy of Cambodia"."""
    for _ in range(3):
        words = text.split(" ")
        at = next(
            (i for i, w in enumerate(words) if w.endswith("'s") and w[:1].isupper() and w[:-2].lower() not in _COLLECTIVE),
            None,
        )
        if at is None:
            return text
        words[at] = words[at][:-2]
        a = _capitalised_run_before(words, at + 1)
        b = _capitalised_run_after(words, at + 1)
        if b == at + 1:
            return " ".join(words)
        owner, owned = words[a : at + 1], words[at + 1 : b]
        text = " ".join(words[:a] + owned + ["at"] + owner + words[b:])
    return text


@lru_cache(maxsize=65536)
def normalize_title(text: str) -> str:
    """A comparison key for a title or role: case, articles, punctuation and
    possessives do not matter ("the Royal Academy of Cambodia's International
    Relations Institute" == "the International Relations Institute at the
    Royal Academy of Cambodia"; "Senate president" == "president of the
    Senate")."""
    if text is None:
        return ""
    t = fold_text(text)
    t = re.sub(r"\s*\([^)]*\)", "", t)  # drop parenthesised abbreviations: "(CPP)"
    t = _unpossess(t)
    words = t.split(" ")
    # "Senate president" -> "president of Senate"
    if len(words) >= 2 and words[-1].lower() in _ROLE_NOUNS and words[-2].lower() not in _ROLE_MODIFIERS and words[0][:1].isupper() and all(
        w[:1].isupper() or w.lower() in _CONNECTORS for w in words[:-1]
    ):
        words = [words[-1], "of"] + words[:-1]
    t = " ".join(words).casefold().replace("'", "")
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(w for w in t.split() if w not in _TITLE_DROP)


_HONORIFICS = {
    "he", "h.e", "h.e.", "his excellency", "her excellency", "excellency", "samdech", "samdech techo",
    "lok chumteav", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "prof", "prof.", "sir", "madam",
    "president", "minister", "premier",
}


@lru_cache(maxsize=262144)
def fold_name(text: str) -> str:
    """The key names are matched on: NFKC, casefold, punctuation and a
    leading "the" or honorific ("H.E.", "Samdech", "Dr") dropped, so "H.E.
    PRAK Sokhonn" and "Prak Sokhonn" fold alike."""
    if text is None:
        return ""
    t = fold_text(text).casefold()
    t = re.sub(r"\s*\([^)]*\)$", "", t)
    t = t.replace("'s ", "s ").replace("’s ", "s ")
    changed = True
    while changed:
        changed = False
        for h in ("the ", "h.e. ", "h.e ", "he. ", "his excellency ", "her excellency ", "samdech techo ", "samdech ",
                  "lok chumteav ", "dr. ", "dr ", "mr. ", "mr ", "mrs. ", "mrs ", "ms. ", "ms ", "prof. ", "prof "):
            if t.startswith(h) and len(t) > len(h):
                t = t[len(h):]
                changed = True
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(t.split())
