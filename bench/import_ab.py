"""Import CPU before and after a change, in one window (issue 19): another tree's import (BEFORE, e.g.
``git archive 61bc470 | tar -x -C BEFORE``) and this tree's, alternated with the claim-rows baseline of
../shared/BASELINES.md, each in a fresh process; prints each round and the medians.

    python -m bench.import_ab BEFORE --out DIR [--scale small|100k] [--rounds 3]

DIR is a ``bench.run --out`` directory: its <scale>/template.db (the sources-only ledger ``bench.run
--only import`` makes) and corpus-<n>/claims are used.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = {"small": 10_000, "100k": 100_000}


def worker(cwd: Path, *args: str) -> dict:
    p = subprocess.run([sys.executable, "-m", "bench.workers", *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scale", choices=sorted(CLAIMS), default="small")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    template = a.out / a.scale / "template.db"
    files = sorted(str(p) for p in (a.out / f"corpus-{CLAIMS[a.scale]}" / "claims").glob("*.jsonl"))
    work = a.out / f"ab-{a.scale}"
    work.mkdir(parents=True, exist_ok=True)
    trees = {"before": a.before.resolve(), "after": ROOT}
    runs: dict[str, list[float]] = {"before": [], "after": [], "baseline": []}
    for n in range(a.rounds):
        for name, tree in trees.items():
            db = work / f"{name}.db"
            fresh(db)
            conn = sqlite3.connect(template)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            shutil.copyfile(template, db)
            runs[name].append(worker(tree, "import-ledger", str(db), *files)["cpu"])
        base = work / "baseline.db"
        fresh(base)
        runs["baseline"].append(worker(ROOT, "insert-claims-baseline", str(base), str(work / "after.db"))["cpu"])
        b, f, c = runs["before"][-1], runs["after"][-1], runs["baseline"][-1]
        print(f"round {n + 1}: before {b:.2f}s  after {f:.2f}s  baseline {c:.3f}s  ratios {b / c:.1f}x / {f / c:.1f}x", flush=True)
    m = {k: statistics.median(v) for k, v in runs.items()}
    print(f"median CPU: before {m['before']:.2f}s ({m['before'] / m['baseline']:.1f}x), after {m['after']:.2f}s "
          f"({m['after'] / m['baseline']:.1f}x), baseline {m['baseline']:.3f}s; after/before {m['after'] / m['before']:.2f}")
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
