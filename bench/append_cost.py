"""What `ledger claim add` costs on an author's big claims file, against the same command on a small one.

    python -m bench.append_cost [--claims 1500] [--runs 5] [--ledger PATH/TO/ledger] [--json OUT]

A repository with one source and a claims file of ``--claims`` claims (1500 with their notes is the issue's
1 MB file, ``claims/harbours/desk.yml``) is built; then ``claim add`` is run ``--runs`` times appending to that
file (``--recorded-by desk``) and ``--runs`` times appending to a second author's small file (10 claims,
``claims/harbours/small.yml``), alternately. The figure is the ratio of the medians, big over small, measured
in the same run: 1.0 means the claim costs what it costs whatever the file holds (issue 13). ``--ledger``
times another checkout's executable (a baseline: `PYTHONPATH=/other/checkout` works with this venv's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def harbour_text(n: int) -> str:
    return "".join(f"H item {i}: the registry counted {(i * 7919) % 10007} boats in harbour {i}.\n" for i in range(n))


def harbour_claims(lo: int, hi: int, note_repeats: int = 7) -> str:
    items = []
    for i in range(lo, hi):
        v = (i * 7919) % 10007
        items.append(
            f"- subject: harbour {i}\n  predicate: boat_count\n  value: '{v}'\n"
            f"  quote: 'H item {i}: the registry counted {v} boats in harbour {i}'\n  confidence: 0.9\n"
            f"  note: '{'counted from the registry published by the port authority, see the annex. ' * note_repeats}'\n"
        )
    return "source: harbours\nclaims:\n" + "".join(items)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--claims", type=int, default=1500)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--ledger", default=str(Path(sys.executable).parent / "ledger"))
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="append-cost-") as tmp:
        root = Path(tmp)
        n = args.claims + 2 * args.runs + 10
        (root / "h.txt").write_text(harbour_text(n))

        def run(*a):
            r = subprocess.run([args.ledger, *map(str, a)], cwd=root, capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"ledger {' '.join(map(str, a))}: {r.stderr}")

        run("source", "add", "h.txt", "--slug", "harbours", "--title", "Harbours")
        (root / "claims" / "harbours").mkdir(parents=True)
        (root / "claims" / "harbours" / "desk.yml").write_text(harbour_claims(0, args.claims))
        (root / "claims" / "harbours" / "small.yml").write_text(harbour_claims(args.claims, args.claims + 10))
        run("build", "--silent")
        size = (root / "claims" / "harbours" / "desk.yml").stat().st_size
        times = {"big": [], "small": []}
        i = args.claims + 10
        for _ in range(args.runs):
            for who, author in (("big", "desk"), ("small", "small")):
                t0 = time.perf_counter()
                run("claim", "add", "harbours", "--subject", f"harbour {i}", "--predicate", "noted", "--value",
                    "registry", "--confidence", "0.8", "--quote", f"H item {i}: the registry", "--recorded-by", author)
                times[who].append(time.perf_counter() - t0)
                i += 1
        run("verify", "--files", ".")
    big, small = statistics.median(times["big"]), statistics.median(times["small"])
    out = {"ledger": args.ledger, "pythonpath": os.environ.get("PYTHONPATH"), "claims": args.claims,
           "file_bytes": size, "runs": args.runs, "big_median_s": round(big, 3), "small_median_s": round(small, 3),
           "ratio_big_over_small": round(big / small, 2), "times": times,
           "load": os.getloadavg()[0]}
    print(f"claim add on a {size / 1e6:.2f} MB file: median {big:.2f} s; on a 10-claim file: {small:.2f} s; "
          f"ratio {big / small:.2f}x (load {out['load']:.1f})")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
