"""Commands for issue 9's formats: saved web pages as sources (called by
``ledger source add``) and reviewers' verdicts (``ledger review``).

The exports (``w3c``, ``claimreview``, ``csv``, ``jsonl``) go through
``ledger export --format``; CSV and W3C annotation files import with
``ledger import``.
"""

from __future__ import annotations

import click

from ledger import open_db
from ledger.services import reviews
from ledger.cli.options import db_option, emit_json, json_option, user_errors


def report_pages(out, as_json):
    """Print what `ledger source add page.html` (one summary) or `ledger source add pages/` (a list) did."""
    results = out if isinstance(out, list) else [out]
    for r in results:
        if r.get("revision_of"):
            click.echo(
                f"{r['slug']} is a new revision of {r['revision_of']}: `ledger reanchor {r['slug']}` carries its "
                "claims over",
                err=True,
            )
    if as_json:
        # one page: one object, as for a text source; a directory: a list
        emit_json(out)
        return
    for r in results:
        click.echo(
            f"{'added' if r['added'] else 'already held'}: {r['slug']} sha256:{r['id']} ({r['length']} characters "
            f"extracted by {r['extractor']} from {r['file']}, snapshot sha256:{r['snapshot_sha256']})"
        )


@click.group()
def review():
    """Record reviewers' verdicts on facts (exported as schema.org ClaimReview)."""


@review.command("add")
@db_option
@click.argument("claim_id", required=False)
@click.option("--subject", help="The fact's subject (instead of CLAIM_ID)")
@click.option("--predicate", help="The fact's predicate (instead of CLAIM_ID)")
@click.option("--value", help="The fact's value (instead of CLAIM_ID)")
@click.option("--rating", required=True, help="The verdict in words, e.g. 'False', 'Mostly true'")
@click.option("--rating-value", type=float, help="The verdict on a numeric scale (with --best-rating, --worst-rating)")
@click.option("--best-rating", type=float, help="The scale's best (most true) value, e.g. 5")
@click.option(
    "--worst-rating",
    type=float,
    help="The scale's worst (most false) value, e.g. 1. Whole numbers; an inverted scale or one starting "
    "below 1 is converted to Google's 1..N form",
)
@click.option("--explanation", help="Why: the reasoning behind the verdict")
@click.option("--reviewer", required=True, envvar="LEDGER_REVIEWER", help="Who reviewed it (env LEDGER_REVIEWER)")
@click.option(
    "--reviewer-type", type=click.Choice(reviews.REVIEWER_TYPES), default="Organization", show_default=True
)
@click.option("--reviewer-url", help="The reviewer's home page")
@click.option("--url", required=True, help="Where the fact check is published (http or https)")
@click.option("--date", help="Date of the review, YYYY-MM-DD (default: today, UTC)")
@click.option(
    "--claim-reviewed",
    help="Summary of the claim (default: 'SUBJECT predicate: VALUE'); the export's claimReviewed is cut to "
    "under 75 characters, the Claim keeps it whole",
)
@click.option("--reviews", "reviews_dir", default="reviews", show_default=True, type=click.Path(file_okay=False),
              help="Where the review is appended (reviews/AUTHOR.jsonl), for `ledger build`")
@json_option
def review_add(db_path, claim_id, reviews_dir, as_json, **fields):
    """Record a verdict on the fact a claim states (CLAIM_ID), or on
    --subject/--predicate/--value. Reviews are added, never edited: each is
    appended to reviews/AUTHOR.jsonl and recorded from there, so `ledger
    build` reproduces it.

    Example:

    \b
        ledger review add c0123456789abcdef --rating "Mostly true" \\
            --rating-value 4 --best-rating 5 --worst-rating 1 \\
            --explanation "The ministry's own figures say 60,000." \\
            --reviewer "Example Fact Check" --url https://factcheck.example.org/stadium \\
            --date 2024-12-05
    """
    with user_errors():
        db = open_db(db_path)
        row = reviews.add_review(db, claim_id, reviews_dir=reviews_dir, **fields)
    added = row.pop("added")
    if as_json:
        emit_json({**row, "added": added})
        return
    click.echo(f"{'recorded' if added else 'already recorded'}: {row['id']}")
    click.echo(f"{row['claim_reviewed']} - {row['rating']} ({row['reviewer']}, {row['date']})")


@review.command("list")
@db_option
@json_option
def review_list(db_path, as_json):
    """List the reviews in the ledger, oldest first.

    Example: ledger review list --json
    """
    with user_errors():
        db = open_db(db_path, create=False)
        rows = reviews.list_reviews(db)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}  {r['date']}  {r['rating']:12}  {r['claim_reviewed']}  ({r['reviewer']})")


def register(cli):
    cli.add_command(review)
