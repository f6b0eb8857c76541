"""How a claim's span supports its value (issue 14).

Every claim records one **support level**, checked when it is added,
imported, superseded or re-anchored, and again by ``ledger verify``:

* ``exact``: the value's words are in the span (case, typographic quotes and
  dashes, punctuation and a possessive "'s" do not matter): "President of
  the Senate" on "Hun Sen, president of both the Senate and ...".
* ``normalised``: the value's number, quantity, date or title is what the
  span normalises to (``ledger.core.normalize``): "60000 seats" on "a seating
  capacity of 60,000"; "2024-12-04" on "will conclude on December 4" in an
  article published 2024-12-02; "President of China" on "Chinese president".
* ``quotation``: a ``said`` claim whose value is the quoted words of its span
  (with the typographic folds anchoring allows).
* ``paraphrase``: none of the above, declared by the person recording the
  claim with a note saying how the span supports the value (the claim field
  ``paraphrase``).
* ``unsupported``: none of the above and not declared: refused at input, and
  a failure of ``ledger verify`` when found in the ledger.

``assess`` decides the level and says it in words ("the span gives 60,000;
the claim says 70,000"), which the claim page shows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from ledger.core.errors import LedgerError
from ledger.core.normalize import fold_text, normalize_date, normalize_quantity

LEVELS = ("exact", "normalised", "quotation", "paraphrase", "unsupported")
SUPPORTED = ("exact", "normalised", "quotation", "paraphrase")

# predicates whose value is a person's own words
QUOTING_PREDICATES = ("said",)
QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u2039\u203a"

# words that carry no claim of their own in a value
_FILLER = {"the", "a", "an", "of", "and", "at", "in", "on", "to", "for", "by", "le", "la", "les", "l", "el"}
# a demonym in a title names its country: "Chinese president" is the
# president of China (a title's comparison key, like normalize_title's)
_DEMONYMS = {
    "chinese": "china", "cambodian": "cambodia", "khmer": "cambodia", "vietnamese": "vietnam", "thai": "thailand",
    "lao": "laos", "laotian": "laos", "japanese": "japan", "korean": "korea", "american": "america",
    "british": "britain", "french": "france", "german": "germany", "russian": "russia", "indian": "india",
}
_WORD_RE = re.compile(r"\w+(?:[.,:/]\w+)*")
# a value that is a negative number: a minus (hyphen-minus or U+2212) right before its first digit
_NEGATIVE_RE = re.compile("[-\u2212]\\s*[0-9]")
# _WORD_RE for lower-case ASCII text, where \w is [a-z0-9_]: a third faster than the Unicode classes
_ASCII_WORD_RE = re.compile(r"[a-z0-9_]+(?:[.,:/][a-z0-9_]+)*")
_ISO_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
# "Communist Party of China (CPC)": an abbreviation the source defines
_ABBR_RE = re.compile(r"((?:[A-Z][\w'-]*|of|the|and|for)(?:\s+(?:[A-Z][\w'-]*|of|the|and|for))*)\s+\(([A-Z]{2,8})\)")


class UnsupportedValue(LedgerError):
    """A claim's span does not say its value, and no paraphrase is declared."""


@dataclass(frozen=True)
class Support:
    level: str
    detail: str  # the support in words, for the claim page and errors

    @property
    def ok(self) -> bool:
        return self.level != "unsupported"


_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _words(text: str) -> list[str]:
    # zero-width and bidi controls are stored verbatim in spans (and flagged); they split no word
    if text.isascii():  # NFKC, the typographic folds and the invisible characters leave ASCII as it is
        if "'" not in text:
            # no apostrophe to drop: collapsing the whitespace changes no word (no whitespace is in a word
            # or joins two), so the words are those of the text as it is (issue 19: once per span and value)
            return _ASCII_WORD_RE.findall(text.lower())
        t = " ".join(text.split()).lower()
        t = t.replace("'s ", " ").replace("'", "")
        if t.endswith("'s"):
            t = t[:-2]
        return _ASCII_WORD_RE.findall(t)
    t = fold_text(_INVISIBLE_RE.sub("", text)).casefold()
    t = t.replace("'s ", " ").replace("'", "")
    if t.endswith("'s"):
        t = t[:-2]
    return _WORD_RE.findall(t)


