"""Opening the ledger database: pragmas, migrations, write transactions."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from ledger.core.errors import LedgerMissing, NotALedger
from ledger.store import views
from ledger.store.migrations import migrations

BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 65_536  # the page cache of a connection that writes (64 MiB at most, taken as pages are read)


def open_db(path: str | Path, *, create: bool = True, migrate: bool = True) -> Database:
    """Open (and by default create and migrate) the ledger at ``path``.

    WAL for readers beside one writer, foreign keys on, ``synchronous=FULL``
    so a committed import survives power loss, and a busy timeout so a second
    writer waits instead of failing.
    """
    path = Path(path)
    if not create and not path.exists():
        raise LedgerMissing(f"no ledger at {path}; run `ledger build` first, or pass --db PATH")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        db = Database(conn)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # before anything writes: a file that is not SQLite, or someone else's database, is left untouched
        _check_is_ledger(conn, path, allow_blank=True)
        conn.execute("PRAGMA foreign_keys = ON")
        if create or migrate:
            _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        conn.execute("PRAGMA synchronous = FULL")
        # issue 19: a write touches a dozen indexes of the claims table; with
        # SQLite's default 2 MB page cache their pages were read again and
        # again (10k claims imported: 8.2-8.7 s CPU, 7.3 s with 64 MiB)
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if migrate and migrations.pending(db):
            # under the write lock, so two processes opening a new file do not race
            with _immediate(db):
                migrations.apply(db)
                views.create(db)  # a migration may drop the views over a table it reshapes (m142)
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError) and "unable to open" not in str(e):
            raise
        raise _not_a_ledger(path, e) from None
    return db


LEDGER_TABLES = ("_sqlite_migrations", "sources", "claims")


def _not_a_ledger(path: Path, cause: Exception) -> NotALedger:
    return NotALedger(
        f"{path}: not a ledger database ({cause}); pass --db the ledger's file (e.g. ledger.db), "
        "or a new file name to start one"
    )


def _check_is_ledger(conn: sqlite3.Connection, path: Path, *, allow_blank: bool) -> None:
    """Raise :class:`NotALedger` unless ``path`` holds the ledger's tables (or, with ``allow_blank``, no
    tables at all: a new ledger). Reads only the schema."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and allow_blank:
        return
    missing = [t for t in LEDGER_TABLES if t not in tables]
    if missing:
        what = "an empty file" if not tables and path.exists() and path.stat().st_size == 0 else (
            "an empty SQLite database" if not tables else f"a SQLite database without the ledger's {', '.join(missing)} table(s)"
        )
        raise NotALedger(
            f"{path}: not a ledger: {what}; pass --db the ledger's file (made by `ledger build` or "
            "`ledger source add`)"
        )


def open_readonly(path: str | Path) -> Database:
    """Open an existing ledger read-only (a ``mode=ro`` URI): no migration, no journal-mode switch, no
    write of any kind, so the file keeps its bytes and its SHA-256 (`ledger verify`, on a downloaded copy).

    Raises :class:`LedgerMissing` when there is no file and :class:`NotALedger` (exit code 9) for a file
    that is not SQLite, or is SQLite without the ledger's tables, or lacks migrations this version has."""
    path = Path(path)
    if not path.exists():
        raise LedgerMissing(f"no ledger at {path}; run `ledger build` first, or pass --db PATH")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_is_ledger(conn, path, allow_blank=False)
        db = Database(conn)
        pending = migrations.pending(db)
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError) and "unable to open" not in str(e):
            raise
        raise _not_a_ledger(path, e) from None
    if pending:
        raise NotALedger(
            f"{path}: the ledger was made by an older version ({len(pending)} schema migration(s) behind, "
            f"first {pending[0].name}); verify never changes the file it checks: migrate a copy with "
            "`ledger build --db COPY` and verify that"
        )
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
def write(db: Database, kind: str | None = "write", *, actor=None, at=None, reason=None, extra=None,
          always: bool = False):
    """The one write unit: every change to the ledger database goes through it.

    Under the writer lock (``ledger.core.atomic.writer_lock``, beside the database file), one ``BEGIN
    IMMEDIATE`` transaction (so reading then writing cannot fail with "database is locked") holding

    - the history entry that describes the rows written (``kind``, ``actor``, ``at``, ``reason``); with
      ``kind=None`` the block opens its own entries, one per act (``ledger build`` replaying several acts),
      and a row written outside any entry is refused (``history.current_entry``);
    - the refresh of everything derived from the rows (views, comparison tables: ``store.shape``), run
      last, inside the same transaction,

    committed together or rolled back together. Nested inside another write, it describes the entry
    already open and leaves the commit and the refresh to the outermost write. The files a command writes
    come first, outside this unit (``ledger.services.record``): the database is built from them.
    """
    from ledger.core.atomic import writer_lock
    from ledger.store import history
    from ledger.store.shape import ensure_shape

    def entry():
        if kind is None:
            return contextlib.nullcontext()
        return history.entry(db, kind, actor=actor, at=at, reason=reason, extra=extra, always=always,
                             auto=kind == "write" and actor is None and at is None and reason is None)

    if db.conn.in_transaction:
        with db.atomic(), entry():
            yield db
        return
    path = _file_of(db)
    with writer_lock(Path(path).parent) if path else contextlib.nullcontext():
        with _immediate(db):
            with db.atomic():
                with entry():
                    yield db
                if getattr(db, "keeps_derived", True):
                    ensure_shape(db)


def scratch(db: Database) -> Database:
    """Mark ``db`` as a scratch build (in memory, read and thrown away: ``repository.compare``): its writes
    skip the views and the derived state (comparison fingerprints, facet counts), which nothing reads there."""
    db.keeps_derived = False
    return db


def refresh(db: Database) -> None:
    """Bring the views and derived tables up to date with what the ledger holds, writing no rows (a ledger
    made by an older version, before it is served): the write unit with nothing inside."""
    with write(db, None):
        pass


def write_transaction(db: Database):
    """A write whose entry the code inside describes with ``history.entry(db, kind, …)`` (else it is
    recorded as kind ``write``): :func:`write` with no description yet."""
    return write(db)


def _file_of(db: Database) -> str | None:
    """The file of ``db``'s main database, or None in memory."""
    for _, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or None
    return None

