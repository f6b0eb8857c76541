"""Quotations with their speakers, and the titles and roles given to people."""

from __future__ import annotations

import re
from functools import lru_cache

from ledger.core.extract_vocab import (
    Candidate, Doc, NAME_HONORIFICS, NATIONALITIES, ORG_HEADS, PARTIAL_VERBS, Quote, SPEECH_RE, STOP_CAPS,
    TITLE_HEADS, TITLE_MODIFIERS, TITLE_WORDS,
)
from ledger.core.extract_text import (
    _ADVERBS, _DEF_HEADS, _DEF_NP_RE, _is_cap, _is_name_word, _low, _words, quote_value, resolve_definite,
    subject_of_verb,
)

# ---------------------------------------------------------------- quotations


_AFTER_PRON = re.compile(r"^\s*[,.!?]?\s*(he|she)\s+" + _ADVERBS + r"(" + SPEECH_RE + r")\b", re.I)
_AFTER_VERB = re.compile(r"^\s*[,.!?]?\s*(" + SPEECH_RE + r")\s+", re.I)
_AFTER_NAME = re.compile(r"^\s*[,.!?]?\s*")
_AFTER_ACCORDING = re.compile(r"^\s*[,.!?]?\s*according to\s+", re.I)
_BEFORE_VERB = re.compile(r"\b(" + SPEECH_RE + r")\b(?:\s+(?:on|in|at)\s+[\w ,]{1,30}?)?(?:\s+(?:that|this|reporters|journalists|the \w+|[A-Z][\w]+(?: [A-Z]\w+)*))?\s*[:,]?\s*$", re.I)
_ANY_VERB = re.compile(r"\b(" + SPEECH_RE + "|" + "|".join(PARTIAL_VERBS) + r"|according to)\b", re.I)


def quotation_candidates(doc: Doc, entities=None) -> list[Candidate]:
    text = doc.text
    out: list[Candidate] = []
    prev: tuple[Quote, str] | None = None
    for q in doc.quotes:
        value = quote_value(text, q)
        if not value:
            continue
        nwords = len(value.split())
        speaker, rule = _attribute(doc, q, entities)
        if speaker is None and prev is not None and nwords >= 4:
            pq, pspeaker = prev
            p0, _ = doc.paragraph_at(pq.start)
            between = [m for m in doc.mentions if pq.end <= m.start < q.start and m.type == "person"
                       and not m.in_quote and m.name != pspeaker]
            # the next quotation in the same or the following paragraph, nobody else named between
            if not between and _paragraph_distance(doc, pq.end, q.start) <= 1:
                speaker, rule = pspeaker, "quote.follow-on"
        if speaker is None:
            continue
        if rule == "quote.partial" and nwords > 12:
            rule = "quote.reported"
        out.append(
            Candidate(
                kind="quotation",
                start=q.start,
                end=q.end,
                text=text[q.start : q.end],
                subject=speaker,
                predicate="said",
                value=value,
                normalized=value,
                speaker=speaker,
                rule=rule,
            )
        )
        prev = (q, speaker)
    return out


def _paragraph_distance(doc: Doc, a: int, b: int) -> int:
    idx = [i for i, (s, e) in enumerate(doc.paragraphs) if s <= a <= e or s <= b <= e]
    return (max(idx) - min(idx)) if idx else 99


# verbs that introduce the quoted words of their own subject right before the quotation: 'protesters
# chanted "...", Smith said' gives the chant to the protesters, not to Smith who reports it
_VOICE_VERBS = SPEECH_RE + "|chanted|chant|shouted|shout|sang|cried|yelled|read|reads|wrote|shouting|chanting"
_VOICED_BEFORE = re.compile(r"\b(" + _VOICE_VERBS + r")\s*[:,]?\s*$", re.I)


