"""Issue 13's crash battery at full size: 50 seeded kill -9s of each writing command, and a full-disk run each.

    python -m bench.crash_battery [--kills 50] [--seed 20261207] [--only "claim add"] [--no-full-disk]
                                  [--log bench/results/X.log] [--basetemp DIR]
    python -m bench.crash_battery --summary bench/results/X.log   # kills checked per command, by outcome

It runs ``tests/test_crash_writers.py`` (the same commands, sizes and checks: claim add on a 1 MB claims
file, source add of a 30 MB text, import (of a file in claims/, and of one from outside that it copies in),
review add, supersede, export) with ``LEDGER_WRITER_KILLS`` kills per
command, printing each kill as it is checked, and keeps the whole output in the log. The default test run does
a few kills per command; this is the slow run, done before a landing and reported in RELIABILITY.md. Four
kills in five land within the command's work (after it opened the database), one in five anywhere in its run.
Each kill is followed by the next command (`ledger build`) and `ledger verify --files .` (both run in the test's
process through the functions the command line calls), and the counts of claims, sources, events and reviews in
the files and the database are compared; each kill's line says what it interrupted (before writing, files
only, committed, finished). Several batteries can run at once (``--only``, ``--basetemp``) into one log.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


KILL_LINE = re.compile(r"^[.FE]*(?P<name>[a-z ]+): kill \d+/\d+ at .*, exit (?P<rc>-?\d+), (?P<landed>[a-z ]+): checked$")
FULL_DISK = re.compile(r"^(?P<result>PASSED|FAILED) .*test_full_disk_is_a_clear_error_and_loses_nothing\[(?P<name>[a-z ]+)\]")
OUTCOMES = ("before writing", "files only", "committed", "finished")


def summary(log: Path) -> str:
    """A Markdown table of a battery's log: per command, the kills checked, what they interrupted, and the
    full-disk run's result."""
    kills: dict = collections.defaultdict(collections.Counter)
    disks = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if m := KILL_LINE.match(line):
            kills[m["name"]]["checked"] += 1
            kills[m["name"]][m["landed"]] += 1
        elif m := FULL_DISK.match(line):
            disks[m["name"]] = m["result"].lower()
    rows = ["| command | kills checked | " + " | ".join(OUTCOMES) + " | full disk |", "| --- " * 7 + "|"]
    for name in sorted(set(kills) | set(disks)):
        c = kills[name]
        rows.append(f"| `{name}` | {c['checked']} | " + " | ".join(str(c[o]) for o in OUTCOMES)
                    + f" | {disks.get(name, 'not run')} |")
    total = sum(c["checked"] for c in kills.values())
    return "\n".join(rows) + f"\n\n{total} kills checked in all."


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--only", action="append", default=[], help="a command's name (repeatable); default all seven")
    p.add_argument("--no-full-disk", action="store_true", help="only the kills")
    p.add_argument("--log", type=Path, default=None)
    p.add_argument("--basetemp", type=Path, help="pytest's --basetemp (one per battery when several run at once)")
    p.add_argument("--summary", type=Path, metavar="LOG", help="print the table of a battery's log and exit")
    args = p.parse_args(argv)
    if args.summary:
        print(summary(args.summary))
        return 0
    log = args.log or ROOT / "bench" / "results" / f"crash-battery-{dt.date.today().isoformat()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    tests = ["tests/test_crash_writers.py::test_kill_9_at_random_moments_loses_nothing"]
    if not args.no_full_disk:
        tests.append("tests/test_crash_writers.py::test_full_disk_is_a_clear_error_and_loses_nothing")
    if args.only:  # each command's own test ids ("import" is not also "import outside", as with -k)
        tests = [f"{t}[{name}]" for name in args.only for t in tests]
    cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-rA", *tests]
    if args.basetemp:
        cmd += ["--basetemp", str(args.basetemp)]
    env = {**os.environ, "LEDGER_WRITER_KILLS": str(args.kills), "LEDGER_WRITER_SEED": str(args.seed),
           "LEDGER_WRITER_PROGRESS": "1"}
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"# {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')} kills={args.kills} "
                  f"seed={args.seed} only={args.only or 'all'}\n# {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            out.write(line)
            out.flush()
        rc = proc.wait()
        out.write(f"# exit {rc} after {time.monotonic() - started:.0f} s\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
