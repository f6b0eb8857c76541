"""The ``ledger`` command line: parses options, calls the library, prints.

Exit codes: 0 success; 1 bad input or a failed check (nothing written);
2 usage error; ``ledger verify`` uses 3 (spans), 4 (hashes), 5 (chain),
6 (database).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from . import claimfile, ingest
from .export import EXPORTERS
from .db import open_db, write_transaction
from .errors import LedgerError
from .shape import ensure_shape
from .sources import make_source, slugify, write_source
from . import history, revisions
from .store import SourceIndex, add_source, insert_claims, prepare
from .verify import verify as run_verify

DEFAULT_DB = "ledger.db"


class LedgerCommandError(click.ClickException):
    """A library error shown as ``Error: …`` with the error's exit code."""

    def __init__(self, error: LedgerError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


@contextlib.contextmanager
def user_errors():
    try:
        yield
    except LedgerError as e:
        raise LedgerCommandError(e) from None


def db_option(fn):
    return click.option(
        "--db",
        "db_path",
        default=DEFAULT_DB,
        show_default=True,
        envvar="LEDGER_DB",
        type=click.Path(dir_okay=False),
        help="The ledger database file (env LEDGER_DB)",
    )(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only")(fn)


def emit_json(obj):
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def note(msg: str):
    click.echo(msg, err=True)


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
    """Build or update the ledger from sources/ and claims/.

    Adds every source and claim the files hold that the ledger does not yet
    have, skipping claim files unchanged since the last build. Never edits or
    deletes what the ledger holds. Running it twice adds nothing the second
    time. All or nothing: one bad claim and nothing is written.

    Example: ledger build --db ledger.db
    """
    with user_errors():
        db = open_db(db_path)
        with _progress(silent or as_json, _estimate(ingest.claim_files(Path(claims_dir))), "Building") as bar:
            result = ingest.build(db, sources_dir, claims_dir, progress=bar)
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
@json_option
def source_add(db_path, file, url, publisher, published, date_basis, title, slug, retrieved, language, authors, sources_dir, as_json):
    """Store FILE byte-exact in sources/ with its metadata, and in the ledger.

    A saved web page (.html/.htm), or a directory of them, is an article:
    its main text and metadata are extracted (trafilatura, offline), the text
    becomes the source and the page is kept beside it as its snapshot.

    Example:

    \b
        ledger source add article.txt --url https://example.com/a \\
            --publisher "Example News" --published 2024-12-02 --title "A visit"
        ledger source add saved-pages/
    """
    if Path(file).is_dir() or Path(file).suffix.lower() in (".html", ".htm", ".xhtml"):
        from .cli_formats import add_html_sources  # issue 9

        return add_html_sources(
            db_path, file, sources_dir, as_json, url=url, publisher=publisher, published=published,
            date_basis=date_basis, title=title, slug=slug, retrieved=retrieved, language=language, authors=authors,
        )
    data = Path(file).read_bytes()
    with user_errors():
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
        with write_transaction(db), history.entry(db, "source add", actor=history.default_actor(), at=history.now()):
            # a changed text of a held source (same slug or URL) is its next revision
            follows = revisions.resolve_revision(db, src)
            src.path = (Path(sources_dir) / f"{src.slug}.txt").as_posix()
            added = add_source(db, src)
            write_source(src, Path(sources_dir), data)
    out = {"id": src.id, "slug": src.slug, "path": src.path, "length": len(src.text), "added": added}
    if follows:
        out["revision_of"] = follows
        note(f"{src.slug} is a new revision of {follows}: `ledger reanchor {src.slug}` carries its claims over")
    if as_json:
        emit_json(out)
    else:
        click.echo(f"{'added' if added else 'already held'}: {src.slug} sha256:{src.id} ({len(src.text)} characters)")


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
    """Anchor a claim in SOURCE (slug or sha256), record it in the ledger and
    append it to claims/SLUG.yml; print its id, the anchored span and how the
    span supports the value (exact, normalised, quotation or a declared
    paraphrase; a value the span does not give is refused).

    The stored span is the source's own text: typing straight quotes for
    curly ones, '-' for a dash or extra spaces still finds it.

    Example:

        ledger claim add sokhonn-plans-china-trip --subject "Morodok Techo National Stadium" \\
            --predicate seating_capacity --value 60,000 --confidence 0.95 \\
            --quote "a seating capacity of 60,000"
    """
    entry = {k: v for k, v in fields.items() if v is not None}
    entry["recorded_at"] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    with user_errors():
        db = open_db(db_path)
        held = SourceIndex(db).get(source_ref)
        path = Path(claims_dir) / f"{held.slug}.yml"
        entry = {"source": held.slug, **entry}
        claim_in = claimfile.validate(claimfile.Record(entry, "command line", None, 1))
        row = prepare(claim_in, SourceIndex(db), path.as_posix())
        actor = row["recorded_by"] or history.default_actor()
        with write_transaction(db), history.entry(db, "claim add", actor=actor, at=entry["recorded_at"]):
            exists = db.execute("SELECT 1 FROM claims WHERE id = ?", [row["id"]]).fetchone()
            if not exists:
                insert_claims(db, [row])
                ensure_shape(db)
                file_entry = {k: v for k, v in entry.items() if k != "source"}
                append_claim(path, held.slug, file_entry)
    out = {k: row[k] for k in ("id", "source_id", "span_start", "span_end", "span_text", "match", "support")}
    out["added"] = not exists
    out["claims_file"] = path.as_posix()
    if as_json:
        emit_json(out)
        return
    click.echo(f"{'recorded' if not exists else 'already recorded'}: {row['id']}")
    click.echo(f"span [{row['span_start']}:{row['span_end']}] ({row['match']}): {row['span_text']}")
    click.echo(f"support: {row['support']}")


def append_claim(path: Path, slug: str, entry: dict):
    """Append one claim to a claims file, keeping what is there byte for byte."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(claimfile.dump_yaml([entry], source=slug), encoding="utf-8")
        return
    before = path.read_bytes()
    existing = list(claimfile.iter_records(path))
    item = claimfile.dump_yaml([entry])
    sep = b"" if before.endswith(b"\n") or not before else b"\n"
    path.write_bytes(before + sep + item.encode("utf-8"))
    try:
        after = list(claimfile.iter_records(path))
        if len(after) != len(existing) + 1:
            raise LedgerError(f"{path}: could not append the claim: the file does not end with its claims list")
    except LedgerError:
        path.write_bytes(before)
        raise


# ---------------------------------------------------------------- import


@cli.command("import")
@db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and anchor everything, report, write nothing")
@click.option("--silent", is_flag=True, help="No progress bar")
@json_option
def import_(db_path, files, dry_run, silent, as_json):
    """Import claim files (YAML, JSON, JSON Lines, CSV): all or nothing.

    Every claim is validated and anchored; if any claim in any file is bad,
    every problem is listed and nothing is written. Claims already recorded
    are skipped, so importing a file twice adds nothing. A .json/.jsonld file
    with the W3C anno.jsonld @context is read as Web Annotations, each a
    claim anchored by its TextQuoteSelector.

    Example: ledger import claims/new.yml more.jsonl --dry-run
    """
    paths = [Path(f) for f in files]
    with user_errors():
        db = open_db(db_path)
        with _progress(silent or as_json, _estimate(paths), "Importing") as bar:
            result = ingest.import_files(db, paths, dry_run=dry_run, progress=bar)
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


@cli.command()
@db_option
@click.option("--head", "head_hash", metavar="HASH", help="A head hash published earlier (`ledger head`): check that history only grew since")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False), help="A checkpoint file written by `ledger head --out`")
@click.option(
    "--deep", is_flag=True,
    help="Also run SQLite's full integrity check (every index against its table) and every foreign key (slow: a weekly job)",
)
@json_option
def verify(db_path, head_hash, checkpoint, deep, as_json):
    """Re-check everything the ledger asserts: every source's SHA-256, every
    span (and its prefix and suffix) against its source text, every row
    against the history entry that added it, the history's hash chain and
    each claim's status, in one pass over sources and claims.

    Exit 0 when all hold; otherwise one line per failure and exit 3 (spans),
    4 (hashes), 5 (chain) or 6 (database: a missing referenced row, or a
    damaged page), for the most fundamental failure. With --head or
    --checkpoint, also confirm that the published entry is still in the
    chain, unchanged (history was only appended to since).

    A damaged page of those tables is found (6), but SQLite's full storage
    check (PRAGMA integrity_check: every index against its table, the free
    pages, the derived tables) costs about ten times all the rest and checks
    how rows are stored, not what the ledger asserts: --deep adds it, with
    every foreign key. Run verify after every change, --deep weekly (cron,
    CI) and on a downloaded copy.

    Example: ledger verify --db ledger.db --head sha256:4f1c… --json
    """
    if head_hash and checkpoint:
        raise click.UsageError("give --head or --checkpoint, not both")
    with user_errors():
        if checkpoint:
            head_hash = history.read_checkpoint(checkpoint)
        db = open_db(db_path, create=False)
        report = run_verify(db, head=head_hash, deep=deep)
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

    from . import publish

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
@json_option
def export(db_path, fmt, out, as_json):
    """Write the ledger out in a format.

    `files` writes sources/ and claims/ under OUT, from which `ledger build`
    rebuilds the same sources, claim ids and spans.

    Example: ledger export --format files --out backup/
    """
    if fmt not in EXPORTERS:
        raise click.BadParameter(f"unknown format {fmt!r}; choose from {', '.join(sorted(EXPORTERS))}", param_hint="--format")
    with user_errors():
        db = open_db(db_path, create=False)
        summary = EXPORTERS[fmt](db, out)
    if as_json:
        emit_json(summary)
    else:
        click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))


# ---------------------------------------------------------------- feature commands
# Each feature module defines its commands and a ``register(cli)`` that adds
# them (to the top level, or to a noun group via ``cli.commands["claim"]``).
FEATURE_COMMANDS: tuple[str, ...] = ("cli_formats", "cli_compare", "cli_extract", "cli_history")

for _name in FEATURE_COMMANDS:
    __import__(f"ledger.{_name}", fromlist=["register"]).register(cli)
