"""Re-check everything the ledger asserts about itself.

The default verify proves every assertion of the ledger in one pass over
the data: the sources in storage order (each text hashed and counted, each
row digested for the history entry that added it) beside the claims in
storage order (each span, prefix and suffix re-read from its source text,
each row digested for its entry), then the history chain and any published
head. The row digests run on a second connection in a thread, beside the
hashes and spans (two cores), both connections reading one snapshot
(``_twin_reader``); ``LEDGER_VERIFY_THREADS=1`` keeps it all in the one
pass on one connection. SQLite's own storage checks are not part of it: the pass reads every
page of the ledger's tables, so a damaged page there is reported, but the
cross-check of every index against its table, of the free pages and of the
derived tables is ``PRAGMA integrity_check``, which costs about ten times
the rest; ``deep=True`` (``ledger verify --deep``) runs it too, with the full
``PRAGMA foreign_key_check``.

Failures are ``Failure(kind, item, message)``. The exit code says what kind
of failure was found first in the order below (the most fundamental first),
so a script can tell them apart.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlite_utils import Database

from ledger.core.ids import new_sha256
from ledger.store import history
from ledger.store import digest_scan

EXIT_CODES = {"database": 6, "schema": 7, "hashes": 4, "chain": 5, "spans": 3, "derived": 8, "support": 11}
# A claim row edited behind the ledger's back breaks its history entry too;
# when the edit moved a span off its text, "spans" (3) is the more telling
# code, so spans come before chain: an edited value, note or history entry
# gives 5, an edited span 3, an edited source text 4.
# A changed schema (a dropped trigger, a redefined view, a value of the wrong
# type) comes right after a damaged file: it changes what every other check
# and every reader sees. Derived tables (--deep) come last: they are
# recomputed from the rows the other checks cover.
ORDER = ("database", "schema", "hashes", "spans", "chain", "support", "derived")

DAMAGED = "run `ledger verify --deep` for SQLite's full integrity check, and restore the file from a copy"


@dataclass
class Failure:
    kind: str  # database | schema | hashes | chain | spans | support | derived
    item: str  # the claim id, source id or entry that failed
    message: str

    def line(self) -> str:
        return f"{self.kind}: {self.item}: {self.message}"


# ---------------------------------------------------------------- support


def check_support(db: Database, rowids=None):
    """Every claim's span supports its value (ledger/support.py): a claim
    whose value its span does not give, written behind the ledger's back,
    fails with exit code 11 (when nothing more fundamental failed).
    ``rowids``: only these claims, the ones the pass over the claims left
    unsettled (``check_rows(unsettled=...)``), which ran the cheap test on
    every other."""
    from ledger.core.support import check_ledger

    for cid, message in check_ledger(db, rowids):
        yield Failure("support", cid, message)


# ---------------------------------------------------------------- database


def check_database(db: Database, deep: bool = True):
    """SQLite's view of the file. ``deep``: ``PRAGMA integrity_check`` (every
    page, every index against its table) and ``foreign_key_check`` on every
    table. Otherwise only the references the pass over sources and claims
    does not see: ``foreign_key_check`` on every table but claims (whose
    source and entry that pass checks), and claims.supersedes by its index."""
    if deep:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            for r in rows:
                yield Failure("database", "integrity_check", r)
        checks = [db.execute("PRAGMA foreign_key_check").fetchall()]
    else:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'claims' AND sql LIKE '%REFERENCES%' ORDER BY name"
            )
        ]
        checks = [db.execute(f"PRAGMA foreign_key_check([{t}])").fetchall() for t in tables]
        checks.append(
            db.execute(
                "SELECT 'claims', rowid, 'claims', 0 FROM claims WHERE supersedes IS NOT NULL "
                "AND supersedes NOT IN (SELECT id FROM claims)"
            ).fetchall()
        )
    for rows in checks:
        for table, rowid, parent, _ in rows:
            yield _missing_parent(table, rowid, parent)


def _missing_parent(table, rowid, parent) -> Failure:
    return Failure("database", f"{table} rowid {rowid}", f"refers to a missing row in {parent}")


def _damaged(what: str, e: Exception) -> Failure:
    return Failure("database", what, f"cannot be read ({e}): the file is damaged; {DAMAGED}")


# ---------------------------------------------------------------- one pass over sources and claims


def check_rows(db: Database, columns: dict | None = None, digests: dict | None = None, unsettled: list | None = None):
    """Every source's text against its id (the SHA-256 of its UTF-8 bytes)
    and its stored length; every claim's span, prefix and suffix against its
    source text. With ``columns`` ({table: column list}) and ``digests``
    ({table: history.RowDigests}), the same pass feeds each source and claim
    row's canonical form to its entry's digest, for the chain check. With
    ``unsettled`` (a list), the same pass runs the support check's cheap
    test (``support.evident``) on every claim and appends the rowid of each
    claim it does not settle, for ``check_support`` to assess.

    Claims are read in storage order, and the sources beside them in theirs:
    claims are written a source at a time, after their source, so the two
    scans move together and each text is read once, hashed as stored (bytes)
    and decoded once; a claim whose source lies behind the scan fetches it
    by id. Spans are compared with ``str.startswith`` at the claim's
    offsets, which copies nothing; a claim that fails is read again, to say
    why. (SQL's substr() re-reads a 4 KB text from its overflow pages for
    every claim.)"""
    columns, digests = columns or {}, digests or {}
    src_digest = _digest_sql(db, "sources", columns.get("sources"))
    claim_digest = _digest_sql(db, "claims", columns.get("claims"))
    add_source = digests["sources"].add if src_digest != "NULL" else None
    claim_rows = digests.get("claims") if claim_digest != "NULL" else None
    sources = db.conn.execute(f"SELECT id, slug, length, CAST(text AS BLOB), entry_id, {src_digest}, typeof(text) FROM sources ORDER BY rowid")
    known = {r[0] for r in db.conn.execute("SELECT id FROM sources")}
    passed: set = set()
    failures: list[Failure] = []
    sha256 = new_sha256

    def read_source():
        """The next source in storage order: hash it, digest its row; (id, bytes) or None at the end."""
        row = sources.fetchone()
        if row is None:
            return None
        sid, slug, length, data, eid, digest, stored_as = row
        passed.add(sid)
        if add_source is not None:
            add_source(eid, digest)
        actual = sha256(data).hexdigest()
        if actual != sid:
            failures.append(Failure(
                "hashes", sid, f"source {slug!r}: text hashes to {actual}, expected {sid} (the text was altered)"
            ))
        elif stored_as != "text":  # the same bytes as a BLOB hash alike, but no reader sees a text (audit5)
            failures.append(Failure("hashes", sid, f"source {slug!r}: the text is stored as {stored_as}, not text (altered)"))
        # a text that is not UTF-8 was altered, and fails the hash above
        text = data.decode("utf-8", "replace")
        if actual == sid and length != len(text):
            failures.append(Failure("hashes", sid, f"source {slug!r}: length is {length}, the text has {len(text)} code points"))
        return sid, text

    fetch = db.conn.execute
    held_sid, text = _UNSEEN, None
    cur_eid, parts = _UNSEEN, []
    evident = unsettle = None
    if unsettled is not None:
        from ledger.core.support import evident

        unsettle = unsettled.append
    for rowid, sid, start, end, span, prefix, suffix, eid, digest, value, level in db.conn.execute(
        f"SELECT rowid, source_id, span_start, span_end, span_text, prefix, suffix, "
        f"{'entry_id' if claim_rows is not None else 'NULL'}, {claim_digest}, "
        f"{'value, support' if unsettle is not None else 'NULL, NULL'} FROM claims ORDER BY rowid"
    ):
        if unsettle is not None and not evident(value, span, level):
            unsettle(rowid)
        if claim_rows is not None:
            if eid != cur_eid or len(parts) >= 4096:
                claim_rows.extend(cur_eid, parts)
                cur_eid = eid
            parts.append(digest)
        if sid != held_sid:
            held_sid, text = sid, None
            if sid in known:
                if sid not in passed:  # ahead: read on to it
                    while (got := read_source()) is not None and got[0] != sid:
                        pass
                    text = got[1] if got else None
                if text is None:  # behind the scan: fetch it
                    row = fetch("SELECT CAST(text AS BLOB) FROM sources WHERE id = ?", [sid]).fetchone()
                    text = row[0].decode("utf-8", "replace") if row else None
        try:
            # one comparison of the context and span joined, at the prefix's offset
            if (
                text is not None
                and end - start == len(span)
                and len(prefix) <= start
                and text.startswith(prefix + span + suffix, start - len(prefix))
            ):
                continue
        except TypeError:  # a value of the wrong type (a BLOB span): a finding, below
            pass
        failures.extend(_span_failure(db, rowid, text))
    if claim_rows is not None:
        claim_rows.extend(cur_eid, parts)
    while read_source() is not None:
        pass
    return failures


def _digest_sql(db: Database, table: str, columns) -> str:
    return f"CAST({digest_scan.fast_row_sql(db.conn, table, columns, _types(db, table))} AS BLOB)" if columns else "NULL"


def _span_failure(db: Database, rowid: int, text: str | None):
    """Why the claim at ``rowid`` failed the span check (the slow path)."""
    cid, sid, start, end, span_text, prefix, suffix = db.conn.execute(
        "SELECT id, source_id, span_start, span_end, span_text, prefix, suffix FROM claims WHERE rowid = ?", [rowid]
    ).fetchone()
    wrong = [
        (name, v, want) for name, v, want in (
            ("span_start", start, int), ("span_end", end, int), ("span_text", span_text, str),
            ("prefix", prefix, str), ("suffix", suffix, str),
        ) if not isinstance(v, want)
    ]
    if wrong:
        name, v, want = wrong[0]
        stored = "NULL" if v is None else {bytes: "BLOB", str: "TEXT", int: "INTEGER", float: "REAL"}.get(type(v), "?")
        yield Failure("spans", cid, f"{name} is stored as {stored}, not {'TEXT' if want is str else 'INTEGER'}: "
                      "the row was altered behind the ledger's back")
        return
    if text is None:
        yield _missing_parent("claims", rowid, "sources")
        msg = f"source {sid} is not in the ledger"
    elif end > len(text):
        msg = f"span [{start}:{end}] runs past the end of the source"
    elif text[start:end] != span_text:
        msg = f"span [{start}:{end}] holds {text[start:end]!r} in the source, the claim stores {span_text!r}"
    elif len(prefix) > start or text[start - len(prefix) : start] != prefix:
        msg = f"the stored prefix does not match the text before [{start}:{end}]"
    elif text[end : end + len(suffix)] != suffix:
        msg = f"the stored suffix does not match the text after [{start}:{end}]"
    else:  # only a negative start gets here
        msg = f"span [{start}:{end}] is not a range of the source"
    yield Failure("spans", cid, msg)


def check_hashes(db: Database):
    """Every source's SHA-256 and length (the pass, its source failures)."""
    return [f for f in check_rows(db) if f.kind == "hashes"]


