"""Dates (resolved against the publication date, precision kept) and quantities with their units
and what they measure."""

from __future__ import annotations

import datetime as dt
import re

from ledger.core.extract_vocab import Candidate, Doc, MONTHS, SPEECH_RE
from ledger.core.extract_text import sentence_actor
from ledger.core.extract_people import _normalizer

# ---------------------------------------------------------------- dates

_MON = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DASH = r"\s*(?:-|–|—|to|until|till|through|and)\s*"
_DATE_PATTERNS = [
    # from 3 to 5 December 2021 / 3-5 December 2021
    ("range.dmy", rf"\b(?:(?:from|between)\s+)?{_DAY}(?:\s+{_MON})?{_DASH}{_DAY}\s+{_MON}(?:,?\s+{_YEAR})?\b"),
    # December 3-5 / December 2-4, 2024 / from December 30 to January 2
    ("range.mdy", rf"\b(?:(?:from|between)\s+)?{_MON}\s+{_DAY}{_DASH}(?:{_MON}\s+)?{_DAY}(?:,?\s+{_YEAR})?\b"),
    ("range.year", rf"\b(?:(?:from|between)\s+){_YEAR}{_DASH}{_YEAR}\b|\b{_YEAR}\s*[-–]\s*(?:{_YEAR}|\d\d)\b"),
    ("range.month", rf"\b(?:(?:[Ff]rom|[Bb]etween)\s+)?{_MON}(?:\s+{_YEAR})?\s*(?:-|–|to|until|and|through)\s*{_MON}(?:,?\s+{_YEAR})?\b(?!\s*\d)"),
    ("day.wmdy", rf"\b(?:{_WD},?\s+)?{_MON}\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:-|–)\s*\d)"),
    # (not the end of a range that did not resolve: "5-3 December" is impossible, not "3 December")
    ("day.wdmy", rf"(?<!\d[-–])(?<!\d\s[-–]\s)\b(?:{_WD},?\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MON}(?:,?\s+{_YEAR})?\b"),
    ("day.iso", r"\b20\d\d-[01]\d-[0-3]\d\b"),
    ("month.year", rf"\b(?:(?:early|mid|late|mid-|the end of|the beginning of|the start of)\s*)?{_MON}\s+{_YEAR}\b"),
    ("month.relative", rf"\b(?:[Ll]ast|[Nn]ext|[Tt]his|[Ee]arly|[Ll]ate|[Mm]id-?)\s*{_MON}(?![\w])"),
    ("month.bare", rf"\b(?:[Ss]ince|[Bb]y|[Uu]ntil|[Tt]ill|[Ff]rom|[Bb]efore|[Aa]fter|[Ii]n|[Dd]uring|[Tt]hrough|[Ee]arly|[Ll]ate|[Mm]id-)\s*{_MON}(?![\w\-])(?!\s*\d)"),
    ("weekday", rf"\b(?:(?:[Ll]ast|[Nn]ext|[Tt]his)\s+)?{_WD}(?:\s+(?:morning|afternoon|evening|night))?\b"),
    ("relative.day", r"\b(?:[Tt]oday|[Yy]esterday|[Tt]omorrow|[Tt]onight|[Tt]his (?:morning|afternoon|evening))\b"),
    ("relative.period", r"\b(?:[Ll]ast|[Nn]ext|[Tt]his)\s+(?:week|month|year|weekend)\b|\b(?:a|one|two|three|four|five|six|\d+)\s+(?:days?|weeks?|months?|years?)\s+ago\b"),
    ("year", rf"(?:(?<=\b[Ii]n\s)|(?<=\b[Ff]or\s)|(?<=\b[Ss]ince\s)|(?<=\b[Bb]y\s)|(?<=\b[Uu]ntil\s)|(?<=\b[Ff]rom\s)|(?<=\b[Bb]efore\s)|(?<=\b[Aa]fter\s)|(?<=\b[Dd]uring\s)|(?<=\b[Oo]f\s)|(?<=\b[Tt]ill\s)|(?<=\b[Ii]n\searly\s)|(?<=\b[Ii]n\slate\s)|(?<=\bmid-)|(?<=\b[Ee]arly\s)|(?<=\b[Ll]ate\s)|(?<=\bthe\send\sof\s)){_YEAR}\b(?![\-–]\d)"),
]
_DATE_RE = [(name, re.compile(rx)) for name, rx in _DATE_PATTERNS]

