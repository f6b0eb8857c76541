"""What the default `ledger verify` costs in CPU, beside the bare substr()
scan of every span measured in the same process on the same ledger
(`bench.workers.SUBSTR_SCAN_SQL`, issue 7's baseline; issue 15 and 19: verify
within 1.5x of it at 1M claims), and what each part of it costs.

    python -m bench.verify_cost DB [--repeat 3] [--before TREE] [--json OUT]

Each round times the scan, then verify (``verify.verify(db, timings=...)``),
CPU of the process (both of verify's threads) and wall clock; the figures
are medians over ``--repeat`` rounds, the ratio is verify's CPU over the
scan's CPU. ``--before TREE``: the same worker also runs, round by round in
turn with this tree's, in a process importing ``ledger`` from TREE (a
checkout of an earlier commit, e.g. ``git archive 6514fb6 | tar -x -C TREE``),
so the before and after figures share the run and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def worker(path: str) -> dict:
    """One round in this process: the scan, then verify; CPU and wall clock of each."""
    import ledger
    from bench.workers import SUBSTR_SCAN_SQL
    from ledger.services import verify as v
    from ledger.store.db import open_db

    db = open_db(path, create=False, migrate=False)
    db.execute(SUBSTR_SCAN_SQL).fetchone()  # warm the page cache for both sides alike

    def timed(fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c

    bad, scan_wall, scan_cpu = timed(lambda: db.execute(SUBSTR_SCAN_SQL).fetchone()[0])
    parts: dict = {}
    report, wall, cpu = timed(lambda: v.verify(db, timings=parts))
    return {
        "ledger_code": str(Path(ledger.__file__).parent.parent),
        "claims": report["checked"]["claims"],
        "scan": {"wall": scan_wall, "cpu": scan_cpu, "bad": bad},
        "verify": {"wall": wall, "cpu": cpu, "ok": report["ok"], "failures": len(report["failures"])},
        "parts_cpu": {k: round(x, 4) for k, x in parts.items()},
    }


def run_worker(path: str, tree: str | None) -> dict:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree
    else:
        env["PYTHONPATH"] = str(HERE.parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, str(HERE), "--worker", path], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(rounds: list[dict]) -> dict:
    med = statistics.median
    scan_cpu, verify_cpu = med(r["scan"]["cpu"] for r in rounds), med(r["verify"]["cpu"] for r in rounds)
    ratios = sorted(r["verify"]["cpu"] / r["scan"]["cpu"] for r in rounds)
    return {
        "ledger_code": rounds[0]["ledger_code"],
        "claims": rounds[0]["claims"],
        "scan_cpu": round(scan_cpu, 3),
        "verify_cpu": round(verify_cpu, 3),
        "scan_wall": round(med(r["scan"]["wall"] for r in rounds), 3),
        "verify_wall": round(med(r["verify"]["wall"] for r in rounds), 3),
        "ratio_cpu_of_medians": round(verify_cpu / scan_cpu, 3),
        "ratio_cpu_per_round": [round(x, 3) for x in ratios],
        "ok": all(r["verify"]["ok"] for r in rounds),
        "parts_cpu_last_round": rounds[-1]["parts_cpu"],
        "rounds": rounds,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", help="a tree of an earlier commit, measured round by round beside this one")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.db)))
        return
    sides = {"after": None, **({"before": a.before} if a.before else {})}
    rounds: dict = {k: [] for k in sides}
    for i in range(a.repeat):
        for name, tree in sides.items():
            r = run_worker(a.db, tree)
            rounds[name].append(r)
            print(f"round {i + 1} {name}: scan {r['scan']['cpu']:.3f}s cpu, verify {r['verify']['cpu']:.3f}s cpu "
                  f"({r['verify']['cpu'] / r['scan']['cpu']:.2f}x), {r['verify']['wall']:.3f}s wall, ok={r['verify']['ok']}",
                  flush=True)
    out = {"ledger": a.db, "load": os.getloadavg(), "repeat": a.repeat, **{k: summarise(v) for k, v in rounds.items()}}
    for name in sides:
        s = out[name]
        print(f"{name} ({s['ledger_code']}): {s['claims']:,} claims: scan {s['scan_cpu']:.3f}s cpu, verify {s['verify_cpu']:.3f}s cpu "
              f"= {s['ratio_cpu_of_medians']:.2f}x the scan (per round {s['ratio_cpu_per_round']}), target 1.5x; "
              f"wall {s['verify_wall']:.3f}s vs {s['scan_wall']:.3f}s; ok={s['ok']}")
        print("   parts (CPU, last round): " + ", ".join(f"{k} {x:.3f}s" for k, x in s["parts_cpu_last_round"].items()))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