def _attribute(doc: Doc, q: Quote, entities=None) -> tuple[str | None, str]:
    text = doc.text
    s0, _ = doc.sentence_at(q.start)
    voiced = _VOICED_BEFORE.search(text[s0 : q.start])
    if voiced and not any(s0 <= o.start < q.start for o in doc.quotes):
        who, how = subject_of_verb(doc, s0 + voiced.start(1), entities)
        if who is None and how == "none":
            # a plural common noun ("Protesters chanted", "the crowd shouted"): their words, not the reporter's
            bare = text[s0 : s0 + voiced.start(1)].strip()
            if bare and re.fullmatch(r"(?:the\s+)?[A-Za-z][a-z\-]*(?:\s+[a-z][a-z\-]*){0,2}", bare):
                return None, "none"
        elif who:
            return who, "quote.before.verb"
    _, pe = doc.paragraph_at(q.end - 1)
    after = text[q.end : min(pe, q.end + 160)]
    m = _AFTER_PRON.match(after)
    if m:
        p = doc.salient_person(q.start)
        if p:
            return p.name, "quote.after.pronoun"
    m = _AFTER_VERB.match(after)
    if m:
        at = q.end + m.end()
        # '," said U.S. Secretary of State Antony Blinken': a title (which may begin with an abbreviation or a
        # demonym) between the verb and the name; the speaker is the person the title is given to
        titled = next((x for x in doc.mentions if at < x.start <= at + 80 and x.type == "person"), None)
        if titled is not None and (_pre_title(text, titled.start, at) or (None,))[0] == at:
            return titled.name, "quote.after.verb-name"
        who = next((x for x in doc.mentions if x.start == at or (at <= x.start <= at + 4 and text[at:x.start].lower().strip() in ("", "mr", "ms", "mrs", "dr"))), None)
        if who and who.type in ("person", "org", "agency", "unknown"):
            return who.name, "quote.after.verb-name"
        d = re.match(r"(the\s+(?:[\w\-]+\s+){0,3}?(?:" + "|".join(_DEF_HEADS) + r"))\b", text[at : at + 60], re.I)
        if d:
            return resolve_definite(doc, d.group(1), at, entities), "quote.after.verb-org"
    m = _AFTER_NAME.match(after)
    at = q.end + m.end()
    who = next((x for x in doc.mentions if x.start == at or (
        at < x.start <= at + 12 and re.fullmatch(r"(?:Mr|Mrs|Ms|Dr|Prof|H\.E\.)\.?\s+", text[at : x.start]))), None)
    if who and who.type in ("person", "org", "agency", "unknown"):
        rest = text[who.end : who.end + 160]
        if re.match(r"^\s*(?:,[^,.“”\"]{0,140},\s*)?" + _ADVERBS + r"(" + SPEECH_RE + r")\b", rest, re.I):
            return who.name, "quote.after.name-verb"
    # '," ministry spokesperson Chum Sounry said': a title, then the name, then the verb
    who = next((x for x in doc.mentions if at < x.start <= at + 60 and x.type == "person"), None)
    if who and _pre_title(text, who.start, at) and _pre_title(text, who.start, at)[0] == at:
        if re.match(r"^\s*" + _ADVERBS + r"(" + SPEECH_RE + r")\b", text[who.end : who.end + 40], re.I):
            return who.name, "quote.after.name-verb"
    d = re.match(r"(the\s+(?:[\w\-]+\s+){0,3}?(?:" + "|".join(_DEF_HEADS) + r"))\s+" + _ADVERBS + r"(" + SPEECH_RE + r")\b", text[at : at + 80], re.I)
    if d:
        return resolve_definite(doc, d.group(1), at, entities), "quote.after.org"
    # '," the Premier stated': a definite title stands for the person the report is about
    d = _THE_TITLE_SAID.match(text, at, at + 80)
    if d and d.group(1).lower() in TITLE_HEADS:
        p = doc.salient_person(q.start, quote=None)
        if p:
            return p.name, "quote.after.title"
    # '," state broadcaster CCTV said': a lowercase description, then the name, then the verb
    desc = re.match(r"(?:[a-z][\w\-]*\s+){1,3}", text[at : at + 60])
    if desc and not re.match(r"(?:the|a|an|he|she|they|it|and|but|as|which|who)\b", desc.group()):
        who = next((x for x in doc.mentions if x.start == at + desc.end() and x.type in ("person", "org", "agency", "unknown")), None)
        if who and re.match(r"^\s*" + _ADVERBS + r"(" + SPEECH_RE + r")\b", text[who.end : who.end + 40], re.I):
            return who.name, "quote.after.name-verb"
    m = _AFTER_ACCORDING.match(after)
    if m:
        at2 = q.end + m.end()
        who = next((x for x in doc.mentions if x.start == at2), None)
        if who:
            return who.name, "quote.after.according"
    # before the quotation, in the same sentence, outside other quotations
    s0, _ = doc.sentence_at(q.start)
    head = text[s0 : q.start]
    for other in doc.quotes:
        if s0 <= other.start < q.start:
            head = head[: other.start - s0] + " " * (other.end - other.start) + head[other.end - s0 :]
    m = _BEFORE_VERB.search(head)
    if m:
        speaker, how = subject_of_verb(doc, s0 + m.start(1), entities)
        if speaker:
            return speaker, "quote.before.verb"
    # "..., said Wang, adding that this is the "Asian moment"": the speaker named after an inverted verb
    inv = None
    for inv in re.finditer(r",\s+(?:" + SPEECH_RE + r")\s+(?=[A-Z])", head):
        pass
    if inv is not None:
        who = next((x for x in doc.mentions if x.start == s0 + inv.end() and x.type == "person"), None)
        if who is not None:
            return who.name, "quote.partial.inverted"
    verbs = list(_ANY_VERB.finditer(head))
    if verbs:
        v = verbs[-1]
        if v.group(1).lower() == "according to":
            at2 = s0 + v.end()
            who = next((x for x in doc.mentions if at2 <= x.start <= at2 + 5), None)
            if who:
                return who.name, "quote.partial"
            d = _DEF_NP_RE.search(text[at2 : at2 + 60])
            return None, "none"
        speaker, how = subject_of_verb(doc, s0 + v.start(1), entities)
        if speaker:
            return speaker, "quote.partial"
    return None, "none"


