"""Locate a typed quote in a source text and return the source's own span.

Offsets are Python string indices (Unicode code points), end excluded: the
W3C TextPositionSelector model, and what SQLite's ``substr()`` counts, so
``substr(text, start + 1, end - start)`` returns the stored span text.

Matching tolerates what people type: straight vs curly quotes, dash variants,
runs of whitespace and line breaks, NFC vs NFD, zero-width characters. Both
sides are mapped to a comparison form and every match is carried back to the
offsets of the original text, so the stored span is always the source's own
characters, never the typed ones.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, count
from operator import add
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ledger.core.errors import AmbiguousQuote, EmptyQuote, QuoteNotFound

CONTEXT_CHARS = 32

# One-for-one character folds: the comparison form keeps every offset.
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u0060\u00b4"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u301d\u301e"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Characters with no visible width: dropped from the comparison form.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# Bidirectional controls: matched through like zero-width characters, and
# flagged on the claim because they can make a span read differently.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"

_FOLD = str.maketrans(
    {
        **{c: "'" for c in _SINGLE_QUOTES},
        **{c: '"' for c in _DOUBLE_QUOTES},
        **{c: "-" for c in _DASHES},
        **{c: " " for c in _SPACES},
    }
)
_INVISIBLE = ZERO_WIDTH + BIDI_CONTROLS
_FOLD_MAP = {chr(k): v for k, v in _FOLD.items()}
_EDGE_CHARS = frozenset(" " + _SPACES + _INVISIBLE)
_ASCII_FOLDABLE = tuple(c for c in _FOLD_MAP if c.isascii())
_NONASCII_FOLDABLE = frozenset(c for c in _FOLD_MAP if not c.isascii()) | frozenset(_INVISIBLE)
_FOLDABLE = frozenset(_FOLD_MAP) | frozenset(_INVISIBLE)
# Every ASCII byte but the foldable ones (tab, newline, backtick, ...)
_ASCII_UNFOLDABLE_BYTES = bytes(b for b in range(128) if chr(b) not in _FOLD_MAP)
_ASCII_FOLDS = tuple((c, _FOLD_MAP[c]) for c in _ASCII_FOLDABLE)
# Replaced before anything else when a source is folded: the ASCII foldables
# and the non-ASCII characters news text holds most (curly quotes, dashes,
# no-break space); each must be NFC-inert (tests/test_anchor_differential.py).
_COMMON_FOLDS = _ASCII_FOLDS + tuple((c, _FOLD_MAP[c]) for c in "\u201c\u201d\u2018\u2019\u2014\u2013\u00a0")
# The other foldable and invisible characters below U+0100
_LATIN1_FOLDS = tuple(
    (c, to) for c, to in _FOLD_MAP.items() if "\x80" <= c <= "\xff" and (c, to) not in _COMMON_FOLDS
)
_LATIN1_INVISIBLE = tuple(c for c in _INVISIBLE if c <= "\xff")
# Non-ASCII characters that cannot make a text non-NFC wherever they stand:
# canonical combining class 0, unchanged by NFC, and never the second
# character of a canonical composition (tests/test_anchor_differential.py
# checks all three). Every character below U+0300 is such a character.
_NFC_INERT = frozenset(
    c for c in _NONASCII_FOLDABLE if unicodedata.combining(c) == 0 and unicodedata.normalize("NFC", c) == c
)
_DROP_RE = re.compile("[ " + re.escape(_INVISIBLE) + "]{2,}|[" + re.escape(_INVISIBLE) + "]")
_FOLDABLE_RE = re.compile("[" + re.escape("".join(sorted(_FOLDABLE))) + "]")
_INVISIBLE_RE = re.compile("[" + re.escape(_INVISIBLE) + "]")
_BIDI_RE = re.compile("[" + re.escape(BIDI_CONTROLS) + "]")
_ZERO_WIDTH_RE = re.compile("[" + re.escape(ZERO_WIDTH) + "]")


@dataclass(frozen=True)
class Span:
    """Where a quote sits in a source text (code-point offsets, end excluded)."""

    start: int
    end: int
    text: str
    prefix: str
    suffix: str
    match: str  # "exact" or "normalised"
    occurrences: int = 1
    flags: tuple[str, ...] = ()


class Folded:
    """A source text in comparison form, with the map back to the original.

    The NFC case (nearly every text) keeps a piecewise-linear map: folded
    offset ``folded_at[k]`` is original offset ``original_at[k]`` and the map
    advances one for one until the next breakpoint. A text with decomposed
    characters keeps one (start, end) pair per folded character instead.
    """

    __slots__ = ("original", "text", "folded_at", "original_at", "unit_starts", "unit_ends", "plain")

    def __init__(
        self, original, text, folded_at=None, original_at=None, unit_starts=None, unit_ends=None, plain=False
    ):
        self.original = original
        self.text = text
        self.folded_at = folded_at
        self.original_at = original_at
        self.unit_starts = unit_starts
        self.unit_ends = unit_ends
        self.plain = plain  # True: the text holds no invisible characters, so no span carries flags

    def to_original(self, i: int) -> int:
        """Original offset of the folded character at ``i``."""
        if self.unit_starts is not None:
            return self.unit_starts[i]
        k = bisect.bisect_right(self.folded_at, i) - 1
        return self.original_at[k] + (i - self.folded_at[k])

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original [start, end) of the folded range [i, j) (j > i)."""
        if self.unit_ends is not None:
            return self.unit_starts[i], self.unit_ends[j - 1]
        if len(self.folded_at) == 1:
            return i, j
        return self.to_original(i), self.to_original(j - 1) + 1


