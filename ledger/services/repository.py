"""The repository's files are the ledger; the database is a deterministic build of them.

Every act that changes the ledger (a source added, claims recorded, imported or extracted, a correction, a
retraction, a re-anchoring, a review) is first written to the repository's files, then *replayed* from them
into the database by :func:`replay`, the same function ``ledger build`` runs over every file. So what a
command writes to the database is by construction what a build from a fresh clone writes. Where each file
goes, and the recording times and names acts carry: ``ledger.services.layout``.

**The history's order.** Each act is one history entry; everything recorded at one time (``recorded_at`` of a
claim or source, ``at`` of an event or review; an imported file's time is in its name, and all its claims
belong to that import) is one act. Acts are
replayed in order of that time (UTC, microseconds); what carries no time (claim files written by hand, the
seed sources) is replayed first, as one ``build`` entry. A ledger's recording times strictly increase
(:func:`record_time`), so the entries a command appends are exactly those a fresh build of the same files
replays, in the same order: one set of files gives one history head. A build into an existing ledger only
appends (entries are never reordered, so a published head stays a prefix); acts it finds recorded before its
head (merged from another clone) are appended after it, and it says so (``late``): a fresh build orders them
by time instead.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sqlite_utils import Database

from ledger.core.ids import sha256_hex
from ledger.core.atomic import append_atomic, write_atomic
from ledger.core.errors import LedgerError

from ledger.services.layout import (  # noqa: F401 (record_time, the paths, RepositoryError: used as repository.X)
    IMPORTED_DIR, REVIEWS_DIR, RepositoryError, claims_path, copy_in, event_files, events_path, inside,
    latest_time, read_reviews, record_time, review_files, reviews_path, time_from_name, time_key,
)


def append_jsonl(path: Path, objects: list[dict]) -> None:
    """Append JSON lines (sorted keys, UTF-8) to a file, crash-safely."""
    data = "".join(json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for o in objects)
    append_atomic(path, data.encode("utf-8"), separator=b"\n")


def restore(path: Path, before: bytes | None) -> None:
    """Put a file back as it was before a command that then failed (None: it did not exist)."""
    if before is None:
        Path(path).unlink(missing_ok=True)
    else:
        write_atomic(path, before)


def replay_files(db: Database, *, sources=(), claims=(), events=(), reviews=(), **kw):
    """Replay only the files a command has just written (the rest of the repository is in the ledger)."""
    return replay(db, source_paths=list(sources), claim_paths=list(claims), event_paths=list(events),
                  review_paths=list(reviews), **kw)


@contextlib.contextmanager
def changing(paths: Iterable[Path]):
    """Put ``paths`` back as they were if the block fails (a command whose replay into the database failed
    leaves the files as they were: nothing written)."""
    before = snapshot(paths)
    try:
        yield
    except BaseException:
        for p, data in before.items():
            restore(p, data)
        raise


def snapshot(paths: Iterable[Path]) -> dict[Path, bytes | None]:
    out = {}
    for p in paths:
        try:
            out[Path(p)] = Path(p).read_bytes()
        except FileNotFoundError:
            out[Path(p)] = None
    return out


# ---------------------------------------------------------------- replay


@dataclass
class Act:
    at: str | None
    sources: list = field(default_factory=list)  # (Source, (name, text digest, meta digest), recorded_by)
    claims: list = field(default_factory=list)  # (row, where)
    events: list = field(default_factory=list)  # (event, where)
    reviews: list = field(default_factory=list)  # (review, where)

    def describe(self) -> tuple[str, str | None, str | None]:
        """(kind, actor, reason) of the entry, from what the act holds."""
        if self.at is None:
            return "build", None, None
        actor = reason = None
        for ev, _ in self.events:
            actor, reason = actor or ev.get("actor"), reason or ev.get("reason")
        for rv, _ in self.reviews:
            actor = actor or rv.get("reviewer") or rv.get("recorded_by")  # a review's who is its reviewer
        for row, _ in self.claims:
            actor = actor or row.get("recorded_by")
        for _, _, by in self.sources:
            actor = actor or by
        if self.events:
            ev = self.events[0][0]
            if ev["status"] == "retracted":
                kind = "retract"
            elif ev.get("method") == "correction":
                kind = "supersede"
            else:
                kind = "reanchor"
        elif self.reviews:
            kind = "review"
        elif self.claims and all(w.startswith(f"claims/{IMPORTED_DIR}/") for _, w in self.claims):
            kind = "import"
        elif self.claims and all(r.get("status") == "machine-extracted" or (r.get("origin") or "").startswith("ledger extract")
                                 for r, _ in self.claims):
            kind = "extract"
        elif self.claims:
            kind = "claim add"
        else:
            kind = "source add"
        return kind, actor, reason


class _Index:
    """The ledger's sources plus those read from the files and not yet inserted (a claim may rest on a
    source added in a later act of the same replay: foreign keys are checked at commit)."""

    def __init__(self, db: Database):
        from ledger.store.writer import SourceIndex

        self.held = SourceIndex(db)
        self.pending: dict = {}

    def add(self, src) -> None:
        from ledger.store.writer import HeldSource

        h = HeldSource(src.id, src.slug, src.text, src.published)
        self.pending[src.slug] = self.pending[src.id] = h

    def get(self, ref: str):
        if ref in self.pending:
            return self.pending[ref]
        return self.held.get(ref)

    def aliases(self):
        """The entity table's names, for value support (``ledger.core.support``)."""
        return self.held.aliases()


