"""The rows a saved page or a capture adds beside its source (issue 19): where each metadata field came from
(``source_field_origins``) and the capture files (``captures``), written by ``ledger.services.capture`` and
read back from the sidecars by `ledger build` (``ledger.services.repository``). The caller holds the write."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from ledger.core.errors import InvalidSource
from ledger.core.ids import sha256_hex
from ledger.core.source import Source
from ledger.formats.warc import read_capture


def record_field_origins(db, src: Source) -> None:
    """Keep where each metadata field of ``src`` came from (``source_field_origins``);
    the caller holds the write transaction."""
    origins = getattr(src, "field_origins", None) or {}
    if not origins or not db["source_field_origins"].exists():
        return
    for k, origin in sorted(origins.items()):
        db.execute(
            "INSERT OR IGNORE INTO source_field_origins (source_id, field, origin) VALUES (?, ?, ?)", [src.id, k, origin]
        )


def record_captures(db: Database, src, sources_dir: str | Path) -> None:
    """Read the capture files a source's sidecar lists (``captures``: file and URL) back into the
    ``captures`` table, as ``add_capture`` recorded them: `ledger build` of a fresh clone (issue 13). Each
    file's digests are checked again, and its response must be the page the text is from."""
    for c in src.captures or ():
        path = Path(sources_dir) / c["file"]
        where = f"{Path(sources_dir) / src.slug}.yml"
        if not path.is_file() or path.is_symlink():
            raise InvalidSource(f"{where}: lists the capture {c['file']}, which is not a file beside it; restore it")
        cap, _ = read_capture(path, c["url"])
        body = sha256_hex(cap.payload)
        if body not in (src.snapshot_sha256, src.id):
            raise InvalidSource(
                f"{path}: the response for {c['url']} is not the page the text of {src.slug} is from "
                f"(its body hashes to sha256:{body[:12]}…); a capture is never edited: restore it"
            )
        if not db.execute(
            "SELECT 1 FROM captures WHERE source_id = ? AND warc_sha256 = ?", [src.id, cap.warc_sha256]
        ).fetchone():
            db["captures"].insert(cap.row(src.id, path.as_posix()))
