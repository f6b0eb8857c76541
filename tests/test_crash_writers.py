"""Issue 13: kill -9 at seeded random moments, and a full disk, during every command that writes.

For each writing command (claim add on a 1 MB claims file, source add of a 30 MB text, import, review add,
supersede, export), one uninterrupted run is timed on a copy of a prepared repository, then each run starts
the command on a fresh copy and kills it with SIGKILL at a seeded random moment within that duration (a few
just after it). After every kill, and after a run with a file-size limit (RLIMIT_FSIZE, a full disk):

- the next command, `ledger build`, succeeds: every file parses (and heals what the kill left: the files win);
- `ledger verify` passes;
- the files and the database agree: as many claims in the database as in the claims files, a source for
  every text, a status event in the database for every line of history/events/*.jsonl, a review for every line of
  reviews/*.jsonl, and `ledger verify --files` agrees.

The default run kills each command LEDGER_WRITER_KILLS=2 times (8 minutes with 3 on the loaded 2-core machine);
the issue's 50 per command is ``python -m bench.crash_battery`` (this file with LEDGER_WRITER_KILLS=50, logged
to bench/results/; a slow run, done before a landing and reported in RELIABILITY.md). LEDGER_WRITER_SEED
replays a run.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

LEDGER_BIN = Path(sys.executable).parent / "ledger"
KILLS = int(os.environ.get("LEDGER_WRITER_KILLS", "2"))
SEED = int(os.environ.get("LEDGER_WRITER_SEED", "20261207"))
BIG_CLAIMS = 1500  # with their notes, a 1 MB claims file
SMALL_CLAIMS = 150

pytestmark = pytest.mark.timeout(max(3600, KILLS * 240))  # a loaded machine takes minutes a kill at 30 MB


def harbour_text(n: int, tag: str) -> str:
    return "".join(f"{tag} item {i}: the registry counted {(i * 7919) % 10007} boats in harbour {i}.\n" for i in range(n))


def harbour_claims(n: int, tag: str, source: str, note_repeats: int = 2) -> str:
    items = []
    for i in range(n):
        v = (i * 7919) % 10007
        items.append(
            f"- subject: harbour {i}\n  predicate: boat_count\n  value: '{v}'\n"
            f"  quote: '{tag} item {i}: the registry counted {v} boats in harbour {i}'\n  confidence: 0.9\n"
            f"  note: '{'counted from the registry published by the port authority, see the annex. ' * note_repeats}'\n"
        )
    return f"source: {source}\nclaims:\n" + "".join(items)


def ledger(*args, cwd, **kw):
    return subprocess.run([str(LEDGER_BIN), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=900, **kw)


def prepare(root: Path, n_claims: int, note_repeats: int = 2, claims_file: str = "harbours.yml") -> Path:
    root.mkdir()
    text = root / "harbours-in.txt"
    text.write_text(harbour_text(n_claims, "H"))
    r = ledger("source", "add", text, "--slug", "harbours", "--title", "Harbours", "--publisher", "Port News", cwd=root)
    assert r.returncode == 0, r.stderr
    text.unlink()
    (root / "claims" / claims_file).parent.mkdir(parents=True)
    (root / "claims" / claims_file).write_text(harbour_claims(n_claims, "H", "harbours", note_repeats))
    r = ledger("build", "--db", "ledger.db", "--silent", cwd=root)
    assert r.returncode == 0, r.stderr
    return root


class Repos(dict):
    """The prepared repositories and inputs, each made the first time a test asks for it (a run of one
    command does not prepare the others')."""

    def __init__(self, base: Path):
        super().__init__()
        self.base = base

    def __missing__(self, key):
        base = self.base
        if key == "big":
            # claim add appends to its author's file, claims/<slug>/<author>.yml (issue 13): desk's is the 1 MB one
            self[key] = prepare(base / "big", BIG_CLAIMS, note_repeats=7, claims_file="harbours/desk.yml")
            assert (self[key] / "claims" / "harbours" / "desk.yml").stat().st_size > 1_000_000
        elif key == "small":
            self[key] = prepare(base / "small", SMALL_CLAIMS)
        elif key == "thirty":
            thirty = base / "thirty.txt"
            line = "A long report, line after line, of figures gathered in the provinces over the years.\n"
            thirty.write_text(line * (30 * 1024 * 1024 // len(line) + 1))
            self[key] = thirty
        elif key == "incoming":
            incoming = base / "new.yml"
            incoming.write_text(harbour_claims(SMALL_CLAIMS, "H", "harbours").replace("boat_count", "boats_counted"))
            self[key] = incoming
        elif key == "claim":
            conn = sqlite3.connect(self["small"] / "ledger.db")
            self[key] = conn.execute("SELECT id FROM claims ORDER BY id LIMIT 1").fetchone()[0]
            conn.close()
        else:
            raise KeyError(key)
        return self[key]


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    return Repos(tmp_path_factory.mktemp("writers"))


def command(repos, name) -> tuple:
    """(prepared repository, arguments, setup(copy)) of the writing command ``name``."""

    def put_incoming(copy):  # the file to import is in claims/, so `ledger build` reads it too
        shutil.copy(repos["incoming"], copy / "claims" / "new.yml")

    if name == "claim add":
        return (repos["big"], ["claim", "add", "harbours", "--subject", "harbour 7", "--predicate", "noted",
                               "--value", "registry", "--confidence", "0.8", "--quote", "H item 7: the registry",
                               "--recorded-by", "desk"], None)
    if name == "source add":
        return (repos["small"], ["source", "add", repos["thirty"], "--title", "Thirty megabytes",
                                 "--publisher", "Provincial Office"], None)
    if name == "import":
        return (repos["small"], ["import", "--silent", "claims/new.yml"], put_incoming)
    if name == "review add":
        return (repos["small"], ["review", "add", repos["claim"], "--rating", "True", "--reviewer", "Desk",
                                 "--url", "https://factcheck.example.org/r", "--date", "2026-12-01"], None)
    if name == "supersede":
        return (repos["small"], ["claim", "supersede", repos["claim"], "--confidence", "0.5", "--reason", "misread"], None)
    if name == "export":
        return (repos["small"], ["export", "--format", "files", "--out", "out", "--force"], None)
    raise KeyError(name)


def fresh_copy(prepared: Path, dest: Path, setup) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(prepared, dest)
    if setup:
        setup(dest)
    return dest


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def check_after(root: Path, name: str) -> None:
    """The next command heals, verify passes, files and database agree."""
    if name == "export":
        check_export(root)
        return
    r = ledger("build", "--db", "ledger.db", "--silent", cwd=root)
    assert r.returncode == 0, f"{name}: the next build failed: {r.stderr}"
    r = ledger("verify", "--db", "ledger.db", "--files", ".", cwd=root)  # the files and the database agree too
    assert r.returncode == 0, f"{name}: verify failed: {r.stdout}{r.stderr}"
    db = root / "ledger.db"
    in_files = count(db, "SELECT coalesce(sum(claims), 0) FROM claim_files")
    assert in_files == count(db, "SELECT count(*) FROM claims"), f"{name}: claims in the files and the database differ"
    texts = len(list((root / "sources").glob("*.txt")))
    assert texts == count(db, "SELECT count(*) FROM sources"), f"{name}: source texts and rows differ"
    # status events: history/events.jsonl (older layout) and history/events/<author>.jsonl (one file per author)
    events = [root / "history" / "events.jsonl", *sorted((root / "history" / "events").glob("*.jsonl"))]
    lines = sum(len(e.read_text().splitlines()) for e in events if e.exists())
    assert lines == count(db, "SELECT count(*) FROM claim_events"), f"{name}: events files and database differ"
    reviews = sum(len(f.read_text().splitlines()) for f in sorted((root / "reviews").glob("*.jsonl")))
    assert reviews == count(db, "SELECT count(*) FROM reviews"), f"{name}: reviews files and database differ"


def check_export(root: Path) -> None:
    """Whatever a killed export left parses; the export run again is whole and builds the same ledger."""
    from ledger.formats.claimfile import iter_records
    from ledger.formats.sources import read_source

    out = root / "out"
    for f in (out / "claims").glob("*.yml") if (out / "claims").exists() else []:
        list(iter_records(f))
    for t in (out / "sources").glob("*.txt") if (out / "sources").exists() else []:
        read_source(t)
    r = ledger("export", "--format", "files", "--out", "out", "--force", "--db", "ledger.db", cwd=root)
    assert r.returncode == 0, r.stderr
    r = ledger("build", "--db", "rebuilt.db", "--sources", "out/sources", "--claims", "out/claims", "--silent", cwd=root)
    assert r.returncode == 0, r.stderr
    assert count(root / "rebuilt.db", "SELECT count(*) FROM claims") == count(root / "ledger.db", "SELECT count(*) FROM claims")
    r = ledger("verify", "--db", "ledger.db", cwd=root)
    assert r.returncode == 0, r.stdout + r.stderr


NAMES = ["claim add", "source add", "import", "review add", "supersede", "export"]


@pytest.mark.parametrize("name", NAMES)
def test_kill_9_at_random_moments_loses_nothing(repos, tmp_path, name):
    prepared, args, setup = command(repos, name)
    rng = random.Random(f"{SEED}-{name}")
    work = tmp_path / "run"
    fresh_copy(prepared, work, setup)
    t0 = time.monotonic()
    r = ledger(*args, "--db", "ledger.db", cwd=work)
    duration = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    check_after(work, name)
    outcomes = []
    for n in range(KILLS):
        fresh_copy(prepared, work, setup)
        delay = duration * (rng.uniform(0.05, 1.0) if n % 5 else rng.uniform(0.85, 1.15))
        proc = subprocess.Popen([str(LEDGER_BIN), *map(str, args), "--db", "ledger.db"], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        try:
            while proc.poll() is None and time.monotonic() - started < delay:
                time.sleep(0.005)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            rc = proc.wait()
        if rc == 0:  # it finished before its kill: the machine got faster; aim later kills within a run now
            duration = min(duration, time.monotonic() - started)
        outcomes.append((round(delay, 2), rc))
        check_after(work, name)
        if os.environ.get("LEDGER_WRITER_PROGRESS"):  # a long run: each kill as it is checked
            print(f"{name}: kill {n + 1}/{KILLS} at {delay:.2f} s of {duration:.2f} s, exit {rc}: checked", flush=True)
    killed = sum(1 for _, rc in outcomes if rc == -signal.SIGKILL)
    print(f"\n{name}: {KILLS} kills over a {duration:.2f} s run, {killed} interrupted it: {outcomes}")
    assert len(outcomes) == KILLS
    assert killed >= KILLS // 2  # the kills really land inside the command


# a file-size limit per command below what it must write, above what it must read and lock
LIMITS = {"claim add": 256 * 1024, "source add": 1024 * 1024, "import": 64 * 1024, "review add": 16 * 1024,
          "supersede": 16 * 1024, "export": 8 * 1024}


@pytest.mark.parametrize("name", NAMES)
def test_full_disk_is_a_clear_error_and_loses_nothing(repos, tmp_path, name):
    prepared, args, setup = command(repos, name)
    work = fresh_copy(prepared, tmp_path / "run", setup)
    limit = LIMITS[name]

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([str(LEDGER_BIN), *map(str, args), "--db", "ledger.db"], cwd=work, capture_output=True,
                       text=True, timeout=900, preexec_fn=small_disk)
    assert r.returncode == 1, f"{name}: {r.returncode} {r.stdout} {r.stderr}"
    assert "Traceback" not in r.stderr and r.stderr.startswith("Error: "), r.stderr
    assert "run the command again" in r.stderr or "free some space" in r.stderr, r.stderr
    check_after(work, name)