def fold_quote(quote: str) -> str:
    """The comparison form of a typed quote (also used for prefix/suffix hints)."""
    if quote.isascii():  # ASCII is NFC and holds no invisible characters
        q = quote.replace("`", "'") if "`" in quote else quote
        printable = q.isprintable()
    else:
        q = unicodedata.normalize("NFC", quote)
        printable = q.isprintable()
        if not printable or _FOLDABLE_RE.search(q):
            q, invisible, _ = _fold_chars(q)
            if invisible:
                q = _INVISIBLE_RE.sub("", q)
            printable = False
    # A printable quote holds no whitespace but the space (and, here, nothing
    # left to fold): the usual one-line quote needs at most its doubled spaces
    # made single. Otherwise every whitespace character folds to a space, runs
    # become one space and the ends are stripped: what split() and join do
    # (_SPACES is exactly the characters str.split() splits on).
    if printable and q[:1] != " " and q[-1:] != " ":
        if "  " not in q:
            return q
        if "   " not in q:
            return q.replace("  ", " ")
    return " ".join(q.split())


@lru_cache(maxsize=64)
def fold_source(text: str) -> Folded:
    """Fold a source text once; cached because many claims share a source."""
    # Most text holds no non-ASCII characters but curly quotes and dashes:
    # those and the ASCII foldables are replaced first (`in` of a character
    # absent is a memchr); when what is left is ASCII, every non-ASCII
    # character was one of them, the text is NFC and nothing else is looked for.
    translated = text
    for ch, to in _COMMON_FOLDS:
        if ch in translated:
            translated = translated.replace(ch, to)
    if translated.isascii():
        return _fold_spaces(text, translated)
    if _is_latin1(translated) and not any(c in translated for c in _LATIN1_INVISIBLE):
        # Every character left is below U+0100: NFC-inert, and only a few of
        # them fold (guillemets, NEL, the acute accent).
        for ch, to in _LATIN1_FOLDS:
            if ch in translated:
                translated = translated.replace(ch, to)
        return _fold_spaces(text, translated)
    translated, invisible, others = _fold_chars(translated)
    # ASCII after folding means every other character was a foldable one:
    # NFC. The common folds already replaced are NFC-inert, so `others` (the
    # characters left) decides whether the full NFC check is needed.
    if not translated.isascii() and not _nfc_inert(others) and not unicodedata.is_normalized("NFC", text):
        return _fold_decomposed(text, invisible)
    if invisible:
        return _fold_nfc(text, translated)
    return _fold_spaces(text, translated)


