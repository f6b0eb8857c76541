"""Events: visits, meetings and dated statements, with their dates and places."""

from __future__ import annotations

import datetime as dt
import re

from ledger.core.extract_vocab import Candidate, Doc, NUMBER_WORDS, SPEECH_RE
from ledger.core.extract_text import resolve_definite, sentence_actor, subject_of_verb
from ledger.core.extract_people import _paragraph_distance

# ---------------------------------------------------------------- events

_VISIT_RE = re.compile(
    r"\b(?:visit(?:s|ed|ing)?\s+to|visit(?:s|ed|ing)?(?=\s+(?:[A-Z]|the\s))|visit(?:ed|s|ing)(?=\s+[a-z]+\s+[a-z]+)|arriv(?:e|es|ed|ing)\s+(?:here\s+|there\s+)?in|trip\s+to|tour\s+of|"
    r"(?:lead|leads|led|leading|head|heads|headed|heading)\s+(?:a|an|the|his|her)\s+(?:[\w\-]+\s+){0,2}?delegation\s+to|"
    r"travel(?:s|led|ed|ling)?\s+to|fl(?:ew|ies|y)\s+to|(?:is|was|will be)\s+in(?=\s+[A-Z]\w+(?:,\s+[^,.;]{1,60},)?\s+(?:for|on|from|to\s+(?:attend|take\s+part|join|participate))\b))\s+"
)
_DEST_END = re.compile(r"\s+(?:from|for|on|to|during|at|last|next|this|today|yesterday|tomorrow|where|with|and\s+(?:will|is|was))\b|[,.;:()]|\s[–—-]\s")
_MEET_RE = re.compile(
    r"\b(?:meet(?:s|ing)?|met|meetings?|talks|discussions?|held talks|hold talks|sat down)"
    r"(?:\s+(?:personally|separately|briefly|privately|jointly))?"
    # "held talks in Beijing on Dec. 3 with": where and when, between the talks and whom they were with
    r"(?:\s+(?:in|at)\s+[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*){0,2})?"
    r"(?:\s+on\s+(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s+\d{4})?|\d{1,2}\s+[A-Z][a-z]{2,8}|[A-Z][a-z]+day))?\s+with\s+"
    # "met senior Chinese leaders including Chairman ... Zhao Leji": the people named in the list
    r"|\b(?:met|meet|meets|meeting)\s+(?:with\s+)?(?:[A-Za-z\-]+\s+){1,4}?(?:including|such as|among them)\s+"
    r"|\b(?:courtesy call|call)\s+on\s+(?=(?:[A-Z]|the\s))"
    r"|\b(?:met|meet|meets|received|receives|receive)\s+(?=[A-Z])"
)
# "Li Qiang held talks with Hun Manet, who is on an official visit to China": the visit is the relative
# clause's subject's
_WHO_IS_ON = re.compile(r",\s+who\s+(?:is|was|will be|has been)\s+(?:on\s+|paying\s+|making\s+)?(?:an?\s+|his\s+|her\s+)?(?:[\w\-]+\s+){0,3}$")
_IN_PLACE = re.compile(r"\s+in\s+(?=[A-Z])")
_GATHERING_PLACE_END = re.compile(r"\s+(?:from|for|on|to|during|at|last|next|this|where|with)\b|[,.;:()]")
_WHO_BEFORE = re.compile(r",\s+who\s+(?:also\s+|now\s+)?$")
_STATEMENT_RE = re.compile(
    r"\b(?:(?P<verb>" + SPEECH_RE + r"|spoke|told\s+(?:[A-Z][\w’']*\s?)+?|told(?:\s+[\w’']+){1,6}?(?=\s+on\s)|informed\s+the\s+(?:media|press|reporters))"
    r"|(?P<noun>(?:press\s+)?statement|press release|announcement|communiqu[eé]))"
    r"(?:\s+(?:issued|released|published))?\s+(?:(?:in|on)\s+(?:a|an|its|his|her|their)\s+[\w\s]{0,30}?\s+)?(?:on|dated)\s+"
)