# ---------------------------------------------------------------- titles

_THE_TITLE_SAID = re.compile(r"\s*[,.]?\s*the\s+(?:[A-Za-z\-]+\s+){0,2}?([A-Za-z]+)\s+" + _ADVERBS + r"(?:" + SPEECH_RE + r")\b")
_TITLE_END = re.compile(r"\s*(?:[,;:.()\[\]”\"!?\n]|\s[–—-]\s|\s(?:who|which|whose|where|when|said|says|told|and (?:has|is|was|will))\b)")


_NAME_LIST_RE = re.compile(r",\s+[A-Z][\w\-]*(?:,\s+[A-Z][\w\-]*)*,?\s+and\s+[A-Z]")


def _title_phrase(text: str, start: int, limit: int, *, relaxed: bool = False) -> tuple[int, int] | None:
    """The span of a title phrase starting at ``start`` (up to punctuation or a
    clause), if its first words hold a role noun. ``relaxed`` (the phrase
    followed an article: "a land rights activist") lets any words come before
    the role noun."""
    pos = start
    while True:
        m = _TITLE_END.search(text, pos, limit)
        end = m.start() if m else limit
        # a comma inside a capitalised list in a name ("the Textile, Apparel,
        # Footwear and Travel Goods Association") does not end the title
        # an abbreviation in brackets inside a title: "general secretary of the Communist Party of China (CPC)
        # Central Committee"
        ab = re.match(r"\s*\([A-Z][A-Za-z]{1,9}\)(?=\s+(?:and\s+)?[A-Za-z])", text[end:limit]) if m else None
        if ab:
            pos = end + ab.end()
            continue
        if m and text[end : end + 1] == "," and end > start and text[end - 1].isalpha() and _NAME_LIST_RE.match(text, end):
            cap = re.match(r".*?\b[A-Z]", text[end:limit])
            prev = re.search(r"(\w+)$", text[start:end])
            if prev and prev.group(1)[:1].isupper() and cap:
                pos = end + 1
                continue
        break
    phrase = text[start:end]
    raw_words = re.findall(r"[\w\-’']+", phrase)
    words = [w.lower() for w in raw_words]
    if not words or len(words) > 22:
        return None
    first = words[0]
    poss = lambda w: w.endswith(("’s", "'s"))  # noqa: E731 - "the bank's president"
    if not (relaxed or first in TITLE_WORDS or first in TITLE_MODIFIERS or first in NATIONALITIES or poss(first)
            or phrase[:1].isupper()):
        return None
    heads = TITLE_HEADS | {"chief", "head", "member", "officer", "executive", "official", "general", "fellow", "speaker"}
    head_at = next((i for i, w in enumerate(words[:5]) if w.strip("’'") in heads), None)
    if head_at is None:
        return None
    # everything before the head must be modifiers, nationalities, possessives or names
    if not relaxed:
        for w, raw in zip(words[:head_at], raw_words[:head_at]):
            if not (w in TITLE_MODIFIERS or w in NATIONALITIES or w in TITLE_WORDS or poss(w) or raw[:1].isupper()
                    or w in ("of", "and", "the")):
                return None
    while end > start and text[end - 1] in " ":
        end -= 1
    return start, end


