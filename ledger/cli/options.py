"""The options and helpers every ``ledger`` command shares: --db, --json, library errors as click errors."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import click

from ledger.core.errors import LedgerError

DEFAULT_DB = "ledger.db"


class LedgerCommandError(click.ClickException):
    """A library error shown as ``Error: …`` with the error's exit code."""

    def __init__(self, error: LedgerError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


@contextlib.contextmanager
def user_errors():
    try:
        yield
    except LedgerError as e:
        raise LedgerCommandError(e) from None
    except sqlite3.OperationalError as e:
        if "full" not in str(e) and "disk I/O" not in str(e):
            raise
        # a full disk (or a file-size limit) while SQLite wrote: its transaction was rolled back
        raise click.ClickException(
            f"the ledger database could not be written ({e}); nothing was recorded: free some space and run "
            "the command again (`ledger build` brings the ledger up to date with any files already written)"
        ) from None


def db_option(fn):
    return click.option(
        "--db",
        "db_path",
        default=DEFAULT_DB,
        show_default=True,
        envvar="LEDGER_DB",
        type=click.Path(dir_okay=False),
        help="The ledger database file (env LEDGER_DB)",
    )(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only")(fn)


def emit_json(obj):
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=_as_json))


def _as_json(value):
    """A value JSON has no form for: a BLOB (a key stored so behind the ledger's back, named by verify) as
    SQL writes it, x'…' (audit5); anything else is still an error."""
    if isinstance(value, bytes):
        return f"x'{value.hex()}'"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def note(msg: str):
    click.echo(msg, err=True)