def event_candidates(doc: Doc, entities=None) -> list[Candidate]:
    text = doc.text
    out: list[Candidate] = []
    last_visit: Candidate | None = None
    for s0, s1 in doc.sentences:
        sent_dates = [d for d in doc.dates if s0 <= d.start < s1 and not doc.in_quote(d.start)]
        for m in _VISIT_RE.finditer(text, s0, s1):
            if doc.in_quote(m.start()):
                continue
            dend = _DEST_END.search(text, m.end(), s1)
            dest = text[m.end() : dend.start() if dend else s1].strip()
            purpose = re.match(r"(?:attend|join|participate in|take part in)\s", dest)
            if purpose:
                # "led a delegation to attend the forum's annual conference in China's Hainan Province": the
                # place is the one the gathering is in
                where = _IN_PLACE.search(text, m.end(), s1)
                if where:
                    dend = _GATHERING_PLACE_END.search(text, where.end(), s1)
                    dest = text[where.end() : dend.start() if dend else s1].strip()
            verb_visit = re.match(r"visit(?:s|ed|ing)\s", m.group())
            if re.match(r"visiting\s", m.group()) and any(
                    x.type == "person" and m.end() <= x.start < m.end() + len(dest) for x in doc.mentions):
                continue  # "his visiting counterpart Pushpa Kamal Dahal": an adjective, not a visit to a place
            dest = _place_of(dest)
            if not dest or not (dest[0].isupper() or re.match(r"the [a-z]+$|the [A-Z]", dest) or verb_visit) or len(dest.split()) > 10:
                continue
            vf, vt, rule = _event_dates(doc, sent_dates, s0, s1)
            if vf is None:
                vf, vt, rule = _dated_by_next_sentence(doc, s0, s1)
            if vf == vt and rule == "":
                # "X arrived in Sri Lanka today. Khan has arrived ... as part of his official two-day state visit.":
                # the visit's length in the next sentence of the paragraph, with no date of its own
                nxt = next(((a, b) for a, b in doc.sentences if a >= s1), None)
                if nxt and _paragraph_distance(doc, s0, nxt[0]) <= 1:
                    later = doc.text[nxt[0] : nxt[1]]
                    dur = re.search(r"\b(\w+)-day\s+(?:[\w\-]+\s+){0,3}?(?:visit|trip|tour)\b", later)
                    if dur and not any(nxt[0] <= d.start < nxt[1] for d in doc.dates):
                        n = NUMBER_WORDS.get(dur.group(1).lower()) or (int(dur.group(1)) if dur.group(1).isdigit() else None)
                        if n and re.fullmatch(r"\d{4}-\d{2}-\d{2}", vf or ""):
                            vt = (dt.date.fromisoformat(vf) + dt.timedelta(days=n - 1)).isoformat()
                            rule = ".duration"
            subject = _reported_actor(doc, s0, m.start()) or sentence_actor(doc, m.start(), entities) or "unknown"
            rel = _WHO_IS_ON.search(text, s0, m.start())
            if not (rel and rel.end() == m.start()):
                rel = _WHO_BEFORE.search(text, s0, m.start())  # "X, who is in Anning"
            if rel and rel.end() == m.start():
                who = next((x for x in reversed(doc.mentions) if x.end == rel.start() and x.type == "person"), None)
                if who is not None:
                    subject = who.name
            poss = re.search(r"\b(?:his|her)\s+(?:[\w\-]+\s+){0,3}$", text[s0 : m.start()])
            if poss and re.match(r"visit|trip|tour", m.group()) and _plural_subject(doc, s0, s1):
                # "A and B held a meeting with C during his four-day visit to India": "his" cannot be the two
                # subjects'; it is the last person named before it
                who = doc.last_person(s0 + poss.start())
                if who is not None and who.start >= s0:
                    subject = who.name
            if vf is None and re.match(r"arriv", m.group()) and re.search(r"\b(?:has|have)\s+$", text[s0 : m.start()]):
                # "Prime Minister X has arrived in Kabul for a day-long visit": present perfect, the report's day
                vf = vt = doc.published.isoformat() if doc.published else None
                dur = re.search(r"\b(\w+)-day(?:-long)?\b|\bday-long\b", text[m.end() : s1])
                n = 1 if dur and dur.group(0) == "day-long" else (NUMBER_WORDS.get((dur.group(1) or "").lower()) if dur else None)
                if vf and n:
                    vt = (dt.date.fromisoformat(vf) + dt.timedelta(days=n - 1)).isoformat()
                rule = ".perfect"
            if vf is None:
                if verb_visit or not dest[:1].isupper() or not _is_person(doc, subject):
                    continue  # "He is visiting India ...", "visited the stadium": no date, and a bare verb
                rule = ".undated"  # "He will then travel to the southern city of Nanning": a visit, date untold
            span = _event_span(text, s0, m.start(), m.end() + len(dest), sent_dates)
            c = Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]], subject=subject,
                          predicate="visit", value=dest, normalized={"from": vf, "to": vt, "place": dest},
                          rule=f"event.visit{rule}", valid_from=vf, valid_to=vt)
            out.append(c)
            if vf is not None:
                last_visit = c  # what "during the visit" refers to: the last visit told with its dates
            break
        for m in _MEET_RE.finditer(text, s0, s1):
            if doc.in_quote(m.start()):
                continue
            # not the dot of "H.E."; not the speaker of a report after it (", his spokesperson X told the press")
            stop = re.search(r"\s+to\s+[a-z]+\b|(?<!\b[A-Z])[.;]|,\s+(?:his|her|their|its)\s", text[m.end() : s1])
            lim = m.end() + stop.start() if stop else s1
            people = [x for x in doc.mentions if m.end() <= x.start < lim and x.type == "person" and not x.in_quote]
            if not people:
                continue
            during = re.search(r"\b(?:during|on|throughout)\s+(?:the|his|her|their)\s+(?:[\w\-]+\s+){0,2}?(?:visit|trip|tour|stay)\b", text[s0:s1], re.I)
            agenda = _AGENDA.match(text, s0, m.start())
            vf, vt, rule = (None, None, "") if during or agenda else _event_dates(doc, sent_dates, s0, s1, durations=False)
            ranged = [d for d in sent_dates if d.valid_from] if during else []
            if vf is None and ranged:
                # "during the visit scheduled from December 2 to 4, he will meet ...": the visit's dates are here,
                # and they make the visit's own dates more precise ("next week" becomes December 2 to 4)
                vf, vt, rule = ranged[0].valid_from, ranged[0].valid_to, ".during-visit"
                if last_visit is not None and _within(vf, vt, last_visit.valid_from, last_visit.valid_to):
                    last_visit.valid_from, last_visit.valid_to = vf, vt
                    last_visit.normalized.update({"from": vf, "to": vt})
            if vf is None and last_visit is not None:
                vf, vt, rule = last_visit.valid_from, last_visit.valid_to, ".during-visit"
            subject = sentence_actor(doc, m.start(), entities) or "unknown"
            if agenda and last_visit is not None:
                subject = last_visit.subject  # "These include discussions with ...": the visitor's programme
            if vf is None and _REMARKS.search(text, s0, m.start()):
                # "Wang made the remarks when meeting with ...": the meeting is when the remarks told before were made
                told = [d for d in doc.dates if d.end <= s0 and not d.valid_from and not doc.in_quote(d.start)
                        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.as_of or "")]
                if told:
                    vf = vt = told[-1].as_of
                    rule = ".remarks"
            if vf is None:
                if not _is_person(doc, subject):
                    continue
                rule = ".undated"
            for p in people:
                if p.name == subject:
                    continue
                span = (m.start(), p.end)
                out.append(Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]],
                                     subject=subject, predicate="meeting", value=p.name,
                                     normalized={"from": vf, "to": vt, "with": p.name},
                                     rule=f"event.meeting{rule}", valid_from=vf, valid_to=vt))
            break
        # "The Ministry of Health on Tuesday reported ...": the date before the verb
        for d in sent_dates:
            if d.valid_from or doc.in_quote(d.start):
                continue
            v = re.match(r"\s+(" + SPEECH_RE + r")\b", text[d.end : s1])
            pre = re.search(r"\b(?:on|in)\s+$", text[s0 : d.start])
            fronted = re.match(r"\s*On\s+$", text[s0 : d.start])
            if fronted and not v:
                # "On 30 November 2024, the Ministry of Foreign Affairs announced ...": the date opens the sentence
                v = re.match(r",\s+(?:[^,.;“”\"]{1,80}?)\s+(" + SPEECH_RE + r")\b", text[d.end : s1])
                if v:
                    verb_at = d.end + v.start(1)
                    subject, _ = subject_of_verb(doc, verb_at, entities)
                    if subject:
                        span = (s0 + fronted.start() + len(text[s0 : d.start]) - len(text[s0 : d.start].lstrip()), d.end + v.end())
                        out.append(Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]],
                                             subject=subject, predicate="statement_date", value=d.value,
                                             normalized={"from": d.as_of, "to": d.as_of},
                                             rule="event.statement.date-first", as_of=d.as_of))
                    continue
            if v and pre:
                subject, _ = subject_of_verb(doc, s0 + pre.start(), entities)
                subject = subject or sentence_actor(doc, d.start, entities) or "unknown"
                span = (s0 + pre.start(), d.end + v.end())
                out.append(Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]],
                                     subject=subject, predicate="statement_date", value=d.value,
                                     normalized={"from": d.as_of, "to": d.as_of}, rule="event.statement.date-first",
                                     as_of=d.as_of))
        for m in _STATEMENT_RE.finditer(text, s0, s1):
            if doc.in_quote(m.start()):
                continue
            d = next((x for x in sent_dates if x.start == m.end()), None)
            if d is None or d.valid_from:
                continue
            if m.group("verb"):
                subject, _ = subject_of_verb(doc, m.start(), entities)
            else:
                poss = re.search(r"(?:\b(?:the|a)\s+)?((?:[\w\-]+\s+){0,3}[\w\-]+)[’']s\s+(?:[\w\-]+\s+)?$", text[s0 : m.start()])
                subject = None
                if poss:
                    subject = resolve_definite(doc, poss.group(0).strip(), m.start(), entities)
            subject = subject or sentence_actor(doc, m.start(), entities) or "unknown"
            span = (m.start(), d.end)
            out.append(Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]],
                                 subject=subject, predicate="statement_date", value=d.value,
                                 normalized={"from": d.as_of, "to": d.as_of}, rule="event.statement",
                                 as_of=d.as_of))
    return _one_visit_each(out, entities)


