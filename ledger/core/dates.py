"""Dates as news text writes them, normalised: ``normalize_date(text, published)`` -> ``DateValue``.

Split from ``ledger.core.normalize`` (issue 19), which re-exports it; the rules are described there.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from dateutil import parser as du_parser
from dateutil.relativedelta import relativedelta, weekday as du_weekday

from ledger.core.text import fold_text


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _as_date(published) -> dt.date | None:
    if published is None or published == "":
        return None
    if isinstance(published, dt.datetime):
        return published.date()
    if isinstance(published, dt.date):
        return published
    text = str(published)
    try:
        if len(text) >= 10:
            return dt.date.fromisoformat(text[:10])
        if len(text) == 7:
            return dt.date.fromisoformat(text + "-01")
        if len(text) == 4:
            return dt.date(int(text), 1, 1)
    except ValueError:
        return None
    return None


# ------------------------------------------------------------------ dates


@dataclass(frozen=True)
class DateValue:
    """A date or date range: ISO ``start``/``end`` (inclusive), the precision
    of what the text said, the raw text, flags and the rule that resolved it."""

    start: str | None
    end: str | None
    precision: str | None  # day | month | year
    raw: str
    flags: tuple[str, ...] = ()
    rule: str = ""

    @property
    def normalized(self) -> str | None:
        """One string for the value: ``2021-12-03`` or ``2021-12-03/2021-12-05``,
        month or year precision written as ``2021-09`` / ``2023``."""
        if self.start is None:
            return None
        a, b = _short(self.start, self.precision), _short(self.end, self.precision)
        return a if a == b else f"{a}/{b}"

    def as_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = list(self.flags)
        d["normalized"] = self.normalized
        return d


def _short(iso: str | None, precision: str | None) -> str | None:
    if iso is None:
        return None
    return {"year": iso[:4], "month": iso[:7]}.get(precision or "day", iso)


MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
_MONTH_RE = r"(?P<{name}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
WEEKDAYS.update({d.lower(): i for i, d in enumerate(calendar.day_abbr)})
_WEEKDAY_RE = "(?P<wd>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{name}>(?:1[6-9]|20|21)\d\d)"
_RANGE_SEP = r"\s*(?:-|to|until|till|through|thru|and)\s*"


def _m(name):
    return _MONTH_RE.format(name=name)


def _d(name):
    return _DAY.format(name=name)


def _y(name):
    return _YEAR.format(name=name)


_PATTERNS = [
    # 2021-12-03/2021-12-05, 2021-12-03 to 2021-12-05
    (
        "iso-range",
        re.compile(
            r"(?P<a>\d{4}-\d\d(?:-\d\d)?)\s*(?:/|\.\.|to|-{1,2}(?=\s*\d{4}))\s*(?P<b>\d{4}-\d\d(?:-\d\d)?)",
        ),
    ),
    ("numeric", re.compile(r"(?<![\d/])(?P<a>\d{1,2}[/.]\d{1,2}[/.]\d{4})(?![\d/])")),
    ("iso", re.compile(r"(?<![\d-])(?P<a>\d{4}-\d\d-\d\d|\d{4}-\d\d)(?![\d-])")),
    # November 30 to December 2(, 2021)
    (
        "month-day-to-month-day",
        re.compile(rf"{_m('m1')}\s+{_d('d1')}(?:,?\s*{_y('y1')})?{_RANGE_SEP}{_m('m2')}\s+{_d('d2')}(?:,?\s*{_y('y2')})?\b", re.I),
    ),
    # 30 November to 2 December 2021
    (
        "day-month-to-day-month",
        re.compile(rf"(?:from\s+)?{_d('d1')}\s+(?:of\s+)?{_m('m1')}(?:\s+{_y('y1')})?{_RANGE_SEP}{_d('d2')}\s+(?:of\s+)?{_m('m2')}(?:,?\s*{_y('y2')})?\b", re.I),
    ),
    # December 3-5, December 2-4, 2024, from December 3 to 5
    (
        "month-day-range",
        re.compile(rf"{_m('m1')}\s+{_d('d1')}{_RANGE_SEP}{_d('d2')}\b(?:,?\s*{_y('y1')})?", re.I),
    ),
    # 3-5 December 2021, from 3 to 5 December 2021
    (
        "day-range-month",
        re.compile(rf"{_d('d1')}{_RANGE_SEP}{_d('d2')}\s+(?:of\s+)?{_m('m1')}(?:,?\s*{_y('y1')})?\b", re.I),
    ),
    # December 3, 2021 / December 3
    ("month-day", re.compile(rf"{_m('m1')}\s+{_d('d1')}\b(?!\s*:)(?:,?\s*{_y('y1')})?", re.I)),
    # 3 December 2021 / 3 December / 3rd of December
    ("day-month", re.compile(rf"\b{_d('d1')}\s+(?:of\s+)?{_m('m1')}\b(?:,?\s*{_y('y1')})?", re.I)),
    # last/this/next September, September 2021
    ("relative-month", re.compile(rf"\b(?P<rel>last|this|next|past|previous|coming)\s+{_m('m1')}\b", re.I)),
    ("month-year", re.compile(rf"\b{_m('m1')}\s*,?\s+{_y('y1')}\b", re.I)),
    ("relative-day", re.compile(r"\b(?P<word>today|tonight|yesterday|tomorrow|this morning|this afternoon|this evening)\b", re.I)),
    ("weekday", re.compile(rf"\b(?:(?P<rel>last|this|next|past|coming|on)\s+)?{_WEEKDAY_RE}\b", re.I)),
    ("relative-period", re.compile(r"\b(?P<rel>last|this|next|past|previous|coming)\s+(?P<unit>week|month|year)\b", re.I)),
    ("year", re.compile(rf"(?<![\d-]){_y('y1')}(?![\d-])")),
    ("bare-month", re.compile(rf"\b(?:in\s+)?{_m('m1')}\b", re.I)),
]
# month abbreviations such as "may", "mar", "jan." are words too: a bare month
# only counts when it is the whole text or written in full and capitalised
_AMBIGUOUS_MONTH_WORDS = {"may", "mar", "jan", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "feb", "apr"}


class _Impossible(Exception):
    def __init__(self, flag: str):
        self.flag = flag


def _make(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _Impossible("impossible-date") from None


def _nearest_year(published: dt.date | None, month: int, day: int = 1) -> tuple[int | None, str]:
    """The year that puts month/day nearest the publication date."""
    if published is None:
        return None, ""
    best = None
    for y in (published.year - 1, published.year, published.year + 1):
        try:
            cand = dt.date(y, month, min(day, calendar.monthrange(y, month)[1]))
        except ValueError:
            continue
        dist = abs((cand - published).days)
        if best is None or dist < best[0]:
            best = (dist, y)
    if best is None:  # no year has that day, e.g. "January 0"
        raise _Impossible("impossible-date")
    return best[1], "year-inferred"


def _month_range(y: int, m: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def _value(start, end, precision, raw, flags=(), rule=""):
    return DateValue(_iso(start), _iso(end), precision, raw, tuple(flags), rule)


def _impossible(raw, flag, rule):
    return DateValue(None, None, None, raw, (flag,), rule)


def _day_range(published, raw, rule, m1, d1, y1, m2, d2, y2):
    flags = []
    if y1 is None and y2 is None:
        y1, f = _nearest_year(published, m1, d1)
        if y1 is None:
            return None
        flags.append(f)
        y2 = y1 + (1 if m2 < m1 else 0)
    elif y1 is None:
        y1 = y2 - (1 if m2 < m1 else 0)
    elif y2 is None:
        y2 = y1 + (1 if m2 < m1 else 0)
    a, b = _make(y1, m1, d1), _make(y2, m2, d2)
    if b < a:
        raise _Impossible("impossible-range")
    if y2 != y1 and (b - a).days > _YEAR_END_RANGE_DAYS:
        # a range written without its years reads across a year end only when it is short ("December 28 to
        # January 3"); "June 3 to May 9" is a mistake to flag, not eleven months to invent (issue 16)
        raise _Impossible("impossible-range")
    return _value(a, b, "day", raw, flags, rule)


_YEAR_END_RANGE_DAYS = 92


def _resolve(rule: str, g: dict, raw: str, published: dt.date | None) -> DateValue | None:
    mon = lambda k: MONTHS[g[k].lower().rstrip(".")]  # noqa: E731
    num = lambda k: int(g[k]) if g.get(k) else None  # noqa: E731
    if rule == "iso-range":
        a, b = normalize_date(g["a"], None), normalize_date(g["b"], None)
        if a is None or b is None or a.start is None or b.start is None:
            return None
        if b.end < a.start:
            raise _Impossible("impossible-range")
        precision = a.precision if a.precision == b.precision else "day"
        return DateValue(a.start, b.end, precision, raw, (), rule)
    if rule == "numeric":
        value = _dateutil_fallback(g["a"], published)
        if value is None:
            raise _Impossible("impossible-date")
        a, b = (int(x) for x in re.split(r"[/.]", g["a"])[:2])
        flags = ("ambiguous-day-month",) if a <= 12 and b <= 12 and a != b else ()
        return DateValue(value.start, value.end, value.precision, raw, flags, "numeric (month first, dateutil)")
    if rule == "iso":
        text = g["a"]
        if len(text) == 7:
            y, m = int(text[:4]), int(text[5:7])
            if not 1 <= m <= 12:
                raise _Impossible("impossible-date")
            return _value(*_month_range(y, m), "month", raw, (), rule)
        try:
            d = dt.date.fromisoformat(text)
        except ValueError:
            raise _Impossible("impossible-date") from None
        return _value(d, d, "day", raw, (), rule)
    if rule in ("month-day-to-month-day", "day-month-to-day-month"):
        return _day_range(published, raw, rule, mon("m1"), num("d1"), num("y1"), mon("m2"), num("d2"), num("y2"))
    if rule in ("month-day-range", "day-range-month"):
        m = mon("m1")
        return _day_range(published, raw, rule, m, num("d1"), num("y1"), m, num("d2"), num("y1"))
    if rule in ("month-day", "day-month"):
        m, d, y = mon("m1"), num("d1"), num("y1")
        flags = []
        if y is None:
            y, f = _nearest_year(published, m, d)
            if y is None:
                return None
            flags.append(f)
        day = _make(y, m, d)
        return _value(day, day, "day", raw, flags, rule)
    if rule == "month-year":
        return _value(*_month_range(num("y1"), mon("m1")), "month", raw, (), rule)
    if rule == "relative-month":
        if published is None:
            return None
        m, rel = mon("m1"), g["rel"].lower()
        if rel in ("last", "past", "previous"):
            y = published.year if m < published.month else published.year - 1
        elif rel in ("next", "coming"):
            y = published.year if m > published.month else published.year + 1
        else:
            y = published.year
        return _value(*_month_range(y, m), "month", raw, ["relative"], rule)
    if rule == "relative-day":
        if published is None:
            return None
        word = g["word"].lower()
        delta = {"yesterday": -1, "tomorrow": 1}.get(word, 0)
        d = published + dt.timedelta(days=delta)
        return _value(d, d, "day", raw, ["relative"], rule)
    if rule == "weekday":
        if published is None:
            return None
        wd = WEEKDAYS[g["wd"].lower().rstrip(".")]
        rel = (g.get("rel") or "").lower()
        if rel in ("last", "past"):
            d = published + relativedelta(days=-1, weekday=du_weekday(wd)(-1))
        elif rel in ("next", "coming"):
            d = published + relativedelta(days=+1, weekday=du_weekday(wd)(+1))
        else:  # nearest such day, -3..+3 days around publication
            offset = (wd - published.weekday()) % 7
            d = published + dt.timedelta(days=offset if offset <= 3 else offset - 7)
        return _value(d, d, "day", raw, ["relative"], rule)
    if rule == "relative-period":
        if published is None:
            return None
        rel, unit = g["rel"].lower(), g["unit"].lower()
        step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}.get(rel, 0)
        if unit == "year":
            y = published.year + step
            return _value(dt.date(y, 1, 1), dt.date(y, 12, 31), "year", raw, ["relative"], rule)
        if unit == "month":
            first = published.replace(day=1) + relativedelta(months=step)
            return _value(*_month_range(first.year, first.month), "month", raw, ["relative"], rule)
        monday = published - dt.timedelta(days=published.weekday()) + dt.timedelta(weeks=step)
        return _value(monday, monday + dt.timedelta(days=6), "day", raw, ["relative", "week"], rule)
    if rule == "year":
        y = num("y1")
        return _value(dt.date(y, 1, 1), dt.date(y, 12, 31), "year", raw, (), rule)
    if rule == "bare-month":
        word = g["m1"]
        if word.lower().rstrip(".") in _AMBIGUOUS_MONTH_WORDS and raw.strip().lower() != word.lower():
            return None
        m = mon("m1")
        y, f = _nearest_year(published, m, 15)
        if y is None:
            return None
        return _value(*_month_range(y, m), "month", raw, [f], rule)
    return None


_DU_DEFAULTS = (dt.datetime(1904, 1, 1), dt.datetime(1908, 2, 2))  # two leap years, different days


def _dateutil_fallback(text: str, published: dt.date | None) -> DateValue | None:
    """Forms the patterns do not cover (e.g. '12/03/2021'), via dateutil; the
    precision is what changes between two parses with different defaults."""
    if not re.search(r"\d", text):
        return None
    try:
        a = du_parser.parse(text, default=_DU_DEFAULTS[0], fuzzy=False)
        b = du_parser.parse(text, default=_DU_DEFAULTS[1], fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year:
        return None  # no year said: leave it to the patterns
    if a.day != b.day:
        if a.month != b.month:
            return _value(dt.date(a.year, 1, 1), dt.date(a.year, 12, 31), "year", text, (), "dateutil")
        return _value(*_month_range(a.year, a.month), "month", text, (), "dateutil")
    return _value(a.date(), a.date(), "day", text, (), "dateutil")


def normalize_date(text: str, published: dt.date | str | None = None) -> DateValue | None:
    """The date or date range ``text`` says, resolved against ``published``
    (the source's publication date) where the text gives no year; ``None``
    when the text holds no date it can resolve. See the module docstring for
    the rules. An impossible date or range comes back with ``start`` None and
    an ``impossible-date`` / ``impossible-range`` flag."""
    if text is None:
        return None
    return _normalize_date_cached(str(text), _as_date(published))


_WEEK_OF = re.compile(r"\b(?:the\s+)?week\s+(?:of|beginning|starting)\s+", re.I)


@lru_cache(maxsize=65536)
def _normalize_date_cached(text: str, published: dt.date | None) -> DateValue | None:
    folded = fold_text(text)
    week = _WEEK_OF.search(folded)
    if week:
        # "the week of June 9": the seven days from that day, so that a day inside the week agrees with it
        day = _normalize_date_cached(folded[week.end():], published)
        if day is not None and day.start and day.precision == "day" and day.start == day.end:
            end = (dt.date.fromisoformat(day.start) + dt.timedelta(days=6)).isoformat()
            return DateValue(day.start, end, "day", text, tuple(day.flags) + ("range", "week-of"), "week-of")
    for rule, pattern in _PATTERNS:
        m = pattern.search(folded)
        if not m:
            continue
        try:
            value = _resolve(rule, m.groupdict(), text, published)
        except _Impossible as e:
            return _impossible(text, e.flag, rule)
        if value is not None:
            return value
    return _dateutil_fallback(folded, published)
