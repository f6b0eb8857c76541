"""Metadata accuracy on the saved-page corpus (tests/fixtures/pages, issue 20).

For each page: the extracted title, publication date and authors against the
expected values labelled by hand in expected.yml, and whether the expected
body sentence anchors in the extracted text. Run: python -m bench.page_metadata
(prints every miss and the share of fields right).
"""

from __future__ import annotations

import gzip
import re
import sys
import unicodedata
from pathlib import Path

import yaml

from ledger.core.errors import LedgerError

PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "\u00a0": " ", "\u202f": " "})


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(QUOTES)
    return " ".join(text.split()).casefold()


def norm_name(name: str) -> str:
    return norm(re.sub(r"\([^)]*\)", " ", name or ""))


def expected_pages() -> list[dict]:
    return yaml.safe_load((PAGES / "expected.yml").read_text(encoding="utf-8"))["pages"]


def score_page(page: dict, got) -> dict:
    """{field: True/False} for the scored fields of one page; ``got`` has
    .title, .published, .authors, .text (an Extracted or a Source)."""
    from ledger.core.anchor import AmbiguousQuote, locate

    out = {"title": norm(got.title) in {norm(t) for t in page["titles"]}}
    if page.get("published") is not None:
        out["published"] = (got.published or None) == page["published"]
    if page.get("authors") is not None:
        out["authors"] = sorted(norm_name(a) for a in got.authors or []) == sorted(norm_name(a) for a in page["authors"])
    try:
        locate(got.text, page["sentence"])
        out["sentence"] = True
    except AmbiguousQuote:
        out["sentence"] = True  # there, more than once: a claim gives its occurrence
    except LedgerError:
        out["sentence"] = False
    return out


def run(extract=None, out=sys.stdout) -> tuple[int, int, list[str]]:
    """Score every page; returns (right, scored, misses)."""
    from ledger.formats.html import extract as default_extract

    extract = extract or default_extract
    right = scored = 0
    misses = []
    for page in expected_pages():
        data = gzip.decompress((PAGES / page["file"]).read_bytes())
        got = extract(data, page["file"])
        for field, ok in score_page(page, got).items():
            scored += 1
            right += ok
            if not ok:
                shown = {"title": got.title, "published": got.published, "authors": got.authors, "sentence": "(not found)"}[field]
                expected = {"title": page["titles"], "published": page.get("published"), "authors": page.get("authors"),
                            "sentence": page["sentence"][:60]}[field]
                misses.append(f"{page['file']}: {field}: got {shown!r}, expected {expected!r}")
    for m in misses:
        print(m, file=out)
    print(f"{right}/{scored} fields right ({100 * right / scored:.1f}%) on {len(expected_pages())} pages", file=out)
    return right, scored, misses


if __name__ == "__main__":
    run()
