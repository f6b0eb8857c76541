"""The ``ledger`` command line: parses options, calls the library, prints.

Exit codes: 0 success; 1 bad input or a failed check (nothing written);
2 usage error; ``ledger verify`` uses 3 (spans), 4 (hashes), 5 (chain),
6 (database), 7 (schema), 8 (derived tables), 10 (with --files: the files
and the database differ); 9 (any command): the --db file is not a ledger.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

import click

from ledger.services import ingest
from ledger.formats import claimfile
from ledger.services.export import EXPORTERS
from ledger.store.db import open_db, open_readonly, write_transaction
from ledger.core.errors import LedgerError, ProvenanceConflict
from ledger.formats.plainfile import max_source_bytes, parse_size, read_plain
from ledger.store.shape import ensure_shape
from ledger.formats.sources import make_source, slugify, write_source
from ledger.services import repository
from ledger.services import revisions
from ledger.store import history
from ledger.formats.atomic import writer_lock
from ledger.store.writer import SourceIndex, prepare
from ledger.services.verify import verify as run_verify

from ledger.cli.options import (  # noqa: F401  (DEFAULT_DB and LedgerCommandError are re-exported)
    DEFAULT_DB, LedgerCommandError, db_option, emit_json, json_option, note, user_errors,
)


@click.group()
@click.version_option(package_name="provenance-ledger")
def cli():
    """A fact-checking provenance ledger: sources stored byte-exact, claims
    anchored to the exact characters they rest on, published with Datasette.

    Run `ledger COMMAND --help` for the options and an example of each.
    """


# ---------------------------------------------------------------- build


@cli.command()
@db_option
@click.option("--sources", "sources_dir", default="sources", show_default=True, type=click.Path(file_okay=False))
@click.option("--claims", "claims_dir", default="claims", show_default=True, type=click.Path(file_okay=False))
@click.option("--silent", is_flag=True, help="No progress bar")
@json_option
def build(db_path, sources_dir, claims_dir, silent, as_json):
    """Build or update the ledger from sources/, claims/, history/ and reviews/.

    Adds every source, claim, status event and review the files hold that
    the ledger does not yet have, skipping claim files unchanged since the
    last build. Never edits or deletes what the ledger holds. Running it
    twice adds nothing the second time. All or nothing: one bad claim and
    nothing is written. Each act recorded in the files (everything recorded
    at one time) is one history entry, replayed in order of that time, so a
    build into a new database gives the same history head as the ledger the
    commands wrote.

    Example: ledger build --db ledger.db
    """
    with user_errors():
        db = open_db(db_path)
        with _progress(silent or as_json, _estimate(ingest.claim_files(Path(claims_dir))), "Building") as bar:
            result = ingest.build(db, sources_dir, claims_dir, progress=bar)
    if result.late:
        note(f"{result.late} act(s) recorded before this ledger's head (merged from another clone) were appended "
             "after it: the history only grows; a build into a new database orders every act by its time")
    if as_json:
        emit_json(result.as_dict())
    else:
        click.echo(
            f"{db_path}: {result.sources_added} source(s) added, {result.added} claim(s) added, "
            f"{result.existing} already held; {len(result.skipped_files)} claim file(s) unchanged"
        )


# ---------------------------------------------------------------- sources


@cli.group()
def source():
    """Add and list sources (the documents claims are found in)."""


@source.command("add")
@db_option
@click.argument("file", type=click.Path(exists=True))
@click.option("--url", help="Where it was published (http or https)")
@click.option("--publisher", help="e.g. 'The Phnom Penh Post'")
@click.option("--published", help="Publication date, YYYY-MM-DD")
@click.option("--date-basis", help="How the publication date is known (e.g. 'dateline', 'inferred from the text')")
@click.option("--title", help="Title of the document")
@click.option("--slug", help="Short name for the source (default: from the title or file name)")
@click.option("--retrieved", help="When it was retrieved, ISO 8601 (default: now)")
@click.option("--language", help="Language code, e.g. en")
@click.option("--author", "authors", multiple=True, help="An author (repeat for several)")
@click.option("--sources", "sources_dir", default="sources", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--max-bytes", metavar="SIZE",
    help="Refuse a file larger than this, checked before reading (e.g. 500M; env LEDGER_MAX_SOURCE_BYTES; default 100M)",
)
@json_option
def source_add(db_path, file, url, publisher, published, date_basis, title, slug, retrieved, language, authors, sources_dir, max_bytes, as_json):
    """Store FILE byte-exact in sources/ with its metadata, and in the ledger.

    A saved web page (.html/.htm), or a directory of them, is an article:
    its main text and metadata are extracted (trafilatura, offline), the text
    becomes the source and the page is kept beside it as its snapshot. A web
    capture (.warc, .warc.gz, .wacz) is checked like `warcio check` and its
    page's response added the same way, with the HTTP exchange recorded
    (--url chooses the response when it holds several).

    Only a regular file is read (not a FIFO, a device or a directory other
    than one of saved pages), and only up to --max-bytes. A text already held
    is left as it is, sidecar included: different provenance for it is an
    error listing the differences. A changed text is a new revision only of
    the source named with --slug or with the same --url; a title that slugs
    like another document's gets a distinct slug.

    Example:

    \b
        ledger source add article.txt --url https://example.com/a \\
            --publisher "Example News" --published 2024-12-02 --title "A visit"
        ledger source add saved-pages/
    """
    if not Path(file).is_dir() and str(file).lower().endswith((".warc", ".warc.gz", ".wacz")):
        from ledger.cli.capture import add_capture_source  # issue 20

        return add_capture_source(
            db_path, file, sources_dir, as_json, url=url, publisher=publisher, published=published,
            date_basis=date_basis, title=title, slug=slug, retrieved=retrieved, language=language, authors=authors,
        )
    if Path(file).is_dir() or Path(file).suffix.lower() in (".html", ".htm", ".xhtml"):
        from ledger.cli.formats import add_html_sources  # issue 9

        return add_html_sources(
            db_path, file, sources_dir, as_json, url=url, publisher=publisher, published=published,
            date_basis=date_basis, title=title, slug=slug, retrieved=retrieved, language=language, authors=authors,
        )
    with user_errors():
        data = read_plain(file, max_bytes=max_source_bytes(None if max_bytes is None else parse_size(max_bytes, "--max-bytes")))
    with user_errors(), writer_lock(Path(sources_dir).parent):
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
        db = open_db(db_path)
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
                with repository.changing([txt, txt.with_suffix(".yml")]):
                    write_source(src, Path(sources_dir), data)
                    repository.replay_files(db, sources_dir=sources_dir, sources=[txt])
    out = {"id": src.id, "slug": src.slug, "path": src.path, "length": len(src.text), "added": added}
    if follows:
        out["revision_of"] = follows
        note(f"{src.slug} is a new revision of {follows}: `ledger reanchor {src.slug}` carries its claims over")
    if as_json:
        emit_json(out)
    else:
        click.echo(f"{'added' if added else 'already held'}: {src.slug} sha256:{src.id} ({len(src.text)} characters)")


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


@source.command("list")
@db_option
@json_option
def source_list(db_path, as_json):
    """List the sources in the ledger.

    Example: ledger source list --json
    """
    with user_errors():
        db = open_db(db_path, create=False)
        rows = list(
            db.query(
                "SELECT s.slug, s.id, s.publisher, s.published, s.url, s.length, "
                "(SELECT count(*) FROM claims c WHERE c.source_id = s.id) AS claims FROM sources s ORDER BY s.slug"
            )
        )
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['slug']}  {r['id'][:12]}  {r['published'] or '?':10}  {r['claims']:4} claims  {r['publisher'] or ''}")


# ---------------------------------------------------------------- claims


@cli.group()
def claim():
    """Record claims found in a source."""


@claim.command("add")
@db_option
@click.argument("source_ref", metavar="SOURCE")
@click.option("--subject", required=True, help="Who or what the claim is about")
@click.option("--predicate", required=True, help="lower_snake_case, e.g. seating_capacity")
@click.option("--value", required=True, help="What the source says, e.g. '60,000'")
@click.option("--quote", required=True, help="The passage the claim rests on, as you would type it")
@click.option("--confidence", required=True, type=float, help="0..1: how sure you are the source says this")
@click.option("--occurrence", type=int, help="Which match (1-based) when the quote occurs more than once")
@click.option("--speaker", help="Who said it, for quotations")
@click.option("--as-of", help="The date the fact is about (YYYY-MM-DD)")
@click.option("--valid-from", help="Start of the time the fact is about")
@click.option("--valid-to", help="End of the time the fact is about")
@click.option("--note", help="A note for readers")
@click.option(
    "--paraphrase", metavar="NOTE",
    help="Declare that the span gives the value in other words, saying how (needed only when its words do not)",
)
@click.option("--recorded-by", envvar="LEDGER_RECORDED_BY", help="Who records it (env LEDGER_RECORDED_BY)")
@click.option("--claims", "claims_dir", default="claims", show_default=True, type=click.Path(file_okay=False))
@json_option
def claim_add(db_path, source_ref, claims_dir, as_json, **fields):
    """Anchor a claim in SOURCE (slug or sha256), append it to
    claims/SLUG/AUTHOR.yml (one file per source and author, so that git
    merges do not conflict) and record it in the ledger from there; print
    its id, the anchored span and how the span supports the value (exact,
    normalised, quotation or a declared paraphrase; a value the span does not
    give is refused).

    The stored span is the source's own text: typing straight quotes for
    curly ones, '-' for a dash or extra spaces still finds it.

    Example:

        ledger claim add sokhonn-plans-china-trip --subject "Morodok Techo National Stadium" \\
            --predicate seating_capacity --value 60,000 --confidence 0.95 \\
            --quote "a seating capacity of 60,000"
    """
    entry = {k: v for k, v in fields.items() if v is not None}
    with user_errors(), writer_lock(Path(claims_dir).parent):
        db = open_db(db_path)
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
            with repository.changing([path]):
                offset = append_claim(path, held.slug, {k: v for k, v in entry.items() if k != "source"}, db)
                repository.replay_files(db, claims_dir=claims_dir, claims=[path],
                                        appended={path: (offset, held.slug)} if offset is not None else None)
    out = {k: row[k] for k in ("id", "source_id", "span_start", "span_end", "span_text", "match", "support")}
    out["added"] = not exists
    out["claims_file"] = path.as_posix()
    if as_json:
        emit_json(out)
        return
    click.echo(f"{'recorded' if not exists else 'already recorded'}: {row['id']}")
    click.echo(f"span [{row['span_start']}:{row['span_end']}] ({row['match']}): {row['span_text']}")
    click.echo(f"support: {row['support']}")


def append_claim(path: Path, slug: str, entry: dict, db=None):
    """Append one claim to a claims file (:func:`append_claims`)."""
    return append_claims(path, slug, [entry], db)


def append_claims(path: Path, slug: str, entries: list[dict], db=None) -> int | None:
    """Append claims to a claims file, keeping what is there byte for byte.

    The file is never rewritten in place (``ledger.formats.atomic``): the new version is checked to parse with the
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

    from ledger.formats.atomic import WriteError, write_atomic

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


