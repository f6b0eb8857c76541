"""Propose candidate claims from a source text, each anchored to its span.

``extract(text, published=...)`` reads an article and returns
:class:`Candidate` objects of five kinds: ``date``, ``quantity``,
``quotation`` (with its speaker), ``title`` (titles and roles of people) and
``event`` (a visit, a meeting, a statement, with its dates). Every candidate
carries the rule that proposed it and a confidence: the precision that rule
had on the labelled examples in ``tests/labelled/`` (see :data:`RULE_PRECISION`
and ``ledger evaluate --calibrate``).

The extractor is deterministic and explainable: regular expressions over the
text, a small vocabulary of titles, organisations and speech verbs, sentence
boundaries from pysbd (rule-based), and the value normalisers of
:mod:`ledger.core.normalize` for dates (resolved against the publication date,
precision kept) and quantities. Nothing is learned at run time and nothing is
downloaded.

Offsets are Python code-point indices into the text, end excluded, so
``text[c.start:c.end] == c.text`` and the candidate's quote anchors back to
exactly that span on import.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

# ---------------------------------------------------------------- vocabulary

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SPEECH_VERBS = (
    "said", "says", "say", "added", "adds", "stated", "states", "noted", "notes", "told", "tells", "explained",
    "stressed", "wrote", "writes", "warned", "insisted", "argued", "claimed", "announced", "declared", "remarked",
    "continued", "replied", "commented", "emphasised", "emphasized", "observed", "suggested", "confirmed",
    "concluded", "recalled", "asked", "acknowledged", "admitted", "predicted", "cautioned", "urged", "pledged",
    "vowed", "maintained", "reiterated", "underlined", "highlighted", "affirmed", "posted", "tweeted", "quipped",
    "reported", "underscored",
)
# Verbs that attribute a short quoted phrase ("called the event 'a dream come true'"), but
# are too ambiguous to attribute a full quotation on their own.
PARTIAL_VERBS = ("called", "described", "dubbed", "termed", "labelled", "labeled", "branded", "hailed")
SPEECH_RE = "|".join(sorted(SPEECH_VERBS, key=len, reverse=True))

# Role nouns that make a phrase a title (matched case-insensitively).
TITLE_WORDS = {
    "president", "vice-president", "minister", "prime", "deputy", "secretary", "secretary-general", "director",
    "director-general", "chairman", "chairwoman", "chairperson", "chair", "spokesman", "spokeswoman",
    "spokesperson", "ambassador", "governor", "mayor", "senator", "lawmaker", "chief", "head", "leader",
    "founder", "co-founder", "ceo", "executive", "officer", "commander", "general", "professor", "lecturer",
    "researcher", "analyst", "economist", "coach", "captain", "councillor", "councilor", "envoy", "official",
    "manager", "editor", "judge", "justice", "prosecutor", "lawyer", "adviser", "advisor", "representative",
    "member", "king", "queen", "prince", "princess", "premier", "chancellor", "president-elect", "owner", "dean",
    "rector", "fellow", "expert", "scholar", "historian", "consul", "commissioner", "inspector", "undersecretary",
    "under-secretary", "administrator", "coordinator", "organiser", "organizer", "curator", "principal",
    "treasurer", "auditor", "chief executive", "vice", "mp", "governor-general", "attorney", "attorney-general",
    "superintendent", "sheriff", "spokeswoman", "correspondent", "reporter", "columnist", "partner", "engineer",
    "architect", "physician", "surgeon", "doctor", "nurse", "teacher", "headmaster", "headteacher", "abbot",
    "bishop", "archbishop", "cardinal", "patriarch", "monk", "emperor", "sultan", "sheikh", "emir", "chieftain",
    "speaker", "whip", "mufti", "imam", "pastor", "rabbi", "marshal", "admiral", "colonel", "major", "lieutenant",
    "sergeant", "brigadier", "commissar", "registrar", "ombudsman", "comptroller", "trustee", "governors",
    "activist", "campaigner", "journalist", "academic", "observer", "consultant", "founder", "president",
    "farmer", "vendor", "villager", "driver", "trader", "shopkeeper", "student", "resident", "fisherman",
    "counterpart", "gen", "brig", "lt", "col", "maj", "capt", "sgt", "cpl", "pol", "adm", "assistant",
}
# Head words of the most common titles: a phrase must contain one to count as a title.
TITLE_HEADS = TITLE_WORDS - {"prime", "deputy", "vice", "general", "chief", "member", "partner", "speaker",
                             "major", "head", "fellow", "principal", "official", "executive", "officer"} | {
    "chief executive"}
# Words a title may be built from besides role nouns ("foreign minister", "State Councilor").
TITLE_MODIFIERS = {
    "foreign", "prime", "deputy", "vice", "former", "state", "senior", "acting", "interim", "finance", "defence",
    "defense", "interior", "health", "education", "trade", "commerce", "economy", "justice", "tourism",
    "information", "agriculture", "environment", "labour", "labor", "culture", "sports", "transport",
    "energy", "planning", "national", "executive", "general", "chief", "assistant", "associate", "managing",
    "permanent", "first", "second", "then", "outgoing", "incoming", "new", "top", "lead", "principal",
    "councilor", "councillor", "party", "provincial", "municipal", "city", "district", "regional", "senate",
    "parliament", "parliamentary", "opposition", "union", "club", "team", "company", "bank", "central",
    "police", "military", "army", "navy", "air", "force", "fire", "public", "works", "rural", "development",
    "secretary", "minister", "security", "social", "affairs", "legal", "political", "press", "media",
    "hospital", "ministry", "school", "university", "federation", "association", "court", "provincial", "commune",
    "village", "embassy", "agency", "programme", "program", "council", "committee", "navy", "group", "firm",
    "rights", "country", "research", "project", "campaign", "department", "office", "station", "factory",
}
ORG_HEADS = {
    "ministry", "party", "academy", "institute", "committee", "congress", "conference", "council", "company",
    "stadium", "games", "para-games", "fund", "initiative", "university", "bank", "association", "agency", "office",
    "court", "assembly", "senate", "government", "post", "times", "news", "federation", "union", "commission",
    "corporation", "group", "department", "authority", "organisation", "organization", "foundation", "centre",
    "center", "hospital", "school", "college", "embassy", "police", "army", "navy", "club", "league", "team",
    "cooperation", "affairs", "forum", "alliance", "network", "board", "bureau", "service", "services",
    "programme", "program", "project", "festival", "airport", "port", "bridge", "road", "highway", "market",
    "society", "chamber", "tribunal", "parliament", "cabinet", "secretariat", "council", "institution",
    "relations", "international", "national", "people's", "people’s", "republic", "kingdom", "province",
    "city", "airlines", "airways", "press", "daily", "herald", "journal", "review", "agency", "community",
    "conglomerate", "company", "inc", "ltd", "co", "corp", "plc", "holdings", "industries", "railway",
    "treaty", "agreement", "summit", "strategy", "policy", "reserve", "exchange", "hall", "palace", "tower",
    "square", "park", "river", "lake", "mountain", "island", "islands", "region", "district", "county",
    "state", "states", "nations", "commune", "village", "special", "standing", "political", "consultative",
    "administration", "directorate", "inspectorate", "division", "command", "brigade", "coalition", "movement",
    "front", "observatory", "laboratory", "enterprise", "enterprises", "railways", "police", "unit",
}
NATIONALITIES = {
    "chinese", "cambodian", "khmer", "american", "us", "u.s.", "thai", "vietnamese", "japanese", "korean",
    "south korean", "north korean", "russian", "french", "british", "indian", "australian", "lao", "laotian",
    "malaysian", "indonesian", "filipino", "philippine", "singaporean", "german", "european", "asean",
    "burmese", "myanmar", "bruneian", "italian", "spanish", "canadian", "mexican", "brazilian", "kenyan",
    "nigerian", "egyptian", "turkish", "iranian", "israeli", "palestinian", "saudi", "pakistani", "bangladeshi",
    "ukrainian", "polish", "dutch", "belgian", "swiss", "swedish", "norwegian", "danish", "finnish", "irish",
    "scottish", "welsh", "portuguese", "greek", "austrian", "hungarian", "czech", "new zealand", "taiwanese",
    "un", "eu",
}
PLACES = {
    "china", "cambodia", "thailand", "vietnam", "laos", "myanmar", "malaysia", "singapore", "indonesia",
    "philippines", "brunei", "japan", "korea", "india", "russia", "france", "britain", "germany", "australia",
    "america", "europe", "asia", "africa", "beijing", "hangzhou", "shanghai", "phnom", "penh", "siem", "reap",
    "bangkok", "hanoi", "vientiane", "tokyo", "washington", "london", "paris", "zhejiang", "kampot", "kandal",
    "battambang", "sihanoukville", "takeo", "mekong", "lancang-mekong", "canada", "mexico", "brazil", "kenya",
    "nairobi", "egypt", "turkey", "iran", "israel", "gaza", "ukraine", "kyiv", "kiev", "moscow", "berlin",
    "rome", "madrid", "geneva", "new", "york", "delhi", "mumbai", "jakarta", "manila", "kuala", "lumpur",
    "seoul", "taipei", "hong", "kong", "macau", "dhaka", "karachi", "lagos", "cairo", "ankara", "brussels",
    "ho", "chi", "minh", "yunnan", "guangdong", "guangzhou", "shenzhen", "chengdu", "koh", "kong", "preah",
    "sihanouk", "mondulkiri", "ratanakiri", "kratie", "pursat", "kampong", "cham", "speu", "thom", "chhnang",
    "svay", "rieng", "prey", "veng", "oddar", "meanchey", "pailin", "tbong", "khmum", "stung", "treng", "kep",
    "banteay", "vihear",
}
# Capitalised words that start sentences or stand alone without naming anyone.
STOP_CAPS = {
    "the", "this", "that", "these", "those", "during", "according", "last", "next", "both", "he", "she", "it",
    "they", "we", "i", "a", "an", "in", "on", "at", "for", "but", "and", "even", "however", "after", "before",
    "while", "when", "if", "as", "by", "from", "to", "with", "his", "her", "their", "its", "our", "my", "there",
    "since", "until", "also", "some", "many", "most", "all", "one", "two", "three", "so", "yet", "or", "nor",
    "of", "what", "who", "why", "how", "where", "which", "mr", "mrs", "ms", "dr", "h.e.", "sir", "madam",
    "earlier", "later", "meanwhile", "today", "yesterday", "tomorrow", "still", "under", "over", "about",
    "although", "though", "despite", "because", "asked", "speaking", "more", "such", "other", "another",
    "each", "every", "no", "not", "only", "just", "then", "now", "here", "once", "first", "new", "our", "your",
    "you", "us", "them", "him", "me", "is", "was", "were", "are", "be", "has", "have", "had", "do", "does",
    "did", "will", "would", "can", "could", "should", "may", "might", "must", "shall", "let", "please", "thank",
    "thanks", "yes", "well", "oh", "covid-19", "covid", "per", "via", "among", "between", "into", "upon",
    "within", "without", "against", "throughout", "toward", "towards", "whether", "instead", "around",
} | set(MONTHS) | set(WEEKDAYS) | {"mr.", "mrs.", "ms.", "dr.", "prof."}
HONORIFICS = {"mr", "mrs", "ms", "dr", "h.e.", "he", "sir", "madam", "prof", "lok", "oknha", "samdech",
              "mr.", "mrs.", "ms.", "dr.", "prof."}
CONNECTORS = {"of", "and", "the", "for", "de", "du", "van", "von", "bin", "al", "la", "le", "da"}
# Honorifics written before a name, in English and in Cambodian usage ("Samdech Akka Moha Sena Padei Techo Hun
# Sen", "H.E. Wang Yi", "Lok Chumteav"): never part of the name (issue 16)
NAME_HONORIFICS = {"samdech", "akka", "moha", "sena", "padei", "techo", "pichey", "thipadei", "krolahom",
                   "lok", "chumteav", "oknha", "excellency", "h.e.", "h.e", "his", "her"}

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100, "dozen": 12, "a dozen": 12,
}

# ---------------------------------------------------------------- calibration

#: Where each rule's record on the labelled examples is kept: written by
#: ``ledger evaluate --calibrate``, read here. A rule's confidence is
#: (correct + 1) / (proposed + 2) over every labelled document (Laplace's rule
#: of succession: a rule right 3 times out of 3 gets 0.8, not 1.0); a rule
#: with no record gets DEFAULT_CONFIDENCE.
CALIBRATION_FILE = "extract_calibration.yml"
DEFAULT_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def calibration() -> dict[str, dict]:
    """rule -> {correct, proposed, confidence}, from the packaged calibration file."""
    import yaml
    from pathlib import Path

    path = Path(__file__).with_name(CALIBRATION_FILE)
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("rules") or {}


def confidence_for(rule: str) -> float:
    """The calibrated confidence of a rule (see CALIBRATION_FILE)."""
    rec = calibration().get(rule)
    return float(rec["confidence"]) if rec else DEFAULT_CONFIDENCE


# ---------------------------------------------------------------- data


@dataclass
class Candidate:
    """One proposed claim, anchored to ``text[start:end]``."""

    kind: str  # date | quantity | quotation | title | event
    start: int
    end: int
    text: str
    subject: str
    predicate: str
    value: str
    rule: str
    normalized: Any = None
    speaker: str | None = None
    confidence: float = DEFAULT_CONFIDENCE
    as_of: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Mention:
    """A name in the text: a person, an organisation or a place."""

    start: int
    end: int
    name: str  # canonical (full) name
    surface: str
    type: str  # person | org | place | unknown
    in_quote: bool = False
    possessive: bool = False
    pre_title: tuple[int, int] | None = None  # span of a title written before the name


@dataclass
class Quote:
    start: int  # opening mark
    end: int  # after the closing mark
    inner_start: int
    inner_end: int

    def __contains__(self, pos: int) -> bool:
        return self.start <= pos < self.end


@dataclass
class Doc:
    text: str
    published: dt.date | None
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    dates: list[Candidate] = field(default_factory=list)

    def in_quote(self, pos: int) -> Quote | None:
        for q in self.quotes:
            if q.start <= pos < q.end:
                return q
        return None

    def sentence_at(self, pos: int) -> tuple[int, int]:
        for s, e in self.sentences:
            if s <= pos < e:
                return s, e
        return pos, pos

    def paragraph_at(self, pos: int) -> tuple[int, int]:
        for s, e in self.paragraphs:
            if s <= pos <= e:
                return s, e
        return 0, len(self.text)

    def salient_person(self, before: int, *, quote: Quote | None = None, lookback: int = 6) -> Mention | None:
        """The person a subject pronoun at ``before`` refers to: the subject
        (first person named, not after a preposition) of the nearest sentence
        that has one, else the last person named."""
        idx = [i for i, (s, _) in enumerate(self.sentences) if s <= before]
        i = idx[-1] if idx else 0
        for k in range(i, max(-1, i - lookback), -1):
            s, e = self.sentences[k]
            for m in self.mentions:
                if m.start < s or m.start >= min(e, before):
                    continue
                if m.type != "person":
                    continue
                if m.in_quote and not (quote and quote.start <= m.start < quote.end):
                    continue
                prev = re.search(r"([\w’']+)\W*$", self.text[max(s, m.start - 30) : m.start])
                if prev and prev.group(1).lower() in _PREPOSITIONS:
                    continue
                return m
        return self.last_person(before, quote=quote)

    def last_person(self, before: int, *, include_quotes: bool = False, quote: Quote | None = None) -> Mention | None:
        """The last person named before ``before``: names inside quotations are
        skipped unless they are in ``quote`` (pronouns inside a quotation can
        refer to names inside it)."""
        best = None
        for m in self.mentions:
            if m.start >= before:
                break
            if m.type != "person":
                continue
            if m.in_quote and not include_quotes and not (quote and quote.start <= m.start < quote.end):
                continue
            best = m
        return best


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
    while run and _low(run[-1][2]) in CONNECTORS:
        run = run[:-1]
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
    if name_words and k > 0 and len(name_words) <= 3 and any(l in TITLE_WORDS for l in lows[:k]):
        ns = name_words[0][0]
        return [_person(persons, ns, end, text[ns:end], possessive, pre_title=(start, run[k - 1][1]))]
    if k == 0 and (lows[0] in TITLE_WORDS or lows[0] in TITLE_MODIFIERS or lows[0] in NATIONALITIES) and any(
        l in TITLE_WORDS for l in lows
    ) and not any(l in ("ministry", "party", "committee", "council", "office") for l in lows):
        return [Mention(start, end, surface, surface, "title", possessive=possessive)]
    if any(l in ORG_HEADS for l in lows):
        kind = "org"
        if all(l in PLACES or l in ORG_HEADS and l in ("province", "city", "district", "region") for l in lows):
            kind = "place"
        return [Mention(start, end, surface, surface, kind, possessive=possessive)]
    if all(l in PLACES or l in NATIONALITIES for l in lows):
        return [Mention(start, end, surface, surface, "place", possessive=possessive)]
    if k == 0 and 2 <= len(run) <= 3 and not any(l in STOP_CAPS for l in lows):
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

_PREPOSITIONS = {"with", "to", "by", "of", "from", "for", "at", "on", "about", "and", "met", "meet", "invited",
                 "visited", "thanked", "than", "between", "against", "like", "as"}
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
    intro = re.match(r"^\s*(?:(?:according to|during|after|before|in|on|at|last|next|this|earlier|later|meanwhile|speaking)\b[^,;]{0,120},\s*)", head, re.I)
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


def _clean_title(value: str) -> str:
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
        ap = re.match(r",\s+(?:\d{1,3},\s+)?(?:(?:the|a|an|its|his|her|their)\s+)?", text[m.end : lim])
        if ap and not re.match(r",\s+(?:who|which|and|but)\b", text[m.end : lim]):
            article = bool(re.match(r",\s+(?:\d{1,3},\s+)?(?:a|an|the|its|his|her|their)\s", text[m.end : lim]))
            t = _title_phrase(text, m.end + ap.end(), lim, relaxed=article)
            if t and _next_in_list(doc, m, t, lim):
                # "Foreign Minister A, Commerce Adviser B and Special Assistant C": the phrase after the comma
                # is the next person's title (it runs into their name, or the series goes on), not A's
                t = None
            if t and t[1] - t[0] >= 4:
                add(m.name, (m.start, t[1]), (m.end + len(re.match(r",\s+(?:\d{1,3},\s+)?", text[m.end:]).group()), t[1]), "title.appositive")
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
        rel = re.match(r",\s+who\s+(?:is|was|remains|serves as|served as|has been|had been)\s+(?:also\s+|now\s+|still\s+)?(?:(?:the|a|an)\s+)?", text[m.end : lim])
        if rel and continue_rel:
            t = _title_phrase(text, m.end + rel.end(), lim)
            if t:
                add(m.name, (m.start, t[1]), t, "title.relative")
        # a title set off before the name: "Its director, Leang Rithea"; "his Japanese counterpart, Takeshi Iwaya"
        before = re.search(r"\b(?:[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Tt]he)\s+((?:[\w\-’']+\s+){0,3}[\w\-’']+),\s+$", text[s0 : m.start])
        if before and any(w.lower() in TITLE_HEADS for w in before.group(1).split()):
            ts, te = s0 + before.start(1), s0 + before.end(1)
            add(m.name, (s0 + before.start(), m.end), (ts, te), "title.before-comma")
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
        if low in TITLE_WORDS or low in TITLE_MODIFIERS or low in NATIONALITIES or low in ("of", "and", "the") or _is_cap(w) and low not in STOP_CAPS:
            taken.append((s, e, w))
            pos = s
            continue
        break
    taken.reverse()
    while taken and _low(taken[0][2]) in ("of", "and", "the"):
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
    if not any(l in TITLE_HEADS for l in lows):
        return None
    if lows[-1] not in TITLE_WORDS and lows[0] not in TITLE_WORDS and not any(l in TITLE_HEADS for l in lows[:3]):
        return None
    # a capitalised run that is someone else's name ("Wang Huning and") is not a title
    if all(_is_name_word(l) or l in ("and",) for l in lows):
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


# ---------------------------------------------------------------- events

_VISIT_RE = re.compile(
    r"\b(?:visit(?:s|ed|ing)?\s+to|visit(?:s|ed|ing)?(?=\s+(?:[A-Z]|the\s))|visit(?:ed|s|ing)(?=\s+[a-z]+\s+[a-z]+)|arriv(?:e|es|ed|ing)\s+(?:here\s+|there\s+)?in|trip\s+to|tour\s+of|"
    r"(?:lead|leads|led|leading|head|heads|headed|heading)\s+(?:a|an|the|his|her)\s+(?:[\w\-]+\s+){0,2}?delegation\s+to|"
    r"travel(?:s|led|ed|ling)?\s+to|fl(?:ew|ies|y)\s+to|(?:is|was|will be)\s+in(?=\s+[A-Z]\w+\s+(?:for|on|from)\b))\s+"
)
_DEST_END = re.compile(r"\s+(?:from|for|on|to|during|at|last|next|this|today|yesterday|tomorrow|where|with|and\s+(?:will|is|was))\b|[,.;:()]|\s[–—-]\s")
_MEET_RE = re.compile(
    r"\b(?:meet(?:s|ing)?|met|meetings?|talks|discussions?|held talks|hold talks|sat down)"
    r"(?:\s+(?:personally|separately|briefly|privately|jointly))?\s+with\s+"
    r"|\b(?:courtesy call|call)\s+on\s+(?=(?:[A-Z]|the\s))"
    r"|\b(?:met|meet|meets|received|receives|receive)\s+(?=[A-Z])"
)
# "Li Qiang held talks with Hun Manet, who is on an official visit to China": the visit is the relative
# clause's subject's
_WHO_IS_ON = re.compile(r",\s+who\s+(?:is|was|will be|has been)\s+(?:on\s+|paying\s+|making\s+)?(?:an?\s+|his\s+|her\s+)?(?:[\w\-]+\s+){0,3}$")
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
            verb_visit = re.match(r"visit(?:s|ed|ing)\s", m.group())
            if re.match(r"visiting\s", m.group()) and any(
                    x.type == "person" and m.end() <= x.start < m.end() + len(dest) for x in doc.mentions):
                continue  # "his visiting counterpart Pushpa Kamal Dahal": an adjective, not a visit to a place
            dest = _place_of(dest)
            if not dest or not (dest[0].isupper() or re.match(r"the [a-z]+$|the [A-Z]", dest) or verb_visit) or len(dest.split()) > 10:
                continue
            vf, vt, rule = _event_dates(doc, sent_dates, s0, s1)
            if vf is None:
                continue
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
            if rel and rel.end() == m.start():
                who = next((x for x in reversed(doc.mentions) if x.end == rel.start() and x.type == "person"), None)
                if who is not None:
                    subject = who.name
            span = _event_span(text, s0, m.start(), m.end() + len(dest), sent_dates)
            c = Candidate(kind="event", start=span[0], end=span[1], text=text[span[0] : span[1]], subject=subject,
                          predicate="visit", value=dest, normalized={"from": vf, "to": vt, "place": dest},
                          rule=f"event.visit{rule}", valid_from=vf, valid_to=vt)
            out.append(c)
            last_visit = c
            break
        for m in _MEET_RE.finditer(text, s0, s1):
            if doc.in_quote(m.start()):
                continue
            stop = re.search(r"\s+to\s+[a-z]+\b|(?<!\b[A-Z])[.;]", text[m.end() : s1])  # not the dot of "H.E."
            lim = m.end() + stop.start() if stop else s1
            people = [x for x in doc.mentions if m.end() <= x.start < lim and x.type == "person" and not x.in_quote]
            if not people:
                continue
            during = re.search(r"\b(?:during|on|throughout)\s+(?:the|his|her|their)\s+(?:[\w\-]+\s+){0,2}?(?:visit|trip|tour|stay)\b", text[s0:s1], re.I)
            vf, vt, rule = (None, None, "") if during else _event_dates(doc, sent_dates, s0, s1, durations=False)
            if vf is None and last_visit is not None:
                vf, vt, rule = last_visit.valid_from, last_visit.valid_to, ".during-visit"
            if vf is None and during:
                # "during the visit scheduled from December 2 to 4, he will meet ...": the visit's dates are here
                ranged = [d for d in sent_dates if d.valid_from]
                if ranged:
                    vf, vt, rule = ranged[0].valid_from, ranged[0].valid_to, ".during-visit"
            if vf is None:
                continue
            subject = sentence_actor(doc, m.start(), entities) or "unknown"
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
    return out


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


# ---------------------------------------------------------------- the whole pass

KINDS = ("date", "quantity", "quotation", "title", "event")


def analyse(text: str, published: dt.date | str | None = None, entities=None) -> Doc:
    """Segment ``text`` and find its quotations, names and dates."""
    if isinstance(published, str):
        published = _parse_published(published)
    doc = Doc(text=text, published=published)
    doc.paragraphs = paragraphs(text)
    doc.sentences = sentences(text, doc.paragraphs)
    doc.quotes = find_quotes(text, doc.paragraphs)
    doc.mentions = find_mentions(doc, entities)
    doc.dates = date_candidates(doc, entities)
    return doc


def _parse_published(s: str) -> dt.date | None:
    s = s.strip()
    if len(s) == 4:
        return dt.date(int(s), 1, 1)
    if len(s) == 7:
        return dt.date(int(s[:4]), int(s[5:7]), 1)
    return dt.date.fromisoformat(s[:10])


def extract(text: str, published: dt.date | str | None = None, *, entities=None, kinds=KINDS) -> list[Candidate]:
    """Candidate claims of the given kinds, in text order, each with its rule
    and calibrated confidence."""
    doc = analyse(text, published, entities)
    found: list[Candidate] = []
    if "date" in kinds:
        found += doc.dates
    if "quantity" in kinds:
        found += quantity_candidates(doc, entities)
    if "quotation" in kinds:
        found += quotation_candidates(doc, entities)
    if "title" in kinds:
        found += title_candidates(doc, entities)
    if "event" in kinds or "date" in kinds:
        events = event_candidates(doc, entities)
        # a date inside an event's span is about that event's subject
        for d in doc.dates:
            ev = next((e for e in events if e.start <= d.start and d.end <= e.end), None)
            if ev is not None:
                d.subject = ev.subject
        if "event" in kinds:
            found += events
    for c in found:
        c.confidence = confidence_for(c.rule)
        if c.kind in ("title", "quantity", "quotation") and not (c.as_of or c.valid_from):
            c.as_of = _sentence_date(doc, c.start)
        assert text[c.start : c.end] == c.text
    found.sort(key=lambda c: (c.start, KINDS.index(c.kind), c.end))
    return found


def _sentence_date(doc: Doc, pos: int) -> str | None:
    """The date a fact is told about: the one single date of its sentence, else
    the publication date."""
    s0, s1 = doc.sentence_at(pos)
    ds = [d for d in doc.dates if s0 <= d.start < s1 and not doc.in_quote(d.start)]
    if len(ds) == 1 and ds[0].as_of:
        return ds[0].as_of
    return doc.published.isoformat() if doc.published else None


# ---------------------------------------------------------------- claims files


def origin(rule: str) -> str:
    return f"ledger extract: {rule}"


def to_claims(candidates: list[Candidate], *, status: str = "candidate") -> list[dict]:
    """Candidates as claim mappings in the import format (see ledger.formats.claimfile)."""
    out = []
    for c in candidates:
        claim = {
            "subject": c.subject,
            "predicate": c.predicate,
            "value": c.value,
            "quote": c.text,
            "start": c.start,
            "end": c.end,
            "confidence": c.confidence,
        }
        if c.speaker:
            claim["speaker"] = c.speaker
        for k in ("as_of", "valid_from", "valid_to"):
            v = getattr(c, k)
            if v:
                claim[k] = v
        rec = calibration().get(c.rule)
        record = f"right {rec['correct']} of {rec['proposed']} times on the labelled examples" if rec else "not yet measured"
        note = f"{c.kind} proposed by rule {c.rule} ({record})"
        if c.note:
            note += f"; {c.note}"
        claim["note"] = note
        claim["status"] = status
        claim["origin"] = origin(c.rule)
        out.append(claim)
    return out


def candidate_json(c: Candidate) -> dict:
    """The ``--json`` form of a candidate."""
    return {
        "kind": c.kind,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "subject": c.subject,
        "predicate": c.predicate,
        "value": c.value,
        "normalized": c.normalized,
        "speaker": c.speaker,
        "as_of": c.as_of,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "confidence": c.confidence,
        "rule": c.rule,
        "note": c.note,
    }


# ---------------------------------------------------------------- running on a source


@dataclass
class SourceText:
    """The text to extract from and what the claims file calls it."""

    ref: str  # slug the claims file names as its source
    text: str
    published: dt.date | None
    held: bool  # the ledger holds this exact text


def read_source_text(source: str, db=None, published: str | None = None) -> SourceText:
    """Find SOURCE: a slug or sha256 the ledger holds, or a text file (read
    byte-exact, with its ``.yml`` sidecar for the publication date)."""
    from pathlib import Path

    from ledger.core.errors import InvalidSource, UnknownSource
    from ledger.formats.sources import check_slug, decode_text, read_source, sha256_text, slugify
    from ledger.store.writer import SourceIndex

    path = Path(source)
    if path.is_file():
        if path.with_suffix(".yml").exists() and path.suffix == ".txt":
            src = read_source(path)
            text, slug, pub = src.text, src.slug, src.published
        else:
            text = decode_text(path.read_bytes(), str(path))
            slug, pub = slugify(path.stem), None
        held = False
        if db is not None and "sources" in db.table_names():
            row = db.execute("SELECT slug, published FROM sources WHERE id = ?", [sha256_text(text)]).fetchone()
            if row:
                slug, pub, held = row[0], pub or row[1], True
        check_slug(slug)
    else:
        if db is None or "sources" not in db.table_names():
            raise UnknownSource(
                f"{source!r} is neither a file nor a source in the ledger; give a text file, or the slug of a "
                "source the ledger holds (`ledger source list`)"
            )
        held_src = SourceIndex(db).get(source)
        text, slug, pub, held = held_src.text, held_src.slug, held_src.published, True
    if published:
        pub = published
    try:
        when = _parse_published(pub) if isinstance(pub, str) and pub else pub
    except ValueError:
        raise InvalidSource(f"publication date {pub!r} is not a date; write YYYY-MM-DD") from None
    return SourceText(slug, text, when, held)


def drop_recorded(db, source_ref: str, candidates: list[Candidate]) -> tuple[list[Candidate], int]:
    """Leave out candidates the ledger already records (same subject,
    predicate, value and span in the same source)."""
    if db is None or "claims" not in db.table_names():
        return candidates, 0
    row = db.execute("SELECT id FROM sources WHERE slug = ?", [source_ref]).fetchone()
    if not row:
        return candidates, 0
    held = {
        (r[0].casefold(), r[1], r[2].casefold(), r[3], r[4])
        for r in db.execute(
            "SELECT subject, predicate, value, span_start, span_end FROM claims WHERE source_id = ?", [row[0]]
        )
    }
    keep = [c for c in candidates if (c.subject.casefold(), c.predicate, c.value.casefold(), c.start, c.end) not in held]
    return keep, len(candidates) - len(keep)


def record_candidates(
    db, claims: list[dict], source_ref: str, where: str = "ledger extract", left_out: list | None = None
) -> tuple[int, int]:
    """Record claims straight into the ledger, all or nothing; returns (added, already held).

    A candidate whose span does not give its value (issue 14: e.g. "Wang Yi"
    resolved from "meet with Wang") is not recorded: its message goes to
    ``left_out`` (when given) for review, and the rest are recorded."""
    from ledger.store import history
    from ledger.formats.claimfile import Record, validate
    from ledger.store.db import write
    from ledger.core.errors import LedgerError
    from ledger.services.ingest import ImportFailed
    from ledger.store.writer import ClaimWriter, SourceIndex, prepare
    from ledger.core.support import UnsupportedValue

    errors = []
    with write(db, "extract", actor=history.default_actor(), at=history.now()):
        writer = ClaimWriter(db)
        index = SourceIndex(db)
        for i, claim in enumerate(claims, 1):
            try:
                row = prepare(validate(Record({"source": source_ref, **claim}, where, None, i)), index, where)
            except UnsupportedValue as e:
                if left_out is None:
                    errors.append(str(e))
                else:
                    left_out.append(str(e))
                continue
            except LedgerError as e:
                errors.append(str(e))
                continue
            writer.add(row, f"{where} claim {i}")
        if errors:
            raise ImportFailed(errors)
        writer.flush()
    return writer.added, writer.existing