def check_spans(db: Database):
    """Every span, prefix and suffix (the pass, its claim failures)."""
    return [f for f in check_rows(db) if f.kind != "hashes"]


_UNSEEN = object()


def _types(db: Database, table: str) -> dict:
    return {r[1]: (r[2] or "").upper() for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()}


# ---------------------------------------------------------------- the schema


def check_schema(db: Database):
    """Every table, index, trigger and view against what the migrations the
    file records make (ledger/schema_check.py): a dropped trigger, a
    redefined view or an added object is named. Reads only."""
    from ledger.store import schema_check

    for item, message in schema_check.check_schema(db.conn):
        yield Failure("schema", item, message)


# the storage classes a column of each declared type may hold (NULL aside)
_STORAGE = {"TEXT": ("text",), "INTEGER": ("integer",), "REAL": ("real", "integer")}


def check_types(db: Database):
    """Every value of the ledger's own tables has the type its column
    declares: a span stored as a BLOB, or a number as text, is a finding
    (SQLite stores what it is given; the checks that read the value could
    otherwise be misled or fail). One scan per table, reading only the
    record headers (``typeof`` does not load the values)."""
    for table in history.tracked(db) + ("history",):
        checks = []
        for _, name, ctype, *_ in db.execute(f"PRAGMA table_info([{table}])").fetchall():
            allowed = _STORAGE.get((ctype or "").upper())
            if allowed:
                kinds = ", ".join(f"'{k}'" for k in (*allowed, "null"))
                checks.append((name, (ctype or "").upper(), f'typeof("{name}") NOT IN ({kinds})'))
        if not checks:
            continue
        key = "id"
        cols = ", ".join(f'typeof("{n}")' for n, _, _ in checks)
        sql = f"SELECT {key}, {cols} FROM [{table}] WHERE " + " OR ".join(c for _, _, c in checks)
        for row in db.execute(sql):
            for (name, ctype, _), got in zip(checks, row[1:]):
                if got not in _STORAGE[ctype] and got != "null":
                    label = {"sources": "source", "claims": "claim", "claim_events": "event", "reviews": "review", "history": "entry"}[table]
                    yield Failure("schema", f"{label} {row[0]}", f"{table}.{name} holds a {got.upper()} value where the schema declares {ctype}: the row was altered behind the ledger's back")


