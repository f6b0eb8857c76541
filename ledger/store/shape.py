"""The derived parts of the database: SQL views (and anything else that is
recreated rather than migrated). ``ensure_shape`` runs after every write and
drops and recreates each view, so a changed definition always takes effect.

Each feature module registers its views with ``view(name, sql)``; the SQL is
the body after ``CREATE VIEW name AS``.
"""

from __future__ import annotations

from sqlite_utils import Database

VIEWS: dict[str, str] = {}


def view(name: str, sql: str) -> str:
    """Register a view; later registrations of the same name replace earlier ones."""
    VIEWS[name] = sql
    return name


# Functions that bring derived tables up to date, run by ensure_shape after
# the views, inside the writer's transaction (e.g. ledger.store.compare.refresh).
DERIVED: list = []


def derived(fn):
    """Register ``fn(db)`` to run at the end of every ``ensure_shape``."""
    if fn not in DERIVED:
        DERIVED.append(fn)
    return fn


def _load_features():
    # modules that register views; imported here so every writer gets them all
    from ledger.store import views  # noqa: F401
    from ledger.store import compare  # noqa: F401
    from ledger.store import history  # noqa: F401  (claim_status, current_claims, claim_history, source_revisions)


def ensure_shape(db: Database) -> None:
    """Drop and recreate every registered view, in one transaction."""
    _load_features()
    existing = {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'")}
    for name, body in VIEWS.items():
        sql = f"CREATE VIEW {name} AS {body.strip()}"
        if existing.get(name) == sql:
            continue
        if name in existing:
            db.execute(f"DROP VIEW {name}")
        db.execute(sql)
    for fn in DERIVED:
        fn(db)