def _is_latin1(text: str) -> bool:
    """Whether every character is below U+0100 (then encoding is a copy)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _nfc_inert(chars: set[str]) -> bool:
    """True when none of these characters can make a text non-NFC (so the
    text needs no full NFC check)."""
    rest = chars - _NFC_INERT
    return not rest or max(rest) < "\u0300"


def _fold_chars(text: str) -> tuple[str, bool, set[str]]:
    """``text.translate(_FOLD)``, whether the text holds invisible characters,
    and the set of its non-ASCII and foldable characters.

    ``str.translate`` looks every character up in a dict once the text is not
    ASCII (about 100 ns each); replacing only the foldable characters present
    (``str.replace`` per distinct one) is ten times faster.
    """
    # Which foldable characters occur: deleting every ASCII byte but the
    # foldable ones from the UTF-8 leaves those and the few non-ASCII
    # characters (C speed, unlike a regex scan of every character).
    others = set(
        text.encode("utf-8", "surrogatepass")
        .translate(None, _ASCII_UNFOLDABLE_BYTES)
        .decode("utf-8", "surrogatepass")
    )
    present = _FOLDABLE.intersection(others)
    invisible = False
    for ch in present:
        to = _FOLD_MAP.get(ch)
        if to is not None:
            text = text.replace(ch, to)
        else:
            invisible = True
    return text, invisible, others


def _fold_spaces(text: str, translated: str) -> Folded:
    """Fold a translated text without invisible characters: each run of spaces
    becomes one space (kept at the run's start)."""
    pieces = translated.split("  ")
    if len(pieces) == 1:
        return Folded(text, translated, [0], [0], plain=True)
    # Every run is two spaces (a paragraph break) unless a run of three or
    # more left a piece that starts with a space, or an empty piece before
    # the last: first checked at C speed by the smallest middle piece.
    middle = pieces[1:-1]
    if (not middle or min(middle)[:1] > " ") and pieces[-1][:1] != " " or _two_space_runs(pieces):
        # piece k starts at folded offset len(pieces before it) + k, and k
        # characters further on in the original
        folded_at = list(map(add, accumulate(map(len, pieces[:-1]), initial=0), count()))
        original_at = list(map(add, folded_at, count()))
        return Folded(text, " ".join(pieces), folded_at, original_at, plain=True)
    parts = []
    folded_at = [0]
    original_at = [0]
    pos = 0
    flen = 0
    n = len(translated)
    i = translated.find("  ")
    while i != -1:
        j = i + 2
        while j < n and translated[j] == " ":
            j += 1
        parts.append(translated[pos : i + 1])
        flen += i + 1 - pos
        pos = j
        folded_at.append(flen)
        original_at.append(j)
        i = translated.find("  ", j)
    parts.append(translated[pos:])
    return Folded(text, "".join(parts), folded_at, original_at, plain=True)


def _two_space_runs(pieces: list[str]) -> bool:
    """Whether the pieces of ``split("  ")`` come from runs of exactly two spaces."""
    firsts = {p[:1] for p in pieces[1:-1]}
    return " " not in firsts and "" not in firsts and pieces[-1][:1] != " "


def _fold_nfc(text: str, translated: str) -> Folded:
    """Fold a translated NFC text holding invisible characters: they are
    dropped, and each run of spaces becomes one space."""
    parts = []
    folded_at = [0]
    original_at = [0]
    pos = 0  # original offset of the next character not yet copied
    flen = 0
    for m in _DROP_RE.finditer(translated):
        s, e = m.span()
        parts.append(translated[pos:s])
        flen += s - pos
        if " " in m.group():  # a run with a space keeps one space, mapped to s
            parts.append(" ")
            folded_at.append(flen)
            original_at.append(s)
            flen += 1
        pos = e
        folded_at.append(flen)
        original_at.append(e)
    parts.append(translated[pos:])
    return Folded(text, "".join(parts), folded_at, original_at)


def _fold_decomposed(text: str, invisible: bool) -> Folded:
    """Fold a text holding decomposed characters: a base character and the
    combining marks after it are one unit, composed to NFC."""
    parts, starts, ends = [], [], []
    prev_space = False
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text[i:j]).translate(_FOLD))
        for ch in piece:
            if ch == " " and prev_space:
                continue
            prev_space = ch == " "
            parts.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return Folded(text, "".join(parts), unit_starts=starts, unit_ends=ends, plain=not invisible)


