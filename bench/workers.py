"""Measured steps, each run in its own process by ``bench.run`` (one JSON line out).

    python -m bench.workers import-ledger DB FILE...      ledger import, timed
    python -m bench.workers insert-baseline DB ROWS_DB    plain insert_all of the same rows
    python -m bench.workers build DB SOURCES CLAIMS       ledger build, timed
    python -m bench.workers verify DB REPEAT              verify vs a bare substr() scan

``--profile OUT.html`` (before the step name) writes a pyinstrument profile of the step.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time

from bench.timing import maxrss_mb

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
    from ledger.db import open_db
    from ledger.ingest import import_files

    db = open_db(db_path)
    t = time.perf_counter()
    with profiled(profile):
        result = import_files(db, files)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "maxrss_mb": maxrss_mb(), "added": result.added, "claims": result.claims}


def insert_baseline(db_path: str, rows_db: str, mode: str = "same-schema", profile=None) -> dict:
    """sqlite-utils insert_all of the rows ``rows_db`` holds, inside one db.atomic()."""
    import sqlite3

    from ledger.db import open_db

    src = sqlite3.connect(rows_db)
    cur = src.execute("SELECT * FROM claims ORDER BY rowid")
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()  # loaded before the clock starts
    src.close()
    db = open_db(db_path)
    if mode == "no-indexes":
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'claims' AND sql IS NOT NULL"
        ).fetchall():
            db.execute(f"DROP INDEX [{name}]")
    before = maxrss_mb()
    t = time.perf_counter()
    with profiled(profile):
        with db.atomic():
            db["claims"].insert_all(dict(zip(cols, r)) for r in rows)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": len(rows), "maxrss_mb": maxrss_mb(), "rss_before_mb": before}


def build(db_path: str, sources: str, claims: str, profile=None) -> dict:
    from ledger.db import open_db
    from ledger.ingest import build as run_build

    db = open_db(db_path)
    t = time.perf_counter()
    with profiled(profile):
        r = run_build(db, sources, claims)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "maxrss_mb": maxrss_mb(),
        "sources_added": r.sources_added,
        "added": r.added,
        "skipped_files": len(r.skipped_files),
    }


def verify(db_path: str, repeat: str = "3", profile=None) -> dict:
    from ledger.db import open_db
    from ledger import verify as v

    db = open_db(db_path, create=False)
    n = int(repeat)

    def scan():
        return db.execute(SUBSTR_SCAN_SQL).fetchone()[0]

    scan()  # warm the page cache for both sides alike
    base, full, parts = [], [], {}
    for _ in range(n):
        t = time.perf_counter()
        bad = scan()
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        with profiled(profile):
            report = v.verify(db)
        full.append(time.perf_counter() - t)
    for kind in v.ORDER:
        check = v.CHECKS.get(kind)
        if check:
            t = time.perf_counter()
            list(check(db))
            parts[kind] = time.perf_counter() - t
    base.sort()
    full.sort()
    return {
        "baseline_seconds": base[len(base) // 2],
        "seconds": full[len(full) // 2],
        "parts": parts,
        "ok": report["ok"],
        "baseline_bad": bad,
        "claims": report["checked"]["claims"],
    }


STEPS = {
    "import-ledger": import_ledger,
    "insert-baseline": insert_baseline,
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