# a sentence that lists a visit's programme: "These include discussions with ...", "The visit will also feature
# talks with ..."
_AGENDA = re.compile(
    r"\s*(?:These|This|It|The\s+(?:[\w\-]+\s+){0,2}?(?:visit|trip|tour|agenda|programme|program|schedule|itinerary))"
    r"\s+(?:will\s+)?(?:also\s+)?(?:include|includes|included|involve|involves|involved|feature|features|featured)\b")


_REMARKS = re.compile(r"\b(?:made|delivered|gave|offered)\s+(?:the|these|his|her|those)\s+(?:remarks|comments)\s+(?:when|while|during|at|in)\b")


def _one_visit_each(cands: list[Candidate], entities=None) -> list[Candidate]:
    """A visit told twice in one text is one visit: of two visits by the same subject to the same place, one
    without dates, or one whose dates fall inside the other's ("on September 15 ... Hun Manet, who is on an
    official visit to China" and "paid an official visit to China from September 14 to 16"), the fuller one is
    kept."""
    visits = [c for c in cands if c.kind == "event" and c.predicate == "visit"]
    drop = set()
    for a in visits:
        for b in visits:
            if a is b or id(b) in drop or a.subject != b.subject or _place_key(a.value, entities) != _place_key(b.value, entities):
                continue
            if b.valid_from and (a.valid_from is None or _within(a.valid_from, a.valid_to, b.valid_from, b.valid_to)):
                drop.add(id(a))
    return [c for c in cands if id(c) not in drop]