_DATE_PREDICATES = [
    (r"\b(?:conclude[sd]?|end(?:s|ed)?|finish(?:es|ed)?|until|till|close[sd]?)\s+(?:on\s+|in\s+)?$", "end_date"),
    (r"\b(?:begin(?:s)?|began|start(?:s|ed)?|open(?:s|ed)?|launch(?:es|ed)?)\s+(?:on\s+|in\s+)?$", "start_date"),
    (r"\b(?:stated|said|announced|told [\w ]{1,30}|statement|release|declared|wrote|posted)\s+(?:on\s+|in\s+)?$", "statement_date"),
    (r"\b(?:arrived|arrive[sd]?|visit(?:s|ed)?|trip|landed)\b[^.]{0,80}$", "visit_date"),
    (r"\bscheduled\b[^.]{0,30}$", "scheduled_date"),
    (r"\b(?:held|took place|meet(?:s|ing)?|met|hold(?:s)?)\b[^.]{0,40}$", "event_date"),
    (r"\b(?:born)\s+(?:on\s+|in\s+)?$", "birth_date"),
    (r"\b(?:died)\s+(?:on\s+|in\s+)?$", "death_date"),
]


def _range_of(fn, raw: str, published):
    """A range of months or years ("June and July", "between 2019 and 2023"):
    each end normalised, the year of the second carried to the first when
    only the second says it."""
    parts = re.split(r"\s*(?:-|–|\bto\b|\buntil\b|\band\b|\bthrough\b)\s*", re.sub(r"(?i)^(?:from|between|in)\s+", "", raw), maxsplit=1)
    if len(parts) != 2:
        return fn(raw, published)
    a, b = parts
    if re.fullmatch(r"\d\d", b.strip()):
        b = a.strip()[:2] + b.strip()
    year_b = re.search(r"\d{4}", b)
    if year_b and not re.search(r"\d{4}", a):
        a = f"{a} {year_b.group()}"
    da, db = fn(a, published), fn(b, published)
    if da is None or db is None or not _dv(da, "start") or not _dv(db, "end"):
        return None
    if _dv(db, "end") < _dv(da, "start"):
        return None  # an impossible range is not guessed
    from types import SimpleNamespace

    return SimpleNamespace(start=_dv(da, "start"), end=_dv(db, "end"), precision=_dv(da, "precision"),
                           flags=tuple(_dv(da, "flags") or ()) + ("range",))


_PAST_WORDS = ("since", "from", "before", "after", "during")
_FUTURE_WORDS = ("by", "until", "till")


def _tensed(raw: str, published: dt.date | None) -> str:
    """A bare month after a word that points to the past ("since January") or
    the future ("by December") is the latest such month not after, or the
    next not before, the publication month: the year is written out for the
    normaliser, which otherwise takes the nearest such month."""
    m = re.match(r"(?i)(\w+)[\s-]*(\w+)", raw)
    if not m or published is None:
        return raw
    word, month = m.group(1).lower(), MONTHS.get(m.group(2).lower().rstrip("."))
    if month is None:
        return raw
    if word in _PAST_WORDS:
        year = published.year if month <= published.month else published.year - 1
    elif word in _FUTURE_WORDS:
        year = published.year if month >= published.month else published.year + 1
    else:
        return raw
    return f"{m.group(2)} {year}"


def _date_value(dv) -> tuple[str, str | None, str | None, str]:
    """(value, valid_from, valid_to, precision) of a normalised date."""
    start, end, precision = _dv(dv, "start"), _dv(dv, "end"), _dv(dv, "precision") or "day"
    cut = {"year": 4, "month": 7}.get(precision, 10)
    s = str(start)[:cut] if start else None
    e = str(end)[:cut] if end else s
    if s and e and s != e:
        return f"{s}/{e}", s, e, precision
    return s, s, e, precision


