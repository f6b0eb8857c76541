"""Issue 13: kill -9 at seeded random moments, and a full disk, during every command that writes.

For each writing command (claim add on a 1 MB claims file, source add of a 30 MB text, import, review add,
supersede, export; import both of a file already in claims/ and of one from outside, which it copies in
first), one uninterrupted run is timed on a copy of a prepared repository: the whole run, and its
work (from the moment it opens the database, seen in /proc/PID/fd, to its end; before that it is starting
Python and importing, and can write nothing). Then each run starts the command on a fresh copy and kills it
with SIGKILL at a seeded random moment: four in five within its work (a few just after its end), one in five
anywhere in the whole run. After every kill, and after a run with a file-size limit (RLIMIT_FSIZE, a full
disk):

- the next command, `ledger build`, succeeds: every file parses (and heals what the kill left: the files win);
- `ledger verify --files .` passes: spans, hashes, the history chain, and the files and the database hold
  the same sources, claims, events and reviews;
- counted independently: as many claims in the database as in the claims files, a source for every text, a
  status event in the database for every line of history/events/*.jsonl, a review for every line of
  reviews/*.jsonl.

The build and the verify after a kill run in this process through the same functions the command line calls
(``services.record.build``, ``services.integrity.check``), on a new copy each time (no cache of one copy can
answer for the next): the same checks without two interpreters' start-up per kill. Each kill is also
classified by what it interrupted: before anything was written, after the files and before the database
commit (the case the next build heals), or after the commit.

The default run kills each command LEDGER_WRITER_KILLS=2 times; the issue's 50 per command is
``python -m bench.crash_battery`` (this file with LEDGER_WRITER_KILLS=50, logged to bench/results/; a slow
run, reported in RELIABILITY.md). LEDGER_WRITER_SEED replays a run.
"""

from __future__ import annotations

import contextlib
import hashlib
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
SMALL_CLAIMS = 150  # import's file and the repository it goes into
TINY_CLAIMS = 30  # review add, supersede, export: the issue fixes no size for them

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
        elif key == "tiny":
            self[key] = prepare(base / "tiny", TINY_CLAIMS)
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
            conn = sqlite3.connect(self["tiny"] / "ledger.db")
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
    if name == "import outside":  # a file from outside claims/ is copied in (claims/imported/TIME--new.yml) first
        return (repos["small"], ["import", "--silent", repos["incoming"]], None)
    if name == "review add":
        return (repos["tiny"], ["review", "add", repos["claim"], "--rating", "True", "--reviewer", "Desk",
                                 "--url", "https://factcheck.example.org/r", "--date", "2026-12-01"], None)
    if name == "supersede":
        return (repos["tiny"], ["claim", "supersede", repos["claim"], "--confidence", "0.5", "--reason", "misread"], None)
    if name == "export":
        return (repos["tiny"], ["export", "--format", "files", "--out", "out", "--force"], None)
    raise KeyError(name)


def fresh_copy(prepared: Path, dest: Path, setup) -> Path:
    """A copy of the prepared repository at ``dest`` (cp's reflinks where the file system has them)."""
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["cp", "-a", "--reflink=auto", str(prepared), str(dest)], check=True)
    if setup:
        setup(dest)
    return dest


def files_digest(root: Path) -> str:
    """The repository's files (sources, claims, history, reviews, out/ of an export): names and bytes."""
    h = hashlib.sha256()
    for top in ("sources", "claims", "history", "reviews", "out"):
        for f in sorted((root / top).rglob("*")) if (root / top).exists() else []:
            if f.is_file():
                h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def history_entries(root: Path) -> int:
    return count(root / "ledger.db", "SELECT count(*) FROM history")


def what_it_interrupted(root: Path, before: tuple, rc: int) -> str:
    """``finished`` (exit 0 before its kill), ``before writing`` (files and database as prepared),
    ``files only`` (files written, the database commit not reached: what the next build heals),
    ``committed`` (the database holds the act too)."""
    if rc == 0:
        return "finished"
    files, entries = files_digest(root), history_entries(root)
    if entries != before[1]:
        return "committed"
    return "files only" if files != before[0] else "before writing"


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@contextlib.contextmanager
def _in(root: Path):
    old = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(old)


def next_build(root: Path, name: str, db_name: str = "ledger.db", **dirs) -> None:
    """`ledger build --db DB` (``cli.commands.build``: open_db, then ``record.build``), in this process."""
    from ledger.services import record
    from ledger.store.db import open_db

    with _in(root):
        db = open_db(db_name)
        try:
            record.build(db, dirs.get("sources", "sources"), dirs.get("claims", "claims"))
        except Exception as e:  # the message says which command's kill left what
            raise AssertionError(f"{name}: the next build failed: {type(e).__name__}: {e}") from e
        finally:
            db.conn.close()


def verify_files(root: Path, name: str, files: bool = True) -> None:
    """`ledger verify --db ledger.db [--files .]` (``services.integrity.check``), in this process."""
    from ledger.services import integrity

    with _in(root):
        report = integrity.check("ledger.db", files_root="." if files else None)
    assert report["ok"] and report["exit_code"] == 0, f"{name}: verify failed: {report['failures'][:20]}"