# ---------------------------------------------------------------- import


@cli.command("import")
@db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and anchor everything, report, write nothing")
@click.option("--silent", is_flag=True, help="No progress bar")
@click.option("--claims", "claims_dir", default="claims", show_default=True, type=click.Path(file_okay=False),
              help="Where a file from elsewhere is copied (claims/imported/TIME--NAME)")
@json_option
def import_(db_path, files, dry_run, silent, claims_dir, as_json):
    """Import claim files (YAML, JSON, JSON Lines, CSV): all or nothing.

    Every claim is validated and anchored; if any claim in any file is bad,
    every problem is listed and nothing is written. Claims already recorded
    are skipped, so importing a file twice adds nothing. A .json/.jsonld file
    with the W3C anno.jsonld @context is read as Web Annotations, each a
    claim anchored by its TextQuoteSelector.

    A file from outside claims/ is copied in byte for byte, as
    claims/imported/TIME--NAME (when it was imported, and its own name), so
    that `ledger build` from the repository reproduces the import.

    Example: ledger import claims/new.yml more.jsonl --dry-run
    """
    paths = [Path(f) for f in files]
    with user_errors():
        db = open_db(db_path)
        with _progress(silent or as_json, _estimate(paths), "Importing") as bar:
            if dry_run:
                result = ingest.import_files(db, paths, dry_run=True, progress=bar)
            else:
                with writer_lock(Path(claims_dir).parent):
                    result = repository.import_files(db, paths, claims_dir=claims_dir, progress=bar)
    if as_json:
        emit_json(result.as_dict())
    else:
        verb = "would add" if dry_run else "added"
        click.echo(f"{result.claims} claim(s) in {result.files} file(s): {verb} {result.added}, {result.existing} already held")


