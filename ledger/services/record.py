"""Recording: the use cases that add to the ledger (a source, a claim, accepted extraction candidates), each
one act of the write unit (``ledger.services.unit``): checked and anchored, then its files written, then the
database built from them. Each returns a plain result the command line prints."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.core.errors import LedgerError, ProvenanceConflict
from ledger.formats import claimfile
from ledger.formats.plainfile import max_source_bytes, parse_size, read_plain
from ledger.formats.sources import make_source, slugify, write_source
from ledger.services import ingest, repository, revisions, unit
from ledger.store import history
from ledger.store.writer import SourceIndex, prepare

CAPTURE_SUFFIXES = (".warc", ".warc.gz", ".wacz")
PAGE_SUFFIXES = (".html", ".htm", ".xhtml")


def add_source(db, file, *, sources_dir="sources", max_bytes: int | str | None = None, url=None, publisher=None,
               published=None, date_basis=None, title=None, slug=None, retrieved=None, language=None,
               authors=()) -> dict | list[dict]:
    """`ledger source add FILE`: store a text byte-exact in ``sources_dir`` with its sidecar, then in the
    ledger. A saved page (.html), a directory of them, or a web capture (.warc, .wacz) goes to its reader
    (``formats.html``, ``formats.warc``). Returns the summary (a list of them for a directory of pages):
    ``id``, ``slug``, ``path``, ``length``, ``added`` and, for a new revision, ``revision_of``. ``max_bytes``
    (a number, or a size such as ``500M``) refuses a larger file before reading it."""
    overrides = dict(url=url, publisher=publisher, published=published, date_basis=date_basis, title=title,
                     slug=slug, retrieved=retrieved, language=language, authors=authors)
    if not Path(file).is_dir() and str(file).lower().endswith(CAPTURE_SUFFIXES):
        from ledger.services import capture as warc  # issue 20 (the database half of formats/warc.py)

        with unit.act(Path(sources_dir).parent):
            return warc.add_capture(db, file, sources_dir, **overrides)
    if Path(file).is_dir() or Path(file).suffix.lower() in PAGE_SUFFIXES:
        from ledger.services import capture as html  # issue 9 (the database half of formats/html.py)

        with unit.act(Path(sources_dir).parent):
            results = html.add_pages(db, file, sources_dir, **overrides)
        return results if Path(file).is_dir() else results[0]
    if isinstance(max_bytes, str):
        max_bytes = parse_size(max_bytes, "--max-bytes")
    data = read_plain(file, max_bytes=max_source_bytes(max_bytes))
    with unit.act(Path(sources_dir).parent):
        src = make_source(
            data,
            where=file,
            slug=slug or slugify(title or Path(file).stem),
            url=url,
            publisher=publisher,
            published=published,
            date_basis=date_basis,
            title=title,
            retrieved=retrieved,
            language=language,
            authors=authors,
        )
        given = {"url": url, "publisher": publisher, "published": src.published if published else None,
                 "date_basis": date_basis, "title": title, "retrieved": src.retrieved if retrieved else None,
                 "language": language, "authors": list(authors) or None}
        follows = None
        added = False
        # a held text leaves its sidecar alone; different provenance for it is an error listing the differences
        if not held_source(db, src, file, given, named_slug=slug):
            # a changed text of a held source (a slug the user named, or the same URL) is its next revision,
            # and carries the provenance of the revision it follows unless new values are given
            follows = revisions.resolve_revision(db, src, named=slug is not None)
            if follows:
                repository.carry_provenance(db, src, follows)
            src.path = (Path(sources_dir) / f"{src.slug}.txt").as_posix()
            added = not db.execute("SELECT 1 FROM sources WHERE id = ?", [src.id]).fetchone()
            if added:
                src.recorded_at = repository.record_time(db)
                src.recorded_by = history.default_actor()
                txt = Path(sources_dir) / f"{src.slug}.txt"
                # the files first, then the database built from them (the files are the ledger)
                unit.commit(db, lambda: write_source(src, Path(sources_dir), data), sources=[txt],
                            sources_dir=sources_dir)
    out = {"id": src.id, "slug": src.slug, "path": src.path, "length": len(src.text), "added": added}
    if follows:
        out["revision_of"] = follows
    return out


def held_source(db, src, where: str, given: dict, named_slug: str | None) -> bool:
    """True (and ``src.slug``/``src.path`` set to the held ones) when the ledger already holds this text;
    its sidecar is then left alone. Provenance given on the command line that differs from what is held
    is an error listing each difference (issue 13: nothing is overwritten without asking)."""
    row = db.execute("SELECT * FROM sources WHERE id = ?", [src.id]).fetchone()
    if row is None:
        return False
    row = dict(zip([d[0] for d in db.conn.execute("SELECT * FROM sources LIMIT 0").description], row))
    if named_slug is not None and revisions.split_slug(named_slug)[0] != revisions.split_slug(row["slug"])[0]:
        return False  # add_source explains that the text is held under another slug
    held = {**row, "authors": json.loads(row["authors"] or "[]")}
    diffs = [f"  {k}: held {held[k]!r}, given {v!r}" for k, v in given.items() if v is not None and v != held[k]]
    if diffs:
        raise ProvenanceConflict(
            f"{where}: this text is already held as {row['slug']} (sha256:{src.id[:12]}…) with different "
            "provenance; nothing was changed:\n" + "\n".join(diffs) + "\n"
            "a held source's provenance is never overwritten: leave out the options that differ"
        )
    src.slug, src.path = row["slug"], row["path"]
    return True


def record_claim(db, source_ref: str, *, claims_dir="claims", **fields) -> dict:
    """`ledger claim add`: anchor a claim in the source ``source_ref`` (slug or sha256), append it to
    ``claims_dir/SLUG/AUTHOR.yml`` and record it from there. ``fields`` are the claim's (subject, predicate,
    value, quote, confidence, …, recorded_by). Returns ``id``, ``source_id``, the span, ``match``,
    ``support``, ``added`` and ``claims_file``."""
    entry = {k: v for k, v in fields.items() if v is not None}
    with unit.act(Path(claims_dir).parent):
        held = SourceIndex(db).get(source_ref)
        entry["recorded_at"] = repository.record_time(db)
        entry["recorded_by"] = entry.get("recorded_by") or history.default_actor()
        entry = {"source": held.slug, **{k: v for k, v in entry.items() if v is not None}}
        path = repository.claims_path(claims_dir, held.slug, entry.get("recorded_by"))
        claim_in = claimfile.validate(claimfile.Record(entry, "command line", None, 1))
        row = prepare(claim_in, SourceIndex(db), path.as_posix())
        exists = db.execute("SELECT 1 FROM claims WHERE id = ?", [row["id"]]).fetchone()
        if not exists:
            # the file first, then the database built from it (the files are the ledger)
            def write_files():
                offset = append_claim(path, held.slug, {k: v for k, v in entry.items() if k != "source"}, db)
                return {"appended": {path: (offset, held.slug)}} if offset is not None else None

            unit.commit(db, write_files, claims=[path], claims_dir=claims_dir)
    out = {k: row[k] for k in ("id", "source_id", "span_start", "span_end", "span_text", "match", "support")}
    out["added"] = not exists
    out["claims_file"] = path.as_posix()
    return out


def accept_candidates(db, claims: list[dict], source_ref: str, claims_dir, where: str, left_out: list | None = None) -> tuple[int, int]:
    """--accept: check and anchor every candidate (all or nothing), append the new ones to the author's claims
    file, and record them from there. Returns (added, already held). A candidate whose span does not give its
    value (issue 14) is not recorded: its message goes to ``left_out`` (when given) for review."""
    with unit.act(Path(claims_dir).parent):
        return _accept(db, claims, source_ref, claims_dir, where, left_out)


def _accept(db, claims, source_ref, claims_dir, where, left_out):
    from ledger.core.support import UnsupportedValue
    from ledger.services.ingest import ImportFailed

    at, actor = repository.record_time(db), history.default_actor()
    index = SourceIndex(db)
    slug = index.get(source_ref).slug
    entries, errors, seen, existing = [], [], set(), 0
    for i, claim in enumerate(claims, 1):
        entry = {**claim, "recorded_by": actor, "recorded_at": at}
        try:
            row = prepare(claimfile.validate(claimfile.Record({"source": slug, **entry}, where, None, i)), index, where)
        except UnsupportedValue as e:
            (errors if left_out is None else left_out).append(str(e))
            continue
        except LedgerError as e:
            errors.append(str(e))
            continue
        if row["id"] in seen or db.execute("SELECT 1 FROM claims WHERE id = ?", [row["id"]]).fetchone():
            existing += 1
            continue
        seen.add(row["id"])
        entries.append(entry)
    if errors:
        raise ImportFailed(errors)
    if not entries:
        return 0, existing
    path = repository.claims_path(claims_dir, slug, actor)

    def write_files():
        offset = append_claims(path, slug, entries, db)
        return {"appended": {path: (offset, slug)}} if offset is not None else None

    result = unit.commit(db, write_files, claims=[path], claims_dir=claims_dir)
    return result.added, existing


def append_claim(path: Path, slug: str, entry: dict, db=None):
    """Append one claim to a claims file (:func:`append_claims`)."""
    return append_claims(path, slug, [entry], db)


def append_claims(path: Path, slug: str, entries: list[dict], db=None) -> int | None:
    """Append claims to a claims file, keeping what is there byte for byte.

    The file is never rewritten in place (``ledger.core.atomic``): the new version is checked to parse with the
    new claims added, then replaces the old one whole, so a kill -9 or a full disk leaves the old file or the
    new one, never a part (issue 13). Written before the database is built from it (``ledger.services.repository``), so
    the file is ahead of the database only if the command dies before its commit; `ledger build` then adds
    the claims (the files win).

    With ``db``: when the file is the one the ledger last read (its SHA-256 is in ``claim_files``) and
    :func:`claimfile.appendable`, only the new claims are parsed and checked, not the whole file (a claim added
    to a file of thousands costs what the claim costs), and the byte offset they start at is returned, for
    ``repository.replay(appended=...)`` to read only them. Otherwise the whole file is checked, and None is
    returned."""
    import tempfile

    from ledger.core.atomic import WriteError, write_atomic

    if not path.exists():
        data = claimfile.dump_yaml(entries, source=slug).encode("utf-8")
        write_atomic(path, data)
        return None
    before = path.read_bytes()
    items = claimfile.dump_yaml(entries).encode("utf-8")
    sep = b"" if before.endswith(b"\n") or not before else b"\n"
    after = before + sep + items
    if db is not None and not sep and ingest.claim_file_read(db, path, before) is not None \
            and claimfile.appendable(before, slug):
        # the file is as the ledger read it, and what follows it is new items of its list: parse those only
        try:
            added = sum(1 for _ in claimfile.iter_appended_records(path, len(before), 0, slug, data=after))
        except LedgerError:
            added = -1
        if added != len(entries):
            raise LedgerError(f"{path}: could not append the claim: the new claims do not read back as written")
        write_atomic(path, after)
        return len(before)
    existing = sum(1 for _ in claimfile.iter_records(path))
    with tempfile.TemporaryDirectory(prefix="ledger-append-") as tmp:
        check = Path(tmp) / path.name  # same suffix, so read as the same format
        try:
            check.write_bytes(after)
        except OSError as e:
            raise WriteError(
                f"{path}: could not append the claim ({e.strerror} writing a temporary copy); the file is "
                "unchanged, nothing was recorded: free some space and run the command again"
            ) from None
        try:
            ok = sum(1 for _ in claimfile.iter_records(check, display=str(path))) == existing + len(entries)
        except LedgerError:
            ok = False
    if not ok:
        raise LedgerError(f"{path}: could not append the claim: the file does not end with its claims list")
    write_atomic(path, after)
    return None


def import_files(db, paths, *, claims_dir="claims", dry_run: bool = False, progress=None):
    """`ledger import`: claim files, all or nothing. A file from outside ``claims_dir`` is copied in
    (``claims/imported/TIME--NAME``) and replayed from there; ``dry_run`` checks and anchors everything and
    writes nothing. Returns the ``ImportResult``."""
    paths = [Path(p) for p in paths]
    if dry_run:
        return ingest.import_files(db, paths, dry_run=True, progress=progress)
    with unit.act(Path(claims_dir).parent):
        return repository.import_files(db, paths, claims_dir=claims_dir, progress=progress)


def build(db, sources_dir="sources", claims_dir="claims", *, progress=None, history_dir=None, reviews_dir=None):
    """`ledger build`: bring the ledger up to date with the repository's files (``ingest.build``), under the
    repository's writer lock. Returns the ``ImportResult``."""
    with unit.act(Path(claims_dir).parent):
        return ingest.build(db, sources_dir, claims_dir, progress=progress, history_dir=history_dir,
                            reviews_dir=reviews_dir)


def claim_files(claims_dir) -> list[Path]:
    """The claim files under ``claims_dir`` that `ledger build` reads."""
    return ingest.claim_files(Path(claims_dir))


def list_sources(db) -> list[dict]:
    """Every source with its claim count, by slug (``ledger source list``)."""
    return list(
        db.query(
            "SELECT s.slug, s.id, s.publisher, s.published, s.url, s.length, "
            "(SELECT count(*) FROM claims c WHERE c.source_id = s.id) AS claims FROM sources s ORDER BY s.slug"
        )
    )


def fetch_source(db, url: str, *, sources_dir="sources", slug=None, title=None, publisher=None) -> dict:
    """`ledger source fetch URL`: fetch the page, keep the exchange as a WARC beside its text and add it as a
    source (``formats.warc.fetch_and_add``); returns its summary."""
    from ledger.services import capture as warc  # issue 20 (the database half of formats/warc.py)

    with unit.act(Path(sources_dir).parent):
        return warc.fetch_and_add(db, url, sources_dir, slug=slug, title=title, publisher=publisher)