def check_derived(db: Database):
    """``--deep``: every derived table recomputed from the recorded rows
    (ledger/derived_check.py), in a private copy."""
    from ledger.store import derived_check

    for item, message in derived_check.check_derived(db):
        yield Failure("derived", item, message)


# ---------------------------------------------------------------- the chain


def check_chain(db: Database, head: str | None = None, digested: dict | None = None):
    """The history's hash chain, every row against its entry, claim statuses,
    and (given one) a published head (ledger/history.py). ``digested``: the
    row digests the passes over sources and claims computed."""
    for item, message in history.check_chain(db, head, digested):
        yield Failure("chain", item, message)


def check_checkpoint(db: Database, checkpoint):
    """The history extends the tree a signed checkpoint covers (ledger/tlog.py)."""
    from ledger.store import tlog

    for item, message in tlog.check_consistency(db, checkpoint):
        yield Failure("chain", item, message)


CHECKS = {"database": check_database, "hashes": check_hashes, "chain": check_chain, "spans": check_spans}


# ---------------------------------------------------------------- everything


def verify(db: Database, head: str | None = None, deep: bool = False, timings: dict | None = None, checkpoint=None) -> dict:
    """Run every check; return counts, failures and the exit code they mean.
    ``head``: a head hash published earlier, which must still be in the chain.
    ``deep``: also SQLite's full integrity and foreign-key checks.
    ``timings``: filled with the CPU seconds of each part (for the benchmark).
    ``checkpoint``: a signed checkpoint (``tlog.Checkpoint``) published
    earlier: the history must extend its tree (consistency proof).

    The row digests of the history check are computed on a second connection
    in a thread, beside the pass over hashes and spans (two cores), when the
    ledger is a file, verify opens its own read transaction and
    ``LEDGER_VERIFY_THREADS`` is not 1; otherwise everything runs in one
    pass on ``db``. The results are the same either way."""
    # one snapshot: every check (on both connections) reads the same state,
    # so a write committed meanwhile (an import beside) cannot look like tampering
    history.register_functions(db.conn)
    own = not db.conn.in_transaction
    twin = None
    mapped = _map(db.conn, MMAP_BYTES) if own else None
    if own:
        twin = _twin_reader(db) if _threads() > 1 else None
        if twin is None:
            _begin(db.conn)
    try:
        return _verify(db, head, deep, timings, twin, checkpoint)
    finally:
        if twin is not None:
            twin.close()
        if own and db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if mapped is not None:
            _map(db.conn, mapped)


