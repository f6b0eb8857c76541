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
