"""Importing claim files and building the ledger from ``sources/`` + ``claims/``.

Every import is one write transaction: the files are read, validated and
anchored a claim at a time (so memory stays flat for large files) and
written in batches inside that transaction. Any bad claim in any file rolls
the whole invocation back, after every error in it has been collected, so
the user fixes them all at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from sqlite_utils import Database

from ledger.formats.claimfile import describe, iter_records, validate
from ledger.store.db import write
from ledger.core.errors import LedgerError
from ledger.store.writer import ClaimWriter, SourceIndex, prepare

# what a build and an import share with the replay (ledger/services/files.py), still named here for callers
from ledger.services.files import (  # noqa: F401
    ImportFailed, ImportResult, _DryRun, claim_file_read, claim_files, display_path, file_sha256,
    record_source_files, source_file_digests, source_files_read,
)

def _import_into(
    db: Database,
    files: Iterable[Path],
    result: ImportResult,
    progress: Callable[[int], None] | None,
    errors: list[str],
    on_file: Callable[[Path, str, int], None] | None = None,
):
    from ledger.formats.hypothesis import Utf16Record

    writer = ClaimWriter(db)
    sources = SourceIndex(db)
    cwd = Path.cwd().resolve()
    for path in files:
        shown = display_path(path, cwd)
        result.files += 1
        count = 0
        try:
            for rec in iter_records(path, display=shown):
                if isinstance(rec, Utf16Record):  # Hypothesis counts UTF-16 units: convert against the text
                    rec = rec.in_code_points(lambda ref: sources.get(ref).text)
                count += 1
                result.claims += 1
                try:
                    row = prepare(validate(rec), sources, shown)
                except LedgerError as e:
                    errors.append(str(e))
                    continue
                if not errors:
                    writer.add(row, describe(shown, rec.line, rec.index, row["subject"], row["predicate"]))
                if progress:
                    progress(1)
        except LedgerError as e:
            errors.append(str(e))
            continue
        if on_file and not errors:
            on_file(path, shown, count)
    if not errors:
        try:
            writer.flush()
        except LedgerError as e:  # a conflict with a recorded claim: listed like any other problem
            errors.append(str(e))
    result.added = writer.added
    result.existing = writer.existing


def import_files(
    db: Database,
    paths: Iterable[str | Path],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import claim files, all or nothing. Raises ImportFailed listing every error."""
    files = [Path(p) for p in paths]
    result = ImportResult(dry_run=dry_run)
    errors: list[str] = []
    from ledger.store import history

    try:
        with write(db, "import", actor=history.default_actor(), at=history.now()):
            _import_into(db, files, result, progress, errors)
            if errors:
                raise ImportFailed(errors)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    return result


def build(
    db: Database,
    sources_dir: str | Path = "sources",
    claims_dir: str | Path = "claims",
    *,
    progress: Callable[[int], None] | None = None,
    history_dir: str | Path | None = None,
    reviews_dir: str | Path | None = None,
) -> ImportResult:
    """Bring the ledger up to date with ``sources/`` and ``claims/``.

    Adds every source and claim the files hold that the ledger does not;
    skips claim files unchanged since the last build (by SHA-256); never
    deletes or edits what the ledger already holds. Idempotent, and
    deterministic: the same files give the same rows.

    Source revisions (``<slug>@<n>.txt``) are added in order; the status
    events in ``history/`` and the reviews in ``reviews/`` (beside
    ``claims/`` unless ``history_dir``/``reviews_dir`` say otherwise) are
    replayed with them. Each act recorded in the files is one history entry
    with the act's own recorded time, replayed in order of that time
    (``ledger.services.repository``), so the same files give the same rows and the
    same hashes.
    """
    from ledger.services.repository import REVIEWS_DIR, replay

    root = Path(claims_dir).parent
    return replay(
        db,
        sources_dir=sources_dir,
        claims_dir=claims_dir,
        history_dir=root / "history" if history_dir is None else history_dir,
        reviews_dir=root / REVIEWS_DIR if reviews_dir is None else reviews_dir,
        progress=progress,
    )
