"""Reading a text for the extractor: paragraphs, sentences, quotation marks, names (people,
organisations, places) and the subject a verb or a sentence is about."""

from __future__ import annotations

import re
from functools import lru_cache

from ledger.core.extract_vocab import (
    CONNECTORS, Doc, HONORIFICS, Mention, NAME_HONORIFICS, NATIONALITIES, ORG_HEADS, PLACES, Quote, SPEECH_RE,
    STOP_CAPS, TITLE_HEADS, TITLE_MODIFIERS, TITLE_WORDS, WEEKDAYS,
)

# ---------------------------------------------------------------- segmentation


_PARA_RE = re.compile(r"\n[ \t]*\n|\r\n[ \t]*\r\n")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: blocks separated by blank lines (or one line each when
    the text has no blank lines), whitespace trimmed."""
    breaks = list(_PARA_RE.finditer(text))
    if not breaks and text.count("\n") > 1:
        breaks = list(re.finditer(r"\r?\n", text))
    out, pos = [], 0
    for m in breaks + [None]:
        end = m.start() if m else len(text)
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
        pos = m.end() if m else len(text)
    return out


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentences(text: str, paras: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans inside each paragraph (pysbd, rule-based), trimmed."""
    out = []
    seg = _segmenter()
    for ps, pe in paras:
        chunk = text[ps:pe]
        pos = 0
        for piece in seg.segment(chunk):
            s = chunk.find(piece.sent, pos) if chunk[piece.start : piece.end] != piece.sent else piece.start
            if s < 0:
                continue
            e = s + len(piece.sent)
            pos = e
            while e > s and chunk[e - 1].isspace():
                e -= 1
            if e > s:
                out.append((ps + s, ps + e))
        # pysbd may drop a tail it cannot classify: keep every character covered
        if not out or out[-1][1] < pe:
            last = out[-1][1] if out and out[-1][0] >= ps else ps
            tail = text[last:pe]
            if tail.strip():
                lead = len(tail) - len(tail.lstrip())
                out.append((last + lead, pe))
    return out


# ---------------------------------------------------------------- quotations


_OPEN_D = "\u201c\u201e"
_CLOSE_D = "\u201d"
_OPEN_S = "\u2018"
_CLOSE_S = "\u2019"


def find_quotes(text: str, paras: list[tuple[int, int]]) -> list[Quote]:
    """Top-level quotations: curly or straight double quotes (and curly single
    quotes used as primary marks). A quotation left open at a paragraph's end
    continues when the next paragraph opens with a quote mark (the newspaper
    convention for a quotation over several paragraphs)."""
    quotes: list[Quote] = []
    open_at = None  # (mark position, closing chars)
    for pi, (ps, pe) in enumerate(paras):
        i = ps
        if open_at is not None:
            # a continuing quotation: this paragraph must open with a mark
            if text[ps] in _OPEN_D + '"':
                i = ps + 1
            else:
                # unterminated: close it at the end of the previous paragraph
                qs, _ = open_at
                prev_end = paras[pi - 1][1]
                quotes.append(Quote(qs, prev_end, qs + 1, prev_end))
                open_at = None
        while i < pe:
            ch = text[i]
            if open_at is None:
                if ch in _OPEN_D:
                    open_at = (i, _CLOSE_D + '"')
                elif ch == '"' and _opens_straight(text, i):
                    open_at = (i, '"' + _CLOSE_D)
                elif (ch == _OPEN_S and (i == 0 or not text[i - 1].isalnum())) or (
                    ch == "'" and _opens_straight(text, i) and text[i + 1 : i + 2].isalpha()
                ):
                    close = _close_single(text, i + 1, pe, ch)
                    if close is not None:
                        quotes.append(Quote(i, close + 1, i + 1, close))
                        i = close + 1
                        continue
            else:
                qs, closers = open_at
                if ch in closers and (ch != '"' or not _opens_straight(text, i) or i + 1 >= pe):
                    quotes.append(Quote(qs, i + 1, qs + 1, i))
                    open_at = None
            i += 1
    if open_at is not None:
        qs, _ = open_at
        end = paras[-1][1]
        quotes.append(Quote(qs, end, qs + 1, end))
    return quotes


