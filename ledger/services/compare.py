"""The cross-source comparison as a use case: the fact groups, streamed, from tables kept up to date by the
write unit (``ledger.store.db.write`` refreshes them at every write)."""

from __future__ import annotations

from ledger.store import compare as comparison
from ledger.store.db import refresh, write

STATUSES = comparison.STATUSES


def iter_groups(db, *, subject=None, predicate=None, status=None, claim_id=None, members: bool = True,
                rebuild: bool = False):
    """The fact groups matching the filters, a group at a time. With ``rebuild`` every comparison table is
    recomputed from scratch first. The tables are brought up to date first when what they derive from changed
    outside any write: the predicate profiles or the entity table were edited."""
    if rebuild:
        with write(db, None):
            comparison.refresh(db, full=True)
    elif comparison.is_stale(db):
        refresh(db)
    return comparison.iter_compare(db, subject=subject, predicate=predicate, status=status, claim_id=claim_id,
                                   members=members)


def compare(db, **filters) -> list[dict]:
    """The fact groups matching ``filters`` (those of :func:`iter_groups`), as a list."""
    return list(iter_groups(db, **filters))
