"""The fast anchoring gives exactly what the reference anchoring gives.

``tests/_anchor_reference.py`` is ``ledger/anchor.py`` as it was before it was
made faster (commit 0cdc8ed). Every folded text and offset map, every folded
quote, and every outcome of ``locate()`` (the span and its context, or the
error with its closest passage or every ambiguous place) must be identical on
texts built from the characters anchoring treats specially.
"""

import unicodedata

import _anchor_reference as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import anchor
from ledger.core.errors import AmbiguousQuote, EmptyQuote, QuoteNotFound

# What folding treats specially, and what makes NFC, offsets and UTF-16 differ:
# curly quotes, dashes, every kind of space and line break, zero-width and bidi
# characters, decomposed and precomposed letters, combining marks on their
# own, singletons that NFC replaces (U+2000, U+212B, U+2126), a Hangul jamo
# pair and Indic vowel signs that compose, emoji and other non-BMP characters.
PIECES = list("abcde xyz.,'\"-`") + [
    " ", " ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2028", "\x85",
    "\u201c", "\u201d", "\u2018", "\u2019", "\u00ab", "\u00bb", "\u00b4", "\u2032",
    "\u2014", "\u2013", "\u2212", "\uff0d",
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060",
    "\u202e", "\u202c", "\u2066", "\u2069", "\u200e", "\u200f",
    "e\u0301", "\u00e9", "\u0301", "\u0308", "o\u0308", "\u00f8", "\u00f3", "A\u030a", "\u212b", "\u2126",
    "\u2000", "\u2001", "\u0344", "\u0f73", "\u0958",
    "\u1100", "\u1161", "\u0cc6\u0cc2", "\u1b05\u1b35",
    "\U0001F600", "\U0001D518", "\U0001F469\u200d\U0001F52C",
]

# Texts whose characters are all below U+0100 once curly quotes and dashes
# are folded take a shorter path in fold_source: drawn on their own too.
NARROW = [p for p in PIECES if all(c < "\u0100" or c in "\u201c\u201d\u2018\u2019\u2014\u2013" for c in p)]

texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join) | st.lists(
    st.sampled_from(NARROW), min_size=1, max_size=40
).map("".join)
texts = texts | texts.map(lambda t: unicodedata.normalize("NFD", t)) | texts.map(
    lambda t: unicodedata.normalize("NFC", t)
)

# How people type a quote: straight quotes and hyphens, spaces for line breaks,
# doubled spaces, another normal form, invisible characters left out, stray
# whitespace at the ends.
TYPING = [
    lambda s: s.replace("\u201c", '"').replace("\u201d", '"'),
    lambda s: s.replace("\u2019", "'").replace("\u2018", "'"),
    lambda s: s.replace("\u2014", "-").replace("\u2013", "-"),
    lambda s: s.replace("\n", " "),
    lambda s: s.replace(" ", "  ", 1),
    lambda s: s.replace(" ", "\t"),
    lambda s: unicodedata.normalize("NFD", s),
    lambda s: unicodedata.normalize("NFC", s),
    lambda s: s.replace("\u200b", "").replace("\u202e", ""),
    lambda s: " " + s,
    lambda s: s + "\n",
]


@st.composite
def cases(draw):
    text = draw(texts)
    if draw(st.booleans()):
        i = draw(st.integers(0, len(text) - 1))
        j = draw(st.integers(i, len(text)))
        quote = text[i:j]
        for k in draw(st.lists(st.integers(0, len(TYPING) - 1), max_size=4)):
            quote = TYPING[k](quote)
    else:
        i = 0
        quote = draw(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
    options = draw(
        st.sampled_from(["none", "none", "none", "occurrence", "prefix", "suffix"])
    )
    kw = {}
    if options == "occurrence":
        kw["occurrence"] = draw(st.integers(0, 4))
    elif options == "prefix":
        kw["prefix"] = draw(st.sampled_from([text[max(0, i - 3) : i], "a", "\u201c"]))
    elif options == "suffix":
        kw["suffix"] = draw(st.sampled_from(["a", " ", "\u201d x"]))
    return text, quote, kw


def _span(sp):
    return (sp.start, sp.end, sp.text, sp.prefix, sp.suffix, sp.match, sp.occurrences, sp.flags)


def outcome(module, text, quote, kw):
    """Everything a caller can see of one locate() call."""
    try:
        return ("span", _span(module.locate(text, quote, **kw)))
    except AmbiguousQuote as e:
        return ("ambiguous", str(e), [_span(sp) for sp in e.spans])
    except QuoteNotFound as e:
        return ("not found", str(e), e.closest)
    except EmptyQuote as e:
        return ("empty", str(e))


def folded(f):
    return (f.text, f.folded_at, f.original_at, f.unit_starts, f.unit_ends)


@settings(max_examples=1500, deadline=None)
@given(cases())
def test_locate_gives_what_the_reference_gives(case):
    text, quote, kw = case
    assert anchor.fold_quote(quote) == reference.fold_quote(quote)
    got = anchor.fold_source.__wrapped__(text)
    assert folded(got) == folded(reference.fold_source.__wrapped__(text))
    assert got.plain == (not any(c in anchor._INVISIBLE for c in text))
    assert outcome(anchor, text, quote, kw) == outcome(reference, text, quote, kw)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=120), st.data())
def test_any_text_folds_as_the_reference_folds(text, data):
    assert folded(anchor.fold_source.__wrapped__(text)) == folded(reference.fold_source.__wrapped__(text))
    i = data.draw(st.integers(0, len(text) - 1))
    quote = text[i : data.draw(st.integers(i, len(text)))]
    assert anchor.fold_quote(quote) == reference.fold_quote(quote)
    assert outcome(anchor, text, quote, {}) == outcome(reference, text, quote, {})


def test_the_characters_that_skip_the_nfc_check_cannot_break_nfc():
    """fold_source skips unicodedata.is_normalized() when every non-ASCII
    character of a text is below U+0300, in _NFC_INERT or one of the common
    folds replaced first: each must have
    combining class 0, be its own NFC, and never be the second character of a
    canonical composition (which could join it to the character before)."""
    seconds = set()
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                seconds.add(chr(int(parts[1], 16)))
    # Hangul syllables compose algorithmically (no decomposition listed):
    # vowel jamo join a leading consonant, trailing consonants a syllable
    seconds.update(map(chr, range(0x1161, 0x1176)), map(chr, range(0x11A8, 0x11C3)))
    common = [c for c, _ in anchor._COMMON_FOLDS if not c.isascii()]
    assert set(common) <= anchor._NFC_INERT  # replaced before the NFC check is decided
    inert = [chr(cp) for cp in range(0x80, 0x300)] + sorted(anchor._NFC_INERT)
    for c in inert:
        assert unicodedata.combining(c) == 0, hex(ord(c))
        assert unicodedata.normalize("NFC", c) == c, hex(ord(c))
        assert c not in seconds, hex(ord(c))
    assert "\u0301" in seconds and "\u1161" in seconds  # the check can fail


def test_whitespace_that_folds_to_a_space_is_what_split_splits_on():
    """fold_quote collapses spaces with str.split(); that is only the fold if
    the folded spaces are exactly the characters str.split() splits on."""
    assert {c for c in map(chr, range(0x110000)) if c.isspace()} == set(anchor._SPACES + " ")