def _key_words(text: str, abbreviations: dict[str, str] | None = None) -> set[str]:
    words = []
    for w in _words(text):
        long = (abbreviations or {}).get(w)
        words.extend(_words(long) if long else [w])
    return {_DEMONYMS.get(w, w) for w in words if w not in _FILLER}


@lru_cache(maxsize=64)
def abbreviations(text: str | None) -> dict[str, str]:
    """Abbreviations a source text defines ("Communist Party of China (CPC)"),
    folded to lower case: {"cpc": "Communist Party of China"}."""
    out: dict[str, str] = {}
    if not text or "(" not in text:
        return out
    for m in _ABBR_RE.finditer(text):
        words, abbr = m.group(1).split(), m.group(2)
        # the shortest run of words ending before "(" whose capitals spell it
        for i in range(len(words) - 1, -1, -1):
            caps = "".join(w[0] for w in words[i:] if w[:1].isupper())
            if caps == abbr:
                out.setdefault(abbr.casefold(), " ".join(words[i:]))
                break
    return out


def _fold(text: str) -> str:
    return " ".join(_words(text))


def _quoted(value: str, span: str) -> bool:
    """The value is the words of the span inside quotation marks."""
    if not any(ch in span for ch in QUOTE_MARKS):
        return False
    v = " ".join(fold_text(value).split())
    s = " ".join(fold_text(span).split())
    return bool(v) and (v in s or _fold(value) in _fold(span))


def _whole_in(needle: str, text: str) -> bool:
    """``needle`` occurs in ``text`` without cutting a word or number: "60" is not in "60,000" or "1960"."""
    i = text.find(needle)
    while i != -1:
        if not _cuts(text, i, i + len(needle), str.isalnum):
            return True
        i = text.find(needle, i + 1)
    return False


def _cuts(text: str, i: int, j: int, joins) -> bool:
    """Whether ``text[i:j]`` cuts a word or number of ``text``: it starts or ends with a letter or digit that
    continues on the other side, directly or across one of ``.,:/`` ("60" in "60,000", "3" in "1.3");
    ``joins(ch)``: whether ``ch`` counts as a letter or digit there."""
    if i and text[i].isalnum() and (joins(text[i - 1]) or (text[i - 1] in ".,:/" and i > 1 and joins(text[i - 2]))):
        return True
    return j < len(text) and text[j - 1].isalnum() and (
        joins(text[j]) or (text[j] in ".,:/" and j + 1 < len(text) and joins(text[j + 1])))


def _as_date(value: str):
    """A value that is an ISO date, month or year, or an interval of two ("2021-12-03/2021-12-05")."""
    v = value.strip()
    if _ISO_RE.match(v):
        return normalize_date(v)
    a, sep, b = v.partition("/")
    if sep and _ISO_RE.match(a) and _ISO_RE.match(b):
        start, end = normalize_date(a), normalize_date(b)
        if start and end:
            return replace(start, end=end.end, raw=v, precision="day" if start.precision == end.precision == "day" else start.precision)
    return None


def _word_date(value: str, published: str | None):
    """A value that is a day or a run of days written with a month name ("November 3", "December 3-6",
    "3 May 2024"), so that it is compared as a date, never as its first number. The year, when the value
    gives none, comes from ``published`` (or any year: the comparison then keeps to month and day)."""
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return None
    d = normalize_date(value, published or "2000-07-01")
    if d is None or d.start is None or d.precision != "day" or "relative" in d.flags or d.rule not in _WORD_DATE_RULES:
        return None
    return d


_WORD_DATE_RULES = ("month-day", "day-month", "month-day-range", "day-range-month", "month-day-to-month-day", "day-month-to-day-month")


def _dates_agree(claim, span_date, year_known: bool = True) -> bool:
    if not year_known and ("year-inferred" in span_date.flags or "relative" in span_date.flags):
        # the span gives no year and the source no publication date: the month (and day) must agree
        n = 7 if span_date.precision == "month" or claim.precision == "month" else 10
        return claim.start[5:n] == span_date.start[5:n] and claim.end[5:n] == span_date.end[5:n]
    if span_date.precision == "year" or claim.precision == "year":
        return claim.start[:4] == span_date.start[:4] and claim.end[:4] == span_date.end[:4]
    if claim.precision == "month" or span_date.precision == "month":
        return claim.start[:7] == span_date.start[:7] and claim.end[:7] == span_date.end[:7]
    return claim.start >= span_date.start and claim.end <= span_date.end