def _split_both(value: str) -> list[str]:
    """"president of both the Senate and the CPP" is two titles."""
    m = re.match(r"^(.*?\bof)\s+both\s+(.+?)\s+and\s+(.+)$", value)
    if m:
        return [f"{m.group(1)} {m.group(2)}", f"{m.group(1)} {m.group(3)}"]
    return [value]


_STACK_AND = re.compile(r"\s+and\s+(?:the\s+)?")


def _split_stacked(value: str) -> list[str]:
    """Two posts in two organisations run together: "President of the Senate and General Secretary of the
    CPP", "Cambodian People's Party (CPP) President and Senate President", "general secretary of the CPC
    Central Committee and Chinese president". A post names its organisation ("of the Senate", "(CPP)", a party
    or committee word) before the "and" is read as a second title; "State Councilor and Foreign Minister",
    with no organisation before the "and", stays one title."""
    cp = re.match(r"((?:[\w\-’']+\s+){0,2}counterparts?)\s+(?=[A-Z])", value)
    if cp and any(w.lower() in TITLE_HEADS for w in value[cp.end():].split()):
        # "Indian counterpart Prime Minister Modi": the relation, then the post
        return [cp.group(1)] + _split_stacked(value[cp.end():])
    for m in _STACK_AND.finditer(value):
        first, second = value[: m.start()], value[m.end() :]
        sw = [w.lower().strip("’'") for w in re.findall(r"[\w\-’']+", second)]
        fw = [w.lower() for w in re.findall(r"[\w\-’']+", first)]
        if not sw or not any(w in TITLE_HEADS or w in ("leader", "head", "member", "chief") for w in sw[:6]):
            continue
        if not (sw[0] in TITLE_WORDS or sw[0] in TITLE_MODIFIERS or sw[0] in NATIONALITIES or second[:1].isupper()):
            continue
        names_org = (re.search(r"\bof\s+(?:the\s+)?[A-Z]", first) or re.search(r"\([A-Z]{2,10}\)", first)
                     or any(w in ORG_HEADS and w not in TITLE_MODIFIERS for w in fw))
        if names_org and any(w in TITLE_HEADS or w in ("leader", "head", "member", "chief") for w in fw):
            return [first] + _split_stacked(second)
    return [value]


_HONORIFIC_LEAD = re.compile(r"^(?:(?:H\.\s?E\.|His\s+Excellency|Her\s+Excellency|Dr\.?|Mr\.?|Mrs\.?|Ms\.?|Prof\.?)\s+)+")


def _clean_title(value: str) -> str:
    value = _HONORIFIC_LEAD.sub("", value.strip())  # "H.E. Deputy Prime Minister": a form of address, not the post
    value = re.sub(r"^(?:the|a|an|its|his|her|their)\s+", "", value.strip(), flags=re.I)
    value = re.sub(r"\s*\([^)]*\)\s*$", "", value)
    return " ".join(value.split())