def _find_all(haystack: str, needle: str) -> list[int]:
    found = []
    i = haystack.find(needle)
    while i != -1:
        found.append(i)
        i = haystack.find(needle, i + 1)
    return found


def flags_for(span_text: str) -> tuple[str, ...]:
    """Names of the invisible characters a span carries, for display."""
    if span_text.isascii():
        return ()
    flags = []
    if _BIDI_RE.search(span_text):
        flags.append("bidi-control")
    if _ZERO_WIDTH_RE.search(span_text):
        flags.append("zero-width")
    return tuple(flags)


def make_span(text: str, start: int, end: int, match: str, occurrences: int = 1, plain: bool = False) -> Span:
    """The Span of ``text[start:end]``; ``plain`` says the text holds no
    invisible characters (so the span has no flags to look for)."""
    span_text = text[start:end]
    # Filled in directly: a frozen dataclass's __init__ sets each field through
    # object.__setattr__, which is a third of anchoring's per-quote cost.
    span = _new_span(Span)
    d = span.__dict__
    d["start"] = start
    d["end"] = end
    d["text"] = span_text
    d["prefix"] = text[start - CONTEXT_CHARS if start > CONTEXT_CHARS else 0 : start]
    d["suffix"] = text[end : end + CONTEXT_CHARS]
    d["match"] = match
    d["occurrences"] = occurrences
    d["flags"] = () if plain else flags_for(span_text)
    return span


_new_span = object.__new__


