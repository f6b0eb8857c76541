"""Saved pages and web captures added as sources (issue 19: the database half of ``ledger/formats/html.py``
and ``ledger/formats/warc.py``, which read the files): each page or capture checked, then its text, sidecar,
snapshot and capture file written and its rows added in one write, all or nothing."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from sqlite_utils import Database

from ledger.core.atomic import write_atomic
from ledger.core.codec import decode, dump_sidecar, load_yaml
from ledger.core.errors import InvalidSource
from ledger.core.slugs import distinct_slug
from ledger.formats.html import html_files, source_from_html
from ledger.formats.plainfile import max_source_bytes, read_plain
from ledger.formats.sources import make_source, slugify, snapshot_path, write_source
from ledger.formats.warc import capture_suffix, fetch, read_capture
from ledger.services import repository, revisions
from ledger.services.capture_rows import record_field_origins
from ledger.store import history
from ledger.store.db import write
from ledger.store.writer import add_source


PER_PAGE_OPTIONS = ("slug", "url", "title", "published", "date_basis")


def add_pages(db, path: str | Path, sources_dir: str | Path = "sources", **overrides) -> list[dict]:
    """Add a saved page, or every saved page of a directory, as sources: all
    or nothing. Each page's text, sidecar and snapshot go to ``sources_dir``.

    Returns one summary per page (id, slug, path, snapshot, added).
    """
    pages = html_files(path)
    if Path(path).is_dir():
        given = [k for k in PER_PAGE_OPTIONS if overrides.get(k) is not None]
        if given:
            raise InvalidSource(
                f"{path}: --{given[0].replace('_', '-')} describes one page, but {path} is a directory of "
                f"{len(pages)} page(s); add pages one at a time to give it, or leave it to the page's own metadata"
            )
    sources_dir = Path(sources_dir)
    prepared, errors, slugs = [], [], {}
    for page in pages:
        try:
            data = read_plain(page, max_bytes=max_source_bytes())
            src = source_from_html(data, where=str(page), **overrides)
        except InvalidSource as e:
            errors.append(str(e))
            continue
        if src.slug in slugs and slugs[src.slug] != src.id and overrides.get("slug") is None:
            # two titles that slug alike: both kept, each its own source
            src.slug = distinct_slug(src.slug, src.id, lambda s: s in slugs and slugs[s] != src.id)
        if src.slug in slugs and slugs[src.slug] != src.id:
            errors.append(
                f"{page}: its slug {src.slug!r} (from its title) is also that of another page in this batch; "
                "add it on its own with --slug"
            )
            continue
        slugs[src.slug] = src.id
        prepared.append((page, src, data))
    if errors:
        raise InvalidSource("\n".join(errors) + (f"\n{len(errors)} problems; nothing was written" if len(errors) > 1 else " (nothing was written)"))
    out = []
    # the act's time and author go into each sidecar, so a fresh `ledger build` replays it as this same entry
    at, actor = repository.record_time(db), history.default_actor()
    for _, src, _ in prepared:
        src.recorded_at, src.recorded_by = at, actor
    with write(db, "source add", actor=actor, at=at):
        added, follows = [], []
        for page, src, data in prepared:
            # a page saved again with changed text (same slug or URL) is the next revision
            follows.append(revisions.resolve_revision(db, src, named=overrides.get("slug") is not None))
            src.path = (sources_dir / f"{src.slug}.txt").as_posix()
            added.append(add_source(db, src))
            record_field_origins(db, src)
        for (page, src, data), was_added, follow in zip(prepared, added, follows):
            snap = snapshot_path(src.path)
            if snap.exists() and snap.read_bytes() != data:
                raise InvalidSource(
                    f"{snap} already holds a different page; choose another --slug (a snapshot is never overwritten)"
                )
            write_atomic(snap, data)  # the snapshot, then the sidecar, then the text last (ledger.core.atomic)
            if was_added or not Path(src.path).exists():  # a text already held keeps its sidecar (issue 13)
                write_source(src, sources_dir, src.text.encode("utf-8"))
            out.append(
                {
                    "file": str(page),
                    "id": src.id,
                    "slug": src.slug,
                    "path": src.path,
                    "snapshot": snap.as_posix(),
                    "snapshot_sha256": src.snapshot_sha256,
                    "extractor": f"{src.extractor} {src.extractor_version}",
                    "title": src.title,
                    "url": src.url,
                    "published": src.published,
                    "length": len(src.text),
                    "added": was_added,
                    **({"revision_of": follow} if follow else {}),
                }
            )
    return out


def _changes(old: str, new: str, limit: int = 40) -> dict:
    """What changed between two captured texts: counts and the first lines of a diff."""
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), "before", "after", n=0, lineterm=""))
    body = [d for d in diff[2:] if not d.startswith("@@")]
    return {
        "removed_lines": sum(1 for d in body if d.startswith("-")),
        "added_lines": sum(1 for d in body if d.startswith("+")),
        "diff": body[:limit],
    }


def add_capture(db: Database, path: str | Path, sources_dir: str | Path = "sources", *, url=None, **overrides) -> dict:
    """Add the page a capture holds as a source (all or nothing): text,
    sidecar, the page as snapshot, the capture file beside them, and the
    exchange in ``captures``. Returns a summary (with ``revision_of`` and
    ``changes`` when it is a new revision of a page already held)."""
    cap, data = read_capture(path, url)
    where = f"{path} ({cap.target_uri})"
    retrieved = overrides.pop("retrieved", None) or cap.warc_date
    if cap.content_type == "text/plain":
        title = overrides.get("title")
        src = make_source(
            cap.payload, where=where, slug=overrides.get("slug") or slugify(title or Path(cap.target_uri).stem or "capture"),
            url=cap.target_uri, publisher=overrides.get("publisher"), published=overrides.get("published"),
            date_basis=overrides.get("date_basis"), title=title, retrieved=retrieved,
            language=overrides.get("language"), authors=overrides.get("authors") or (),
        )
    else:
        src = source_from_html(cap.payload, where=where, url=cap.target_uri, retrieved=retrieved, **overrides)
    sources_dir = Path(sources_dir)
    # the act's time and author go into the sidecar, so a fresh `ledger build` replays it as this same entry
    src.recorded_at, src.recorded_by = repository.record_time(db), history.default_actor()
    with write(db, "source add", actor=src.recorded_by, at=src.recorded_at):
        follows = revisions.resolve_revision(db, src)
        changes = None
        if follows:
            old = db.execute("SELECT text FROM sources WHERE slug = ?", [follows]).fetchone()[0]
            changes = _changes(old, src.text)
        src.path = (sources_dir / f"{src.slug}.txt").as_posix()
        added = add_source(db, src)
        if cap.content_type != "text/plain":
            record_field_origins(db, src)
        keep = sources_dir / f"{src.slug}{capture_suffix(path)}"
        if keep.exists() and keep.read_bytes() != data:
            # another capture of the same text: a second, independent copy, kept under its own hash
            keep = sources_dir / f"{src.slug}.{cap.warc_sha256[:16]}{capture_suffix(path)}"
        if not db.execute(
            "SELECT 1 FROM captures WHERE source_id = ? AND warc_sha256 = ?", [src.id, cap.warc_sha256]
        ).fetchone():
            db["captures"].insert(cap.row(src.id, keep.as_posix()))
        # the capture and the snapshot first, then the sidecar that lists them, the text last (ledger.core.atomic):
        # a kill -9 never leaves a text whose sidecar names a file that is not there
        if not keep.exists():
            write_atomic(keep, data)
        if cap.content_type != "text/plain":
            snap = snapshot_path(src.path)
            if snap.exists() and snap.read_bytes() != cap.payload:
                raise InvalidSource(f"{snap} already holds a different page; choose another --slug")
            write_atomic(snap, cap.payload)  # never a half-written file (ledger.core.atomic)
        entry = {"file": keep.name, "url": cap.target_uri}
        held = db.execute("SELECT slug FROM sources WHERE id = ?", [src.id]).fetchone()
        held_txt = sources_dir / f"{held[0]}.txt" if held and not added else None
        if held_txt is not None and held_txt.exists():
            # a text already held: its sidecar is left as it is, but for the capture added to its list
            meta_path = held_txt.with_suffix(".yml")
            meta = load_yaml(decode(meta_path.read_bytes(), str(meta_path)), str(meta_path)) or {}
            if entry not in (meta.get("captures") or []):
                meta["captures"] = [*(meta.get("captures") or []), entry]
                write_atomic(meta_path, dump_sidecar(meta))
        else:
            src.captures = [entry]
            write_source(src, sources_dir, src.text.encode("utf-8"))
    out = {
        "file": str(path),
        "id": src.id,
        "slug": src.slug,
        "path": src.path,
        "capture": keep.as_posix(),
        "target_uri": cap.target_uri,
        "http_status": cap.http_status,
        "warc_date": cap.warc_date,
        "server_date": cap.server_date,
        "payload_digest": cap.payload_digest,
        "digests_checked": cap.digests_checked,
        "title": src.title,
        "published": src.published,
        "length": len(src.text),
        "added": added,
    }
    if follows:
        out["revision_of"] = follows
        out["changes"] = changes
    return out


def fetch_and_add(db: Database, url: str, sources_dir: str | Path = "sources", **overrides) -> dict:
    """``ledger source fetch``: record a WARC of one fetch of ``url`` and add the page it holds."""
    sources_dir = Path(sources_dir)
    sources_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fetch-", suffix=".warc.gz", dir=sources_dir)
    os.close(fd)
    os.unlink(tmp)  # capture_http opens it for appending
    try:
        fetch(url, tmp)
        cap, _ = read_capture(tmp, url)
        if cap.http_status is None or not 200 <= cap.http_status < 300:
            raise InvalidSource(f"{url}: the server answered {cap.http_status}; nothing was added")
        return {**add_capture(db, tmp, sources_dir, url=url, **overrides), "file": url}
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