def title_candidates(doc: Doc, entities=None) -> list[Candidate]:
    text = doc.text
    out: list[Candidate] = []
    seen = set()

    def add(subject, span, title_span, rule):
        value_raw = text[title_span[0] : title_span[1]]
        for v in [x for part in _split_stacked(value_raw) for x in _split_both(_clean_title(part))]:
            key = (subject, v.lower(), span)
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(kind="title", start=span[0], end=span[1], text=text[span[0] : span[1]],
                                 subject=subject, predicate="title", value=v, normalized=_norm_title(v), rule=rule))

    for m in doc.mentions:
        if m.type != "person":
            continue
        s0, s1 = doc.sentence_at(m.start)
        lim = s1
        q = doc.in_quote(m.start)
        if q:
            lim = min(lim, q.inner_end)
        # appositive: "Kin Phea, director of ..."
        cap = _CAPTION_MARK.match(text, m.end, lim)  # "Hun Sen (L), leader of the CPP, meets ...": a photo caption
        mend = cap.end() if cap else m.end
        ap = re.match(r",\s+(?:\d{1,3},\s+)?(?:(?:the|a|an|its|his|her|their)\s+)?", text[mend : lim])
        if ap and not re.match(r",\s+(?:who|which|and|but)\b", text[mend : lim]):
            article = bool(re.match(r",\s+(?:\d{1,3},\s+)?(?:a|an|the|its|his|her|their)\s", text[mend : lim]))
            t = _title_phrase(text, mend + ap.end(), lim, relaxed=article)
            if t and _next_in_list(doc, m, t, lim):
                # "Foreign Minister A, Commerce Adviser B and Special Assistant C": the phrase after the comma
                # is the next person's title (it runs into their name, or the series goes on), not A's
                t = None
            if t and t[1] - t[0] >= 4:
                add(m.name, (m.start, t[1]), (mend + len(re.match(r",\s+(?:\d{1,3},\s+)?", text[mend:]).group()), t[1]), "title.appositive")
                continue_rel = False
                # a list of posts: "PRAK Sokhonn, Deputy Prime Minister, Minister of Foreign Affairs ..., and
                # Chairman of the Commission for External Relations"
                while True:
                    nxt = re.match(r",\s+(?:and\s+)?(?:the\s+)?(?=[A-Z])", text[t[1] : lim])
                    if not nxt:
                        break
                    first = re.match(r"[\w\-’']+", text[t[1] + nxt.end() : lim])
                    if not first or first.group().lower() not in TITLE_WORDS | TITLE_MODIFIERS:
                        break
                    t2 = _title_phrase(text, t[1] + nxt.end(), lim)
                    if not t2:
                        break
                    add(m.name, (m.start, t2[1]), t2, "title.appositive.list")
                    t = t2
            else:
                continue_rel = True
        else:
            continue_rel = True
        # relative clause: "Xi, who is also general secretary of the CPC"
        rel = re.match(r",\s+who\s+(?:also\s+|now\s+|still\s+)?(?:is|was|remains|serves as|served as|has been|had been)\s+(?:also\s+|now\s+|still\s+)?(?:(?:the|a|an)\s+)?", text[m.end : lim])
        if rel and continue_rel:
            t = _title_phrase(text, m.end + rel.end(), lim)
            if t:
                add(m.name, (m.start, t[1]), t, "title.relative")
        # a title set off before the name: "Its director, Leang Rithea"; "his Japanese counterpart, Takeshi Iwaya"
        before = re.search(r"\b(?:[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Tt]he)\s+((?:[\w\-’']+\s+){0,3}[\w\-’']+),\s+$", text[s0 : m.start])
        if before and any(w.lower() in TITLE_HEADS for w in before.group(1).split()):
            ts, te = s0 + before.start(1), s0 + before.end(1)
            add(m.name, (s0 + before.start(), m.end), (ts, te), "title.before-comma")
        # a post with its organisation set off before the name after a preposition: "held talks with chairman of
        # the Cambodian People's Party (CPP) and chairman of the Senate, Samdech Techo Hun Sen"
        bp = _POST_BEFORE_COMMA.search(text, s0, m.start)
        if bp and not before and _post_words_only(bp.group(1)):
            add(m.name, (bp.start(1), m.end), (bp.start(1), bp.end(1)), "title.before-comma")
        # before the name: "Chinese president Xi Jinping", "Minister of ... Prak Sokhonn"
        prev = [x.end for x in doc.mentions if s0 <= x.end <= m.start and x.type == "person" and x is not m]
        pre = _pre_title(text, m.start, max([s0] + prev))
        if pre and re.search(r"\s(?:of|for|to|on|at)$", text[pre[0] : pre[1]].rstrip()):
            pre = None  # "the Prime Minister of Nepal": what follows "of" is the office's country, not its holder
        if pre:
            lead = re.match(r"(?:[A-Z][a-z]+ing)\s+", text[pre[0] : pre[1]])
            if lead and pre[0] == s0 + len(text[s0 : pre[0]]) and not text[s0 : pre[0]].strip():
                pre = (pre[0] + lead.end(), pre[1])  # "Accompanying Prime Minister Dahal are ...": a verb, not a title
        if pre:
            add(m.name, (pre[0], m.end), pre, "title.prenominal")
    # "in his capacity as Senate president"; "he remains the leader of ..."
    for rx, rule in ((_CAPACITY_RE, "title.capacity"), (_COPULA_RE, "title.copula")):
        for mm in rx.finditer(text):
            s0, s1 = doc.sentence_at(mm.start())
            q = doc.in_quote(mm.start())
            lim = min(s1, q.inner_end) if q else s1
            t = _title_phrase(text, mm.end(), lim)
            if not t:
                continue
            who = mm.group("who")
            if who.lower() in ("he", "she", "his", "her"):
                p = doc.salient_person(mm.start(), quote=q)
                if not p:
                    continue
                subject = p.name
            else:
                men = next((x for x in doc.mentions if x.start == mm.start("who") and x.type == "person"), None)
                if not men:
                    continue
                subject = men.name
            add(subject, (mm.start(), t[1]), t, rule)
    return out


