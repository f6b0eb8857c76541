"""Issue 15's tamper battery: random single-row or single-object tamperings of
a ledger, each on a fresh copy, each checked by `ledger verify`; and clean
ledgers (the same ledger after random legitimate writes) that must pass.

    python -m bench.tamper DB [--tamperings 1000] [--clean 100] [--seed 15] [--json OUT]

DB is a built ledger (bench.run's import.db at --scale small is 10k claims);
reviews and retractions are added first through the library, so every kind of
row is there to tamper with. Categories: a row of sources, claims,
claim_events, reviews or history changed, deleted or duplicated; a view
redefined; a trigger dropped; an index dropped or redefined; a row of a
derived table (facts, claim_values, source_shingles, facet_counts, the FTS
data) changed or deleted. Row, schema and review tamperings are checked by
the default verify; derived-table tamperings by the --deep derived-table
check (``verify.check_derived``, the part of --deep that covers them).
Each tampering is confirmed effective (a row or the schema really changed)
before it counts. Slow: about 0.3 s per tampering at 10k claims; not part of
the test run (tests/test_tamper_evidence.py holds a quick version).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROW_TABLES = ("sources", "claims", "claim_events", "reviews", "history")
DERIVED = ("facts", "claim_values", "source_shingles", "facet_counts", "claims_fts_data")


def prepare(src: Path, dst: Path, seed: int) -> Path:
    """A copy of ``src`` with 50 reviews and 20 retractions (fewer on a small ledger) recorded through the library."""
    from ledger.store import history
    from ledger.services import claimreview
    from ledger.store.db import open_db, write_transaction
    from ledger.store.shape import ensure_shape

    shutil.copyfile(src, dst)
    rng = random.Random(seed)
    db = open_db(dst)
    ids = [r[0] for r in db.execute("SELECT id FROM claims ORDER BY rowid")]
    k = min(70, len(ids) // 2)
    for i, cid in enumerate(rng.sample(ids, k)):
        if i < k * 5 // 7:
            row = claimreview.make_review(db, claim=cid, rating=rng.choice(["False", "True", "Misleading"]),
                                          reviewer="Bench Fact Check", url=f"https://factcheck.example.org/{i}",
                                          date="2026-12-01", recorded_at="2026-12-01T00:00:00+00:00",
                                          rating_value=float(rng.randint(1, 5)), best_rating=5.0, worst_rating=1.0)
            with write_transaction(db):
                claimreview.add_review(db, row)
        else:
            with write_transaction(db), history.entry(db, "retract", actor="bench", at="2026-12-01T00:00:00+00:00",
                                                      reason="bench", always=True):
                history.retract(db, cid, reason="bench", actor="bench", at="2026-12-01T00:00:00+00:00")
                ensure_shape(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return dst


def _triggers(conn):
    return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()


def _schema(conn):
    return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr)


def _change(v, rng):
    if v is None:
        return rng.choice([0, "x"])
    if isinstance(v, float):
        return math.nextafter(v, math.inf) if rng.random() < 0.5 else v + 0.01
    if isinstance(v, int):
        return v + rng.choice([-1, 1])
    if isinstance(v, bytes):
        return v + b"x"
    if v and rng.random() < 0.5:  # one character changed, the length kept
        i = rng.randrange(len(v))
        return v[:i] + ("X" if v[i] != "X" else "Y") + v[i + 1 :]
    return v + " "


KINDS = ("row", "row", "row", "review", "view", "trigger", "index", "derived")


def tamper(conn: sqlite3.Connection, rng: random.Random, triggers: list[str], kinds=KINDS) -> tuple[str, str, bool]:
    """One random tampering (the triggers, named in ``triggers``, are dropped
    meanwhile); (category, description, derived?)."""
    kind = rng.choice(kinds)
    if kind in ("row", "review"):
        table = "reviews" if kind == "review" else rng.choice(ROW_TABLES)
        n = conn.execute(f"SELECT max(rowid) FROM [{table}]").fetchone()[0] or 0
        rowid = rng.randint(1, n)
        how = rng.choice(["update", "update", "delete", "duplicate"])
        if how == "update":
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[1] not in ("rowid",)]
            col = rng.choice(cols)
            v = conn.execute(f'SELECT "{col}" FROM [{table}] WHERE rowid = ?', [rowid]).fetchone()
            if v is None:
                return kind, "no row", False
            conn.execute(f'UPDATE [{table}] SET "{col}" = ? WHERE rowid = ?', [_change(v[0], rng), rowid])
            return kind, f"{table}.{col} of rowid {rowid} changed", False
        if how == "delete":
            conn.execute(f"DELETE FROM [{table}] WHERE rowid = ?", [rowid])
            return kind, f"{table} rowid {rowid} deleted", False
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
        pk = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[5]]
        sel = ", ".join(f"'{_fresh(rng)}'" if c in pk and table != "history" else
                        (f"(SELECT max(id) + 1 FROM [{table}])" if c in pk else f'"{c}"') for c in cols)
        conn.execute(f"INSERT INTO [{table}] ({', '.join(chr(34) + c + chr(34) for c in cols)}) SELECT {sel} FROM [{table}] WHERE rowid = ?", [rowid])
        return kind, f"{table} rowid {rowid} duplicated under a new id", False
    if kind == "view":
        name, sql = rng.choice(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
        conn.execute(f'DROP VIEW "{name}"')
        body = sql.split(" AS ", 1)[1]
        conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM ({body}) LIMIT -1 OFFSET {rng.randint(1, 3)}')
        return kind, f"view {name} redefined", False
    if kind == "trigger":
        name = rng.choice(triggers)  # already dropped: it is not put back
        return kind, f"trigger {name} dropped", False
    if kind == "index":
        name, tbl, sql = rng.choice(conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall())
        conn.execute(f'DROP INDEX "{name}"')
        if rng.random() < 0.5:
            col = rng.choice([r[1] for r in conn.execute(f"PRAGMA table_info([{tbl}])")])
            conn.execute(f'CREATE INDEX "{name}" ON [{tbl}] ("{col}")')
            return kind, f"index {name} redefined", False
        return kind, f"index {name} dropped", False
    table = rng.choice(DERIVED)
    n = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
    if not n:
        return kind, "empty", True
    off = rng.randrange(n)
    if table == "facet_counts":
        conn.execute("UPDATE facet_counts SET count = count + 1 WHERE (tbl, col, value) IN "
                     "(SELECT tbl, col, value FROM facet_counts WHERE count > 0 LIMIT 1 OFFSET ?)", [off % max(1, n)])
        return kind, "a facet count changed", True
    if table == "source_shingles":
        conn.execute("DELETE FROM source_shingles WHERE (hash, source) IN (SELECT hash, source FROM source_shingles LIMIT 1 OFFSET ?)", [off])
        return kind, "a shingle deleted", True
    if table == "claims_fts_data":
        conn.execute("DELETE FROM claims_fts_data WHERE id = (SELECT id FROM claims_fts_data WHERE id > 10 LIMIT 1 OFFSET ?)", [off % max(1, n - 20)])
        return kind, "a full-text index block deleted", True
    key = "fact_key" if table == "facts" else "rowid"
    if rng.random() < 0.5:
        conn.execute(f"DELETE FROM [{table}] WHERE {key} = (SELECT {key} FROM [{table}] LIMIT 1 OFFSET ?)", [off])
        return kind, f"a {table} row deleted", True
    col = rng.choice([r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[1] not in ("fact_key",)])
    v = conn.execute(f'SELECT "{col}", {key} FROM [{table}] LIMIT 1 OFFSET ?', [off]).fetchone()
    conn.execute(f'UPDATE [{table}] SET "{col}" = ? WHERE {key} = ?', [_change(v[0], rng), v[1]])
    return kind, f"{table}.{col} changed", True


def _fresh(rng):
    return "c" + "".join(rng.choice("0123456789abcdef") for _ in range(16))


def load(path: Path) -> sqlite3.Connection:
    """The ledger at ``path`` in memory: each tampering starts from a copy of it."""
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    src = sqlite3.connect(path)
    src.backup(mem)
    src.close()
    return mem


def _copy(pristine) -> sqlite3.Connection:
    if isinstance(pristine, sqlite3.Connection):
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        pristine.backup(conn)
        return conn
    return sqlite3.connect(pristine, isolation_level=None, check_same_thread=False)


def run_one(pristine, work: Path | None, rng: random.Random, kinds=KINDS):
    """One tampering of a copy of ``pristine`` (a path, copied to ``work``, or an in-memory ledger), then verify."""
    from sqlite_utils import Database

    from ledger.services import verify

    if not isinstance(pristine, sqlite3.Connection):
        shutil.copyfile(pristine, work)
        pristine = work
    conn = _copy(pristine)
    before_schema = _schema(conn)
    kind, what, derived = "?", "?", False
    try:
        trig = _triggers(conn)
        conn.execute("BEGIN")
        for name, _ in trig:
            conn.execute(f'DROP TRIGGER "{name}"')
        changes = conn.total_changes
        kind, what, derived = tamper(conn, rng, [n for n, _ in trig], kinds)
        effective = conn.total_changes > changes
        dropped = what.split()[1] if kind == "trigger" else None
        for name, sql in trig:  # the triggers back as they were, but the one dropped on purpose
            if name != dropped:
                conn.execute(sql)
        conn.execute("COMMIT")
        effective = effective or _schema(conn) != before_schema
    except sqlite3.DatabaseError as e:  # a tampering SQLite refuses (a constraint): not counted
        conn.close()
        return None if kind == "?" else {"kind": kind, "what": f"{what} (refused: {e})", "effective": False}
    if not effective:
        conn.close()
        return {"kind": kind, "what": what, "effective": False}
    db = Database(conn)
    t = time.perf_counter()
    if derived:
        found = [f.line() for f in verify.check_derived(db)]
    else:
        report = verify.verify(db)
        found = [f"{f['kind']}: {f['item']}: {f['message']}" for f in report["failures"]]
    conn.close()
    return {"kind": kind, "what": what, "effective": True, "caught": bool(found), "first": found[:1],
            "seconds": time.perf_counter() - t}


def clean_run(pristine, work: Path | None, rng: random.Random, deep: bool):
    """The ledger after 1-3 random legitimate writes (a review, a retraction) must verify."""
    from sqlite_utils import Database

    from ledger.services import verify
    from ledger.store import history
    from ledger.services import claimreview
    from ledger.store.db import write_transaction
    from ledger.store.shape import ensure_shape

    if not isinstance(pristine, sqlite3.Connection):
        shutil.copyfile(pristine, work)
        pristine = work
    db = Database(_copy(pristine))
    db.conn.execute("PRAGMA foreign_keys = ON")
    for _ in range(rng.randint(1, 3)):
        cid = rng.choice([r[0] for r in db.execute("SELECT id FROM current_claims LIMIT 500")])
        if rng.random() < 0.5:
            row = claimreview.make_review(db, claim=cid, rating="False", reviewer="Clean", url="https://example.org/r",
                                          date="2026-12-02", recorded_at=f"2026-12-02T00:00:{rng.randint(10, 59)}+00:00",
                                          # a whole-number scale (Google's ClaimReview rules, issue 20), stored as REAL
                                          rating_value=float(rng.randint(1, 5)), best_rating=5.0, worst_rating=1.0)
            with write_transaction(db):
                claimreview.add_review(db, row)
        else:
            with write_transaction(db), history.entry(db, "retract", actor="clean", at="2026-12-02T00:00:00+00:00",
                                                      reason="clean", always=True):
                history.retract(db, cid, reason="clean", actor="clean", at="2026-12-02T00:00:00+00:00")
                ensure_shape(db)
    report = verify.verify(db, deep=deep)
    db.close()
    return {"ok": report["ok"], "deep": deep, "failures": report["failures"][:2]}


def battery(pristine, rng, n: int, kinds, log) -> tuple[list, list]:
    results, missed = [], []
    while sum(1 for r in results if r["effective"]) < n:
        r = run_one(pristine, None, rng, kinds)
        if r is None:
            continue
        results.append(r)
        if r["effective"] and not r["caught"]:
            missed.append(r)
            log(f"MISSED: {r['kind']}: {r['what']}")
        k = sum(1 for x in results if x["effective"])
        if r["effective"] and k % 100 == 0:
            log(f"  {k} tamperings, {k - len(missed)} caught")
    return results, missed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--tamperings", type=int, default=1000, help="Row, review, view, trigger and index tamperings")
    ap.add_argument("--derived", type=int, default=100, help="Derived-table tamperings (checked by the --deep recomputation)")
    ap.add_argument("--derived-db", help="The ledger the derived tamperings are made on (default: DB)")
    ap.add_argument("--clean", type=int, default=100)
    ap.add_argument("--deep-clean", type=int, default=0, help="Clean ledgers also checked with --deep")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--work", default="/tmp/ledger-tamper")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", flush=True)

    pristine = load(prepare(Path(args.db), work / "pristine.db", args.seed))
    claims = pristine.execute("SELECT count(*) FROM claims").fetchone()[0]
    log(f"pristine ledger: {claims:,} claims, in memory")
    results, missed = battery(pristine, rng, args.tamperings, KINDS[:-1], log)
    d_pristine = load(prepare(Path(args.derived_db), work / "derived.db", args.seed)) if args.derived_db else pristine
    d_claims = d_pristine.execute("SELECT count(*) FROM claims").fetchone()[0]
    log(f"derived tamperings on a ledger of {d_claims:,} claims")
    d_results, d_missed = battery(d_pristine, rng, args.derived, ("derived",), log)
    eff = [r for r in results + d_results if r["effective"]]
    by_kind = {}
    for r in eff:
        k = by_kind.setdefault(r["kind"], {"tamperings": 0, "caught": 0})
        k["tamperings"] += 1
        k["caught"] += r["caught"]
    log("clean ledgers")
    clean = [clean_run(pristine, None, rng, deep=False) for _ in range(args.clean)]
    clean += [clean_run(d_pristine, None, rng, deep=True) for _ in range(args.deep_clean)]
    false_alarms = [c for c in clean if not c["ok"]]
    out = {
        "claims": claims,
        "derived_ledger_claims": d_claims,
        "tamperings": len(eff),
        "caught": len(eff) - len(missed) - len(d_missed),
        "not_effective_skipped": len(results) + len(d_results) - len(eff),
        "by_kind": by_kind,
        "missed": missed + d_missed,
        "clean_ledgers": len(clean),
        "clean_deep": args.deep_clean,
        "false_alarms": len(false_alarms),
        "false_alarm_examples": false_alarms[:3],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps({k: v for k, v in out.items() if k != "missed"}, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0 if not out["missed"] and not false_alarms else 1


if __name__ == "__main__":
    sys.exit(main())
