"""Issue 15: what the new checks cost `ledger verify`, and what a checkpoint
costs, each beside the bare substr() scan of every span measured in the same
run (CPU seconds, medians of ``--repeat`` runs).

    python -m bench.tlog_costs DB [--repeat 5] [--json OUT]

Parts: the whole default verify (both threads' CPU, and on one thread); the
claims' row digests with REAL columns digested exactly (``ledger_real``,
what new entries record) against the same digests with ``printf('%.15g')``
(what older entries record); the schema check, cold (building the expected
schema in memory, once per process) and warm; a signed checkpoint (the
Merkle tree over every history entry, and the Ed25519 signature).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from bench.workers import SUBSTR_SCAN_SQL


def cpu(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        runs.append(time.process_time() - t)
    return statistics.median(runs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    from ledger.store import history
    from ledger.store import tlog
    from ledger.services import verify as v
    from ledger.store.db import open_db

    db = open_db(args.db, create=False)
    t = time.process_time()
    list(v.check_schema(db))
    schema_cold = time.process_time() - t
    n = args.repeat
    scan = cpu(lambda: db.execute(SUBSTR_SCAN_SQL).fetchone(), n)
    os.environ["LEDGER_VERIFY_THREADS"] = "1"
    one_thread = cpu(lambda: v.verify(db), n)
    del os.environ["LEDGER_VERIFY_THREADS"]
    bodies = history.read_chain(db)[1]
    cols = history.digest_columns(db, "claims", bodies)
    legacy = [c.removesuffix(history.EXACT) for c in cols]
    types = v._types(db, "claims")
    history.register_functions(db.conn)
    exact = cpu(lambda: history.digest_table(db.conn, "claims", cols, types), n)
    old = cpu(lambda: history.digest_table(db.conn, "claims", legacy, types), n)
    schema_warm = cpu(lambda: list(v.check_schema(db)), n)
    skey, _ = tlog.generate_key("bench.example/ledger")
    checkpoint = cpu(lambda: tlog.make_checkpoint(db, skey), n)
    entries = db.execute("SELECT count(*) FROM history").fetchone()[0]
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    out = {
        "claims": claims,
        "history_entries": entries,
        "substr_scan_cpu": round(scan, 4),
        "verify_one_thread_cpu": round(one_thread, 4),
        "verify_one_thread_vs_scan": round(one_thread / scan, 2),
        "claims_digest_exact_cpu": round(exact, 4),
        "claims_digest_15g_cpu": round(old, 4),
        "exact_vs_15g": round(exact / old, 2),
        "exact_extra_vs_scan": round((exact - old) / scan, 3),
        "schema_check_cold_cpu": round(schema_cold, 4),
        "schema_check_warm_cpu": round(schema_warm, 4),
        "schema_cold_vs_scan": round(schema_cold / scan, 3),
        "checkpoint_cpu": round(checkpoint, 5),
        "checkpoint_vs_scan": round(checkpoint / scan, 4),
    }
    print(json.dumps(out, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
