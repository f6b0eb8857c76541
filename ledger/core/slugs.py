"""Slugs for titles in every script.

An ASCII-only slugify maps every Chinese, Korean or Arabic title to the same slug (and a Russian one to its
digits), so a Korean page added after a Chinese one was filed as a revision of it. Titles are transliterated
with ``anyascii`` (every script to readable ASCII: ``서울`` -> ``seoul``, ``北京`` -> ``beijing``); an ASCII
title gives exactly the slug it always did, so the slugs of existing sources never change. A title with
nothing left to spell falls back to ``source-`` and a short hash of the title.
"""

from __future__ import annotations

import re

from anyascii import anyascii

from ledger.core.ids import sha256_text

MAX_LENGTH = 80
HASH_LENGTH = 8


def slugify(text: str) -> str:
    """A readable, lowercase ASCII slug for ``text`` (a title or a file name)."""
    ascii_text = text if text.isascii() else anyascii(text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_LENGTH].rstrip("-")
    if slug:
        return slug
    return "source-" + sha256_text(text)[:HASH_LENGTH]


def distinct_slug(base: str, text_sha256: str, taken) -> str:
    """``base`` made distinct with the start of the text's SHA-256 (``base-1a2b3c4d``), longer if that is
    taken too; ``taken(slug) -> bool`` says whether a slug is already used by another text."""
    for n in range(HASH_LENGTH, len(text_sha256) + 1, 4):
        suffix = "-" + text_sha256[:n]
        slug = base[: 100 - len(suffix)].rstrip("-") + suffix
        if not taken(slug):
            return slug
    raise ValueError(f"no free slug for {base!r}")  # 64 hex digits of one text are never all taken


# "<slug>@<n>" is revision n of <slug> (ledger/services/revisions.py)
REVISION_RE = re.compile(r"^(?P<doc>.+)@(?P<n>[1-9][0-9]*)$")


def split_slug(slug: str) -> tuple[str, int]:
    """``("hun-sen-meets-xi", 2)`` for ``hun-sen-meets-xi@2``; revision 1 for a plain slug."""
    m = REVISION_RE.match(slug)
    if m:
        return m.group("doc"), int(m.group("n"))
    return slug, 1


def revision_slug(document: str, revision: int) -> str:
    return document if revision == 1 else f"{document}@{revision}"
