"""Reading the ledger's history: a claim's life, the head to publish, the entries newest first."""

from __future__ import annotations

import json

from ledger.core.atomic import write_atomic
from ledger.store import history


def claim_history(db, claim_id: str) -> dict:
    """A claim's life (``ledger claim history``): its status, the entry that added it, every correction,
    retraction or re-anchoring, what it replaced and what replaces it now. ``claim_id`` may be a prefix."""
    return history.claim_history(db, claim_id)


def head(db, out_path=None) -> dict:
    """The checkpoint to publish (``ledger head``): the last entry's hash, with counts; written whole to
    ``out_path`` when given."""
    cp = history.checkpoint(db)
    if out_path:
        write_atomic(out_path, (history.canonical_json(cp) + "\n").encode("utf-8"))  # whole or not at all
    return cp


def entries(db, limit: int = 20) -> list[dict]:
    """The history's entries, newest first (``limit`` 0: all), each body parsed."""
    sql = "SELECT id, kind, at, actor, reason, body, prev, hash FROM history ORDER BY id DESC"
    rows = list(db.query(sql + (f" LIMIT {int(limit)}" if limit else "")))
    for r in rows:
        r["body"] = json.loads(r["body"])
    return rows


def read_checkpoint(path) -> str:
    """The head hash a `ledger head --out` file holds."""
    return history.read_checkpoint(path)