def _show_date(d) -> str:
    return d.start if d.start == d.end else (d.start[:7] if d.precision == "month" else f"{d.start} to {d.end}")


def _number_text(q) -> str:
    n = int(q.value) if q.value == int(q.value) else q.value
    text = f"{n:,}" if isinstance(n, int) else str(n)
    return f"{text} {q.unit}" if q.unit else text


def assess(
    value: str,
    span: str,
    predicate: str | None = None,
    *,
    published: str | None = None,
    paraphrase: str | None = None,
    source_text: str | None = None,
    aliases: "NameAliases | None" = None,
) -> Support:
    """The support ``span`` gives ``value``: the strongest level that holds.

    ``published`` resolves dates without a year in the span (the nearest-date
    rule of ``normalize_date``); ``source_text`` supplies the abbreviations
    the source defines; ``paraphrase`` is the recorder's note declaring a
    paraphrase, used only when nothing stronger holds."""
    value = value.strip()
    if predicate in QUOTING_PREDICATES and _quoted(value, span):
        return Support("quotation", f"the span quotes the words {value!r}")
    vw = _words(value)
    sw = set(_words(span))
    # a value that starts with a minus sign ("-60,000", "−3%"): its words and its quantity drop the sign,
    # so only the span's own characters, sign included, can give it (else a paraphrase, if declared)
    negative = _NEGATIVE_RE.match(value) is not None
    if vw and all(w in sw for w in vw) and not negative:
        return Support("exact", "the span gives these words")
    folded = " ".join(fold_text(_INVISIBLE_RE.sub("", value)).casefold().split())
    if folded and _whole_in(folded, " ".join(fold_text(_INVISIBLE_RE.sub("", span)).casefold().split())):
        return Support("exact", "the span gives these characters")  # e.g. an emoji, which holds no word

    claim_date = _as_date(value) or _word_date(value, published)
    # with no publication date, a span's date without a year ("November 30")
    # is read in the claim's own year: the span gives the day, not the year
    span_date = normalize_date(span, published or claim_date.start) if claim_date is not None else None
    if claim_date is not None:
        if span_date is not None and _dates_agree(claim_date, span_date, year_known=bool(published)):
            how = f"the span gives {_show_date(span_date)}"
            if ("year-inferred" in span_date.flags or "relative" in span_date.flags) and published:
                how += f" (the year from the publication date {published})"
            elif "year-inferred" in span_date.flags or "relative" in span_date.flags:
                how += " (the span gives no year and the source no publication date)"
            return Support("normalised", how)
    numeric = claim_date is None and (any(c.isdigit() for c in value) or _has_number_word(value))
    q_value = normalize_quantity(value) if numeric else None
    q_span = normalize_quantity(span) if q_value is not None else None
    if not negative and q_value is not None and q_span is not None and q_value.value == q_span.value and (
        q_value.unit is None or q_span.unit is None or q_value.unit == q_span.unit
    ):
        return Support("normalised", f"the span gives {_number_text(q_span)}, the same quantity")

    abbr = abbreviations(source_text)
    vk = _key_words(value, abbr)
    if vk and vk <= _key_words(span, abbr) and not negative:
        return Support("normalised", "the span gives the same title or name in other words")

    if aliases is not None and not negative:
        named = aliases.named_in(value, span)
        if named:
            return Support("normalised", f"the span names {named!r}, an alias of {value!r} in the entity table")

    if paraphrase and paraphrase.strip():
        return Support("paraphrase", f"declared a paraphrase: {paraphrase.strip()}")
    # say what the span gives instead, when it gives a number or date
    if claim_date is not None and span_date is not None:
        gives = _show_date(span_date)
    elif q_value is not None and q_span is not None:
        gives = _number_text(q_span)
    else:
        missing = [w for w in vw if w not in sw]
        return Support(
            "unsupported",
            f"the span does not give the value: {', '.join(repr(w) for w in missing[:5])} "
            f"{'is' if len(missing) == 1 else 'are'} not in it",
        )
    return Support("unsupported", f"the span gives {gives}; the claim says {value}")


