"""Measured steps, each run in its own process by ``bench.run`` (one JSON line out).

    python -m bench.workers import-ledger DB FILE...      ledger import, timed
    python -m bench.workers insert-baseline DB ROWS_DB    plain insert_all of the same rows
    python -m bench.workers insert-claims-baseline DB ROWS_DB   insert_all of the claim rows alone (issue 19)
    python -m bench.workers size DB                      bytes per claim beyond the source text, by table
    python -m bench.workers build DB SOURCES CLAIMS       ledger build, timed
    python -m bench.workers verify DB REPEAT              verify vs a bare substr() scan

``--profile OUT.html`` (before the step name) writes a pyinstrument profile of the step.
"""

from __future__ import annotations

import contextlib
import json
import sys

from bench.timing import Clock, maxrss_mb, median

# The bare scan `ledger verify` is compared to: recompute every span with substr().
SUBSTR_SCAN_SQL = """
SELECT count(*) FROM claims c JOIN sources s ON s.id = c.source_id
WHERE substr(s.text, c.span_start + 1, c.span_end - c.span_start) != c.span_text
"""


@contextlib.contextmanager
def profiled(path: str | None):
    if not path:
        yield
        return
    from pyinstrument import Profiler

    p = Profiler(interval=0.002)
    p.start()
    try:
        yield
    finally:
        p.stop()
        with open(path, "w") as f:
            f.write(p.output_html())
        with open(path.rsplit(".", 1)[0] + ".txt", "w") as f:
            f.write(p.output_text(unicode=True, color=False, show_all=False))


def import_ledger(db_path: str, *files: str, profile=None) -> dict:
    from ledger.store.db import open_db
    from ledger.services.ingest import import_files

    db = open_db(db_path)
    c = Clock()
    with profiled(profile):
        result = import_files(db, files)
    return {**c.stop(), "maxrss_mb": maxrss_mb(), "added": result.added, "claims": result.claims}


# tables rewritten in place rather than appended to (the facet counts and the
# watermarks), and the FTS tables (filled by triggers): left to the schema
TRIGGER_FILLED = {"facet_counts", "compare_state"}


def insert_baseline(db_path: str, rows_db: str, mode: str = "same-schema", profile=None) -> dict:
    """sqlite-utils insert_all, inside one db.atomic(), of every row the ledger
    import added (``rows_db`` is the imported ledger, ``db_path`` a copy of the
    ledger it started from): the same final rows into the same schema."""
    import sqlite3

    from ledger.store.db import open_db

    db = open_db(db_path)
    src = sqlite3.connect(rows_db)
    tables = [
        r[0]
        for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if "_fts" not in r[0] and not r[0].startswith(("sqlite_", "_sqlite")) and r[0] not in TRIGGER_FILLED
    ]
    # the hash chain first, then claims, then what is derived from them
    tables.sort(key=lambda t: (t != "history", t != "claims", t))
    loaded = []
    for t in tables:
        try:
            have = db.execute(f"SELECT coalesce(max(rowid), 0) FROM [{t}]").fetchone()[0]
        except sqlite3.OperationalError:  # WITHOUT ROWID: compare by primary key
            pks = [c.name for c in db[t].columns if c.is_pk]
            held = {tuple(r) for r in db.execute(f"SELECT {', '.join(pks)} FROM [{t}]").fetchall()}
            cur = src.execute(f"SELECT * FROM [{t}]")
            cols = [d[0] for d in cur.description]
            idx = [cols.index(k) for k in pks]
            rows = [r for r in cur.fetchall() if tuple(r[i] for i in idx) not in held]
        else:
            cur = src.execute(f"SELECT * FROM [{t}] WHERE rowid > ? ORDER BY rowid", [have])
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()  # loaded before the clock starts
        if rows:
            loaded.append((t, cols, rows))
    src.close()
    if mode == "no-indexes":
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'claims' AND sql IS NOT NULL"
        ).fetchall():
            db.execute(f"DROP INDEX [{name}]")
    c = Clock()
    with profiled(profile):
        with db.atomic():
            for t, cols, rows in loaded:
                db[t].insert_all(dict(zip(cols, r)) for r in rows)
    return {
        **c.stop(),
        "rows": sum(len(r) for _, _, r in loaded),
        "tables": {t: len(r) for t, _, r in loaded},
        "maxrss_mb": maxrss_mb(),
    }


CLAIM_COLUMNS = ("id", "source", "subject", "predicate", "value", "quote", "span_start", "span_end", "confidence")