def replay(
    db: Database,
    *,
    sources_dir="sources",
    claims_dir="claims",
    history_dir="history",
    reviews_dir=REVIEWS_DIR,
    source_paths: list[Path] | None = None,
    claim_paths: list[Path] | None = None,
    event_paths: list[Path] | None = None,
    review_paths: list[Path] | None = None,
    progress: Callable[[int], None] | None = None,
    reread: bool = False,
    appended: dict | None = None,
):
    """Bring the ledger up to date with the files, one history entry per act, in one transaction.

    With no paths given, every file of the repository is read (``ledger build``); a command passes the files
    it has just written (``reread``: read them even when unchanged since the last build), and for a claims file
    it appended to, ``appended`` maps it to (the byte offset the new claims start at, the source's slug): when
    the bytes before the offset are the file as the ledger last read it (same SHA-256 in ``claim_files``) and
    ``claimfile.appendable``, only the new claims are read and anchored; otherwise the whole file is.
    All or nothing: every problem is collected and raised as one ``ImportFailed``.
    Returns an ``ImportResult`` with ``late`` (acts recorded before the ledger's head, appended after it).
    """
    from ledger.store import history
    from ledger.formats.claimfile import appendable, describe, iter_appended_records, iter_records, validate
    from ledger.store.db import write
    from ledger.services.files import (
        ImportFailed, ImportResult, claim_files, display_path, file_sha256, record_source_files,
        source_file_digests, source_files_read,
    )
    from ledger.services.revisions import revision_sort_key
    from ledger.services import files as replay_files
    from ledger.formats.plainfile import check_plain, max_source_bytes, repository_root
    from ledger.formats.sources import iter_source_files
    from ledger.store.writer import ClaimWriter, prepare
    from ledger.store.writer import add_sources as add_sources_in_one

    result = ImportResult()
    errors: list[str] = []
    acts: dict = {}

    def act(at):
        if at not in acts:
            acts[at] = Act(at)
        return acts[at]

    def add_sources(sources) -> None:
        """Insert an act's sources and note their files as read; problems are collected in ``errors``."""
        sources = list(sources)
        for (s, names, _), added in zip(sources, add_sources_in_one(db, [s for s, _, _ in sources])):
            if isinstance(added, LedgerError):
                errors.append(str(added))
                continue
            try:
                if added:
                    result.sources_added += 1
                _source_records(db, s)
                record_source_files(db, [names])
            except LedgerError as e:
                errors.append(str(e))

    if source_paths is None:
        source_paths = list(iter_source_files(Path(sources_dir)))
    if claim_paths is None:
        claim_paths = claim_files(Path(claims_dir))
    if event_paths is None:
        event_paths = event_files(history_dir)
    if review_paths is None:
        review_paths = review_files(reviews_dir)

    # the write unit: one transaction, one entry per act (opened below), the derived state refreshed at the end
    with write(db, None):
        head_key = latest_time(db)
        index = _Index(db)
        # sources: unchanged files (same text and sidecar as last read) are skipped unread
        read_before = source_files_read(db)
        sources_root = repository_root(sources_dir)
        limit = max_source_bytes()
        for txt in sorted(source_paths, key=revision_sort_key):
            try:  # before anything reads it: a symlink out of the repository, a FIFO, a device, too large
                check_plain(txt, root=sources_root, max_bytes=limit)
            except LedgerError as e:
                errors.append(str(e))
                continue
            digests = source_file_digests(txt)
            if read_before.get(txt.name) == digests:
                continue
            try:
                src = replay_files.read_source(txt)
            except LedgerError as e:
                errors.append(f"{display_path(txt)}: {e}" if not str(e).startswith(str(txt)) else str(e))
                continue
            held = db.execute("SELECT 1 FROM sources WHERE id = ? AND slug = ?", [src.id, src.slug]).fetchone()
            if held:
                try:  # its sidecar changed: a capture of the same text added to its list
                    _source_records(db, src)
                except LedgerError as e:
                    errors.append(str(e))
                    continue
                record_source_files(db, [(txt.name, *digests)])
                continue
            index.add(src)
            act(src.recorded_at).sources.append((src, (txt.name, *digests), src.recorded_by))
        if errors:
            raise ImportFailed(errors)

        # claims: files unchanged since the last build are skipped; the rest are anchored. The claims with no
        # recording time are written at once (the first entry), and an imported file's claims inside its
        # import's entry, a file at a time, so memory stays flat on a big build or import; only the claims
        # commands append with their own times (few) wait for their entry
        held_files = {r["path"]: r["sha256"] for r in db["claim_files"].rows}
        appended_at = {display_path(Path(p)): v for p, v in (appended or {}).items()}
        first = Act(None)
        first.sources = (acts.pop(None, None) or Act(None)).sources
        cwd = Path.cwd().resolve()
        claims_root = Path(claims_dir).resolve()
        legacy_events = Path(history_dir).resolve() / history.EVENTS_FILE
        todo, imported = [], defaultdict(list)
        plain_root = repository_root(claims_dir)
        for path in claim_paths:
            path = Path(path)
            try:
                check_plain(path, root=plain_root)
            except LedgerError as e:
                errors.append(str(e))
                continue
            digest = file_sha256(path)
            shown = display_path(path, cwd)
            if held_files.get(shown) == digest and not reread:
                result.skipped_files.append(shown)
                continue
            named_at = time_from_name(path) if path.resolve().parent.parent == claims_root else None
            if named_at:
                imported[named_at].append((path, shown, digest))
            else:
                todo.append((path, shown, digest, _tail(db, path, shown, appended_at.get(shown), appendable)))
        if errors:
            raise ImportFailed(errors)

        def read_file(path, shown, digest, writer, at_of, tail=None):
            """Anchor a file's claims: rows whose act is open go to ``writer``, the others wait in theirs.
            With ``tail`` (offset, claims before it, slug, bytes), only the claims after the offset."""
            result.files += 1
            count = 0
            by = None
            if tail is None:
                records = iter_records(path, display=shown)
            else:
                offset, count, slug, data = tail
                records = iter_appended_records(path, offset, count, slug, display=shown, data=data)
            try:
                for rec in records:
                    count += 1
                    result.claims += 1
                    try:
                        row = prepare(validate(rec), index, shown)
                    except LedgerError as e:
                        errors.append(str(e))
                        continue
                    where = describe(shown, rec.line, rec.index, row["subject"], row["predicate"])
                    by = by or row.get("recorded_by")
                    at = at_of(row)
                    if at is None:
                        if not errors:
                            writer.add(row, where)
                    else:
                        act(at).claims.append((row, where))
                    if progress:
                        progress(1)
            except LedgerError as e:
                errors.append(str(e))
                return by
            if not errors:
                db["claim_files"].upsert({"path": shown, "sha256": digest, "claims": count}, pk="path")
            return by

        def flush(writer):
            if not errors:
                try:
                    writer.flush()
                except LedgerError as e:
                    errors.append(str(e))
            result.added += writer.added
            result.existing += writer.existing

        with history.entry(db, "build"):
            add_sources(first.sources)
            writer = ClaimWriter(db)
            for path, shown, digest, tail in todo:
                # files a command writes are in a folder of claims/ and carry their times; a file at the top
                # (written by hand, the seeds) is replayed in the first entry, as a whole
                stamped = path.resolve().parent != claims_root
                read_file(path, shown, digest, writer, lambda row: row.get("recorded_at") if stamped else None, tail)
            flush(writer)
            if errors:
                raise ImportFailed(errors)
            # events and reviews with no time (the older history/events.jsonl) join the first entry too
            for path in event_paths:
                for n, ev in history.read_events(path):
                    at = None if Path(path).resolve() == legacy_events else ev.get("at")
                    act(at).events.append((ev, f"{display_path(Path(path), cwd)}:{n}"))
            for path in review_paths:
                for n, rv in read_reviews(Path(path)):
                    act(rv.get("recorded_at")).reviews.append((rv, f"{display_path(Path(path), cwd)}:{n}"))
            unstamped = acts.pop(None, None)
            if unstamped is not None:
                _apply(db, unstamped, result, errors)
            if errors:
                raise ImportFailed(errors)

        for at in sorted(set(acts) | set(imported), key=time_key):
            a = acts.get(at) or Act(at)
            kind, actor, reason = a.describe()
            if at in imported and not a.events and not a.reviews:
                kind = "import"
            extra = _review_extra(db, a)
            with history.entry(db, kind, actor=actor, at=at, reason=reason, always=bool(extra), extra=extra) as e:
                add_sources(a.sources)
                writer = ClaimWriter(db)
                for path, shown, digest in imported.get(at, ()):
                    # who imported it: the first claim that says who recorded it (the files say, not the clock)
                    e.actor = e.actor or read_file(path, shown, digest, writer, lambda row: None)
                flush(writer)
                _apply(db, a, result, errors)
                if errors:
                    raise ImportFailed(errors)
            if e.sealed and head_key is not None and time_key(at) <= head_key:
                result.late += 1
    return result