def _estimate(paths) -> int:
    total = 0
    for p in paths:
        try:
            size = Path(p).stat().st_size
        except OSError:
            continue
        if size < 256 * 1024:
            continue
        data = Path(p).read_bytes() if size < 50 * 1024 * 1024 else b""
        total += data.count(b"\n") if str(p).endswith(".jsonl") else data.count(b"quote")
    return total


@contextlib.contextmanager
def _progress(silent: bool, length: int, label: str):
    if silent or length < 1000:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


# ---------------------------------------------------------------- verify



HEAD_HASH_RE = re.compile(r"^(sha256:)?([0-9a-fA-F]{64})$")


def whole_head_hash(value: str | None) -> str | None:
    """``--head`` as ``sha256:<64 hex digits>``, from that or the bare digits;
    a placeholder or a shortened hash (as pages and the README show it) is a
    usage error saying so, never a tamper alarm (issue 17)."""
    if value is None:
        return None
    m = HEAD_HASH_RE.match(value.strip())
    if m:
        return "sha256:" + m.group(2).lower()
    raise click.BadParameter(
        f"{value!r} is not a whole head hash: a head is sha256: and 64 hex digits, as `ledger head` prints it "
        "(pages and the README show it shortened, with …); copy it whole from `ledger head` or a checkpoint file",
        param_hint="'--head'",
    )

