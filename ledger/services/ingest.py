"""Importing claim files and building the ledger from ``sources/`` + ``claims/``.

Every import is one write transaction: the files are read, validated and
anchored a claim at a time (so memory stays flat for large files) and
written in batches inside that transaction. Any bad claim in any file rolls
the whole invocation back, after every error in it has been collected, so
the user fixes them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sqlite_utils import Database

from ledger.formats.claimfile import SUFFIXES, describe, iter_records, validate
from ledger.store.db import write
from ledger.core.errors import LedgerError
from ledger.core import ids
from ledger.core.ids import sha256_hex
from ledger.formats.sources import read_source  # noqa: F401 (ledger.repository reads sources through here)
from ledger.store.writer import ClaimWriter, SourceIndex, prepare

MAX_ERRORS_SHOWN = 20


class ImportFailed(LedgerError):
    """One or more claims could not be imported; nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        head = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was written"
        body = "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")
        super().__init__(body + "\n" + head if len(errors) > 1 else f"{body} (nothing was written)")


class _DryRun(Exception):
    pass


@dataclass
class ImportResult:
    files: int = 0
    claims: int = 0
    added: int = 0
    existing: int = 0
    sources_added: int = 0
    skipped_files: list[str] = field(default_factory=list)
    dry_run: bool = False
    events: int = 0  # status events applied from history/
    reviews: int = 0  # reviews replayed from reviews/
    late: int = 0  # acts recorded before the ledger's head (merged in), appended after it

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "claims": self.claims,
            "added": self.added,
            "existing": self.existing,
            "sources_added": self.sources_added,
            "unchanged_files": self.skipped_files,
            "dry_run": self.dry_run,
            "events": self.events,
            "reviews": self.reviews,
            "late": self.late,
        }


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to the working directory when it is inside it.
    ``cwd``: the resolved working directory, when the caller shows many paths."""
    try:
        return path.resolve().relative_to(cwd or Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


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


def claim_files(directory: Path) -> list[Path]:
    directory = Path(directory)
    if not directory.exists():
        return []
    # not only is_file(): a FIFO or device named *.yml is refused by name in build, never skipped or read
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in SUFFIXES and not p.is_dir())


def claim_file_read(db: Database, path: Path, data: bytes) -> int | None:
    """How many claims the ledger read from ``path`` when it last read it, if ``data`` is what it read then
    (same SHA-256); None if it never read the file or the file changed since."""
    row = db.execute("SELECT sha256, claims FROM claim_files WHERE path = ?", [display_path(Path(path))]).fetchone()
    if row is None or row[0] != sha256_hex(data):
        return None
    return row[1]


def file_sha256(path: Path) -> str:
    return ids.file_sha256(path)


def source_file_digests(txt: Path) -> tuple[str, str | None]:
    """SHA-256 of a source's text file and of its sidecar (None if it has none)."""
    meta = txt.with_suffix(".yml")
    try:
        meta_digest = sha256_hex(meta.read_bytes())
    except FileNotFoundError:
        meta_digest = None
    return sha256_hex(txt.read_bytes()), meta_digest


def source_files_read(db: Database) -> dict[str, tuple[str, str | None]]:
    """What `build` last read from each source file: name -> (text, sidecar) digests."""
    if not db["source_files"].exists():
        return {}
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT name, text_sha256, meta_sha256 FROM source_files")}


def record_source_files(db: Database, rows: list[tuple[str, str, str | None]]) -> None:
    if rows and db["source_files"].exists():
        db.conn.executemany(
            "INSERT INTO source_files (name, text_sha256, meta_sha256) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET text_sha256 = excluded.text_sha256, meta_sha256 = excluded.meta_sha256",
            rows,
        )


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