_POST_BEFORE_COMMA = re.compile(
    r"\b(?:with|by|from|to|for|and|met|meets|received|receives)\s+((?:" + "|".join(sorted(TITLE_HEADS, key=len, reverse=True))
    + r")\s+(?:of|for)\s+[^,;.:“”\"]{3,150}?),\s+(?:(?:" + "|".join(sorted(w for w in NAME_HONORIFICS if w.isalpha()))
    + r"|H\.E\.)\s+)*$", re.I)


def _post_words_only(phrase: str) -> bool:
    """Is every word of ``phrase`` a title or organisation word, a capitalised name word or of/the/and/for?"""
    phrase = re.sub(r"\([A-Z][A-Za-z]{1,9}\)", " ", phrase)
    for w in re.findall(r"[\w\-’']+", phrase):
        low = w.lower()
        if not (w[:1].isupper() or low in TITLE_WORDS or low in TITLE_MODIFIERS or low in NATIONALITIES
                or low in ORG_HEADS or low in ("of", "the", "and", "for")):
            return False
    return True


# where a person stands in a news photo, between the caption's name and its appositive: "(L)", "(2nd R)",
# "(right)", "(second from left)", "(C)"
_CAPTION_MARK = re.compile(r"\s*\((?:(?:\d(?:st|nd|rd|th)|second|third)(?:\s+from)?\s+)?(?:[LRC]|left|right|cent(?:re|er))\)(?=,)")