@cli.command()
@db_option
@click.option("--head", "head_hash", metavar="HASH", help="A head hash published earlier (`ledger head`): check that history only grew since")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False),
              help="A checkpoint published earlier: a signed one (`ledger checkpoint`) is checked by consistency proof, "
              "a `ledger head --out` file by its head")
@click.option("--vkey", envvar="LEDGER_VKEY", metavar="VKEY",
              help="The log's verifier key (or a file holding it): also check the signed checkpoint's signature")
@click.option(
    "--deep", is_flag=True,
    help="Also run SQLite's full integrity check, every foreign key, every value's type, and recompute every derived "
    "table from the recorded rows (slow: a weekly job)",
)
@click.option("--files", "files_root", type=click.Path(exists=True, file_okay=False),
              help="Also compare the ledger with the repository's files under this folder (exit 10 on a difference)")
@json_option
def verify(db_path, head_hash, checkpoint, vkey, deep, files_root, as_json):
    """Re-check everything the ledger asserts: every source's SHA-256, every
    span (and its prefix and suffix) against its source text, every row
    against the history entry that added it, the history's hash chain and
    each claim's status, in one pass over sources and claims.

    Exit 0 when all hold; otherwise one line per failure and exit 3 (spans),
    4 (hashes), 5 (chain) or 6 (database: a missing referenced row, or a
    damaged page), for the most fundamental failure; 9 when the file is not
    a ledger at all. The file is opened read-only and never changed. With --head or
    --checkpoint, also confirm that the published entry is still in the
    chain, unchanged (history was only appended to since); a signed
    checkpoint is checked by an RFC 9162 consistency proof from its tree to
    the current one, and with --vkey by its signature. Exit 7 (schema) when a
    table, index, trigger or view differs from what the migrations create
    (with --deep, also a value of the wrong type); with --deep, 8 (derived)
    when a derived table differs from its recomputation from the rows. With
    --files, also report every source, claim, status event or review that is
    in the repository's files and not in the database, or the other way round
    (exit 10: the files are the ledger, the database a build of them).

    A damaged page of those tables is found (6), but SQLite's full storage
    check (PRAGMA integrity_check: every index against its table, the free
    pages) and the recomputation of the derived tables (comparison, facet
    counts, full-text indexes, shingles) cost about ten times all the rest:
    --deep adds them, with every foreign key and every value's type. Run
    verify after every change, --deep weekly (cron, CI) and on a downloaded
    copy. docs/integrity.md says what each check establishes.

    Example: ledger verify --db ledger.db --head sha256:4f1c… --json
    """
    if head_hash and checkpoint:
        raise click.UsageError("give --head or --checkpoint, not both")
    signed = None
    head_hash = whole_head_hash(head_hash)
    with user_errors():
        if checkpoint:
            from ledger.cli import tlog as cli_tlog
            from ledger.store import tlog

            if tlog.is_signed_checkpoint(Path(checkpoint).read_text(encoding="utf-8", errors="replace")):
                signed = cli_tlog.load_checkpoint(checkpoint, vkey)
            else:
                head_hash = history.read_checkpoint(checkpoint)
        db = open_readonly(db_path)  # never migrates, never switches the journal: the file keeps its SHA-256
        report = run_verify(db, head=head_hash, deep=deep, checkpoint=signed)
        if files_root is not None:
            differences = repository.compare(db, files_root)
            report["failures"].extend(differences)
            if differences:
                report["ok"] = False
                report["exit_code"] = report["exit_code"] or repository.FILES_EXIT_CODE
    if as_json:
        emit_json(report)
    else:
        for f in report["failures"]:
            click.echo(f"{f['kind']}: {f['item']}: {f['message']}")
        c = report["checked"]
        summary = f"{c['sources']} source(s), {c['claims']} claim(s): "
        summary += "all hold" if report["ok"] else f"{len(report['failures'])} failure(s)"
        click.echo(summary, err=not report["ok"])
    sys.exit(report["exit_code"])