# Verify reads the ledger's pages through a read-only memory map (SQLite's mmap_size, capped at its
# compile-time limit, 2 GB in most builds): each table is read on two connections, and a mapped page is
# read without a system call and a copy. An I/O error of the disk under the map ends the process
# (SIGBUS) instead of giving an error message, as it would for any program mapping the file.
MMAP_BYTES = 1 << 40


def _map(conn: sqlite3.Connection, size: int) -> int | None:
    """Set ``conn``'s ``PRAGMA mmap_size``; return the previous size (None: not a file, nothing set)."""
    try:
        row = conn.execute("PRAGMA mmap_size").fetchone()  # no row for a database in memory
        if row is not None:
            conn.execute(f"PRAGMA mmap_size = {int(size)}")
        return None if row is None else row[0]
    except sqlite3.Error:
        return None


def _threads() -> int:
    """Threads verify may use: ``LEDGER_VERIFY_THREADS`` (1: one pass, one connection), else 2."""
    try:
        return max(1, int(os.environ.get("LEDGER_VERIFY_THREADS", "2")))
    except ValueError:
        return 2


def _begin(conn: sqlite3.Connection) -> int:
    """Open a read transaction and start its snapshot (in WAL mode a read
    transaction takes its snapshot at its first read); return the
    connection's ``PRAGMA data_version``."""
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn.execute("PRAGMA data_version").fetchone()[0]