def _next_in_list(doc: Doc, m, t: tuple[int, int], lim: int) -> bool:
    """Is the title phrase ``t`` after "<name>, " the start of the next item of a list of people?
    Yes when the name itself carries a title before it and the phrase names another person or is followed
    by the next item ("Energy Minister A, Transport Minister B, Chief Secretary, Secretaries ...")."""
    text = doc.text
    for x in doc.mentions:
        if x is not m and x.type == "person" and t[0] < x.start < t[1] and _pre_title(text, x.start, t[0]):
            return True  # "A, Commerce Adviser B": the phrase is the next person's title and name
    s0, _ = doc.sentence_at(m.start)
    pt = _pre_title(text, m.start, s0)
    if not pt:
        return False
    if text[s0 : pt[0]].rstrip().endswith(","):
        return True  # the name is itself a later item of a list of titled people
    return bool(re.match(r"\s*(?:,\s*(?:and\s+)?[A-Z]|and\s+[A-Z])", text[t[1] : lim]))


_CAPACITY_RE = re.compile(r"\b(?P<who>his|her)\s+(?:capacity|role|position)\s+as\s+(?:(?:the|a|an)\s+)?", re.I)
_COPULA_RE = re.compile(
    r"\b(?P<who>[Hh]e|[Ss]he|[A-Z][\w\-]+(?: [A-Z][\w\-]+){0,2})\s+(?:is|was|remains|remained|became|becomes|has been|had been|serves as|served as)\s+(?:also\s+|now\s+|still\s+)?(?:the|a|an)\s+"
)


_ABBR_GAP = re.compile(r"^[\s()]*\(?[\s()]*$")  # the brackets of "Cambodian People's Party (CPP) President"


def _pre_title(text: str, name_start: int, s0: int) -> tuple[int, int] | None:
    """A title written just before a name, scanned backwards over role nouns,
    modifiers, nationalities, capitalised organisation words and of/and."""
    words = _words(text, s0, name_start)
    # honorifics between a title and the name are not part of the title ("Senate President Samdech Techo Hun Sen")
    while words and _low(words[-1][2]) in NAME_HONORIFICS | {"h.", "e."} and _low(words[-1][2]) not in ("his", "her"):
        name_start = words[-1][0]
        words = words[:-1]
    taken = []
    pos = name_start
    for s, e, w in reversed(words):
        gap = text[e:pos]
        if gap.strip() not in ("",) and gap.strip() not in ("’s", "'s", "’", "'") and not _ABBR_GAP.match(gap):
            break
        low = _low(w)
        if low in TITLE_WORDS or low in TITLE_MODIFIERS or low in NATIONALITIES or low in ("of", "and", "the", "for") or _is_cap(w) and low not in STOP_CAPS:
            taken.append((s, e, w))
            pos = s
            continue
        break
    taken.reverse()
    while taken and _low(taken[0][2]) in ("of", "and", "the", "for"):
        taken = taken[1:]
    if not taken:
        return None
    # at the start of a sentence, up to two more words describe the role:
    # "Labour rights researcher Sok Chanthy said"
    rest = [w for w in words if w[1] <= taken[0][0]]
    if taken and 0 < len(rest) <= 2 and _is_cap(rest[0][2]) and _low(rest[0][2]) not in STOP_CAPS and all(
        text[a[1] : b[0]] == " " for a, b in zip(rest, rest[1:] + [taken[0]])
    ) and _low(taken[-1][2]) in TITLE_WORDS:
        taken = rest + taken
    lows = [_low(w) for _, _, w in taken]
    if not any(lw in TITLE_HEADS for lw in lows):
        return None
    if lows[-1] not in TITLE_WORDS and lows[0] not in TITLE_WORDS and not any(lw in TITLE_HEADS for lw in lows[:4]):
        return None
    # a capitalised run that is someone else's name ("Wang Huning and") is not a title
    if all(_is_name_word(lw) or lw in ("and",) for lw in lows):
        return None
    return taken[0][0], taken[-1][1]


def _norm_title(v: str) -> str:
    fn = _normalizer("normalize_title")
    if fn is not None:
        try:
            return fn(v)
        except Exception:  # noqa: BLE001 - fall back to a plain fold
            pass
    return " ".join(v.lower().replace("’", "'").split())


@lru_cache(maxsize=None)
def _normalizer(name: str):
    try:
        from ledger.core import normalize
    except ImportError:
        return None
    return getattr(normalize, name, None)
