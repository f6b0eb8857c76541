"""The faster forms of text folding that `ledger verify`'s support check
runs per claim (issue 15's verify target at 1M claims) give exactly what the
plain forms give: ``fold_text`` replaces only the foldable characters a text
holds instead of ``str.translate``; ``support._words`` skips the folds for
ASCII text, which none of them changes; ``support._fast_exact`` builds the
span's word set once."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import normalize
from ledger.core import support

# text rich in what the folds touch: curly quotes, dashes, odd spaces, invisible characters, compatibility forms
FOLDABLE = "\u2018\u2019\u02bc\u201c\u201d\u00a0\u202f\u2009\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad\u200b\u200e\u202a\u2066\ufeff\ufb01\u00bd\u2126"
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(FOLDABLE + " 's.,:/-\t\n")), max_size=60)
ascii_texts = st.text(alphabet=st.characters(max_codepoint=127), max_size=60)


def fold_text_by_translate(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(normalize._TRANSLATE)
    return " ".join(text.split())


def words_by_folding(text: str) -> list[str]:
    t = fold_text_by_translate(support._INVISIBLE_RE.sub("", text)).casefold().replace("'s ", " ").replace("'", "")
    if t.endswith("'s"):
        t = t[:-2]
    return support._WORD_RE.findall(t)


def fast_exact_as_before(value: str, span: str) -> bool:
    v = value.strip().casefold()
    return bool(v) and v.isascii() and v in span.casefold() and all(w in set(words_by_folding(span)) for w in words_by_folding(value))


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_fold_text_is_the_translate_fold(text):
    assert normalize.fold_text(text) == fold_text_by_translate(text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(texts, ascii_texts))
def test_words_are_those_of_the_folded_text(text):
    assert support._words(text) == words_by_folding(text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(texts, ascii_texts), st.one_of(texts, ascii_texts))
def test_fast_exact_decides_as_before(value, span):
    assert support._fast_exact(value, span) == fast_exact_as_before(value, span)
    # a value taken from the span, the fast path's usual case
    if len(span) > 4:
        part = span[1:-1]
        assert support._fast_exact(part, span) == fast_exact_as_before(part, span)
