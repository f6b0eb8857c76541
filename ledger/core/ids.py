"""Identifiers and digests: the one home of canonical JSON and SHA-256 (issue 19).

Every hash the ledger stores or compares is made here, so that one form holds everywhere:

- canonical JSON: sorted keys, compact separators, UTF-8 kept (``ensure_ascii=False``);
- a digest is SHA-256, written bare (64 hex digits: source ids, file digests in tables) or tagged with its
  algorithm (``sha256:`` and 64 hex digits: history entries, bodies, profiles, entity tables);
- a short id is a one-letter prefix and the first 16 hex digits of the SHA-256 of a canonical form:
  ``c…`` a claim, ``r…`` a review, ``f…`` a fact of the comparison.

Changing any of these changes every id and every history head: they are pinned by the tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

TAG = "sha256:"
SHORT_LENGTH = 16

#: a fresh SHA-256 object (hashlib's own constructor), for digests fed piece by piece in hot loops
new_sha256 = hashlib.sha256


def canonical_json(obj, *, integers_only: bool = False) -> str:
    """Sorted keys, compact separators, UTF-8 kept: the form every hash covers.

    ``integers_only`` refuses floats anywhere in ``obj`` (history bodies: a float's text is not stable across
    writers, so they are written as strings).
    """
    if integers_only:
        _check_numbers(obj)
    return _CANONICAL.encode(obj)


# what json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on every call, built once
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

if json.encoder.c_make_encoder is not None:
    # What _CANONICAL.encode(obj) runs for a dict or list, made once instead of per call, and without the
    # check for circular references (``markers``), which only an object holding itself could need: for the
    # identities hashed once per claim, a mapping of strings, numbers and None (issue 19).
    _FLAT = json.encoder.c_make_encoder(
        None, _CANONICAL.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def _flat_json(ident) -> str:
        return "".join(_FLAT(ident, 0))
else:  # pragma: no cover (CPython always has the C encoder)
    _flat_json = _CANONICAL.encode


def _check_numbers(obj):
    if isinstance(obj, float):
        raise TypeError("history bodies hold integers only: write other numbers as strings")
    if isinstance(obj, dict):
        for v in obj.values():
            _check_numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _check_numbers(v)


def sha256_hex(data: bytes) -> str:
    """The bare digest: 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """The bare digest of a text's UTF-8 bytes: a source's id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tagged_sha256(data: bytes) -> str:
    """The digest tagged with its algorithm: ``sha256:`` and 64 hex digits."""
    return TAG + hashlib.sha256(data).hexdigest()


def tag(hex_digest: str) -> str:
    """A bare hex digest (of any case) tagged; an already tagged one unchanged."""
    return hex_digest if hex_digest.startswith(TAG) else TAG + hex_digest.lower()


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The bare digest of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def short_id(prefix: str, ident) -> str:
    """``prefix`` and the first 16 hex digits of the SHA-256 of ``ident``'s canonical JSON."""
    return prefix + sha256_text(canonical_json(ident))[:SHORT_LENGTH]


def claim_id(ident: dict) -> str:
    """A claim's id from its identity fields (``store.writer.IDENTITY_FIELDS``, and ``supersedes``):
    ``short_id("c", ident)``, for a mapping of strings, numbers and None."""
    return "c" + hashlib.sha256(_flat_json(ident).encode("utf-8")).hexdigest()[:SHORT_LENGTH]


def review_id(ident: dict) -> str:
    """A review's id from its identity fields (``services.claimreview.IDENTITY``)."""
    return short_id("r", ident)


def fact_id(topic: str, discriminator: str) -> str:
    """A fact of the comparison: its topic and discriminator, joined by a unit separator (not JSON)."""
    return "f" + sha256_text(f"{topic}\x1f{discriminator}")[:SHORT_LENGTH]
