"""Dates and quantities written in the source's language (issue 20).

``ledger.core.normalize`` reads English: "60.000 Sitze" gives 60, "3. Dezember
2021" gives nothing and "3 de diciembre de 2021" only its year. These
functions read a value by the language of the source it comes from, with
Babel's locale data (decimal and group separators) and dateparser (month
names, word order in some 200 locales), and keep the English rules where
they are better: ranges, and a date without a year resolved to the year
nearest the source's publication date (dateparser would take this year).

English and unknown languages go straight to ``ledger.core.normalize``; so does
anything these functions cannot read, so the result is never worse than the
English rules'.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import InvalidOperation
from functools import lru_cache

from ledger.core.normalize import DateValue, Quantity, _as_date, _iso, _nearest_year, normalize_date, normalize_quantity

# fractions written out, which the English rules read as their first word ("two-thirds" -> 2)
FRACTIONS = {
    "half": 0.5, "one-half": 0.5, "one half": 0.5, "a half": 0.5,
    "one-third": 1 / 3, "one third": 1 / 3, "a third": 1 / 3, "two-thirds": 2 / 3, "two thirds": 2 / 3,
    "one-quarter": 0.25, "one quarter": 0.25, "a quarter": 0.25, "three-quarters": 0.75, "three quarters": 0.75,
    "one-fifth": 0.2, "two-fifths": 0.4, "three-fifths": 0.6, "four-fifths": 0.8,
}
_FRACTION_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, FRACTIONS), key=len, reverse=True)) + r")\b", re.I)
# South Asian money: lakh (1e5) and crore (1e7) with rupee signs
_RUPEE_RE = re.compile(
    r"(?:(?P<cur>₹|rs\.?|inr|rupees?)\s*)?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>lakh|lakhs|lac|crore|crores|cr)?"
    r"(?:\s*(?P<cur2>rupees?|inr))?",
    re.I,
)
_INDIAN_SCALES = {"lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7, "crores": 1e7, "cr": 1e7}
# a number as a locale may write it: groups of three separated by . , or a space, then a decimal part
_LOCAL_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d+)?(?![\d])|(?<![\d.,])\d+[.,]\d+(?![\d])")
# scale words in some languages the English rules do not know
_LOCAL_SCALES = {
    "mio": 1e6, "mio.": 1e6, "millionen": 1e6, "million": 1e6, "millions": 1e6, "millones": 1e6, "milhões": 1e6,
    "milioni": 1e6, "miljoen": 1e6, "mrd": 1e9, "mrd.": 1e9, "milliarden": 1e9, "milliard": 1e9, "milliards": 1e9,
    "mil millones": 1e9, "bilhões": 1e9, "miliardi": 1e9, "tsd": 1e3, "tsd.": 1e3, "tausend": 1e3, "mil": 1e3,
    "万": 1e4, "億": 1e8, "亿": 1e8,
}
_LOCAL_SCALE_RE = re.compile(
    r"^\s*(" + "|".join(sorted(map(re.escape, _LOCAL_SCALES), key=len, reverse=True)) + r")(?![\w])", re.I
)
_LOCAL_CURRENCIES = {"euro": "EUR", "euros": "EUR", "dólares": "USD", "dollars": "USD", "dollar": "USD",
                     "yuan": "CNY", "元": "CNY", "円": "JPY", "yen": "JPY", "reais": "BRL", "real": "BRL", "rubel": "RUB",
                     "рублей": "RUB", "руб": "RUB", "riel": "KHR", "riels": "KHR"}


def _lang(language: str | None) -> str | None:
    """The primary subtag, lower case ("pt-BR" -> "pt"), or None."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip())[0].lower() or None


