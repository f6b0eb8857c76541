"""The extractor's vocabulary, its calibration and its data: words that make titles, organisations,
places and speech; the calibrated confidence of each rule; Candidate, Mention, Quote, Doc."""

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
    from ledger.core import codec
    from pathlib import Path

    path = Path(__file__).with_name(CALIBRATION_FILE)
    if not path.exists():
        return {}
    data = codec.safe_load(path.read_text(encoding="utf-8")) or {}
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


_PREPOSITIONS = {"with", "to", "by", "of", "from", "for", "at", "on", "about", "and", "met", "meet", "meeting", "invited",
                 "visited", "thanked", "than", "between", "against", "like", "as"}