def _place_key(place: str, entities=None) -> str:
    """A place compared across mentions: "the People’s Republic of China" and "China" are one place when the
    entity table says so."""
    found = entities.resolve(place) if entities is not None else None
    if found:
        return found
    return re.sub(r"^the\s+", "", place.strip(), flags=re.I).casefold()


def _plural_subject(doc: Doc, s0: int, s1: int) -> bool:
    """Does the sentence open with two people joined by "and" ("Ajit Doval and Foreign Secretary Vinay Kwatra
    held ...")?"""
    people = [x for x in doc.mentions if s0 <= x.start < s1 and x.type == "person" and not x.in_quote]
    if len(people) < 2 or people[0].start - s0 > 120:
        return False
    between = doc.text[people[0].end : people[1].start]
    return bool(re.fullmatch(r"\s+and\s+(?:[A-Z][\w’'\-]*\s+){0,4}", between))


def _is_person(doc: Doc, name: str) -> bool:
    return any(x.name == name and x.type == "person" for x in doc.mentions)


def _within(vf, vt, outer_from, outer_to) -> bool:
    """Is the range vf..vt inside outer_from..outer_to (ISO dates, precision kept as written)?"""
    if not (vf and vt and outer_from and outer_to):
        return False
    return outer_from <= vf and vt[: len(outer_to)] <= outer_to and (outer_from, outer_to) != (vf, vt)


