"""What every write ends with: the views created (``ledger.store.views``)
and the derived state refreshed (``ledger.store.derived``), inside the
writer's transaction. Nothing registers itself here on import: the views are
defined in one module and the derived tables are refreshed by one function.
"""

from __future__ import annotations

from sqlite_utils import Database

from ledger.store import derived, views
from ledger.store.views import VIEWS  # noqa: F401  (the plugin reads the view names)


def _load_features():
    """Kept for callers of the old registry; every view is defined in ledger.store.views."""


def ensure_shape(db: Database) -> None:
    """Create the views the file lacks, then bring the derived tables up to
    date with the rows written (``derived.refresh``); call inside the write
    transaction."""
    views.create(db)
    derived.refresh(db)