def _tail(db: Database, path: Path, shown: str, appended, appendable):
    """(offset, claims before it, slug, the file's bytes) when only the claims a command appended at the
    offset need reading: the bytes before it are the file as the ledger last read it and appendable."""
    if appended is None:
        return None
    offset, slug = appended
    data = Path(path).read_bytes()
    row = db.execute("SELECT sha256, claims FROM claim_files WHERE path = ?", [shown]).fetchone()
    if row is None or row[0] != sha256_hex(data[:offset]) or not appendable(data[:offset], slug):
        return None
    return offset, row[1], slug, data


def _source_records(db: Database, src) -> None:
    """What a source's sidecar says beyond the source row: where its metadata came from
    (``source_field_origins``) and its kept captures (``captures``, read back from their files)."""
    from ledger.services.capture_rows import record_captures, record_field_origins
    from ledger.store.independence import record_user_originator

    record_field_origins(db, src)
    record_user_originator(db, src.id, getattr(src, "originator", None))  # the sidecar's `originator:` (issue 16)
    if src.captures:
        record_captures(db, src, Path(src.path).parent)


def _event_held(db: Database, ev: dict) -> bool:
    return db.execute(
        "SELECT 1 FROM claim_events WHERE claim_id = ? AND status = ? AND replaced_by IS ?",
        [ev["claim"], ev["status"], ev.get("replaced_by")],
    ).fetchone() is not None


