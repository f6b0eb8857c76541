"""Issue 15 at scale: on real ledgers (built by `ledger build` from the bench
corpus) of 1k to 1M claims, what `ledger verify`, `ledger checkpoint`,
`ledger prove` and `ledger check-proof` cost, each beside the bare substr()
scan of every span measured in the same run on the same ledger.

    python -m bench.tlog_scale DB [DB ...] [--repeat 3] [--json OUT]

Per ledger, ``--repeat`` rounds, each timing in turn: the substr() scan (the
baseline, `bench.workers.SUBSTR_SCAN_SQL`), the default verify (its row
digests on a second connection in a thread), verify on one thread
(``LEDGER_VERIFY_THREADS=1``) and a signed checkpoint (`tlog.make_checkpoint`:
the tree over every history entry and the Ed25519 signature); medians of
wall clock and CPU (both threads). Then `verify --checkpoint` against that
checkpoint (the consistency proof), proofs for three claims (the first, the
middle and the last by rowid: `tlog.prove_claim`, timed, their size in
hashes and in JSON bytes) and their check (`tlog.check_proof` after reading
the checkpoint with its verifier key, as `ledger check-proof --vkey` does;
the median of 200 checks). A claim's proof is two paths: from its row to
its entry's root (log2 of the entry's rows) and from the entry to the
checkpoint's root (log2 of the entries).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from pathlib import Path

from bench.workers import SUBSTR_SCAN_SQL


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _fresh(d: dict) -> dict:
    d.clear()
    return d


def med(xs):
    return statistics.median(xs)


def one_ledger(path: str, repeat: int, n_proofs: int = 3) -> dict:
    from ledger.store import tlog
    from ledger.services import verify as v
    from ledger.store.db import open_db

    db = open_db(path, create=False)
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    entries = db.execute("SELECT count(*) FROM history").fetchone()[0]
    skey, vkey = tlog.generate_key("bench.example/ledger")
    scan = lambda: db.execute(SUBSTR_SCAN_SQL).fetchone()[0]  # noqa: E731
    scan()  # warm the page cache for every side alike
    v.verify(db)  # and build the expected schema once (a fixed cost per process, measured in tlog_costs)

    def one_thread():
        os.environ["LEDGER_VERIFY_THREADS"] = "1"
        try:
            return v.verify(db)
        finally:
            del os.environ["LEDGER_VERIFY_THREADS"]

    runs: dict = {k: {"wall": [], "cpu": []} for k in ("scan", "verify", "verify_one_thread", "checkpoint")}
    parts: dict = {}
    reports = []
    for _ in range(repeat):
        for name, fn in (
            ("scan", scan),
            ("verify", lambda: v.verify(db, timings=_fresh(parts))),
            ("verify_one_thread", one_thread),
            ("checkpoint", lambda: tlog.make_checkpoint(db, skey)),
        ):
            out, w, c = timed(fn)
            runs[name]["wall"].append(w)
            runs[name]["cpu"].append(c)
            if name.startswith("verify"):
                reports.append(out)
            if name == "checkpoint":
                note = out
    cp = tlog.read_checkpoint(note, vkey)
    cons, cons_wall, cons_cpu = timed(lambda: v.verify(db, checkpoint=cp))
    lo, hi = db.execute("SELECT min(rowid), max(rowid) FROM claims").fetchone()
    picks = [db.execute("SELECT id FROM claims WHERE rowid >= ? ORDER BY rowid LIMIT 1", [r]).fetchone()[0]
             for r in (lo, (lo + hi) // 2, hi)][:n_proofs]
    proofs = []
    for cid in picks:
        proof, w, c = timed(lambda: tlog.prove_claim(db, cid, cp))
        text = json.dumps(proof, indent=2, ensure_ascii=False)
        checks = []
        for _ in range(200):
            t = time.perf_counter()
            tlog.check_proof(json.loads(text), tlog.read_checkpoint(note, vkey))
            checks.append(time.perf_counter() - t)
        within = proof["row_in_entry"]
        proofs.append({
            "claim": cid,
            "rows_in_entry": within["count"],
            "row_path_hashes": len(within.get("path") or []),
            "inclusion_hashes": len(proof["inclusion"]),
            "proof_json_bytes": len(text.encode("utf-8")),
            "prove_wall": round(w, 4),
            "prove_cpu": round(c, 4),
            "check_us": round(med(checks) * 1e6, 1),
        })
    m = {k: {"wall": med(r["wall"]), "cpu": med(r["cpu"])} for k, r in runs.items()}
    base = m["scan"]
    return {
        "ledger": path,
        "claims": claims,
        "history_entries": entries,
        "log2_claims": round(math.log2(claims), 2),
        "repeat": repeat,
        "medians": m,
        "ratios_wall": {k: round(x["wall"] / base["wall"], 3) for k, x in m.items()},
        "ratios_cpu": {k: round(x["cpu"] / base["cpu"], 3) for k, x in m.items()},
        "verify_parts_cpu_last_run": {k: round(x, 4) for k, x in parts.items()},
        "verify_ok": all(r["ok"] for r in reports),
        "verify_checkpoint": {"ok": cons["ok"], "wall": round(cons_wall, 4), "cpu": round(cons_cpu, 4)},
        "proofs": proofs,
        "runs": runs,
        "load": os.getloadavg(),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--proofs", type=int, default=3, help="Claims to prove: the first, the middle, the last (1-3)")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--udf", action="store_true",
                    help="Digest REAL columns with the Python function alone (the form before the SQL fast path), for a before/after")
    args = ap.parse_args(argv)
    if args.udf:
        from ledger.store import history

        history.exact_real_sql = lambda q: f"ledger_real({q})"
    rows = []
    for path in args.db:
        r = one_ledger(path, args.repeat, args.proofs)
        rows.append(r)
        m, rw, rc = r["medians"], r["ratios_wall"], r["ratios_cpu"]
        p = r["proofs"]
        print(f"{r['claims']:,} claims, {r['history_entries']} entries, load {r['load'][0]:.1f}: "
              f"scan {m['scan']['wall']:.3f}s wall / {m['scan']['cpu']:.3f}s cpu; "
              f"verify {m['verify']['wall']:.3f}s wall ({rw['verify']}x) / {m['verify']['cpu']:.3f}s cpu ({rc['verify']}x); "
              f"one thread {m['verify_one_thread']['cpu']:.3f}s cpu ({rc['verify_one_thread']}x); "
              f"checkpoint {m['checkpoint']['cpu']:.4f}s cpu ({rc['checkpoint']}x); "
              f"verify --checkpoint {r['verify_checkpoint']['wall']:.3f}s wall; ok={r['verify_ok'] and r['verify_checkpoint']['ok']}",
              flush=True)
        print("   proofs: " + "; ".join(
            f"{x['rows_in_entry']:,} rows in entry: {x['row_path_hashes']}+{x['inclusion_hashes']} hashes, "
            f"{x['proof_json_bytes']} B, prove {x['prove_wall']:.3f}s, check {x['check_us']} us" for x in p), flush=True)
        print("   verify parts (CPU, last run): " + ", ".join(f"{k} {x:.3f}s" for k, x in r["verify_parts_cpu_last_run"].items()),
              flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
