"""Load test of `ledger serve` on 127.0.0.1: can one visitor stall the server? (issue 18)

    python -m bench.serve_load --db ledger.db --seconds 20       # from a checkout
    python -m bench.serve_load --db ledger.db --ledger /other/venv/bin/ledger   # e.g. an older build

Starts ``ledger serve`` on a free port, then, bounded in time and count:

1. **quiet**: plain pages (claim page, claims table, source page, a view),
   one client after another, with nothing else running: the baseline;
2. **attack**: the same plain pages while ``--attackers`` clients (3) send
   hostile queries over and over (the issue's ``printf`` call, a query that
   runs to the time limit, a cross join, ``fts3_tokenizer``, a path pragma)
   and another client runs the canned queries.

It reports p50/p95/max of the plain pages in both phases (and the ratio of
attack to quiet), how the hostile and canned requests were answered, and the
server's peak resident memory (Datasette's process and ``ledger serve``,
sampled from /proc every 50 ms). Every request has a client timeout, so a run
ends within about ``--seconds`` + 30 s whatever the server does.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HOSTILE = [
    # the query: one function call that ran 9.7 s and took gigabytes
    "select length(printf('%.*c',900000000,'x'))+length(printf('%.*c',900000000,'y'))",
    # runs until the time limit stops it
    "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n",
    "select count(*) from claims a, claims b, claims c, claims d, claims e",
    # every step slow: the progress handler, every 1,000 instructions, comes late
    "with recursive r(i) as (select 1 union all select i + 1 from r) select length(randomblob(32000000)) from r",
    "select length(replace(printf('%.*c', 100000, 'a'), 'a', printf('%.*c', 300, 'b')))",
    "select fts3_tokenizer('simple', x'4141414141414141')",
    "select * from pragma_database_list",
]
CLIENT_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, timeout: float = CLIENT_TIMEOUT) -> tuple[int, float]:
    """(status, seconds); status 0 for a timeout or a refused connection."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    except OSError:
        status = 0
    return status, time.perf_counter() - t0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, from /proc."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class Server:
    """`ledger serve` in its own process group, stopped with it."""

    def __init__(self, ledger_bin: str, db: Path, cwd: Path, live: bool = False):
        self.port = free_port()
        args = [ledger_bin, "serve", "--db", str(db), "--port", str(self.port)] + (["--live"] if live else [])
        # the server imports its own `ledger`, not this checkout's (for --ledger baselines)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while fetch(self.base + "/-/versions.json", timeout=5)[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("ledger serve did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        import signal

        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue


PAGES = ("claim", "claims", "source", "view", "database")


def plain_paths(db: Path, pages=PAGES) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        claim = conn.execute("select id from claims order by id limit 1").fetchone()[0]
        source = conn.execute("select id from sources order by id limit 1").fetchone()[0]
    finally:
        conn.close()
    every = {
        "claim": f"/ledger/claims/{claim}",
        "claims": "/ledger/claims",
        "source": f"/ledger/sources/{source}",
        "view": "/ledger/claim_spans",
        "database": "/ledger",
    }
    return [every[p] for p in pages]


def canned_paths(base: str) -> list[str]:
    try:
        with urllib.request.urlopen(base + "/-/metadata.json", timeout=CLIENT_TIMEOUT) as r:
            meta = json.loads(r.read())
    except OSError:
        return []
    queries = ((meta.get("databases") or {}).get("ledger") or {}).get("queries") or {}
    return [f"/ledger/{urllib.parse.quote(name)}.json" for name in sorted(queries)]


def load_test(ledger_bin: str, db: Path, cwd: Path, *, seconds: float = 10.0, attackers: int = 3,
              quiet_seconds: float | None = None, live: bool = False, hostile: list[str] = HOSTILE,
              pages=PAGES) -> dict:
    """Run the quiet and attack phases against one `ledger serve`; the figures."""
    server = Server(ledger_bin, db, cwd, live=live)
    try:
        paths = plain_paths(db, pages)
        canned = canned_paths(server.base)
        peak = [tree_rss(server.proc.pid)]
        stop_sampling = threading.Event()

        def sample():
            while not stop_sampling.wait(0.05):
                peak[0] = max(peak[0], tree_rss(server.proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        by_path: dict[str, dict[str, list[float]]] = {"quiet": {}, "attack": {}}

        def plain(until: float, out: list[float], statuses: list[int], phase: str):
            i = 0
            while time.monotonic() < until:
                path = paths[i % len(paths)]
                status, secs = fetch(server.base + path)
                out.append(secs)
                statuses.append(status)
                by_path[phase].setdefault(path, []).append(secs)
                i += 1

        quiet, quiet_status = [], []
        plain(time.monotonic() + (quiet_seconds if quiet_seconds is not None else seconds / 2), quiet, quiet_status, "quiet")

        rss_before_attack = tree_rss(server.proc.pid)
        until = time.monotonic() + seconds
        attack_status: dict[str, dict] = {}
        canned_status: list[int] = []
        lock = threading.Lock()

        def attacker(n: int):
            i = n
            while time.monotonic() < until:
                q = hostile[i % len(hostile)]
                status, secs = fetch(server.base + "/ledger.json?" + urllib.parse.urlencode({"sql": q}))
                with lock:
                    entry = attack_status.setdefault(q, {"statuses": {}, "max_s": 0.0})
                    entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1
                    entry["max_s"] = max(entry["max_s"], round(secs, 3))
                i += 1

        def canned_client():
            i = 0
            while canned and time.monotonic() < until:
                canned_status.append(fetch(server.base + canned[i % len(canned)])[0])
                i += 1

        threads = [threading.Thread(target=attacker, args=(n,)) for n in range(attackers)]
        threads.append(threading.Thread(target=canned_client))
        for t in threads:
            t.start()
        time.sleep(0.3)  # let the attack start before timing pages
        during, during_status = [], []
        plain(until, during, during_status, "attack")
        for t in threads:
            t.join()
        stop_sampling.set()
        sampler.join()
        return {
            "plain_paths": paths,
            "quiet": {"n": len(quiet), "p50_s": percentile(quiet, 50), "p95_s": percentile(quiet, 95), "max_s": max(quiet, default=0),
                      "non_200": sum(s != 200 for s in quiet_status)},
            "attack": {"n": len(during), "p50_s": percentile(during, 50), "p95_s": percentile(during, 95), "max_s": max(during, default=0),
                       "non_200": sum(s != 200 for s in during_status)},
            "p50_by_path_s": {phase: {p: round(percentile(v, 50), 3) for p, v in d.items()} for phase, d in by_path.items()},
            "p95_ratio_attack_to_quiet": percentile(during, 95) / percentile(quiet, 95) if quiet else float("nan"),
            "hostile": attack_status,
            "canned": {"n": len(canned_status), "ok": sum(s == 200 for s in canned_status),
                       "busy_503": sum(s == 503 for s in canned_status)},
            "rss_before_attack_mb": rss_before_attack / 2**20,
            "peak_rss_mb": peak[0] / 2**20,
            "attackers": attackers,
            "seconds": seconds,
        }
    finally:
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, type=Path, help="the ledger to serve (not changed)")
    ap.add_argument("--ledger", default=str(Path(sys.executable).parent / "ledger"), help="the `ledger` program to run")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the attack phase")
    ap.add_argument("--attackers", type=int, default=3)
    ap.add_argument("--live", action="store_true", help="serve with --live")
    args = ap.parse_args(argv)
    result = load_test(args.ledger, args.db.resolve(), Path.cwd(), seconds=args.seconds, attackers=args.attackers, live=args.live)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