def _review_extra(db: Database, a: Act) -> dict | None:
    new = [rv["id"] for rv, _ in a.reviews
           if db.execute("SELECT 1 FROM reviews WHERE id = ?", [rv["id"]]).fetchone() is None]
    return {"reviews": sorted(new)} if new else None


def _apply(db: Database, a: Act, result, errors: list[str]) -> None:
    """Write an act's claims, events and reviews inside the open entry (sources are added by the caller)."""
    from ledger.store import history
    from ledger.services.claimreview import add_review, make_review
    from ledger.store.writer import ClaimWriter

    writer = ClaimWriter(db)
    for row, where in a.claims:
        writer.add(row, where)
    try:
        writer.flush()
    except LedgerError as e:
        errors.append(str(e))
        return
    result.added += writer.added
    result.existing += writer.existing
    for ev, where in a.events:
        if _event_held(db, ev):
            continue
        try:
            history.apply_event(db, ev)
        except LedgerError as e:
            errors.append(f"{where}: {e}")
            continue
        result.events += 1
    for rv, where in a.reviews:
        if db.execute("SELECT 1 FROM reviews WHERE id = ?", [rv["id"]]).fetchone():
            continue
        try:
            fields = {k: rv.get(k) for k in REVIEW_ARGS if rv.get(k) is not None}
            row = make_review(db, **fields)
        except LedgerError as e:
            errors.append(f"{where}: {e}")
            continue
        if row["id"] != rv["id"]:
            errors.append(f"{where}: review {rv['id']} does not match its fields (they give {row['id']}): a "
                          "recorded review is never edited; restore the line")
            continue
        add_review(db, row)
        result.reviews += 1