def _dated_by_next_sentence(doc: Doc, s0: int, s1: int) -> tuple[str | None, str | None, str]:
    """"X is paying a four-day visit to China. He departed ... this morning.": a visit told with its length but
    no date starts on the day the next sentence of its paragraph dates."""
    dur = re.search(r"\b(\w+)-day\s+(?:[\w\-]+\s+){0,3}?(?:visit|trip|tour)\b", doc.text[s0:s1])
    if not dur:
        return None, None, ""
    n = NUMBER_WORDS.get(dur.group(1).lower()) or (int(dur.group(1)) if dur.group(1).isdigit() else None)
    nxt = next(((a, b) for a, b in doc.sentences if a >= s1), None)
    if not n or nxt is None or _paragraph_distance(doc, s0, nxt[0]) > 1:
        return None, None, ""
    day = next((d for d in doc.dates if nxt[0] <= d.start < nxt[1] and not d.valid_from and not doc.in_quote(d.start)
                and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.as_of or "")), None)
    if day is None:
        return None, None, ""
    return day.as_of, (dt.date.fromisoformat(day.as_of) + dt.timedelta(days=n - 1)).isoformat(), ".duration"


_PLACE_WORD = r"(?:[A-Z][\w’'\-]*|of|the|and|de|da|du|la)"