def _opens_straight(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([{\u2014\u2013-/:") and not after.isspace()


def _close_single(text: str, i: int, end: int, opener: str = _OPEN_S) -> int | None:
    closer = _CLOSE_S if opener == _OPEN_S else "'"
    for j in range(i, end):
        if text[j] == closer and (j + 1 >= len(text) or not text[j + 1].isalpha()) and text[j - 1] not in " s":
            if opener == "'" and text[i:j].count(" ") < 2:
                return None  # a straight apostrophe pair, not a quotation
            return j
        if text[j] in "\n":
            return None
    return None


def quote_value(text: str, q: Quote) -> str:
    """What was said: the words inside the marks, paragraph breaks and the
    marks re-opening a continued paragraph dropped, a trailing comma dropped."""
    inner = text[q.inner_start : q.inner_end]
    inner = re.sub(r"\s*\n\s*[\u201c\u201e\"]?", " ", inner)
    inner = " ".join(inner.split())
    return inner.rstrip(",;:").strip()


# ---------------------------------------------------------------- names


_WORD_RE = re.compile(r"\[?[^\W\d_][\w\-]*(?:[’'][^\W\d_]+)*(?:\.(?=\s?[A-Z]\.))?\.?\]?", re.UNICODE)
_POSS_RE = re.compile(r"[’']s?$")


def _words(text: str, start: int = 0, end: int | None = None):
    end = len(text) if end is None else end
    out = []
    for m in _WORD_RE.finditer(text, start, end):
        w = m.group()
        s, e = m.start(), m.end()
        # drop brackets and a trailing full stop (kept for initials like "U.S.")
        while w.startswith("["):
            w, s = w[1:], s + 1
        while w.endswith("]"):
            w, e = w[:-1], e - 1
        if w.endswith(".") and not re.match(r"^(?:[A-Z]\.)+$", w) and w.lower().rstrip(".") not in {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr"}:
            w, e = w[:-1], e - 1
        if w:
            out.append((s, e, w))
    return out


def _is_cap(w: str) -> bool:
    return w[:1].isupper()


def _bare(w: str) -> str:
    return _POSS_RE.sub("", w) if re.search(r"[’']s$|s[’']$", w) else w


def find_mentions(doc: Doc, entities=None) -> list[Mention]:
    """Names: runs of capitalised words (joined by of/and/the inside an
    organisation's name), classified as person, organisation or place by
    their words; a single word that is part of a person named earlier
    ("Sokhonn", "Phea") refers to that person."""
    text = doc.text
    mentions: list[Mention] = []
    persons: list[Mention] = []
    for ps, pe in doc.paragraphs:
        words = _words(text, ps, pe)
        i = 0
        sent_starts = {s for s, _ in doc.sentences}
        while i < len(words):
            s, e, w = words[i]
            if not _is_cap(w):
                i += 1
                continue
            run = [words[i]]
            j = i + 1
            while j < len(words):
                ns, ne, nw = words[j]
                gap = text[run[-1][1] : ns]
                if run[-1][2][-2:] in ("’s", "'s") and _low(run[-1][2]) not in ("people", "women", "workers", "children"):
                    break
                if gap not in (" ", "\u00a0"):
                    break
                if nw == "H." and text[ne : ne + 2] == "E.":
                    break  # "Minister of Foreign Affairs H.E. PRAK Sokhonn": the honorific starts the name's own run
                if _is_cap(nw):
                    run.append(words[j])
                    j += 1
                    continue
                low = nw.lower()
                if low in CONNECTORS and j + 1 < len(words) and _is_cap(words[j + 1][2]) and text[ne : words[j + 1][0]] == " ":
                    # "of"/"and" join an organisation's name, not two people
                    if low == "and" and not any(_low(x[2]) in ORG_HEADS for x in run):
                        break
                    if low in ("of", "the", "for", "on", "in") and not any(
                        _low(x[2]) in ORG_HEADS | TITLE_WORDS for x in run
                    ):
                        break
                    run.append(words[j])
                    j += 1
                    continue
                break
            i = j
            mentions.extend(_classify_run(doc, run, sent_starts, persons, entities))
    mentions.sort(key=lambda m: m.start)
    for m in mentions:
        q = doc.in_quote(m.start)
        m.in_quote = q is not None
    return mentions


def _low(w: str) -> str:
    return _bare(w).lower()


def _classify_run(doc: Doc, run, sent_starts, persons, entities) -> list[Mention]:
    text = doc.text
    # a two- or three-word name whose first word is also an English word ("In
    # Channy", "So Khun"), told by what follows it: a speech verb or ", the ..."
    if (
        len(run) in (2, 3)
        and _low(run[0][2]) in STOP_CAPS
        and _low(run[0][2]).rstrip(".") not in HONORIFICS
        and all(_is_name_word(_low(w)) for _, _, w in run[1:])
        and re.match(r"(?:,\s+(?:the|a|an)\s|\s+(?:" + SPEECH_RE + r")\b)", text[run[-1][1] : run[-1][1] + 40])
    ):
        return [_person(persons, run[0][0], run[-1][1], text[run[0][0] : run[-1][1]], False)]
    # "H.E. XI Jinping" is tokenised "H." + "E. XI Jinping": the "E." is the honorific's
    if run and run[0][2] == "E." and text[max(0, run[0][0] - 2) : run[0][0]] == "H.":
        run = run[1:]
    # honorifics alone stand for the person they were given to: "Samdech Techo also met ..." after "Samdech
    # Techo Hun Sen"
    if len(run) >= 2 and all(_low(w) in NAME_HONORIFICS and _low(w) not in ("his", "her") for _, _, w in run):
        surface = text[run[0][0] : run[-1][1]]
        words = {_low(w) for _, _, w in run}
        # "Samdech Thipadei" after "Samdech Moha Borvor Thipadei Hun Manet": the honorifics among those before a name
        bearer = next((p for p in reversed(persons)
                       if words <= {_low(w) for _, _, w in _words(text, max(0, p.start - 80), p.start)}), None)
        if bearer is None and persons:
            bearer = persons[0]  # honorifics never written beside a name: the report's first person, its subject
        if bearer is not None:
            return [Mention(run[0][0], run[-1][1], bearer.name, surface, "person")]
    # a name after local honorifics, after a title or not: "Senate President Samdech Techo Hun Sen"
    hon = [i for i, (_, _, w) in enumerate(run) if _low(w) in NAME_HONORIFICS and _low(w) not in ("his", "her")]
    if hon and hon[0] < len(run) - 1:
        j = hon[0]
        while j < len(run) and _low(run[j][2]) in NAME_HONORIFICS:
            j += 1
        rest = run[j:]
        if 1 <= len(rest) <= 3 and all(_is_name_word(_low(w)) for _, _, w in rest):
            end = rest[-1][1] - (2 if rest[-1][2][-2:] in ("’s", "'s") else 0)
            pos = rest[-1][2][-2:] in ("’s", "'s")
            before = run[: hon[0]]
            pre = (before[0][0], before[-1][1]) if before and any(_low(w) in TITLE_WORDS for _, _, w in before) else None
            out = []
            if before and pre is None:
                out += _classify_run(doc, before, sent_starts, persons, entities)
            return out + [_person(persons, rest[0][0], end, text[rest[0][0] : end], pos, pre_title=pre)]
    # drop leading words that only start a sentence ("The", "During", "Last")
    honorific = False
    while run and (_low(run[0][2]) in STOP_CAPS or _low(run[0][2]) in CONNECTORS):
        honorific = _low(run[0][2]) in HONORIFICS and _low(run[0][2]) not in ("he",)
        run = run[1:]
    while run and (_low(run[-1][2]) in CONNECTORS or _low(run[-1][2]) in WEEKDAYS):
        run = run[:-1]  # "Foreign Minister Wang Yi Sunday called ...": a weekday is never part of a name
    if not run:
        return []
    # "Mr Smith", "Dr. Roe": a name after an honorific is a person's
    if honorific and len(run) <= 3 and all(_is_name_word(_low(w)) for _, _, w in run):
        end = run[-1][1] - (2 if run[-1][2][-2:] in ("’s", "'s") else 0)
        return [_person(persons, run[0][0], end, text[run[0][0] : end], run[-1][2][-2:] in ("’s", "'s"))]
    possessive = bool(re.search(r"[’']s?$", run[-1][2])) and run[-1][2][-2:] in ("’s", "'s", "s’", "s'")
    lows = [_low(w) for _, _, w in run]
    start, end = run[0][0], run[-1][1]
    if possessive and run[-1][2][-2:] in ("’s", "'s"):
        end -= 2
    surface = text[start:end]
    if entities is not None:
        found = _entity_lookup(entities, surface)
        if found:
            if found[1] == "person":
                m = _person(persons, start, end, surface, possessive)
                m.name = found[0]
                return [m]
            return [Mention(start, end, found[0], surface, found[1], possessive=possessive)]
    # a person named after a title: the trailing words that are neither title,
    # organisation, nationality nor place words
    k = len(run)
    while k > 0 and _is_name_word(lows[k - 1]):
        k -= 1
    name_words = run[k:]
    if name_words and k > 0 and len(name_words) <= 3 and any(lw in TITLE_WORDS for lw in lows[:k]):
        ns = name_words[0][0]
        return [_person(persons, ns, end, text[ns:end], possessive, pre_title=(start, run[k - 1][1]))]
    if (name_words and k > 0 and 2 <= len(name_words) <= 3 and (lows[k - 1] in ORG_HEADS or lows[k - 1] in PLACES)
            and any(lw in ORG_HEADS for lw in lows[:k]) and _TITLE_OF_BEFORE.search(text, max(0, start - 160), start)):
        # "Chairman of the Standing Committee of the National People's Congress Zhao Leji": a post's organisation
        # written straight before its holder's name; the run is the organisation, then the person
        ns = name_words[0][0]
        return _classify_run(doc, run[:k], sent_starts, persons, entities) + [
            _person(persons, ns, end, text[ns:end], possessive)]
    if len(lows) > 2 and lows[0] in TITLE_HEADS and lows[1] in ("of", "for"):
        # "Minister of Foreign Affairs and International Cooperation", "President of the Senate": a post, not an
        # organisation (nobody acts as it)
        return [Mention(start, end, surface, surface, "title", possessive=possessive)]
    if k == 0 and (lows[0] in TITLE_WORDS or lows[0] in TITLE_MODIFIERS or lows[0] in NATIONALITIES) and any(
        lw in TITLE_WORDS for lw in lows
    ) and not any(lw in ("ministry", "party", "committee", "council", "office") for lw in lows):
        return [Mention(start, end, surface, surface, "title", possessive=possessive)]
    if any(lw in ORG_HEADS for lw in lows):
        kind = "org"
        if all(lw in PLACES or lw in ORG_HEADS and lw in ("province", "city", "district", "region") for lw in lows):
            kind = "place"
        return [Mention(start, end, surface, surface, kind, possessive=possessive)]
    if all(lw in PLACES or lw in NATIONALITIES for lw in lows):
        return [Mention(start, end, surface, surface, "place", possessive=possessive)]
    if k == 0 and 2 <= len(run) <= 3 and not any(lw in STOP_CAPS for lw in lows):
        return [_person(persons, start, end, surface, possessive)]
    if len(run) == 1:
        known = _known_person(persons, lows[0])
        if known:
            return [Mention(start, end, known.name, surface, "person", possessive=possessive)]
        if lows[0] in HONORIFICS:
            return []
    if len(run) >= 2 and lows[0] in HONORIFICS and all(_is_cap(w) for _, _, w in run[1:]):
        ns = run[1][0]
        return [_person(persons, ns, end, text[ns:end], possessive)]
    return [Mention(start, end, surface, surface, "unknown", possessive=possessive)]


# a post ending in "of"/"for" (and its organisation's first words) just before a run: "Chairman of the ",
# "Secretary General of the Boao ", "Secretary of the Hainan Provincial Committee of the "
_TITLE_OF_BEFORE = re.compile(
    r"\b(?:" + "|".join(sorted(TITLE_HEADS | {"general"}, key=len, reverse=True)) + r")\s+(?:of|for)\s+(?:the\s+)?"
    r"(?:[A-Z][\w’'\-]*\s+(?:(?:of|for|and|the)\s+)*|\([A-Z]{2,10}\)\s+)*$", re.I)


def _is_name_word(low: str) -> bool:
    return not (low in TITLE_WORDS or low in ORG_HEADS or low in NATIONALITIES or low in PLACES
                or low in STOP_CAPS or low in CONNECTORS or low in TITLE_MODIFIERS)


def _person(persons, start, end, surface, possessive, pre_title=None) -> Mention:
    name = " ".join(surface.split())
    if len(name.split()) == 1:
        known = _known_person(persons, name.lower())
        if known:
            name = known.name
    else:
        # "Chenda Sophea" after "Sok Chenda Sophea": the end of a longer name
        low = name.lower().split()
        for p in reversed(persons):
            full = p.name.lower().split()
            if len(full) > len(low) and full[-len(low):] == low:
                name = p.name
                break
    m = Mention(start, end, name, surface, "person", possessive=possessive, pre_title=pre_title)
    if len(name.split()) > 1:
        persons.append(m)
    return m


def _known_person(persons, low: str) -> Mention | None:
    for p in reversed(persons):
        if low in [w.lower() for w in p.name.split()]:
            return p
    return None


def _entity_lookup(entities, surface):
    try:
        ent = entities.get(surface) if hasattr(entities, "get") else entities.resolve(surface)
    except Exception:  # noqa: BLE001 - an entity table is optional help, never a failure
        return None
    if not ent:
        return None
    name = getattr(ent, "name", None) or (ent.get("name") if isinstance(ent, dict) else str(ent))
    kind = getattr(ent, "type", None) or (ent.get("type") if isinstance(ent, dict) else None) or "unknown"
    return name, {"organisation": "org", "organization": "org"}.get(kind, kind)


# ---------------------------------------------------------------- subjects

_PRONOUN_RE = re.compile(r"\b(he|she)\s+(?:(?:also|later|then|further|had|has|again|once|previously|recently|earlier)\s+)*$", re.I)
_DEF_HEADS = (
    "ministry", "government", "embassy", "police", "company", "agency", "committee", "court", "council",
    "party", "office", "spokesman", "spokeswoman", "spokesperson", "department", "authority", "authorities",
    "union", "federation", "club", "team", "army", "military", "organisers", "organizers", "statement",
    "ministry’s statement", "commission", "bank", "firm", "group", "association", "municipality",
    "administration", "secretariat", "palace", "academy", "institute", "university", "report",
)
_DEF_NP_RE = re.compile(
    r"\b(?:the|a|an)\s+((?:[\w\-]+\s+){0,3}?(?:" + "|".join(sorted(_DEF_HEADS, key=len, reverse=True)) + r"))(?:[’']s)?\s*$",
    re.I,
)
_ADVERBS = r"(?:(?:also|later|then|further|again|once|previously|recently|earlier|had|has|have|publicly|separately)\s+)*"


def _mention_ending_at(doc: Doc, pos: int, lo: int) -> Mention | None:
    """A mention whose end is just before ``pos`` (spaces or adverbs between)."""
    gap_re = re.compile(r"^\s*" + _ADVERBS + r"$", re.I)
    for m in reversed(doc.mentions):
        if m.end > pos:
            continue
        if m.end < lo:
            break
        if gap_re.match(doc.text[m.end : pos]) and m.type in ("person", "org", "unknown"):
            return m
        break
    return None


def resolve_definite(doc: Doc, np: str, before: int, entities=None) -> str:
    """``the ministry``, ``the foreign ministry``: the last organisation named
    with that head word, or the ministry of the last minister named; else the
    phrase itself."""
    np = " ".join(np.split())
    np = re.sub(r"[’']s$", "", np)
    bare = re.sub(r"^(?:the|a|an)\s+", "", np, flags=re.I)
    head = bare.split()[-1].lower()
    for m in reversed(doc.mentions):
        if m.start >= before:
            continue
        if m.type == "org" and head in [w.lower() for w in re.findall(r"[\w\-]+", m.name)]:
            return m.name
        if head == "ministry" and m.pre_title:
            t = doc.text[m.pre_title[0] : m.pre_title[1]]
            mm = re.search(r"\bMinister (of [A-Z][\w ]+)$", t)
            if mm:
                return "Ministry " + mm.group(1)
    if entities is not None:
        found = _entity_lookup(entities, np) or _entity_lookup(entities, bare)
        if found:
            return found[0]
    return bare


def subject_of_verb(doc: Doc, verb_at: int, entities=None) -> tuple[str | None, str]:
    """Who is the subject of the verb at ``verb_at``? Returns (name, how)."""
    text = doc.text
    s0, _ = doc.sentence_at(verb_at)
    head = text[s0:verb_at]
    q = doc.in_quote(verb_at)
    if _PRONOUN_RE.search(head):
        p = doc.salient_person(verb_at, quote=q)
        return (p.name if p else None), "pronoun"
    m = _mention_ending_at(doc, verb_at, s0)
    if m and (m.type in ("person", "org") or m.type == "unknown" and len(m.name.split()) >= 2):
        return m.name, "name"
    t = re.search(r"\b[Tt]he\s+(?:[a-z\-]+\s+)?(" + "|".join(sorted(TITLE_HEADS - {"chief executive"}, key=len, reverse=True)) + r")\s*" + _ADVERBS + r"$", head)
    if t:
        # "The premier spoke on Thursday": a title with no name is the person last named with it
        p = doc.salient_person(verb_at, quote=q)
        if p:
            return p.name, "title-np"
    d = _DEF_NP_RE.search(re.sub(r"\s*" + _ADVERBS + r"$", "", head, flags=re.I) + " ")
    if d:
        return resolve_definite(doc, d.group(0), verb_at, entities), "definite"
    # an appositive ("Kin Phea, director of ..., noted"): the first person in the sentence
    for m in doc.mentions:
        if s0 <= m.start < verb_at and m.type == "person" and not m.in_quote:
            return m.name, "first-person"
    for m in doc.mentions:
        if s0 <= m.start < verb_at and m.type == "org" and not m.in_quote:
            return m.name, "first-org"
    return None, "none"


def sentence_actor(doc: Doc, pos: int, entities=None) -> str | None:
    """The main actor of the sentence holding ``pos``: a leading pronoun
    resolved, a leading "the <organisation>" resolved ("the visit" is the
    visit of the person the text is about), or the first person or
    organisation named outside quotations and after any introductory clause
    ("According to the ministry, ...", "During the trip, ...")."""
    s0, s1 = doc.sentence_at(pos)
    head = doc.text[s0:s1]
    intro = re.match(r"^\s*(?:(?:according to|during|after|before|in|on|at|last|next|this|earlier|later|meanwhile|speaking"
                     r"|as well as|in addition to|besides|apart from|along with)\b[^,;]{0,120},\s*"
                     # a sentence adverb: "Additionally, he will ...", "Separately, ...", "However, ..."
                     r"|(?:(?-i:[A-Z][a-z]{5,}ly)|Finally|Notably|Clearly|Briefly|Equally|Firstly|Lastly|However|Moreover|Furthermore"
                     r"|Meanwhile|Also|Then|Later|Earlier),\s*)", head, re.I)
    if intro is None:
        # a participial phrase opening the sentence modifies the subject after its comma:
        # "Wrapping up a visit to neighboring Vietnam on Saturday, Wang said ..."
        intro = re.match(r"^\s*[A-Z][a-z]+ing\b[^,;“”\"]{0,120},\s*", head)
    body = s0 + (intro.end() if intro else 0)
    lead = next((x for x in doc.mentions if x.start >= body and not x.in_quote), None)
    if lead is not None and not doc.text[body : lead.start].strip() and re.match(r",\s+who\s", doc.text[lead.end : s1]):
        return lead.name  # "Prachanda, who arrived on Wednesday, paid tributes ...": "who" names a person
    first = [x for x in doc.mentions if body <= x.start < s1 and not x.in_quote and x.type in ("person", "org")]
    m = re.match(r"\s*(he|she)\b", doc.text[body:s1], re.I)
    if m:
        p = doc.salient_person(body + m.start(1))
        if p:
            return p.name
    heads = "|".join(_DEF_HEADS + ("stadium", "venue", "visit", "trip", "tour", "delegation"))
    d = re.match(r"\s*(the\s+(?:[\w\-]+\s+){0,3}?(?:" + heads + r"))\b", doc.text[body:s1], re.I)
    if d and (not first or first[0].start > body + d.end(1)):
        np = d.group(1)
        if np.split()[-1].lower() in ("visit", "trip", "tour", "delegation"):
            p = doc.salient_person(body + d.start(1))
            if p:
                return p.name
        else:
            return resolve_definite(doc, np, body + d.start(1), entities)
    for x in first:
        if not x.possessive or x is first[-1]:
            return x.name
    return first[0].name if first else None
