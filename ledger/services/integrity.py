"""`ledger verify` as a use case: the checks of ``services.verify`` on a read-only copy of the file, against a
published head or checkpoint, and optionally against the repository's files."""

from __future__ import annotations

from pathlib import Path

from ledger.services import repository
from ledger.services.verify import verify
from ledger.store import history, tlog
from ledger.store.db import open_readonly


def published(path) -> tuple[str | None, bool]:
    """What a checkpoint file published earlier holds: (its text, True) for a signed checkpoint (`ledger
    checkpoint`), else (the head hash of a `ledger head --out` file, False)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if tlog.is_signed_checkpoint(text):
        return text, True
    return history.read_checkpoint(path), False


def check(db_path, *, head: str | None = None, checkpoint=None, deep: bool = False, files_root=None) -> dict:
    """Every check on the ledger at ``db_path``, opened read-only (never migrated, its bytes unchanged):
    the report of ``services.verify.verify``; with ``files_root``, also every difference between the
    database and the repository's files (exit code ``repository.FILES_EXIT_CODE``)."""
    db = open_readonly(db_path)
    report = verify(db, head=head, deep=deep, checkpoint=checkpoint)
    if files_root is not None:
        differences = repository.compare(db, files_root)
        report["failures"].extend(differences)
        if differences:
            report["ok"] = False
            report["exit_code"] = report["exit_code"] or repository.FILES_EXIT_CODE
    return report