class NameAliases:
    """The entity table's names (entities / entity_aliases, from entities.yml):
    "Xi" in a span names "Xi Jinping". Only aliases the table lists count
    (plain "Wang" is none: it could be Wang Yi or Wang Huning)."""

    def __init__(self, pairs):
        self.by_name: dict[str, list[str]] = {}
        self.entity: dict[str, str] = {}
        for key, name, alias in pairs:
            self.by_name.setdefault(name, []).append(alias)
            self.entity[key] = name

    @classmethod
    def from_db(cls, conn) -> "NameAliases":
        try:
            rows = conn.execute(
                "SELECT a.alias_key, e.name, a.alias FROM entity_aliases a JOIN entities e ON e.id = a.entity_id"
            ).fetchall()
        except Exception:  # a ledger without the entity table
            rows = []
        return cls(rows)

    def named_in(self, value: str, span: str) -> str | None:
        """The alias of the value's entity that the span uses, if any."""
        from ledger.core.normalize import fold_name

        name = self.entity.get(fold_name(value))
        if not name:
            return None
        words = f" {_fold(span)} "
        for alias in self.by_name.get(name, ()):
            if f" {_fold(alias)} " in words:
                return alias
        return None


_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen)\b",
    re.I,
)


def _has_number_word(text: str) -> bool:
    return bool(_NUMBER_WORDS.search(text))


def describe(level: str | None, detail: str | None = None) -> str:
    """The support in words for a reader: "Exact: the span gives these words"."""
    head = {
        "exact": "Exact",
        "normalised": "Normalised",
        "quotation": "Quotation",
        "paraphrase": "Paraphrase (declared, not checked against the span's words)",
        "unsupported": "Unsupported",
    }.get(level or "", "Not assessed")
    return f"{head}: {detail}" if detail else head


def unsupported_error(value: str, span: str, support: Support) -> UnsupportedValue:
    """The input error for an unsupported value, naming the value and the span
    (the caller prefixes the claim)."""
    return UnsupportedValue(
        f"the value {value!r} is not supported by its span {_clip(span)!r}: {support.detail}; "
        "quote the passage that gives the value (--quote / `quote`), correct the value, or, if the span says it "
        "in other words, declare a paraphrase with a note (--paraphrase NOTE / `paraphrase: NOTE`)"
    )


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SETTLED = frozenset((None, *SUPPORTED))  # a recorded level evident may pass


def _may_join(ch: str) -> bool:
    """``ch`` is a letter or digit, or may become part of one in the fold: a combining mark (it composes with
    the letter before it), a character the fold removes (its neighbours meet) or one NFKC turns into letters or
    digits. A no-break space (NFKC: a space) is none of these."""
    if ch.isalnum():
        return True
    if ch < "\x80":
        return False
    if _INVISIBLE_RE.match(ch) is not None or unicodedata.category(ch)[0] == "M":
        return True
    folded = unicodedata.normalize("NFKC", ch)
    return folded != ch and (not folded or any(c.isalnum() for c in folded))


def evident(value, span, level) -> bool:
    """A sufficient test, cheap enough to run on every claim, that the claim
    passes ``check_ledger``: its recorded level is NULL or supported, and the
    span gives the value by the "characters" rule of ``assess`` (the value,
    folded, is in the span, folded). False means only: assess it.

    The value is in the span as it is, or with the whitespace of both
    collapsed (a span broken over lines), and begins with an ASCII character
    other than whitespace, so its fold is not empty. Folding (invisible
    characters removed, NFKC, the typographic folds, case, whitespace) works
    character by character except where NFKC joins a character to the one
    before it (a combining mark) or where a removed character lets it: no
    ASCII character or whitespace is ever joined to the one before it, so
    with an ASCII first character and, after the value, the end of the span,
    an ASCII character or whitespace, the span's fold holds the value's fold
    (Unicode's normalization boundaries). Case must match: a value in
    another case is left to ``assess``. tests/test_support_evident.py checks
    this against ``assess`` over hypothesis's strings."""
    if value.__class__ is not str or span.__class__ is not str or level not in _SETTLED:
        return False
    i = span.find(value)
    if i < 0 or not value or value[0] >= "\x80" or value[0].isspace():
        value = " ".join(value.split())
        if not value or value[0] >= "\x80":
            return False
        span = " ".join(span.split())
        i = span.find(value)
        if i < 0:
            return False
    j = i + len(value)
    if value[-1] >= "\x80" and not value[-1].isalnum() and _may_join(value[-1]):
        return False  # a last character the fold removes or composes: its true end is the fold's, assess decides
    if _cuts(span, i, j, _may_join):  # a word or number of the span cut ("60" in "60,000"): assess decides
        return False
    if span.isascii():
        return True
    after = span[j : j + 1]
    return after < "\x80" or after.isspace()


