"""The derived state, refreshed in bulk once per write (issue 19).

``refresh(db)`` is the one call a write makes, at its end, inside its
transaction (``ledger.store.shape.ensure_shape`` calls it after creating the
views). It brings every derived table up to date with the rows written since
the last refresh, by set-based SQL over what lies past a watermark, never by
row triggers:

1. the comparison (``ledger.store.compare.refresh``): sources past
   ``sources_rowid`` are fingerprinted, claims past ``claims_rowid`` and the
   claims with events past ``events_rowid`` have their values normalised, and
   only the topics they touch are classified again;
2. the facet counts (``ledger.store.facet_counts``): the claims and claim
   events past ``facet_claims_rowid`` / ``facet_events_rowid`` counted with
   one ``GROUP BY`` per counted column; the comparison's views' counts move
   with the topics the comparison rewrote (step 1 does that as it goes).

The watermarks live in ``compare_state``; a writer that skipped a refresh
leaves them behind, and the next refresh catches up. ``ledger verify --deep``
(``ledger.store.derived_check``) recomputes every derived table from the
recorded rows and compares.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from ledger.store import compare, facet_counts


def refresh(db: Database, *, entities_path: str | Path | None = None, full: bool = False) -> dict:
    """Bring the comparison tables and the facet counts up to date with the
    rows past their watermarks (``full``: recompute the comparison from every
    row). Call inside the write transaction. Returns what it did."""
    if facet_counts.kept_in_bulk(db):
        facet_counts.prepare(db)
    stats = {"compare": compare.refresh(db, entities_path=entities_path, full=full)}
    stats["facet_counts"] = facet_counts.refresh_claims(db)
    return stats
