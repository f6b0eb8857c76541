"""Fuzz the claim-file parser with atheris (issue 8).

The contract: whatever bytes a claims file holds, reading it either gives
validated claims or raises a ``LedgerError`` subclass with a message; any
other exception (a traceback for the user) is a crash. The first input byte
picks the file type (.yml/.json/.jsonl/.csv/.jsonld), the rest is the file.

Run briefly (CI does, see .ci/run):

    .venv/bin/python fuzz/fuzz_claimfile.py -max_total_time=45 /tmp/corpus fuzz/corpus

``check(data)`` is importable without atheris, so tests/test_properties.py
replays the seed corpus through the same target.
"""

from __future__ import annotations

import os
import sys
import tempfile

# the first byte picks the reader: YAML, JSON (or W3C annotations, by their
# @context), JSON Lines, CSV, JSON-LD annotations
SUFFIXES = (".yml", ".json", ".jsonl", ".csv", ".jsonld")
_DIR = None


def _scratch() -> str:
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="ledger-fuzz-")
    return _DIR


def check(data: bytes) -> int:
    """Parse ``data`` as a claims file; return how many claims it held."""
    from ledger.formats import claimfile
    from ledger.core.errors import LedgerError

    if not data:
        return 0
    path = os.path.join(_scratch(), "claims" + SUFFIXES[data[0] % len(SUFFIXES)])
    with open(path, "wb") as f:
        f.write(data[1:])
    n = 0
    try:
        for claim in claimfile.read_claims(path):
            n += 1
            assert 0.0 <= claim.confidence <= 1.0
            for name in ("source", "subject", "predicate", "value", "quote"):
                text = getattr(claim, name)
                assert isinstance(text, str) and text.strip(), name
                text.encode("utf-8")  # storable: no lone surrogates
    except LedgerError as e:
        assert str(e), "an error without a message"
    return n


def main():
    import atheris

    with atheris.instrument_imports():
        import csv  # noqa: F401

        import yaml  # noqa: F401

        from ledger.formats import annotations
        from ledger.formats import claimfile
        from ledger.formats import tabular  # noqa: F401

    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