def _place_of(dest: str) -> str:
    """The place a destination phrase names: "neighboring Afghanistan" -> "Afghanistan"; "the southern city of
    Nanning" -> "Nanning"; "Sri Lanka’s capital Colombo" -> "Colombo"; "Kabul since becoming prime minister"
    -> "Kabul". A phrase with no capitalised word is left as written ("the stadium")."""
    d = dest.strip()
    m = re.match(r"(?:the\s+)?(?:[a-z][\w\-]*\s+){0,2}?(?:city|town|province|state|region|district|village|port|capital|island|county)\s+of\s+(?=[A-Z])", d)
    if m:
        d = d[m.end():]
    m = re.match(r"[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)*[’']s\s+(?:[a-z]+\s+)?capital(?:,)?\s+(?=[A-Z])", d)
    if m:
        d = d[m.end():]
    m = re.match(r"[A-Z][\w\-]*[’']s\s+(?=[A-Z][\w\-]*\s+(?:Province|State|Region|District|County)\b)", d)
    if m:
        d = d[m.end():]  # "China's Hainan Province" -> "Hainan Province"
    m = re.match(r"(?:[a-z][\w\-]*\s+){1,2}(?=[A-Z])", d)
    if m and not re.match(r"the\s", d):
        d = d[m.end():]  # "neighboring Afghanistan", "southern Nanning"
    m = re.match(rf"(?:the\s+)?[A-Z][\w’'\-]*(?:\s+{_PLACE_WORD})*", d)
    if m:
        d = re.sub(r"(?:\s+(?:of|the|and|de|da|du|la))+$", "", m.group())
    return d


_REPORTING = re.compile(r"\b(?:" + SPEECH_RE + r")\s+(?:(?:in|on)\s+(?:a|an|its|his|her|their)\s+[\w\s]{0,30}?\s+)?that\s+(?:[^,]{0,60},\s+)?")


def _reported_actor(doc: Doc, s0: int, pos: int) -> str | None:
    """The actor of a reported clause: "the ministry said that Hun Manet paid a visit", "the statement said that
    ahead of the visit, Khan's adviser Razaq Dawood travelled" -> the first person named after "that"."""
    rep = None
    for r in _REPORTING.finditer(doc.text, s0, pos):
        rep = r
    if rep is None:
        return None
    who = next((x for x in doc.mentions if rep.end() <= x.start < pos and x.type in ("person", "org") and not x.in_quote
                and not x.possessive), None)
    return who.name if who else None


def _event_dates(doc: Doc, sent_dates, s0, s1, durations: bool = True) -> tuple[str | None, str | None, str]:
    """The dates of an event told in one sentence: a range, or a day plus an
    N-day duration (a visit's: not a meeting's, "met him on December 3, as part of
    a three-day visit"), or a single date."""
    rank = {"day": 0, "month": 1, "year": 2}
    # "..., it was announced on Saturday": the date of a statement about the event is not the event's
    told = [d for d in sent_dates if re.search(r"\b(?:" + SPEECH_RE + r")\s+(?:(?:in|on)\s+(?:a|an|its|his|her|their)\s+[\w\s]{0,30}?\s+)?(?:on\s+)?$",
                                               doc.text[max(s0, d.start - 60) : d.start])]
    if len(told) < len(sent_dates):
        sent_dates = [d for d in sent_dates if d not in told]
    sent_dates = sorted(sent_dates, key=lambda d: rank.get(d.normalized.get("precision"), 3))
    for d in sent_dates:
        if d.valid_from and d.normalized.get("precision") == "day":
            return d.valid_from, d.valid_to, ""
    if sent_dates:
        d = sent_dates[0]
        if d.valid_from:
            return d.valid_from, d.valid_to, ""
        dur = re.search(r"\b(\w+)-day\b", doc.text[s0:s1]) if durations else None
        if dur and d.normalized.get("precision") == "day":
            n = NUMBER_WORDS.get(dur.group(1).lower()) or (int(dur.group(1)) if dur.group(1).isdigit() else None)
            if n:
                start = dt.date.fromisoformat(d.as_of)
                return d.as_of, (start + dt.timedelta(days=n - 1)).isoformat(), ".duration"
        return d.as_of, d.as_of, ""
    return None, None, ""


def _event_span(text, s0, trig_start, dest_end, sent_dates) -> tuple[int, int]:
    start, end = trig_start, dest_end
    for d in sent_dates:
        start, end = min(start, d.start), max(end, d.end)
    # start at a word boundary and end without trailing spaces
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
