"""Issue 15: a checkpoint and a proof over a history of 1k to 1M **entries**.

A ledger built by `ledger build` holds one history entry however many claims
it adds (bench.tlog_scale measures those ledgers); a ledger written one claim
at a time (`ledger claim add`, a review, a correction) holds one entry per
act. Writing a million acts through the CLI would take days, so this
writes histories of N entries directly: a new ledger (every migration), then N
entries whose bodies are what a `claim add` of one claim records (its
column list, count 1, digest and Merkle root), each chained to the one before
by its entry hash, as `history.seal` writes them. Only the history table is
filled: what is measured reads nothing else.

    python -m bench.tlog_entries --sizes 1000,10000,100000,1000000 --baseline-db 1M.db [--out DIR] [--json OUT]

For each size: a signed checkpoint (`tlog.make_checkpoint`: every entry's
leaf, the RFC 6962 root, the Ed25519 signature), verify's reading of the
chain (`history.read_chain`: every entry's hash and link, what the default
verify does for the chain), the consistency check `verify --checkpoint`
adds (`tlog.check_consistency` from a checkpoint of half the entries), an
inclusion proof for one entry (`merkle.inclusion_proof` over the leaves) and
its check. The baseline beside them: the substr() scan of every span of the
ledger given as ``--baseline-db`` (the 1M-claim bench ledger), measured in
the same run; CPU seconds, medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import statistics
import time
from pathlib import Path

from bench.workers import SUBSTR_SCAN_SQL

COLUMNS = ["id", "source_id", "subject", "predicate", "value", "quote", "span_start", "span_end", "match", "occurrence",
           "confidence:exact", "speaker", "as_of", "valid_from", "valid_to", "note", "recorded_by", "recorded_at",
           "status", "origin", "flags", "claims_file", "supersedes", "support", "paraphrase"]


def make_history(path: Path, n: int) -> None:
    from ledger.store import history
    from ledger.store.db import open_db

    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    db = open_db(tmp)
    prev = None
    rows = []
    for i in range(1, n + 1):
        digest = "sha256:" + hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
        root = "sha256:" + hashlib.sha256(b"\x00" + i.to_bytes(8, "big")).hexdigest()
        body = {"claims": {"columns": COLUMNS, "count": 1, "merkle_root": root, "sha256": digest}}
        at = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00+00:00"
        h = history.entry_hash(i, "claim add", at, "bench", None, body, prev)
        rows.append((i, "claim add", at, "bench", None, history.canonical_json(body), prev, h))
        prev = h
        if len(rows) >= 50_000:
            db.conn.executemany("INSERT INTO history (id, kind, at, actor, reason, body, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    db.conn.executemany("INSERT INTO history (id, kind, at, actor, reason, body, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.conn.commit()
    db.close()
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)


def cpu(fn, repeat: int):
    runs, out = [], None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        runs.append(time.process_time() - t)
    return statistics.median(runs), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--baseline-db", required=True, help="A bench ledger whose substr() scan is the baseline (the 1M one)")
    ap.add_argument("--out", default="/tmp/ledger-bench/entries")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    from ledger.store import history
    from ledger.core import merkle
    from ledger.store import tlog
    from ledger.store.db import open_db

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base_db = open_db(args.baseline_db, create=False)
    base_claims = base_db.execute("SELECT count(*) FROM claims").fetchone()[0]
    base_db.execute(SUBSTR_SCAN_SQL).fetchone()  # warm
    skey, vkey = tlog.generate_key("bench.example/ledger")
    rows = []
    print("entries | checkpoint cpu s | read_chain cpu s | consistency cpu s | scan cpu s (same run) | checkpoint / scan | "
          "inclusion proof hashes | proof bytes | check us", flush=True)
    for n in (int(x) for x in args.sizes.split(",")):
        path = out / f"history-{n}.db"
        make_history(path, n)
        db = open_db(path, create=False)
        scan, _ = cpu(lambda: base_db.execute(SUBSTR_SCAN_SQL).fetchone(), args.repeat)
        ckpt, note = cpu(lambda: tlog.make_checkpoint(db, skey), args.repeat)
        chain, _ = cpu(lambda: history.read_chain(db), args.repeat)
        cp = tlog.read_checkpoint(note, vkey)
        half = tlog.read_checkpoint(tlog.sign_note(tlog.checkpoint_text("bench.example/ledger", max(1, n // 2),
                                                                        merkle.root(tlog.leaves(db, max(1, n // 2)))), skey), vkey)
        cons, found = cpu(lambda: list(tlog.check_consistency(db, half)), args.repeat)
        assert found == [], found
        leaves = tlog.leaves(db)
        i = n // 3
        t = time.process_time()
        path_hashes = merkle.inclusion_proof(leaves, i)
        prove_cpu = time.process_time() - t
        checks = []
        for _ in range(300):
            t = time.perf_counter()
            merkle.verify_inclusion(i, n, leaves[i], path_hashes, cp.root)
            checks.append(time.perf_counter() - t)
        r = {
            "entries": n,
            "log2_n": round(math.log2(n), 2),
            "checkpoint_cpu": round(ckpt, 4),
            "read_chain_cpu": round(chain, 4),
            "consistency_cpu": round(cons, 4),
            "scan_cpu": round(scan, 4),
            "scan_claims": base_claims,
            "checkpoint_vs_scan": round(ckpt / scan, 3),
            "read_chain_vs_scan": round(chain / scan, 3),
            "inclusion_hashes": len(path_hashes),
            "inclusion_bytes_base64": sum(len(base64.b64encode(h)) for h in path_hashes),
            "prove_cpu_after_leaves": round(prove_cpu, 4),
            "check_us": round(statistics.median(checks) * 1e6, 1),
        }
        rows.append(r)
        print(" | ".join(str(r[k]) for k in ("entries", "checkpoint_cpu", "read_chain_cpu", "consistency_cpu", "scan_cpu",
                                             "checkpoint_vs_scan", "inclusion_hashes", "inclusion_bytes_base64", "check_us")),
              flush=True)
        db.close()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