def parse_local_number(token: str, language: str | None) -> float | None:
    """A number as the language writes it ("60.000" in German is 60000,
    "1,5" is 1.5); None when the locale cannot read it unambiguously."""
    lang = _lang(language)
    if lang in (None, "en"):
        return None
    from babel.core import UnknownLocaleError
    from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

    try:
        decimal, group = get_decimal_symbol(lang), get_group_symbol(lang)
    except (UnknownLocaleError, ValueError):
        return None
    token = token.strip()
    # spaces of every kind group digits in the locales that group with a space
    if group.strip() == "" or group in ("\u00a0", "\u202f"):
        token = re.sub(r"[\u00a0\u202f ]", group, token)
    try:
        value = parse_decimal(token, locale=lang, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        # strict parsing refuses "1.5" in German (a group of one digit); read as the English rules do
        return None
    if decimal not in token and group not in token:
        return None
    return float(value)


def normalize_quantity_in(text: str, language: str | None = None, unit_hint: str | None = None) -> Quantity | None:
    """``normalize_quantity`` for a value written in ``language``: local
    separators and scale words, written fractions, lakh/crore rupee amounts."""
    if text is None:
        return None
    return _quantity_cached(str(text), _lang(language), unit_hint)


@lru_cache(maxsize=65536)
def _quantity_cached(text: str, lang: str | None, unit_hint: str | None) -> Quantity | None:
    fraction = _FRACTION_RE.search(text)
    if fraction and not re.search(r"\d", text[: fraction.start()]):
        rest = text[fraction.end():].strip(" -")
        unit = "percent" if re.match(r"^(of\s+)?(per ?cent|%)", rest, re.I) else unit_hint
        return Quantity(FRACTIONS[fraction.group(1).lower()], unit, None, text, ("fraction",))
    rupee = _rupees(text)
    if rupee is not None:
        return rupee
    if lang not in (None, "en"):
        m = _LOCAL_NUMBER_RE.search(text)
        if m:
            value = parse_local_number(m.group(0), lang)
            if value is not None:
                after = text[m.end():]
                scale = _LOCAL_SCALE_RE.match(after)
                unit = None
                if scale:
                    value *= _LOCAL_SCALES[scale.group(1).lower()]
                    after = after[scale.end():]
                word = re.match(r"^\s*(?:de\s+)?(\w+)", after)
                if word and word.group(1).lower() in _LOCAL_CURRENCIES:
                    unit = _LOCAL_CURRENCIES[word.group(1).lower()]
                if "€" in text:
                    unit = "EUR"
                english = normalize_quantity(f"{_plain(value)}{after if not unit else ''}", unit_hint)
                unit = unit or (english.unit if english else unit_hint)
                counts = english.counts if english else None
                flags = list(english.flags) if english else []
                as_english = normalize_quantity(text, unit_hint)
                if as_english is None or as_english.value != value:
                    flags.append(f"read-as-{lang}")  # the English rules would have read another number
                return Quantity(value, unit, counts, text, tuple(flags))
    return normalize_quantity(text, unit_hint)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _rupees(text: str) -> Quantity | None:
    if not re.search(r"₹|\brs\.?\s*\d|\binr\b|\brupees?\b|\blakhs?\b|\bcrores?\b", text, re.I):
        return None
    for m in _RUPEE_RE.finditer(text):
        if not (m.group("cur") or m.group("cur2") or m.group("scale")):
            continue
        value = float(m.group("num").replace(",", ""))
        if m.group("scale"):
            value *= _INDIAN_SCALES[m.group("scale").lower()]
        unit = "INR" if (m.group("cur") or m.group("cur2") or re.search(r"₹|\brs\b|rupee|inr", text, re.I)) else None
        return Quantity(value, unit, None, text, ())
    return None


# ------------------------------------------------------------------ dates

_PRECISION = {"day": "day", "month": "month", "year": "year"}
_RANK = {None: 0, "year": 1, "month": 2, "day": 3}
_HAS_YEAR = re.compile(r"(?<!\d)(1[6-9]|20|21)\d\d(?!\d)")


def normalize_date_in(text: str, language: str | None = None, published=None) -> DateValue | None:
    """``normalize_date`` for a date written in ``language``: the English
    rules first (they read ranges and resolve a missing year against the
    publication date); when they give nothing, or less precision than the
    language's own reading, dateparser reads it in that language."""
    if text is None:
        return None
    return _date_cached(str(text), _lang(language), _as_date(published))


@lru_cache(maxsize=65536)
def _date_cached(text: str, lang: str | None, published: dt.date | None) -> DateValue | None:
    english = normalize_date(text, published)
    if lang in (None, "en"):
        return english
    if english is not None and (english.start is None or english.precision == "day" or english.start != english.end and english.precision != "year"):
        return english  # an exact day, a range, or an impossible date: the English rules said it
    local = _dateparser(text, lang, published)
    if local is not None and _RANK[local.precision] > _RANK[english.precision if english else None]:
        return local
    return english


def _dateparser(text: str, lang: str, published: dt.date | None) -> DateValue | None:
    import dateparser
    from dateparser.search import search_dates

    settings = {"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": False}
    try:
        found = search_dates(text, languages=[lang], settings=settings)
    except (ValueError, KeyError, TypeError):
        return None
    if not found:
        return None
    raw, _ = found[0]
    try:
        data = dateparser.date.DateDataParser(languages=[lang], settings=settings).get_date_data(raw)
    except (ValueError, KeyError, TypeError):
        return None
    if data is None or data.date_obj is None:
        return None
    when, period = data.date_obj.date(), _PRECISION.get(data.period or "day", "day")
    flags: tuple[str, ...] = ()
    if not _HAS_YEAR.search(raw):
        year, how = _nearest_year(published, when.month, when.day if period == "day" else 1)
        if year is None:
            return None  # no year and nothing to resolve one against: the English rules decline too
        when = when.replace(year=year)
        flags = (how,) if how else ()
    if period == "year":
        start, end = dt.date(when.year, 1, 1), dt.date(when.year, 12, 31)
    elif period == "month":
        start = dt.date(when.year, when.month, 1)
        nxt = dt.date(when.year + (when.month == 12), when.month % 12 + 1, 1)
        end = nxt - dt.timedelta(days=1)
    else:
        start = end = when
    return DateValue(_iso(start), _iso(end), period, text, flags, f"dateparser:{lang}")