def _twin_reader(db: Database, attempts: int = 3) -> sqlite3.Connection | None:
    """Begin ``db``'s read transaction and a second connection's on the same
    snapshot; return the second connection, or None (and neither begun)
    when the ledger is not a file or writes kept landing.

    The twin reads once, then ``db`` begins, then the twin begins. The
    twin's ``PRAGMA data_version`` changes when another connection committed
    between its two reads; when it did not, nothing was committed before
    ``db``'s snapshot began either, so both see the same state. (Comparing
    the history heads would miss a change made behind the ledger's back,
    which opens no entry.)"""
    path = _file_of(db)
    if path is None:
        return None
    try:
        uri = Path(path).as_uri() + "?mode=ro"
        twin = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        twin.execute("PRAGMA busy_timeout = 10000")
        _map(twin, MMAP_BYTES)
        history.register_functions(twin)
    except sqlite3.Error:
        return None
    try:
        for _ in range(attempts):
            before = twin.execute("PRAGMA data_version").fetchone()[0]
            _begin(db.conn)
            if _begin(twin) == before:
                return twin
            twin.execute("ROLLBACK")
            db.conn.execute("ROLLBACK")
    except sqlite3.Error:
        if twin.in_transaction:
            twin.execute("ROLLBACK")
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
    twin.close()
    return None


def _file_of(db: Database) -> str | None:
    """The file behind ``db``'s main database, or None (in memory, a temporary database)."""
    try:
        for _, name, path in db.conn.execute("PRAGMA database_list"):
            if name == "main":
                return path or None
    except sqlite3.Error:
        pass
    return None


class _Digester(threading.Thread):
    """The row digests of sources and claims, on the twin connection."""

    def __init__(self, twin: sqlite3.Connection, columns: dict, types: dict):
        super().__init__(name="ledger-verify-digests", daemon=True)
        self.twin, self.columns, self.types = twin, columns, types
        self.digested: dict = {}
        self.error: Exception | None = None
        self.cpu = 0.0  # this thread's CPU seconds

    def run(self):
        t = time.thread_time()
        try:
            for table, cols in self.columns.items():
                try:
                    self.digested[table] = digest_scan.digest_table(self.twin, table, cols, self.types[table])
                except sqlite3.OperationalError:  # a column the entries list is gone: the chain check names it
                    pass
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            self.error = e
        self.cpu = time.thread_time() - t


