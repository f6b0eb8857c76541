"""Anchoring: typed quotes land on the source's own characters."""

import sqlite3
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.core.anchor import fold_source, locate
from ledger.core.errors import AmbiguousQuote, EmptyQuote, QuoteNotFound

CURLY = "Kin Phea said “the visit was ‘ironclad’” – and\n\nthat   was all. Café 😀 done."


def test_exact_quote_is_exact_match():
    span = locate(CURLY, "that   was all")
    assert (span.start, span.end, span.match) == (CURLY.index("that"), CURLY.index("that") + 14, "exact")


def test_straight_quotes_store_the_curly_source_text():
    span = locate(CURLY, "\"the visit was 'ironclad'\"")
    assert span.text == "“the visit was ‘ironclad’”"
    assert span.match == "normalised"
    assert CURLY[span.start : span.end] == span.text


def test_dash_and_whitespace_variants():
    span = locate(CURLY, "ironclad'\" - and that was all")
    assert span.text == "ironclad’” – and\n\nthat   was all"


def test_line_breaks_in_the_typed_quote():
    assert locate(CURLY, "and\nthat was\tall").text == "and\n\nthat   was all"


def test_nfd_quote_against_nfc_source_and_back():
    nfd = unicodedata.normalize("NFD", "Café")
    assert locate(CURLY, nfd).text == "Café"
    source_nfd = unicodedata.normalize("NFD", CURLY)
    span = locate(source_nfd, "Café 😀")
    assert span.text == unicodedata.normalize("NFD", "Café 😀")
    assert source_nfd[span.start : span.end] == span.text


def test_zero_width_characters_are_matched_through_and_flagged():
    text = "The sta\u200bdium seats 60,000."
    span = locate(text, "stadium seats")
    assert span.text == "sta\u200bdium seats"
    assert "zero-width" in span.flags


def test_bidi_controls_are_stored_verbatim_and_flagged():
    text = "He said \u202etxet\u202c today."
    span = locate(text, "said txet today")
    assert span.text == "said \u202etxet\u202c today"
    assert "bidi-control" in span.flags


def test_prefix_and_suffix_are_the_surrounding_32_characters():
    text = "x" * 50 + "QUOTE" + "y" * 50
    span = locate(text, "QUOTE")
    assert span.prefix == "x" * 32 and span.suffix == "y" * 32


def test_quote_not_found_shows_the_closest_passage():
    with pytest.raises(QuoteNotFound) as e:
        locate(CURLY, "the visit was ironclad and that was everything")
    assert e.value.closest is not None
    s, end, text, score = e.value.closest
    assert CURLY[s:end] == text and "visit" in text
    assert "closest passage" in str(e.value)


def test_ambiguous_quote_lists_every_place():
    text = "He said yes. She said yes. They said yes."
    with pytest.raises(AmbiguousQuote) as e:
        locate(text, "said yes")
    assert [sp.start for sp in e.value.spans] == [3, 17, 32]
    assert "occurrence" in str(e.value)


def test_occurrence_picks_one_match():
    text = "He said yes. She said yes. They said yes."
    assert locate(text, "said yes", occurrence=3).start == 32
    with pytest.raises(AmbiguousQuote, match="occurrence 4"):
        locate(text, "said yes", occurrence=4)


def test_context_picks_one_match():
    text = "He said yes. She said yes. They said yes."
    assert locate(text, "said yes", prefix="She").start == 17
    assert locate(text, "said yes", suffix=". They").start == 17


def test_an_exact_match_that_is_ambiguous_once_folded_is_ambiguous():
    text = "the “word” and the \"word\""
    with pytest.raises(AmbiguousQuote):
        locate(text, "\"word\"")


@pytest.mark.parametrize("quote", ["", "   ", "\n\t", "\u200b"])
def test_empty_quote(quote):
    with pytest.raises(EmptyQuote):
        locate(CURLY, quote)


# ------------------------------------------------------------------ properties

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=200
)


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_any_unique_substring_anchors_back_to_itself(text, data):
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    quote = text[i:j]
    assume(quote.strip() and text.count(quote) == 1)
    try:
        span = locate(text, quote)
    except AmbiguousQuote as e:
        # folding may make two different passages alike; the quoted one must be
        # listed, trimmed of what folding drops at its edges (a quote '0 ' in
        # '00 ' is the passage '0', which occurs twice)
        assert any(i <= sp.start and sp.end <= j for sp in e.spans)
        return
    except EmptyQuote:
        return  # only invisible characters
    assert text[span.start : span.end] == span.text
    assert (span.start, span.end) == (i, j) or span.text.strip() == quote.strip()


words = st.lists(st.sampled_from(["the", "visit", "“ironclad”", "’s", "Café", "—", "60,000", "😀", "e\u0301"]), min_size=2, max_size=12)


@settings(max_examples=300, deadline=None)
@given(words, st.sampled_from([" ", "\n", "  ", "\n\n"]))
def test_typed_variants_anchor_to_the_source_characters(ws, sep):
    text = "Start. " + sep.join(ws) + " End."
    typed = unicodedata.normalize("NFD", " ".join(ws)).replace("“", '"').replace("”", '"').replace("’", "'").replace("—", "-")
    typed = typed.replace(" ", "   ")
    try:
        span = locate(text, typed)
    except AmbiguousQuote:
        return
    assert span.text == sep.join(ws)
    assert text[span.start : span.end] == span.text


# NUL is excluded: SQLite's substr() stops at it, so the ledger refuses
# source texts holding one (tests/test_sources.py).
@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=80),
    st.data(),
)
def test_sqlite_substr_counts_code_points_like_python(text, data):
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i, len(text)))
    conn = sqlite3.connect(":memory:")
    got = conn.execute("SELECT substr(?, ?, ?)", [text, i + 1, j - i]).fetchone()[0]
    assert got == text[i:j]


def test_substr_with_non_bmp_characters():
    text = "😀😀 a 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 quote 😀"
    span = locate(text, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 quote")
    conn = sqlite3.connect(":memory:")
    got = conn.execute("SELECT substr(?, ?, ?)", [text, span.start + 1, span.end - span.start]).fetchone()[0]
    assert got == span.text == "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 quote"


def test_folding_keeps_a_map_for_every_character():
    text = "a  “b”\u200b\n\nc — d"
    folded = fold_source(text)
    assert folded.text == 'a "b" c - d'
    for i, ch in enumerate(folded.text):
        if ch not in " \"-":
            assert text[folded.to_original(i)] == ch