def insert_claims_baseline(db_path: str, rows_db: str, profile=None) -> dict:
    """The import baseline of the layered-core issue (../shared/BASELINES.md):
    the same claim rows as plain columns (id, source, subject, predicate,
    value, quote, span_start, span_end, confidence) into a fresh file with a
    table created by sqlite-utils and 3 indexes (source; subject + predicate;
    value), ``insert_all(rows, batch_size=1000)`` inside one ``db.atomic()``;
    CPU time of the insert alone. ``rows_db`` is the imported ledger (its
    claims are the rows); the pragmas are the ledger's (WAL, synchronous=FULL)."""
    import sqlite3

    from sqlite_utils import Database

    src = sqlite3.connect(rows_db)
    rows = [
        dict(zip(CLAIM_COLUMNS, r))
        for r in src.execute(
            "SELECT c.id, s.slug, c.subject, c.predicate, c.value, c.quote, c.span_start, c.span_end, c.confidence "
            "FROM claims c JOIN sources s ON s.id = c.source_id ORDER BY c.rowid"
        )
    ]
    src.close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    db = Database(conn)
    db["claims"].create(
        {"id": str, "source": str, "subject": str, "predicate": str, "value": str, "quote": str,
         "span_start": int, "span_end": int, "confidence": float},
    )  # no primary key: a rowid table, as BASELINES.md measured it (its 3 indexes are the only ones)
    db["claims"].create_index(["source"])
    db["claims"].create_index(["subject", "predicate"])
    db["claims"].create_index(["value"])
    c = Clock()
    with profiled(profile):
        with db.atomic():
            db["claims"].insert_all(rows, batch_size=1000)
    out = {**c.stop(), "rows": len(rows), "maxrss_mb": maxrss_mb()}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    import os

    out["file_bytes"] = os.path.getsize(db_path)
    return out


def size(db_path: str, profile=None) -> dict:
    """Where the bytes of a ledger go: the file's size, the source texts'
    UTF-8 bytes, and every table's and index's pages (SQLite's dbstat),
    per claim."""
    import os
    import sqlite3

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    claims = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    text = conn.execute("SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) FROM sources").fetchone()[0]
    objects = {}
    for name, tbl, pages in conn.execute(
        "SELECT d.name, coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
        "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY d.name ORDER BY 3 DESC"
    ):
        objects[name] = {"table": tbl, "bytes": pages}
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    file_bytes = os.path.getsize(db_path)
    return {
        "claims": claims,
        "file_bytes": file_bytes,
        "source_text_bytes": text,
        "free_bytes": free,
        "bytes_per_claim_beyond_text": (file_bytes - text) / claims if claims else None,
        "objects": objects,
    }


def build(db_path: str, sources: str, claims: str, profile=None) -> dict:
    from ledger.store.db import open_db
    from ledger.services.ingest import build as run_build

    db = open_db(db_path)
    c = Clock()
    with profiled(profile):
        r = run_build(db, sources, claims)
    return {
        **c.stop(),
        "maxrss_mb": maxrss_mb(),
        "sources_added": r.sources_added,
        "added": r.added,
        "skipped_files": len(r.skipped_files),
    }