def _verify(db: Database, head, deep: bool, timings, twin=None, checkpoint=None) -> dict:
    found: dict[str, list[Failure]] = {k: [] for k in ORDER}
    clock = _Clock(timings)

    def collect(check, what: str):
        try:
            for f in check():
                found[f.kind].append(f)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as e:
            found["database"].append(_damaged(what, e))
            return False
        return True

    collect(lambda: check_database(db, deep), "the schema")
    clock.lap("database (integrity_check, foreign keys)" if deep else "database (references)")
    collect(lambda: check_schema(db), "the schema")
    if deep:  # a scan of every table (more than the span scan costs at 10k claims); the default
        # pass reports a value of the wrong type where it reads one (a span, a digest), never crashing on it
        collect(lambda: check_types(db), "the ledger's tables")
    clock.lap("schema" + (" and value types" if deep else ""))
    try:
        bodies = history.read_chain(db)[1]
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError:
        bodies = {}  # the chain check below reports the damage
    columns = {t: history.digest_columns(db, t, bodies) for t in ("sources", "claims")}
    unsettled: list = []  # the claims whose support the pass leaves to check_support
    if twin is not None:
        worker = _Digester(twin, {t: c for t, c in columns.items() if c}, {t: _types(db, t) for t in columns})
        worker.start()
        t = time.thread_time()
        try:
            ok = collect(lambda: check_rows(db, unsettled=unsettled), "the sources or claims table")
        finally:
            worker.join()  # before the twin is closed, whatever happened here
        main_cpu = time.thread_time() - t
        if timings is not None:
            timings["(main thread: hashes + spans)"] = main_cpu
            timings["(second thread: row digests)"] = worker.cpu
        if worker.error is not None:
            ok = collect(lambda: _raise(worker.error), "the sources or claims table") and ok
        digested = worker.digested if ok else {}
    else:
        digests = {t: history.RowDigests() for t, cols in columns.items() if cols}
        try:
            ok = collect(lambda: check_rows(db, columns, digests, unsettled), "the sources or claims table")
        except sqlite3.OperationalError:  # a column the entries list is gone: the chain check names it
            digests, unsettled = {}, []
            ok = collect(lambda: check_rows(db, unsettled=unsettled), "the sources or claims table")
        digested = {t: d.result() for t, d in digests.items()} if ok else {}
    named = digested.get("claims")
    if named is None or any(e is not None and e not in bodies for e in named):
        # claims.entry_id is a foreign key too: the pass saw every entry id
        # the claims name, and looks rows up only when one is not in the history
        collect(lambda: (
            _missing_parent("claims", rowid, "history")
            for (rowid,) in db.execute(
                "SELECT rowid FROM claims WHERE entry_id IS NOT NULL AND entry_id NOT IN (SELECT id FROM history)"
            )
        ), "the claims table")
    clock.lap("sources + claims: hashes, spans, row digests" + (" (both threads)" if twin is not None else ""))
    collect(lambda: check_chain(db, head, digested), "the history")
    if checkpoint is not None:
        collect(lambda: check_checkpoint(db, checkpoint), "the history")
    clock.lap("chain")
    # the pass ran the cheap test on every claim unless it stopped on a damaged page: then all are assessed
    collect(lambda: check_support(db, unsettled if ok else None), "the claims table")
    clock.lap("support (issue 14)")
    if deep:
        collect(lambda: check_derived(db), "the derived tables")
        clock.lap("derived tables (recomputed)")
    counts = {
        "sources": db.execute("SELECT count(*) FROM sources").fetchone()[0],
        "claims": db.execute("SELECT count(*) FROM claims").fetchone()[0],
        "entries": db.execute("SELECT count(*) FROM history").fetchone()[0],
    }
    counts["head"] = (history.head(db) or {}).get("hash")
    failures = list({(f.kind, f.item, f.message): f for k in ORDER for f in found[k]}.values())
    first = next((k for k in ORDER if found[k]), None)
    return {
        "ok": not failures,
        "exit_code": EXIT_CODES[first] if first else 0,
        "deep": deep,
        "checked": counts,
        "failures": [asdict(f) for f in failures],
    }


def _raise(e: Exception):
    raise e


class _Clock:
    def __init__(self, timings: dict | None):
        self.timings = timings
        self.t = time.process_time()

    def lap(self, name: str) -> None:
        if self.timings is not None:
            now = time.process_time()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
            self.t = now