def _dv(dv, name):
    return dv.get(name) if isinstance(dv, dict) else getattr(dv, name, None)


# a verb in the future in the clause before a bare weekday: "will travel", "is scheduled to arrive", "is due to"
_FUTURE = re.compile(r"\b(?:will|shall|is\s+(?:scheduled|set|due|expected|slated|to)|are\s+(?:scheduled|set|due|expected|to)|plans?\s+to)\b", re.I)
_TOLD = re.compile(r"\b(?:" + SPEECH_RE + r"|announced)\b|,", re.I)


def _future_before(head: str) -> bool:
    """Is the verb governing a date at the end of ``head`` in the future? The last future marker, with no
    speech verb or comma after it ("..., the port's chief executive, said on Wednesday" is past)."""
    last = None
    for last in _FUTURE.finditer(head):
        pass
    return last is not None and not _TOLD.search(head, last.end())


_SAID_ON = re.compile(r"^[^.!?\n“”\"]{0,80}?\b(?:" + SPEECH_RE + r")\b[^.!?\n“”\"]{0,40}?\b((?:on\s+)?(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}|yesterday|today))\b", re.I)


def _spoken_on(doc: Doc, q, fn) -> tuple[dt.date | None, str | None]:
    """The day the quoted words were spoken, when the attribution dates it ('," she said on Friday'):
    (that day, a note); otherwise the publication date, with a note saying the words are not dated."""
    m = _SAID_ON.match(doc.text[q.end : q.end + 160])
    if m and fn is not None and doc.published is not None:
        try:
            dv = fn(m.group(1), doc.published)
        except Exception:  # noqa: BLE001
            dv = None
        day = _dv(dv, "start") if dv is not None else None
        if day and _dv(dv, "precision") in (None, "day"):
            return dt.date.fromisoformat(str(day)[:10]), f"the day the words were spoken ({str(day)[:10]}: {m.group(1)!r})"
    if doc.published is None:
        return None, None
    return doc.published, f"the publication date {doc.published.isoformat()} (the quoted words are not dated)"


def date_candidates(doc: Doc, entities=None) -> list[Candidate]:
    text = doc.text
    fn = _normalizer("normalize_date")
    taken: list[tuple[int, int]] = []
    out: list[Candidate] = []
    for name, rx in _DATE_RE:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            raw = m.group()
            if name == "month.relative" and re.match(r"(?i)may$", raw.split()[-1]):
                continue  # "this may" is a verb
            if name in ("day.wmdy", "day.wdmy") and re.match(r"(?i)^may\s", raw) and not re.search(r"\d", raw):
                continue
            if fn is None:
                continue
            anchor, spoken, read = doc.published, None, raw
            if name in ("relative.day", "relative.period", "weekday") and doc.in_quote(s) is not None:
                # "yesterday" in someone's words is the day before they spoke, not before publication
                anchor, spoken = _spoken_on(doc, doc.in_quote(s), fn)
            if name == "weekday" and re.fullmatch(r"(?:on\s+)?[A-Z][a-z]+day", raw) and _future_before(
                    text[doc.sentence_at(s)[0] : s]) and not doc.in_quote(s):
                # "will travel to India on Wednesday": the coming Wednesday, not the nearest one (which may be past)
                read = "coming " + raw.split()[-1]
            try:
                if name in ("range.month", "range.year"):
                    dv = _range_of(fn, raw, anchor)
                else:
                    dv = fn(_tensed(raw, anchor) if name == "month.bare" else read, anchor)
            except Exception:  # noqa: BLE001 - a date the normaliser cannot read is not proposed
                dv = None
            if dv is None or not _dv(dv, "start"):
                continue
            taken.append((s, e))
            value, vf, vt, precision = _date_value(dv)
            before = text[max(0, s - 120) : s]
            predicate = next((p for rx2, p in _DATE_PREDICATES if re.search(rx2, before, re.I)), "date")
            subject = sentence_actor(doc, s, entities) or "unknown"
            flags = _dv(dv, "flags") or ()
            note = f"{raw!r} read as {value} ({precision} precision)"
            if spoken:
                note += f", inside a quotation: resolved against {spoken}"
            elif doc.published:
                note += f", resolved against the publication date {doc.published.isoformat()}"
            if flags:
                note += f"; flags: {', '.join(flags)}"
            out.append(
                Candidate(
                    kind="date", start=s, end=e, text=raw, subject=subject, predicate=predicate, value=value,
                    normalized={"start": _iso(_dv(dv, "start")), "end": _iso(_dv(dv, "end")), "precision": precision,
                                "flags": list(flags)},
                    rule=f"date.{name}", valid_from=vf if vf != vt else None, valid_to=vt if vf != vt else None,
                    as_of=vf if vf == vt else None, note=note,
                )
            )
    out.sort(key=lambda c: c.start)
    return out