# ---------------------------------------------------------------- serve


@cli.command()
@db_option
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1")
@click.option(
    "-m", "--metadata", default=None, type=click.Path(exists=True, dir_okay=False),
    help="Datasette metadata (default: metadata.yml in the current directory, if there)",
)
@click.option("--live", is_flag=True, help="Serve the ledger file itself, showing writes as they land (no download)")
@click.option(
    "--sql-time-limit-ms", default=1000, show_default=True, type=click.IntRange(1, 1000),
    help="Time limit for any one SQL query",
)
def serve(db_path, port, metadata, live, sql_time_limit_ms):
    """Serve the ledger with Datasette on 127.0.0.1, read-only for visitors.

    By default serves a snapshot of the ledger (checkpointed and copied with
    VACUUM INTO, opened immutable), which visitors can download and check with
    `ledger verify`; the ledger itself stays writable and the snapshot is
    deleted on exit. --live serves the file itself, read-only, showing writes
    as they land. Arbitrary SQL cannot write either way, and every query has
    a time limit. Sets a random DATASETTE_SECRET unless one is set.

    Example: ledger serve --db ledger.db --port 8001
    """
    import subprocess
    import tempfile

    from ledger.services import publish

    if metadata is None and Path("metadata.yml").exists():
        metadata = "metadata.yml"
    if metadata is None:
        note("no metadata.yml here: serving without titles, descriptions and canned queries (pass -m PATH)")
    with contextlib.ExitStack() as stack, user_errors():
        if live:
            served = publish.prepare_live(db_path)
            if served.stem != publish.DATABASE_NAME:
                note(f"the database is named {served.stem!r}: metadata.yml describes one named {publish.DATABASE_NAME!r}")
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-serve-"))
            served = publish.snapshot(db_path, tmp)
        args = publish.datasette_command(
            served, port=port, metadata=metadata, immutable=not live, sql_time_limit_ms=sql_time_limit_ms
        )
        note(f"Serving {db_path} {'live' if live else 'as a snapshot'} on http://{publish.HOST}:{port}/")
        sys.stdout.flush()
        code = publish.run_datasette(args, publish.serve_environment())
    sys.exit(code)


# ---------------------------------------------------------------- export


@cli.command()
@db_option
@click.option("--format", "fmt", default="files", show_default=True, help="Output format (see below)")
@click.option("-o", "--out", required=True, type=click.Path(), help="Output directory or file")
@click.option(
    "--exact-cells", is_flag=True,
    help="csv: write cells exactly as stored, even those a spreadsheet would run as formulas (for round trips)",
)
@click.option("--force", is_flag=True, help="Write into a non-empty directory or over an existing file")
@json_option
def export(db_path, fmt, out, exact_cells, force, as_json):
    """Write the ledger out in a format.

    `files` writes sources/, claims/, history/ and reviews/ under OUT as the
    commands lay them out, each act with its time: `ledger build` in OUT
    rebuilds the same sources, claims, statuses, reviews and history head. `csv` puts an apostrophe
    before a cell a spreadsheet would run as a formula (=, +, -, @) unless
    --exact-cells is given. A non-empty OUT (a directory with anything in it,
    or an existing file) is refused unless --force: an export never
    overwrites claims not yet built. Each file is written whole (a temporary
    file renamed over it).

    Example: ledger export --format files --out backup/
    """
    if fmt not in EXPORTERS:
        raise click.BadParameter(f"unknown format {fmt!r}; choose from {', '.join(sorted(EXPORTERS))}", param_hint="--format")
    if exact_cells and fmt != "csv":
        raise click.UsageError(f"--exact-cells applies to --format csv only, not --format {fmt}")
    target = Path(out)
    if not force and (target.is_dir() and any(target.iterdir()) or target.is_file() and target.stat().st_size):
        raise click.ClickException(
            f"{out} is not empty: an export never overwrites silently (claims not yet built, comments); "
            "choose a new --out, or pass --force to write over what is there"
        )
    with user_errors():
        db = open_db(db_path, create=False)
        summary = EXPORTERS[fmt](db, out, **({"exact": True} if exact_cells else {}))
    if as_json:
        emit_json(summary)
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))