def check_ledger(db, rowids=None) -> list[tuple[str, str]]:
    """(claim id, message) for every claim in the ledger whose span does not
    support its value (a row written or edited behind the ledger's back), or
    whose recorded level says unsupported (NULL, recorded before issue 14, is
    assessed from the span like every other). For ``ledger verify``.

    A claim ``evident`` settles is passed; the others are assessed.
    ``rowids``: only the claims at these rowids (those a pass over the
    claims that ran ``evident`` on every claim left), in rowid order."""
    out = []
    aliases = None
    held = (None, None, None)
    sql = "SELECT id, source_id, value, span_text, predicate, paraphrase, support FROM claims"
    if rowids is None:
        rows = (r for r in db.execute(sql + " ORDER BY rowid") if not evident(r[2], r[3], r[6]))
    else:
        rows = _by_rowid(db, sql, rowids)
    for cid, sid, value, span, predicate, paraphrase, level in rows:
        if not isinstance(value, (str, type(None))) or not isinstance(span, (str, type(None))):
            # a value of the wrong type is the schema check's finding (verify --deep), never a traceback here
            out.append((cid, f"the value or span is stored as {type(value if not isinstance(value, str) else span).__name__}, not text: its support cannot be read"))
            continue
        value, span = value or "", span or ""
        if level in ("exact", "quotation") and predicate not in QUOTING_PREDICATES and _fast_exact(value, span):
            continue
        if held[0] != sid:
            held = (sid, *_source_of(db, sid))
        if not all(isinstance(v, (str, type(None))) for v in held[1:]):
            # the same bytes as a BLOB, say: the hash and schema checks name the source; never a traceback here
            out.append((cid, f"its source's text or date is stored as {type(held[1]).__name__}, not text: its support "
                             "cannot be read"))
            continue
        if aliases is None:
            aliases = NameAliases.from_db(db.conn if hasattr(db, "conn") else db)
        got = assess(value, span, predicate, published=held[2], paraphrase=paraphrase, source_text=held[1],
                     aliases=aliases)
        if not got.ok:
            out.append((cid, f"the value {value!r} is not supported by its span {_clip(span)!r}: {got.detail}"))
        elif level is not None and level not in SUPPORTED:  # NULL: recorded before issue 14
            out.append((cid, f"the recorded support is {level!r}, not one of {', '.join(SUPPORTED)}; its span gives {got.level}"))
    return out


def _by_rowid(db, sql: str, rowids, chunk: int = 500):
    rowids = sorted(rowids)
    for i in range(0, len(rowids), chunk):
        part = rowids[i : i + chunk]
        yield from db.execute(f"{sql} WHERE rowid IN ({', '.join('?' * len(part))}) ORDER BY rowid", part)


def _fast_exact(value: str, span: str) -> bool:
    v = value.strip().casefold()
    if not (v and v.isascii() and v in span.casefold()):
        return False
    words = set(_words(span))  # once, not once per word of the value
    return all(w in words for w in _words(value))


def _source_of(db, sid):
    """(text, published) of source ``sid``: only the title rule reads the text
    (for the abbreviations it defines), the date rule the publication date."""
    row = db.execute("SELECT text, published FROM sources WHERE id = ?", [sid]).fetchone()
    return (row[0], row[1]) if row else (None, None)
