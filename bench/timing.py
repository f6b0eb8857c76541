"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """Wall-clock and CPU seconds (user + system, this process) since creation.

    On a shared machine the wall clock also counts time spent waiting for a
    core; CPU time counts only the work, so ratios of CPU times are the
    steadier measure. Both are reported.
    """

    def __init__(self):
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def stop(self) -> dict:
        return {"seconds": time.perf_counter() - self.wall0, "cpu": time.process_time() - self.cpu0}


def median(runs: list[dict]) -> dict:
    """The run with the median CPU time."""
    runs = sorted(runs, key=lambda r: r["cpu"])
    return runs[len(runs) // 2]


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def best_of(n: int, fn, *args, **kw) -> float:
    """Median seconds of ``n`` runs (n=1: the one run)."""
    times = sorted(timed(fn, *args, **kw)[0] for _ in range(max(1, n)))
    return times[len(times) // 2]


def maxrss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(*args: str, env: dict | None = None) -> dict:
    """Run ``python -m bench.workers ARGS`` in a fresh process; return its JSON line.

    A fresh process per measured step: its peak memory is its own, and no
    cache warmed by an earlier step flatters a later one.
    """
    cmd = [sys.executable, "-m", "bench.workers", *args]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
