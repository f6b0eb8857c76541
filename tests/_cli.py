"""Helpers shared by the CLI-level tests: run a command, query a ledger file."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from ledger.cli import cli


def run(*args, ok=True, env=None):
    """Invoke ``ledger ARGS`` in-process; with ``ok``, assert it exited 0."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def q(db_path, sql, params=()):
    """Rows of ``sql`` on the ledger file, through a connection of its own."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