REVIEW_ARGS = (
    "subject", "predicate", "value", "rating", "rating_value", "best_rating", "worst_rating", "explanation",
    "reviewer", "reviewer_type", "reviewer_url", "url", "date", "claim_reviewed", "recorded_at",
)


def import_files(db: Database, paths: list[Path], *, claims_dir="claims", progress=None):
    """``ledger import``: copy each file from outside ``claims/`` into ``claims/imported/`` (its name kept), then
    replay the files. All or nothing: on any error the copies are removed and errors name the files given."""
    from ledger.services.files import ImportFailed, display_path

    at = record_time(db)
    targets, written, names = [], [], {}
    try:
        for p in paths:
            p = Path(p)
            if inside(p, claims_dir):
                targets.append(p)
                continue
            copy, new = copy_in(p, claims_dir, at)
            targets.append(copy)
            names[display_path(copy)] = display_path(p)
            if new:
                written.append(copy)
        result = replay_files(db, claims_dir=claims_dir, claims=targets, progress=progress, reread=True)
    except BaseException as e:
        for c in written:
            c.unlink(missing_ok=True)
        if isinstance(e, ImportFailed) and names:
            raise ImportFailed([_renamed(m, names) for m in e.errors]) from None
        if isinstance(e, LedgerError) and names and _renamed(str(e), names) != str(e):
            # an error found when the import's entry is sealed (a dangling `supersedes`) names the copy,
            # which is gone: name the file given instead
            raise _same_kind(e, _renamed(str(e), names)) from None
        raise
    # an imported file counts once, whichever name it has now
    result.files = len(paths)
    return result


def _same_kind(e: LedgerError, message: str) -> LedgerError:
    try:
        return type(e)(message)
    except TypeError:
        return LedgerError(message)


def _renamed(message: str, names: dict) -> str:
    for copy, original in names.items():
        message = message.replace(copy, original)
    return message


CARRIED_PROVENANCE = ("title", "url", "publisher", "published", "date_basis", "language", "authors")


def carry_provenance(db: Database, source, follows: str) -> None:
    """Give a new revision the provenance of the revision it follows (title, URL, publisher, publication date
    and its basis, language, authors), except what the command gave anew."""
    row = db.execute(
        f"SELECT {', '.join(CARRIED_PROVENANCE)} FROM sources WHERE slug = ?", [follows]
    ).fetchone()
    if row is None:
        return
    for name, value in zip(CARRIED_PROVENANCE, row):
        if name == "authors":
            if not source.authors and value:
                source.authors = list(json.loads(value) if isinstance(value, str) else value)
        elif getattr(source, name) is None and value is not None:
            setattr(source, name, value)


# ---------------------------------------------------------------- files against the database

FILES_EXIT_CODE = 10


def compare(db: Database, root=".") -> list[dict]:
    """What the repository's files under ``root`` and the ledger disagree on: every source, claim, status event
    and review that is in one and not the other, as verify failures (kind ``files``). The files are replayed
    into a database in memory (the ledger is only read)."""
    from ledger.store.db import open_db, scratch

    root = Path(root)
    built = scratch(open_db(":memory:"))  # only its rows are compared: no derived state to refresh
    try:
        replay(built, sources_dir=root / "sources", claims_dir=root / "claims", history_dir=root / "history",
               reviews_dir=root / REVIEWS_DIR)
    except LedgerError as e:
        return [{"kind": "files", "item": str(root), "message": f"the files do not build: {e}"}]
    queries = {
        "source": "SELECT id, slug FROM sources",
        "claim": "SELECT id, claims_file FROM claims",
        "event": "SELECT claim_id || ' ' || status || coalesce(' by ' || replaced_by, ''), at FROM claim_events",
        "review": "SELECT id, recorded_at FROM reviews",
    }
    failures = []
    for what, sql in queries.items():
        in_files = dict(built.execute(sql).fetchall())
        in_db = dict(db.execute(sql).fetchall())
        for key in sorted(in_files.keys() - in_db.keys()):
            failures.append({"kind": "files", "item": f"{what} {key}",
                             "message": f"in the files ({in_files[key]}) but not in the database: run `ledger build`"})
        for key in sorted(in_db.keys() - in_files.keys()):
            failures.append({"kind": "files", "item": f"{what} {key}",
                             "message": "in the database but in no file: the files are the ledger; restore the "
                                        "file that held it (git), or rebuild the database from the files"})
    built.close()
    return failures
