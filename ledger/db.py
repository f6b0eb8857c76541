"""Opening the ledger database: pragmas, migrations, write transactions."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from .errors import LedgerMissing
from .migrations import migrations

BUSY_TIMEOUT_MS = 10_000


def open_db(path: str | Path, *, create: bool = True, migrate: bool = True) -> Database:
    """Open (and by default create and migrate) the ledger at ``path``.

    WAL for readers beside one writer, foreign keys on, ``synchronous=FULL``
    so a committed import survives power loss, and a busy timeout so a second
    writer waits instead of failing.
    """
    path = Path(path)
    if not create and not path.exists():
        raise LedgerMissing(f"no ledger at {path}; run `ledger build` first, or pass --db PATH")
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db = Database(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if create or migrate:
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
    conn.execute("PRAGMA synchronous = FULL")
    if migrate and migrations.pending(db):
        # under the write lock, so two processes opening a new file do not race
        with _immediate(db):
            migrations.apply(db)
    return db


def _retry_locked(fn, attempts: int = 20):
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))


@contextlib.contextmanager
def _immediate(db: Database):
    _retry_locked(lambda: db.conn.execute("BEGIN IMMEDIATE"))
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def write_transaction(db: Database):
    """One all-or-nothing write: ``BEGIN IMMEDIATE`` (so reading then writing
    cannot fail with "database is locked"), then ``db.atomic()`` inside it.

    The rows it adds are one entry of the history (``ledger.history``); the
    code inside may describe it with ``history.entry(db, kind, …)``."""
    from .history import entry

    if db.conn.in_transaction:
        with db.atomic(), entry(db, "write", auto=True):
            yield db
        return
    with _immediate(db):
        with db.atomic(), entry(db, "write", auto=True):
            yield db
