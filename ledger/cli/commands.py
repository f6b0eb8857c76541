"""The ``ledger`` command line: parses options, calls the library, prints.

Exit codes: 0 success; 1 bad input or a failed check (nothing written);
2 usage error; ``ledger verify`` uses 3 (spans), 4 (hashes), 5 (chain),
6 (database), 7 (schema), 8 (derived tables), 10 (with --files: the files
and the database differ); 9 (any command): the --db file is not a ledger.
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

import click

from ledger import open_db
from ledger.services import integrity, record
from ledger.services.export import exporters

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
        with _progress(silent or as_json, _estimate(record.claim_files(claims_dir)), "Building") as bar:
            result = record.build(db, sources_dir, claims_dir, progress=bar)
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
    with user_errors():
        db = open_db(db_path)
        out = record.add_source(
            db, file, sources_dir=sources_dir, max_bytes=max_bytes,
            url=url, publisher=publisher, published=published, date_basis=date_basis, title=title, slug=slug,
            retrieved=retrieved, language=language, authors=authors,
        )
    if not Path(file).is_dir() and str(file).lower().endswith(record.CAPTURE_SUFFIXES):
        from ledger.cli.capture import report_capture  # issue 20

        return report_capture(out, as_json)
    if Path(file).is_dir() or Path(file).suffix.lower() in record.PAGE_SUFFIXES:
        from ledger.cli.formats import report_pages  # issue 9

        return report_pages(out, as_json)
    if out.get("revision_of"):
        note(f"{out['slug']} is a new revision of {out['revision_of']}: `ledger reanchor {out['slug']}` carries its claims over")
    if as_json:
        emit_json(out)
    else:
        click.echo(f"{'added' if out['added'] else 'already held'}: {out['slug']} sha256:{out['id']} ({out['length']} characters)")


@source.command("list")
@db_option
@json_option
def source_list(db_path, as_json):
    """List the sources in the ledger.

    Example: ledger source list --json
    """
    with user_errors():
        db = open_db(db_path, create=False)
        rows = record.list_sources(db)
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
    with user_errors():
        db = open_db(db_path)
        out = record.record_claim(db, source_ref, claims_dir=claims_dir, **fields)
    if as_json:
        emit_json(out)
        return
    click.echo(f"{'recorded' if out['added'] else 'already recorded'}: {out['id']}")
    click.echo(f"span [{out['span_start']}:{out['span_end']}] ({out['match']}): {out['span_text']}")
    click.echo(f"support: {out['support']}")


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
            result = record.import_files(db, paths, claims_dir=claims_dir, dry_run=dry_run, progress=bar)
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

            text, is_signed = integrity.published(checkpoint)
            if is_signed:
                signed = cli_tlog.load_checkpoint(checkpoint, vkey)
            else:
                head_hash = text
        report = integrity.check(db_path, head=head_hash, checkpoint=signed, deep=deep, files_root=files_root)
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
    known = exporters()
    if fmt not in known:
        raise click.BadParameter(f"unknown format {fmt!r}; choose from {', '.join(sorted(known))}", param_hint="--format")
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
        summary = known[fmt](db, out, **({"exact": True} if exact_cells else {}))
    if as_json:
        emit_json(summary)
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))
