"""What the Datasette plugin needs from the store (issue 19): ``ledger.web`` goes through here, never to
``ledger.store`` itself (the layer contract in pyproject.toml)."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from ledger.store import tlog
from ledger.store.facet_counts import COUNTED
from ledger.store.views import VIEWS

__all__ = ["COUNTED", "claim_proof", "view_names"]


def claim_proof(conn: sqlite3.Connection, claim_id: str) -> dict | None:
    """The claim's inclusion proof against the latest signed checkpoint that covers it (issue 15), or None."""
    return tlog.claim_proof(Database(conn), claim_id)


def view_names() -> frozenset[str]:
    """The names of the ledger's views (``ledger.store.views``)."""
    return frozenset(VIEWS)
