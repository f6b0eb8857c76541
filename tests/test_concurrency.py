"""Concurrency (issue 8): several writers at once while Datasette serves reads.

Writers: real ``ledger`` processes and threads with their own connections.
Every claim must land, no writer may fail with "database is locked" (busy
timeout, ``BEGIN IMMEDIATE``, retries in ``ledger.db``), and a reader must
only ever see whole imports: the claim count it reads is always the base
plus a whole number of imports.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from _reliability import free_port, start_server, stop_server
from ledger.store.db import open_db
from ledger.services.ingest import build, import_files

LEDGER_BIN = Path(sys.executable).parent / "ledger"
WRITERS = 4


def sentence(w: int, i: int) -> str:
    return f"Writer {w} notes that depot {w}-{i} shipped {(w * 131 + i * 17) % 9973} crates."


def make_sources(directory: Path, per_source: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for w in range(WRITERS):
        text = "\n".join(sentence(w, i) for i in range(per_source)) + "\n"
        (directory / f"depot-{w}.txt").write_text(text, encoding="utf-8")


def claims_file(path: Path, w: int, indices) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in indices:
            f.write(
                json.dumps(
                    {
                        "source": f"depot-{w}",
                        "subject": f"depot {w}-{i}",
                        "predicate": "crates_shipped",
                        "value": str((w * 131 + i * 17) % 9973),
                        "quote": sentence(w, i).rstrip("."),
                        "confidence": 0.7,
                    }
                )
                + "\n"
            )
    return path


def count(db: Path) -> int:
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    finally:
        conn.close()


class Reader(threading.Thread):
    """Reads the claim count through Datasette's JSON API until told to stop
    (bounded: at most 3,000 requests or 240 s)."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/ledger.json?sql=select+count(*)+as+n+from+claims&_shape=array"
        self.page = f"http://127.0.0.1:{port}/ledger/claims?_size=5"
        self.stop = threading.Event()
        self.counts: list[int] = []
        self.errors: list[str] = []

    def run(self):
        deadline = time.monotonic() + 240
        for n in range(3000):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                with urllib.request.urlopen(self.url, timeout=30) as r:
                    self.counts.append(json.loads(r.read())[0]["n"])
                if n % 5 == 0:
                    with urllib.request.urlopen(self.page, timeout=30) as r:
                        assert r.status == 200
            except (urllib.error.URLError, OSError, AssertionError, ValueError) as e:
                self.errors.append(repr(e))
            time.sleep(0.02)


@pytest.fixture
def served(tmp_path):
    """A ledger holding the sources only, served by `ledger serve` on a free port."""
    per_source = 1500
    make_sources(tmp_path / "sources", per_source)
    (tmp_path / "claims").mkdir()
    db_path = tmp_path / "ledger.db"
    db = open_db(db_path)
    build(db, tmp_path / "sources", tmp_path / "claims")
    db.close()
    port = free_port()
    # --live: Datasette reads the ledger file itself, so reads see each import as it commits
    server = start_server([str(LEDGER_BIN), "serve", "--db", str(db_path), "--port", str(port), "--live"], tmp_path, port)
    yield {"db": db_path, "port": port, "root": tmp_path, "per_source": per_source}
    stop_server(server)


def test_four_importer_processes_while_datasette_reads(served):
    root, db = served["root"], served["db"]
    n = served["per_source"]
    files = [claims_file(root / f"w{w}.jsonl", w, range(n)) for w in range(WRITERS)]
    reader = Reader(served["port"])
    reader.start()
    time.sleep(0.3)
    procs = [
        subprocess.Popen(
            [str(LEDGER_BIN), "import", "--db", str(db), "--silent", "--json", str(f)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    time.sleep(0.3)
    reader.stop.set()
    reader.join(timeout=60)
    for p, (out, err) in zip(procs, outs):
        assert "locked" not in err and "busy" not in err, err
        assert p.returncode == 0, err
        assert json.loads(out)["added"] == n
    assert count(db) == WRITERS * n
    print(f"\nreader saw counts {sorted(set(reader.counts))} in {len(reader.counts)} reads")
    assert reader.errors == []
    assert len(reader.counts) >= 10
    # readers see whole imports only, never part of one
    assert all(c % n == 0 for c in reader.counts), sorted(set(reader.counts))
    assert reader.counts == sorted(reader.counts)
    assert reader.counts[-1] == WRITERS * n
    verify = subprocess.run([str(LEDGER_BIN), "verify", "--db", str(db)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_many_small_imports_from_four_threads_while_datasette_reads(served):
    """Many short transactions contend far more than four long ones."""
    root, db = served["root"], served["db"]
    rounds, size = 25, 20
    reader = Reader(served["port"])
    reader.start()
    errors: list[str] = []
    added = [0] * WRITERS

    def writer(w: int):
        conn = open_db(db)
        try:
            for r in range(rounds):
                path = claims_file(root / f"t{w}-{r}.jsonl", w, range(r * size, (r + 1) * size))
                try:
                    added[w] += import_files(conn, [path]).added
                except Exception as e:  # noqa: BLE001 - any failure is what the test reports
                    errors.append(f"writer {w} round {r}: {e!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    reader.stop.set()
    reader.join(timeout=60)
    print(f"\nreader saw {len(set(reader.counts))} distinct counts in {len(reader.counts)} reads")
    assert errors == []
    assert added == [rounds * size] * WRITERS
    assert count(db) == WRITERS * rounds * size
    assert reader.errors == []
    assert all(c % size == 0 for c in reader.counts)


def test_four_builds_of_a_new_ledger_at_once_agree(tmp_path):
    """Four `ledger build`s race to create, migrate and fill the same new file."""
    make_sources(tmp_path / "sources", 200)
    (tmp_path / "claims").mkdir()
    for w in range(WRITERS):
        claims_file(tmp_path / "claims" / f"depot-{w}.jsonl", w, range(200))
    db = tmp_path / "race.db"
    procs = [
        subprocess.Popen(
            [str(LEDGER_BIN), "build", "--db", str(db), "--silent", "--json"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert "locked" not in err
        results.append(json.loads(out))
    # exactly one build added everything; the others found it there
    assert sorted(r["added"] for r in results) == [0] * (WRITERS - 1) + [WRITERS * 200]
    assert count(db) == WRITERS * 200
    verify = subprocess.run([str(LEDGER_BIN), "verify", "--db", str(db)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
