"""A ledger of K times the claims of a built one that still **verifies**: for
`ledger verify`, checkpoint and proof figures at 1M claims when a 1M
`ledger build` (about 50 minutes of CPU on this machine) does not fit.

    python -m bench.assemble SRC.db OUT.db --times 10

Like ``bench.replicate`` (which it reuses for the comparison tables), each
copy k = 1..K-1 of every source, claim and derived row is added with
INSERT ... SELECT, and the schema's triggers fill the full-text index and
the facet counts. Unlike it, each copied source's text gets a line
``copy k`` appended, and its id is the SHA-256 of that text (computed here),
so every source hash, span, prefix and suffix checks out; then the history is
re-sealed: each entry's body records the count, SHA-256 and Merkle root of
the rows it now holds (``history.aggregate_tree``, as ``seal`` writes them),
and the chain of entry hashes is recomputed. The result is what a build of
the copied corpus would hold, with the build's bookkeeping of its files
(``claim_files``, ``source_files``) left as it was. Only for benchmarks.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import time

from bench.replicate import RENAME as REPLICATE_RENAME

SOURCE_ID = "(SELECT new FROM temp.idmap WHERE old = {col} AND k = :k)"


def rename() -> dict:
    out = {t: dict(exprs) for t, exprs in REPLICATE_RENAME.items()}
    out["sources"].update({
        "id": SOURCE_ID.format(col="id"),
        "text": "text || char(10) || 'copy ' || :k",
        "length": "length + length(char(10) || 'copy ' || :k)",
    })
    for table in ("claims", "source_independence", "source_fingerprints", "source_shingles"):
        out[table]["source_id"] = SOURCE_ID.format(col="source_id")
    return out


def assemble(src: str, out: str, times: int) -> dict:
    from ledger.store import history
    from ledger.store.db import open_db

    t0 = time.perf_counter()
    s = sqlite3.connect(src)
    d = sqlite3.connect(out)
    s.backup(d)
    s.close()
    d.execute("PRAGMA journal_mode = WAL")
    d.execute("PRAGMA cache_size = -400000")
    d.execute("CREATE TEMP TABLE idmap (old TEXT, k INTEGER, new TEXT, PRIMARY KEY (old, k))")
    rows = []
    for sid, data in d.execute("SELECT id, CAST(text AS BLOB) FROM sources"):
        for k in range(1, times):
            rows.append((sid, k, hashlib.sha256(data + f"\ncopy {k}".encode()).hexdigest()))
    d.executemany("INSERT INTO temp.idmap VALUES (?, ?, ?)", rows)
    counts = {}
    with d:
        d.execute("PRAGMA defer_foreign_keys = ON")
        n_sources = d.execute("SELECT max(rowid) FROM sources").fetchone()[0]
        assert n_sources == d.execute("SELECT count(*) FROM sources").fetchone()[0], "source rowids must be 1..N"
        for table, exprs in rename().items():
            cols = [r[1] for r in d.execute(f"PRAGMA table_info([{table}])")]
            if not cols:
                continue
            select = ", ".join(exprs.get(c, f"[{c}]") for c in cols)
            d.execute("DROP TABLE IF EXISTS temp.original")
            d.execute(f"CREATE TEMP TABLE original AS SELECT * FROM main.[{table}]")
            sql = f"INSERT INTO main.[{table}] ({', '.join(f'[{c}]' for c in cols)}) SELECT {select} FROM temp.original"
            for k in range(1, times):
                d.execute(sql, {"k": k, "n": n_sources} if ":n" in sql else {"k": k})
            counts[table] = d.execute(f"SELECT count(*) FROM main.[{table}]").fetchone()[0]
            print(f"  {table}: {counts[table]:,} rows ({time.perf_counter() - t0:.0f}s)", flush=True)
        d.execute("DROP TABLE IF EXISTS temp.original")
        for key, table in (("claims_rowid", "claims"), ("sources_rowid", "sources")):
            d.execute(f"UPDATE compare_state SET value = (SELECT max(rowid) FROM [{table}]) WHERE key = ?", [key])
    d.close()
    # re-seal every entry over the rows it now holds, and re-link the chain
    db = open_db(out, create=False)
    conn = db.conn
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'").fetchall()
    conn.execute("BEGIN IMMEDIATE")
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    prev = None
    entries = conn.execute("SELECT id, kind, at, actor, reason, body FROM history ORDER BY id").fetchall()
    import json

    for id_, kind, at, actor, reason, body_text in entries:
        body = json.loads(body_text)
        for table, spec in body.items():
            if isinstance(spec, dict) and spec.get("columns"):
                n, digest, root = history.aggregate_tree(db, table, spec["columns"], "entry_id = ?", [id_])
                spec.update(count=n, sha256=digest)
                if "merkle_root" in spec:
                    spec["merkle_root"] = root
        h = history.entry_hash(id_, kind, at, actor, reason, body, prev)
        conn.execute("UPDATE history SET body = ?, prev = ?, hash = ? WHERE id = ?", [history.canonical_json(body), prev, h, id_])
        prev = h
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"seconds": round(time.perf_counter() - t0, 1), **counts, "entries": len(entries)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--times", type=int, default=10)
    a = ap.parse_args(argv)
    print(assemble(a.src, a.out, a.times))


if __name__ == "__main__":
    main()
