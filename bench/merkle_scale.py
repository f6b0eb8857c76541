"""Issue 15: proof size and check time against the number of log entries, on
synthetic trees of 1k to 1M leaves (RFC 6962 hashing, ledger/merkle.py).

    python -m bench.merkle_scale [--sizes 1000,10000,100000,1000000] [--json OUT]

For each size: the tree head (root) computed from the leaf hashes, beside a
baseline measured in the same run, one SHA-256 per entry (what the linear
hash chain costs); inclusion proofs for a few random leaves (their length and
the median time to check one); a consistency proof from a random earlier
size (its length and check time). Proof size and check time should grow as
log2(n); the root as n.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import time
from pathlib import Path

from ledger.core import merkle


def _time(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def one_size(n: int, rng: random.Random) -> dict:
    data = [i.to_bytes(8, "big") * 16 for i in range(n)]  # 128-byte entries
    t = time.perf_counter()
    chain = hashlib.sha256()
    for d in data:  # baseline: what the linear chain hashes (one SHA-256 per entry)
        chain = hashlib.sha256(chain.digest() + d)
    chain_s = time.perf_counter() - t
    t = time.perf_counter()
    leaves = [merkle.leaf_hash(d) for d in data]
    head = merkle.root(leaves)
    root_s = time.perf_counter() - t
    idx = [rng.randrange(n) for _ in range(3)]
    sizes, checks = [], []
    for i in idx:
        proof = merkle.inclusion_proof(leaves, i)
        sizes.append(len(proof))
        checks.append(_time(lambda: merkle.verify_inclusion(i, n, leaves[i], proof, head), 300))
    m = rng.randrange(1, n) if n > 1 else 1
    cproof = merkle.consistency_proof(leaves, m)
    old = merkle.root(leaves[:m])
    ccheck = _time(lambda: merkle.verify_consistency(m, n, cproof, old, head), 300)
    return {
        "entries": n,
        "log2_n": round(math.log2(n), 2),
        "inclusion_proof_hashes": max(sizes),
        "inclusion_proof_bytes": max(sizes) * 32,
        "inclusion_check_us": round(statistics.median(checks) * 1e6, 1),
        "consistency_proof_hashes": len(cproof),
        "consistency_check_us": round(ccheck * 1e6, 1),
        "tree_head_s": round(root_s, 3),
        "chain_baseline_s": round(chain_s, 3),
        "tree_head_vs_chain": round(root_s / chain_s, 2),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    rows = []
    print("entries | log2 n | inclusion proof (hashes) | check (us) | consistency proof (hashes) | check (us) | tree head s | chain s | ratio")
    for n in (int(x) for x in args.sizes.split(",")):
        r = one_size(n, rng)
        rows.append(r)
        print(" | ".join(str(r[k]) for k in ("entries", "log2_n", "inclusion_proof_hashes", "inclusion_check_us",
                                             "consistency_proof_hashes", "consistency_check_us", "tree_head_s",
                                             "chain_baseline_s", "tree_head_vs_chain")), flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