def _iso(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


# ---------------------------------------------------------------- quantities

_NUM = r"(?:\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # "1,10,000": South Asian grouping
_NUMWORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|hundred|a dozen|dozen)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
_NUMWORD_CAP = r"(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Eleven|Twelve|Thirteen|Fourteen|Fifteen|Sixteen|Seventeen|Eighteen|Nineteen|Twenty|Thirty|Forty|Fifty|Sixty|Seventy|Eighty|Ninety|Hundreds|Dozens)"
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|lakhs?|crores?|bn|m|k)\b)?"
_QUALIFIER = r"(?:(?:more than|less than|fewer than|up to|over|about|around|nearly|almost|at least|some|roughly|approximately|an estimated)\s+)?"
_UNITS = (
    "days?|weeks?|months?|years?|decades?|hours?|minutes?|seconds?|centuries|century|nights?|km|kilomet(?:re|er)s?|"
    "met(?:re|er)s?|miles?|kg|kilograms?|tonnes?|tons?|hectares?|ha|square met(?:re|er)s|sq m|acres?|seats?|"
    "seater|storeys?|stories|floors?|people|persons?|delegates?|participants?|workers?|students?|deaths?|"
    "cases?|vehicles?|households?|families|villages?|members?|athletes?|spectators?|visitors?|tourists?|"
    "passengers?|soldiers?|troops|police officers?|officers?|projects?|schools?|hospitals?|beds?|countries|"
    "nations|provinces?|rooms?|units?|doses?|vaccines?|jobs?|employees?|staff|teams?|events?|medals?|votes?|"
    "per ?cent|percent|%|mw|megawatts?|kw|gw|litres?|liters?|barrels?|riel|dollars?|yuan|baht|euros?|dong"
)
_QTY_PATTERNS = [
    ("money", rf"{_QUALIFIER}(?:US\s?)?(?:\$|€|£|¥|USD\s?|US\$)\s?{_NUM}{_SCALE}"),
    ("money.word", rf"{_QUALIFIER}{_NUM}{_SCALE}\s+(?:US\s+)?(?:dollars|riel|yuan|baht|euros|dong)\b"),
    ("percent", rf"{_QUALIFIER}{_NUM}\s?(?:%|per ?cent\b|percent\b)"),
    ("hyphen", rf"\b(?:{_NUM}|{_NUMWORD})-(?:day|week|month|year|hour|minute|decade|night|storey|story|seat|seater|member|km|kilomet(?:re|er)|met(?:re|er)|mile|bed|room|point|nation|country|man|strong|floor|lane|megawatt|mw)s?\b"),
    ("capacity", rf"\b(?:(?:seating|total|maximum|installed|production|storage|generating)\s+)?capacity\s+(?:of|for)\s+{_QUALIFIER}{_NUM}{_SCALE}(?:\s+(?:{_UNITS})\b)?"),
    ("count", rf"(?<![\w.,$€£¥]){_QUALIFIER}{_NUM}{_SCALE}\s+(?:(?:new|more|additional|local|foreign|Cambodian|Chinese|international|official)\s+)?(?:{_UNITS})(?![\w-])"),
    ("count.word", rf"(?<![\w-])(?<!\bthe\s)(?<!\bThe\s)(?<!\btheir\s)(?<!\bboth\s){_QUALIFIER}{_NUMWORD}\s+(?:(?:new|more|additional|local|foreign|full|consecutive)\s+)?(?:days|weeks|months|years|decades|hours|centuries|nights|people|delegates|participants|workers|students|deaths|cases|vehicles|households|families|villages|members|athletes|spectators|visitors|projects|schools|hospitals|provinces|medals|teams)\b"),
]
_FUNCTION_WORDS = (
    "to|of|in|on|for|and|or|the|a|an|with|from|by|at|as|than|per|each|were|are|was|is|be|been|had|have|has|will|"
    "would|who|which|that|this|these|those|it|its|their|his|her|our|more|less|into|over|under|after|before|about|"
    "around|since|until|during|between|against|among|some|all|other|such|not|no|can|could|may|might|must|should"
)
_PLURAL = (
    rf"(?!(?:{_FUNCTION_WORDS})\b)(?:[a-z][a-z\-]*[^s\W]s|people|men|women|children|staff|police|personnel|troops|"
    r"livestock|poultry|cattle|injured|wounded|dead|missing|killed|hurt|displaced|evacuated|arrested|detained|"
    r"[A-Z][a-z]+(?:ans|ese|ers|ists)|[A-Z]{2,}s)"
)
_MODIFIER = rf"(?!(?:{_FUNCTION_WORDS})\b)(?:[a-z][a-z\-]*|[A-Z]{{2,}})"
_QTY_PATTERNS += [
    # a number and what it counts: "25 ambulances", "40 health workers", "seven million passengers"
    ("count.noun", rf"(?<![\w.,$€£¥\-]){_QUALIFIER}{_NUM}{_SCALE}\s+(?:{_MODIFIER}\s+){{0,2}}?{_PLURAL}\b"),
    ("count.noun.word", rf"(?<![\w\-])(?<!\bthe\s)(?<!\bThe\s)(?<!\btheir\s)(?<!\bboth\s)(?<!\bthese\s)(?<!\bthose\s)(?<!\bits\s)(?<!\ball\s){_QUALIFIER}(?:{_NUMWORD}|{_NUMWORD_CAP})(?:\s+(?:million|billion|thousand|hundred|lakhs?|crores?))?\s+(?:{_MODIFIER}\s+){{0,2}}?{_PLURAL}\b"),
    # "2.6 million": a number with a scale word is a quantity on its own
    ("scaled", rf"(?<![\w.,$€£¥\-]){_QUALIFIER}{_NUM}\s(?:million|billion|trillion|lakhs?|crores?)\b(?:\s(?:USD|US\sdollars|dollars|euros|yuan|riels|baht)\b)?"),
    # "remained stable at 89", "rose to 1,200": a level a count reached
    ("level", rf"\b(?:stable|steady|stood|stands|remained|reached|rose|fell|climbed|dropped|increased|decreased|totalled|totaled|grew)\s+(?:at|to)\s+{_QUALIFIER}{_NUM}{_SCALE}(?![\w,.%]\d|\s?(?:%|per ?cent|percent))"),
    # "two of them", "three of the victims"
    # ("one of the buyers" names one of them, it does not count them)
    ("partitive", rf"(?<![\w\-])(?!one\b|One\b|1\b)(?:{_NUMWORD}|{_NUMWORD_CAP}|{_NUM})\s+of\s+(?:them|those|us|the\s+[a-z]+s)\b"),
    # "bringing the total to 19", "10 more"
    ("total", rf"\b(?:total|tally|toll|number|count)\s+(?:of|to|at)\s+{_NUM}{_SCALE}(?![\w,.]\d)"),
    ("more", rf"(?<![\w.,$€£¥\-]){_NUM}\s+(?:more|others|additional)\b"),
    # "lower than the reported 75,000", "an estimated 300,000": a figure others gave, standing alone
    ("reported", rf"(?:(?<=\bthe\s)|(?<=\ban\s)|(?<=\ba\s))(?:reported|estimated|expected|projected|planned|original|"
                 rf"previous|initial|official)\s+{_NUM}{_SCALE}(?![\w,.%]\d|\s?(?:%|per ?cent|percent))"),
    # "approximately one hour's drive": a duration told as a distance
    ("duration.possessive", rf"(?<![\w\-]){_QUALIFIER}(?:{_NUMWORD}|{_NUM})\s+(?:hour|day|week|minute|month|year)s?"
                            rf"(?=[’']s?\s+(?:drive|walk|flight|ride|journey|trip|sail|voyage)\b)"),
]
# counts are matched case-sensitively: what they count is a lowercase noun
_QTY_RE = [(name, re.compile(rx, 0 if name.startswith("count") else re.I)) for name, rx in _QTY_PATTERNS]


