"""Commands for web captures (issue 20): `ledger source add capture.warc.gz`
(called by `source add`) and `ledger source fetch URL`."""

from __future__ import annotations

import click

from ledger import open_db
from ledger.services import record
from ledger.cli.options import db_option, emit_json, json_option, user_errors


def report_capture(r: dict, as_json: bool) -> None:
    if r.get("revision_of"):
        ch = r["changes"]
        click.echo(
            f"{r['slug']} is a new capture of {r['revision_of']} with a changed text "
            f"({ch['removed_lines']} line(s) removed, {ch['added_lines']} added); "
            f"`ledger reanchor {r['slug']}` carries its claims over",
            err=True,
        )
        for line in ch["diff"]:
            click.echo(f"  {line}", err=True)
    if as_json:
        emit_json(r)
        return
    click.echo(
        f"{'added' if r['added'] else 'already held'}: {r['slug']} sha256:{r['id']} ({r['length']} characters) from "
        f"{r['target_uri']}, HTTP {r['http_status']} at {r['warc_date']}, {r['digests_checked']} record digest(s) "
        f"verified, capture kept as {r['capture']}"
    )


@click.command("fetch")
@db_option
@click.argument("url")
@click.option("--slug", help="Short name for the source (default: from the page's title)")
@click.option("--title", help="Title of the document (default: the page's own)")
@click.option("--publisher", help="e.g. 'The Phnom Penh Post' (default: the page's own)")
@click.option("--sources", "sources_dir", default="sources", show_default=True, type=click.Path(file_okay=False))
@json_option
def source_fetch(db_path, url, slug, title, publisher, sources_dir, as_json):
    """Fetch URL, record the exchange as a WARC, and add the page as a source.

    The request and response (status, headers, body) are written to a
    gzipped WARC kept beside the source's text (sources/SLUG.warc.gz), with
    record and payload digests; the time the response arrived is the
    source's `retrieved`. Redirects are not followed. Fetching a URL the
    ledger already holds gives a new revision when the text changed, and the
    changed lines are shown.

    Example: ledger source fetch https://example.com/news/stadium
    """
    with user_errors():
        db = open_db(db_path)
        result = record.fetch_source(db, url, sources_dir=sources_dir, slug=slug, title=title, publisher=publisher)
    report_capture(result, as_json)


def register(cli):
    cli.commands["source"].add_command(source_fetch)
