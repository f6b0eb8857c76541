"""The ``ledger`` command line: parses options, calls the library, prints.

Exit codes: 0 success; 1 bad input or a failed check (nothing written);
2 usage error; ``ledger verify`` uses 3 (spans), 4 (hashes), 5 (chain),
6 (database), 7 (schema), 8 (derived tables), 10 (with --files: the files
and the database differ); 9 (any command): the --db file is not a ledger.
"""

from ledger.cli.commands import cli

# Each feature module defines its commands and a ``register(cli)`` that adds them (to the top level, or to a
# noun group via ``cli.commands["claim"]``); listed here, not found by name, so the order is stated.
from ledger.cli import capture, compare, extract, formats, history, package, tlog  # noqa: E402

for _module in (formats, compare, extract, history, tlog, package, capture):
    _module.register(cli)

__all__ = ["cli"]