def quantity_candidates(doc: Doc, entities=None) -> list[Candidate]:
    text = doc.text
    fn = _normalizer("normalize_quantity")
    taken = [(c.start, c.end) for c in doc.dates]
    out: list[Candidate] = []
    for name, rx in _QTY_RE:
        for m in rx.finditer(text):
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            if any(s < te and ts < e for ts, te in taken):
                continue
            raw = text[s:e]
            if re.fullmatch(rf"{_YEAR}", raw.strip()):
                continue
            qv = None
            if fn is not None:
                try:
                    qv = fn(raw)
                except Exception:  # noqa: BLE001 - unreadable: not proposed
                    qv = None
            if qv is None or _dv(qv, "value") is None:
                continue
            taken.append((s, e))
            measure = _measured(text, s, e, raw, name)
            subject = _quantity_subject(doc, s, entities) or "unknown"
            number, unit, counts = _dv(qv, "value"), _dv(qv, "unit"), _dv(qv, "counts")
            out.append(
                Candidate(
                    kind="quantity", start=s, end=e, text=raw, subject=subject, predicate=measure,
                    value=_fmt_qty(qv, raw), normalized={"value": number, "unit": unit, "counts": counts},
                    rule=f"quantity.{name}",
                    note=f"{raw!r} read as {number}{' ' + unit if unit else ''}"
                    + (f" ({counts})" if counts else ""),
                )
            )
    out.sort(key=lambda c: c.start)
    return out


