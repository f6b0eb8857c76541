"""Shared helpers for the reliability tests (issue 8): what a ledger file
holds, captured so a test can say "nothing changed" and mean it."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
from pathlib import Path


def _tables(conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not r[0].startswith("sqlite_")
    ]


def history_heads(conn) -> dict:
    """The last row of every table whose name says it is a history/chain, as a
    tuple: the head of a hash chain when issue 5's history table exists."""
    heads = {}
    for t in _tables(conn):
        if "history" in t or "chain" in t or "checkpoint" in t:
            row = conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid DESC LIMIT 1').fetchone()
            heads[t] = tuple(row) if row else None
    return heads


def ledger_state(db_path) -> dict:
    """Row counts of every table, the history head(s) if any, and a SHA-256
    of the full SQL dump (schema and every row): equal states mean the file
    holds exactly the same things."""
    path = Path(db_path)
    if not path.exists():
        return {"exists": False}
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        tables = _tables(conn)
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode("utf-8", "surrogatepass"))
            digest.update(b"\n")
        return {"exists": True, "counts": counts, "heads": history_heads(conn), "dump_sha256": digest.hexdigest()}
    finally:
        conn.close()


def free_port() -> int:
    """A port nobody is listening on, from the kernel (bind to port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: list[str], cwd, port: int, timeout: float = 60):
    """Start ``ledger serve`` (which runs Datasette as its child) in its own
    process group, and wait until it answers on ``port``."""
    import subprocess
    import time
    import urllib.request

    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise RuntimeError("server did not start: " + proc.stdout.read().decode(errors="replace"))
            time.sleep(0.2)


def stop_server(proc) -> None:
    """Stop the server and its Datasette child: the process group started above."""
    import os
    import signal
    import subprocess

    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
