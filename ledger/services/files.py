"""The repository's files as a build, an import and the replay read them: which claim files there are, the
digests of what was last read, paths as shown, and the error and result of an import (used by
``ledger.services.ingest`` and ``ledger.services.repository``, which both read them, so neither imports the
other for them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from ledger.core import ids
from ledger.core.errors import LedgerError
from ledger.core.ids import sha256_hex
from ledger.formats.claimfile import SUFFIXES
from ledger.formats.sources import read_source  # noqa: F401 (the replay reads sources through here)

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