def verify(db_path: str, repeat: str = "3", profile=None) -> dict:
    """``ledger verify`` (the default: one pass over sources and claims with
    the row digests on a second connection in a thread, then the chain)
    against the bare substr() scan, each timed ``repeat`` times: the median
    wall clock and the median CPU time (verify's counts both its threads).
    Beside it: verify on one thread (``LEDGER_VERIFY_THREADS=1``), each
    part's CPU time from the last run, and one ``--deep`` run."""
    import os

    from ledger.store.db import open_db
    from ledger.services import verify as v

    db = open_db(db_path, create=False)
    n = int(repeat)

    def scan():
        return db.execute(SUBSTR_SCAN_SQL).fetchone()[0]

    def one_thread():
        os.environ["LEDGER_VERIFY_THREADS"] = "1"
        try:
            return v.verify(db)
        finally:
            del os.environ["LEDGER_VERIFY_THREADS"]

    os.environ.pop("LEDGER_VERIFY_THREADS", None)
    scan()  # warm the page cache for both sides alike
    base, full, single, critical = [], [], [], []
    for _ in range(n):
        c = Clock()
        bad = scan()
        base.append(c.stop())
        parts: dict = {}
        c = Clock()
        with profiled(profile):
            report = v.verify(db, timings=parts)
        full.append(c.stop())
        # the CPU time on the longer of the two threads' paths: verify's wall
        # clock on two free cores, were the threads never to wait for each other
        w, m = parts.get("(second thread: row digests)", 0.0), parts.get("(main thread: hashes + spans)", 0.0)
        critical.append(full[-1]["cpu"] - w + max(0.0, w - m))
        c = Clock()
        one = one_thread()
        single.append(c.stop())
    db.execute("BEGIN")  # as verify() does
    c = Clock()
    v.check_rows(db)
    parts["(the pass without row digests: hashes + spans alone)"] = c.stop()["cpu"]
    db.execute("ROLLBACK")
    c = Clock()
    deep = v.verify(db, deep=True)
    parts["with --deep, in all"] = c.stop()["cpu"]
    return {
        **medians(full),
        **{"baseline_" + k: v for k, v in medians(base).items()},
        **{"one_thread_" + k: v for k, v in medians(single).items()},
        "critical_path_cpu": sorted(critical)[len(critical) // 2],
        "runs": {"verify": full, "baseline": base, "one_thread": single},
        "parts": parts,
        "ok": report["ok"] and deep["ok"] and one["ok"],
        "same_as_one_thread": report == one,
        "baseline_bad": bad,
        "claims": report["checked"]["claims"],
    }


def medians(runs: list[dict]) -> dict:
    """The median wall clock and the median CPU time of ``runs`` (each on its own)."""
    walls, cpus = sorted(r["seconds"] for r in runs), sorted(r["cpu"] for r in runs)
    return {"seconds": walls[len(walls) // 2], "cpu": cpus[len(cpus) // 2]}


def verify_parts(db_path: str, checks: str = "pass,pass-without-digests,references,database", profile=None) -> dict:
    """Each part of verify on its own beside the bare substr() scan, counting
    failures instead of keeping them (for a replicated ledger, whose copied
    sources fail the hash check and whose rows fail their entries by design,
    so the chain comparison is left out): ``pass`` is the one pass over
    sources and claims with the row digests (``pass-without-digests``: its
    hashes and spans alone), ``references`` the default's
    foreign-key checks, ``database`` the --deep integrity check."""
    from ledger.store import history
    from ledger.services import verify as v
    from ledger.store.db import open_db

    db = open_db(db_path, create=False, migrate=False)
    db.execute(SUBSTR_SCAN_SQL).fetchone()  # warm the page cache for both sides alike
    c = Clock()
    bad = db.execute(SUBSTR_SCAN_SQL).fetchone()[0]
    out = {"baseline": c.stop(), "baseline_bad": bad}

    def one_pass():
        bodies = history.read_chain(db)[1]
        columns = {t: history.digest_columns(db, t, bodies) for t in ("sources", "claims")}
        digests = {t: history.RowDigests() for t, cols in columns.items() if cols}
        failures = v.check_rows(db, columns, digests)
        for d in digests.values():
            d.result()
        return failures

    parts = {"pass": one_pass, "pass-without-digests": lambda: v.check_rows(db),
             "references": lambda: v.check_database(db, deep=False),
             "database": lambda: v.check_database(db, deep=True)}
    for kind in checks.split(","):
        c = Clock()
        failures = sum(1 for _ in parts[kind]())
        out[kind] = {**c.stop(), "failures": failures}
    out["claims"] = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    return out


GROUP_BY_SQL = """
SELECT subject, predicate, count(*), count(DISTINCT value), count(DISTINCT source_id)
FROM claims GROUP BY subject, predicate
"""


def compare(db_path: str, repeat: str = "3", profile=None) -> dict:
    """The comparison of every fact group against a plain GROUP BY: its
    classification (``ledger compare --summary``), the full report with every
    claim (``ledger compare --json``), and recomputing it all (``--rebuild``)."""
    from ledger.store import compare as comparison
    from ledger.store.db import open_db, write_transaction

    db = open_db(db_path, create=False)
    n = int(repeat)
    db.execute(GROUP_BY_SQL).fetchall()  # warm the page cache for both sides alike
    sum(1 for _ in comparison.iter_compare(db, members=False))
    base, summary, full = [], [], []
    for _ in range(n):
        c = Clock()
        groups = len(db.execute(GROUP_BY_SQL).fetchall())
        base.append(c.stop())
        c = Clock()
        facts = sum(1 for _ in comparison.iter_compare(db, members=False))
        summary.append(c.stop())
    c = Clock()
    members = sum(len(f["members"]) for f in comparison.iter_compare(db))
    full.append(c.stop())
    c = Clock()
    with profiled(profile):
        with write_transaction(db):
            comparison.refresh(db, full=True)
    refresh = c.stop()
    return {
        **{"baseline_" + k: v for k, v in median(base).items()},
        **{"read_" + k: v for k, v in median(summary).items()},
        **{"full_" + k: v for k, v in median(full).items()},
        **{"refresh_" + k: v for k, v in refresh.items()},
        "groups": facts,
        "members": members,
        "baseline_groups": groups,
        "claims": db.execute("SELECT count(*) FROM claims").fetchone()[0],
        "maxrss_mb": maxrss_mb(),
    }


STEPS = {
    "verify-parts": verify_parts,
    "compare": compare,
    "import-ledger": import_ledger,
    "insert-baseline": insert_baseline,
    "insert-claims-baseline": insert_claims_baseline,
    "size": size,
    "build": build,
    "verify": verify,
}


def main(argv):
    profile = None
    if argv and argv[0] == "--profile":
        profile, argv = argv[1], argv[2:]
    step, args = argv[0], argv[1:]
    out = STEPS[step](*args, profile=profile)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
