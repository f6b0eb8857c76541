"""Scale a built ledger up for read benchmarks: copy it, then add K-1 renamed
copies of every source, claim and comparison row with INSERT ... SELECT.

    python -m bench.replicate SRC.db OUT.db --times 10

Building 1M claims through ``ledger build`` takes hours of CPU on a shared
2-core machine; the Datasette, verify-scan and compare-read figures only need
a database of that size with the same schema, indexes, triggers and value
distribution. Each copy gets new source ids (the last 8 hex digits replaced,
so they are no longer the SHA-256 of the text: ``ledger verify`` fails on a
replicated ledger by design), new claim ids, and subjects suffixed with the
copy number so fact groups keep their size. FTS is filled by the schema's own
triggers as the rows go in; the facet counts are recounted at the end.
"""

from __future__ import annotations

import argparse
import sqlite3
import time

# table -> {column: SQL expression of the copy k (bound as :k)}
RENAME = {
    "sources": {
        "id": "substr(id, 1, 56) || printf('%08x', :k)",
        "slug": "slug || '-r' || :k",
        "document": "document || '-r' || :k",
        "url": "url || '?copy=' || :k",
    },
    "claims": {
        "id": "'c' || substr(id, 3) || printf('%x', :k)",
        "source_id": "substr(source_id, 1, 56) || printf('%08x', :k)",
        "subject": "subject || ' ' || :k",
    },
    "claim_values": {
        "claim_id": "'c' || substr(claim_id, 3) || printf('%x', :k)",
        "topic": "topic || ' ' || :k",
        "subject_key": "subject_key || ' ' || :k",
        "fact_key": "fact_key || ' ' || :k",
    },
    "facts": {
        "fact_key": "fact_key || ' ' || :k",
        "topic": "topic || ' ' || :k",
        "subject_key": "subject_key || ' ' || :k",
        "subject": "subject || ' ' || :k",
    },
    # a topic's timeline is held once (m142): each copy of the topic gets its own
    "fact_timelines": {"topic": "topic || ' ' || :k"},
    "source_independence": {
        "source_id": "substr(source_id, 1, 56) || printf('%08x', :k)",
        "slug": "slug || '-r' || :k",
        "independence_key": "independence_key || ' ' || :k",
    },
    "source_fingerprints": {"source_id": "substr(source_id, 1, 56) || printf('%08x', :k)"},
    # a shingle names its source by rowid (m141): the k-th copies of the sources follow the originals
    "source_shingles": {"source": "source + :k * :n"},
}


def replicate(src: str, out: str, times: int) -> dict:
    s = sqlite3.connect(src)
    d = sqlite3.connect(out)
    s.backup(d)
    s.close()
    d.execute("PRAGMA journal_mode = WAL")
    d.execute("PRAGMA cache_size = -200000")
    counts = {}
    t = time.perf_counter()
    with d:
        d.execute("PRAGMA defer_foreign_keys = ON")
        n_sources = d.execute("SELECT max(rowid) FROM sources").fetchone()[0]
        assert n_sources == d.execute("SELECT count(*) FROM sources").fetchone()[0], "source rowids must be 1..N"
        # the append-only guards refuse nothing here (only inserts), but keep them on
        for table, exprs in RENAME.items():
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
        d.execute("DROP TABLE IF EXISTS temp.original")
        # the copies were compared with their originals: tell the comparison
        # refresh (run after every write) they are not new
        for key, table in (("claims_rowid", "claims"), ("sources_rowid", "sources")):
            d.execute(
                f"UPDATE compare_state SET value = (SELECT max(rowid) FROM [{table}]) WHERE key = ?", [key]
            )
        from sqlite_utils import Database

        from ledger.store.facet_counts import recount

        recount(Database(d))
    d.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    d.close()
    return {"seconds": round(time.perf_counter() - t, 1), **counts}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--times", type=int, default=10)
    a = ap.parse_args(argv)
    print(replicate(a.src, a.out, a.times))


if __name__ == "__main__":
    main()
