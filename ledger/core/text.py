"""The text fold every comparison starts from: NFKC, typographic quotes and dashes to ASCII, whitespace
collapsed (issue 19: shared by ``ledger.core.dates`` and ``ledger.core.normalize``)."""

from __future__ import annotations

import unicodedata

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_TRANSLATE = str.maketrans(
    {
        **{c: "-" for c in _DASHES},
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


# the same folds as (character, replacement) pairs: str.replace of the few a
# text holds is several times faster than str.translate, which looks every
# character of a non-ASCII text up in a dict (each replacement is ASCII, so
# the order of the replacements does not matter)
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _TRANSLATE.items())


def fold_text(text: str) -> str:
    """NFKC, typographic quotes and dashes mapped to ASCII, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():  # every fold is of a non-ASCII character
        for c, r in _FOLD_PAIRS:
            if c in text:
                text = text.replace(c, r)
    return " ".join(text.split())
