"""Publishing the ledger with Datasette, read-only for visitors.

``ledger serve`` serves a snapshot: the ledger is checkpointed and copied
with ``VACUUM INTO`` to a read-only file that Datasette opens immutable
(``?immutable=1``: its connections cannot write, and the file can be
downloaded so anyone can run ``ledger verify`` on it). The ledger itself
stays writable while it is served; nothing changes the snapshot. With
``live=True`` Datasette opens the ledger file itself, read-only
(``?mode=ro``), and shows writes as they land; Datasette then offers no
download (it only offers immutable files).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from ledger.store.db import open_db, refresh

HOST = "127.0.0.1"
# Datasette's defaults, stated so they cannot drift upwards; facet
# suggestions are off because each costs a query on every table page.
SETTINGS = {
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 1000,
    "facet_time_limit_ms": 200,
    "allow_download": True,
    "suggest_facets": False,
}
# The database name in URLs (/ledger/claims/...) and in metadata.yml
DATABASE_NAME = "ledger"


def snapshot(db_path: str | Path, directory: str | Path) -> Path:
    """A consistent, read-only copy of the ledger at ``directory/ledger.db``.

    Brings the schema and views up to date first (the owner's ledger, not
    the copy), so a ledger built before a view was added still shows it.
    """
    db = open_db(db_path, create=False)
    try:
        refresh(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out = Path(directory) / f"{DATABASE_NAME}.db"
        if out.exists():
            out.unlink()
        db.execute("VACUUM INTO ?", [str(out)])
    finally:
        db.close()
    out.chmod(0o444)
    return out


def prepare_live(db_path: str | Path) -> Path:
    """Bring the ledger's schema and views up to date and checkpoint it, for serving in place."""
    db = open_db(db_path, create=False)
    try:
        refresh(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return Path(db_path)


def datasette_command(
    db_file: str | Path,
    *,
    port: int,
    metadata: str | Path | None,
    immutable: bool = True,
    sql_time_limit_ms: int = 1000,
) -> list[str]:
    """The ``datasette serve`` command line: 127.0.0.1 only, read-only
    connections, a SQL time limit, downloads on, and none of ``--cors``,
    ``--crossdb``, ``--root`` or ``--load-extension``."""
    args = [sys.executable, "-m", "datasette", "serve"]
    args += ["-i", str(db_file)] if immutable else [str(db_file)]
    args += ["-h", HOST, "-p", str(port)]
    if metadata:
        args += ["-m", str(metadata)]
    for name, value in settings(sql_time_limit_ms).items():
        if isinstance(value, bool):
            value = "on" if value else "off"
        args += ["--setting", name, str(value)]
    return args


def settings(sql_time_limit_ms: int = 1000) -> dict:
    """Datasette settings for serving the ledger (as ``Datasette(settings=...)`` takes them)."""
    return dict(SETTINGS, sql_time_limit_ms=sql_time_limit_ms)


def run_datasette(args: list[str], env: dict) -> int:
    """Run Datasette as a child until it exits; its exit code.

    A SIGTERM or SIGHUP to ``ledger serve`` stops Datasette too (otherwise it
    is left running, orphaned, when the parent is killed); Ctrl-C reaches
    both through the terminal, and counts as a normal stop.
    """
    import signal
    import subprocess

    child = subprocess.Popen(args, env=env)
    stopped = []

    def stop(signum, frame):
        stopped.append(signum)
        child.terminate()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:
                child.terminate()
                stopped.append(signal.SIGINT)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopped else code


def serve_environment(environ=None) -> dict:
    """The environment for Datasette: a random ``DATASETTE_SECRET`` (which
    signs its cookies) unless one is set."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("DATASETTE_SECRET"):
        env["DATASETTE_SECRET"] = secrets.token_hex(32)
    return env