def _fmt_qty(qv, raw) -> str:
    number, unit = _dv(qv, "value"), _dv(qv, "unit")
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    return f"{number} {unit}".strip() if unit else str(number)


def _snake(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


_DURATION_UNITS = ("day", "week", "month", "year", "hour", "minute", "decade", "night", "centur")


def _measured(text: str, s: int, e: int, raw: str, rule: str) -> str:
    """A predicate naming what the quantity measures."""
    low = raw.lower()
    after = text[e : e + 60]
    nxt = re.match(r"\s*(?:(?:[a-z]+-)?[a-z]+\s+){0,2}?(visit|trip|tour|meeting|summit|conference|festival|event|stay|ban|lockdown|programme|program|course|session|talks|war|conflict|reign|term|sentence|loan|grant|project|deal|contract|investment|budget|fund|aid|package|stadium|venue|arena|building|road|bridge|highway|railway|dam|plant)\b", after)
    if rule == "capacity":
        cap = re.match(r"(.*?capacity)", low)
        return _snake(cap.group(1)) if cap else "capacity"
    if "seat" in low:
        return "seating_capacity"
    if rule.startswith("money"):
        return f"{nxt.group(1)}_amount" if nxt else "amount"
    if rule == "percent":
        return "percentage"
    if any(u in low for u in _DURATION_UNITS):
        return f"{nxt.group(1)}_duration" if nxt else "duration"
    if rule in ("total", "more", "level", "partitive"):
        return "count"
    unit = re.findall(r"[a-z]+", low.split("-")[-1])
    noun = unit[-1] if unit else "things"
    return f"number_of_{_snake(noun)}"


def _quantity_subject(doc: Doc, pos: int, entities=None) -> str | None:
    return sentence_actor(doc, pos, entities)