def check_after(root: Path, name: str) -> None:
    """The next command heals, verify passes, files and database agree."""
    if name == "export":
        check_export(root)
        return
    next_build(root, name)
    verify_files(root, name)  # the files and the database agree too
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
    """Whatever a killed export left parses; the export run again is whole and builds the same ledger, and
    the ledger it read is as it was (verify passes, its rows unchanged)."""
    from ledger.formats.claimfile import iter_records
    from ledger.formats.sources import read_source

    out = root / "out"
    for f in (out / "claims").glob("*.yml") if (out / "claims").exists() else []:
        list(iter_records(f))
    for t in (out / "sources").glob("*.txt") if (out / "sources").exists() else []:
        read_source(t)
    r = ledger("export", "--format", "files", "--out", "out", "--force", "--db", "ledger.db", cwd=root)
    assert r.returncode == 0, r.stderr
    next_build(root, "export", "rebuilt.db", sources="out/sources", claims="out/claims")
    for table in ("claims", "sources", "claim_events", "reviews"):
        assert count(root / "rebuilt.db", f"SELECT count(*) FROM {table}") == \
            count(root / "ledger.db", f"SELECT count(*) FROM {table}"), f"export: {table} of the rebuilt ledger differ"
    verify_files(root, "export", files=False)


NAMES = ["claim add", "source add", "import", "import outside", "review add", "supersede", "export"]


def opened_db(pid: int, db: Path) -> bool:
    """Whether process ``pid`` has the ledger database open (its start-up is over: it is at work)."""
    fds = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fds)
    except OSError:
        return False
    for fd in names:
        try:
            if os.readlink(f"{fds}/{fd}") == str(db):
                return True
        except OSError:
            continue
    return False


def run(args, work: Path, kill_at=None) -> tuple[int, float | None, float]:
    """Run the command in ``work``; with ``kill_at(at_work)`` (``at_work``: seconds from the start until it
    opened the database, or None while it has not), SIGKILL it once that many seconds have passed since its
    start. Returns (exit code, seconds until it opened the database or None, seconds it ran)."""
    db = (work / "ledger.db").resolve()
    proc = subprocess.Popen([str(LEDGER_BIN), *map(str, args), "--db", "ledger.db"], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    at_work = None
    try:
        while proc.poll() is None:
            now = time.monotonic() - started
            if at_work is None and opened_db(proc.pid, db):
                at_work = now
            if kill_at is not None and now >= kill_at(at_work):
                break
            time.sleep(0.001 if at_work is None else 0.002)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        rc = proc.wait()
    err = proc.stderr.read()
    proc.stderr.close()
    assert rc in (0, -signal.SIGKILL), f"exit {rc} before its kill: {err}"
    return rc, at_work, time.monotonic() - started


@pytest.mark.parametrize("name", NAMES)
def test_kill_9_at_random_moments_loses_nothing(repos, tmp_path, name):
    prepared, args, setup = command(repos, name)
    rng = random.Random(f"{SEED}-{name}")
    work = fresh_copy(prepared, tmp_path / "run-0", setup)
    before = (files_digest(work), history_entries(work))
    rc, at_work, duration = run(args, work)
    assert rc == 0 and at_work is not None, f"{name}: the uninterrupted run: exit {rc}, opened the database at {at_work}"
    window = duration - at_work  # from opening the database to the end
    check_after(work, name)
    outcomes = []
    for n in range(KILLS):
        shutil.rmtree(work)
        work = fresh_copy(prepared, tmp_path / f"run-{n + 1}", setup)
        if n % 5:  # at a moment of its work: after it opened the database, before it would end (a few just after)
            after = window * rng.uniform(0.0, 1.1)
            kill_at = lambda at_work, after=after: float("inf") if at_work is None else at_work + after  # noqa: E731
        else:  # at any moment of the whole run, start-up included
            after = duration * rng.uniform(0.0, 1.1)
            kill_at = lambda at_work, after=after: after  # noqa: E731
        rc, at, took = run(args, work, kill_at)
        if rc == 0 and at is not None:  # it finished before its kill: the machine got faster; aim later kills so
            window = min(window, took - at)
            duration = min(duration, took)
        landed = what_it_interrupted(work, before, rc)
        outcomes.append((round(after, 3), "work" if n % 5 else "run", rc, landed))
        check_after(work, name)
        if os.environ.get("LEDGER_WRITER_PROGRESS"):  # a long run: each kill as it is checked
            print(f"{name}: kill {n + 1}/{KILLS} at {after:.3f} s into its {'work' if n % 5 else 'run'} (work "
                  f"{window:.2f} s of {duration:.2f} s), exit {rc}, {landed}: checked", flush=True)
    killed = sum(1 for o in outcomes if o[2] == -signal.SIGKILL)
    kinds = {k: sum(1 for o in outcomes if o[3] == k) for k in ("before writing", "files only", "committed", "finished")}
    print(f"\n{name}: {KILLS} kills over a {duration:.2f} s run ({window:.2f} s of work), {killed} interrupted it: "
          f"{kinds}; {outcomes}")
    assert len(outcomes) == KILLS
    assert killed >= KILLS // 2  # the kills really land inside the command


# a file-size limit per command below what it must write, above what it must read and lock
LIMITS = {"claim add": 256 * 1024, "source add": 1024 * 1024, "import": 64 * 1024, "import outside": 64 * 1024,
          "review add": 16 * 1024, "supersede": 16 * 1024, "export": 8 * 1024}


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