def locate(
    text: str,
    quote: str,
    *,
    occurrence: int | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Span:
    """Anchor ``quote`` in ``text``.

    ``occurrence`` (1-based) picks one of several matches; ``prefix`` and
    ``suffix`` (text typed just before/after the quote) pick the match they
    surround. Raises EmptyQuote, QuoteNotFound or AmbiguousQuote.
    """
    needle = fold_quote(quote) if quote is not None else ""
    if not needle:
        raise EmptyQuote("the quote is empty or only whitespace")
    folded = fold_source(text)
    # Fast path: the quote occurs once after folding and nothing asks for
    # another occurrence. Its one folded match is the passage; when the typed
    # quote also occurs exactly as typed (once), that is the span.
    if occurrence is None and prefix is None and suffix is None:
        ft = folded.text
        i = ft.find(needle)
        if i != -1 and ft.find(needle, i + 1) == -1:
            j = i + len(needle)
            # folded.span(i, j), inlined: this runs once per claim
            if folded.unit_starts is not None:
                s, e = folded.unit_starts[i], folded.unit_ends[j - 1]
            else:
                fa = folded.folded_at
                if len(fa) == 1:
                    s, e = i, j
                else:
                    oa = folded.original_at
                    k = bisect.bisect_right(fa, i) - 1
                    s = oa[k] + (i - fa[k])
                    if k + 1 == len(fa) or fa[k + 1] >= j:  # no breakpoint inside the match
                        e = s + (j - i)
                    else:
                        k = bisect.bisect_right(fa, j - 1, k + 1) - 1
                        e = oa[k] + (j - fa[k])
            if e - s == len(quote) and text.startswith(quote, s):
                match = "exact"
            else:
                match = "normalised"
                # The typed quote can occur as typed elsewhere than [s, e)
                # only if folding dropped characters at its edges (spaces,
                # invisible characters) or the text needed decomposed folding.
                if folded.unit_starts is not None or quote[0] in _EDGE_CHARS or quote[-1] in _EDGE_CHARS:
                    j = text.find(quote)
                    if j != -1 and text.find(quote, j + 1) == -1:
                        return make_span(text, j, j + len(quote), "exact", 1, folded.plain)
            if not folded.plain:
                return make_span(text, s, e, match)
            # make_span(text, s, e, match, 1, plain=True) inlined: the call
            # alone was a tenth of the time per quote beside the two finds
            span = _new_span(Span)
            d = span.__dict__
            d["start"] = s
            d["end"] = e
            d["text"] = text[s:e]
            d["prefix"] = text[s - CONTEXT_CHARS if s > CONTEXT_CHARS else 0 : s]
            d["suffix"] = text[e : e + CONTEXT_CHARS]
            d["match"] = match
            d["occurrences"] = 1
            d["flags"] = ()
            return span
    starts = _find_all(folded.text, needle)
    if not starts:
        raise QuoteNotFound(quote, closest_passage(text, quote))
    spans = [folded.span(s, s + len(needle)) for s in starts]
    if prefix is not None or suffix is not None:
        spans = [sp for sp in spans if _context_fits(folded, sp, prefix, suffix, text)] or spans
        if len(spans) != len(starts) and len(spans) == 1 and occurrence is None:
            s, e = spans[0]
            return make_span(text, s, e, _match_kind(text, s, e, quote), len(starts))
    if occurrence is not None:
        if not 1 <= occurrence <= len(starts):
            raise AmbiguousQuote(
                quote,
                [make_span(text, s, e, "") for s, e in spans],
                f"occurrence {occurrence} asked for, but the quote occurs {len(starts)} time(s)",
            )
        s, e = spans[occurrence - 1]
        return make_span(text, s, e, _match_kind(text, s, e, quote), len(starts))
    if len(spans) > 1:
        raise AmbiguousQuote(quote, [make_span(text, s, e, "") for s, e in spans])
    s, e = spans[0]
    return make_span(text, s, e, _match_kind(text, s, e, quote), len(starts))


def _match_kind(text: str, s: int, e: int, quote: str) -> str:
    return "exact" if text[s:e] == quote else "normalised"


def _context_fits(folded: Folded, span: tuple[int, int], prefix, suffix, text) -> bool:
    s, e = span
    if prefix:
        want = fold_quote(prefix)
        got = fold_quote(text[max(0, s - len(prefix) - 16) : s])
        if want and not got.endswith(want):
            return False
    if suffix:
        want = fold_quote(suffix)
        got = fold_quote(text[e : e + len(suffix) + 16])
        if want and not got.startswith(want):
            return False
    return True


def closest_passage(text: str, quote: str) -> tuple[int, int, str, float] | None:
    """The passage of ``text`` most like ``quote``: (start, end, text, score 0-100)."""
    from rapidfuzz import fuzz

    folded = fold_source(text)
    needle = fold_quote(quote)
    if not needle or not folded.text:
        return None
    if len(needle) > len(folded.text):
        return (0, len(text), text, fuzz.ratio(needle, folded.text))
    al = fuzz.partial_ratio_alignment(needle, folded.text)
    if al is None or al.dest_end <= al.dest_start:
        return None
    s, e = folded.span(al.dest_start, al.dest_end)
    return (s, e, text[s:e], al.score)


def relocate(
    text: str, quote: str, *, near: int | None = None, window: int = 1000
) -> tuple[int, int, str, float] | None:
    """Re-anchor ``quote`` in an edited ``text``: the closest passage within
    ``window`` characters of ``near`` (its old start), or anywhere when
    ``near`` is None. Returns (start, end, text, score 0-100) for the caller to
    accept or not; it never replaces an exact match silently."""
    if near is None:
        return closest_passage(text, quote)
    lo = max(0, near - window)
    hi = min(len(text), near + len(quote) + window)
    found = closest_passage(text[lo:hi], quote)
    if found is None:
        return None
    s, e, _, score = found
    return (lo + s, lo + e, text[lo + s : lo + e], score)
