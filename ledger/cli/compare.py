"""``ledger compare``: the cross-source comparison on the command line."""

from __future__ import annotations

import itertools
import json
import textwrap

import click

from ledger import open_db
from ledger.services import compare as comparison


def _status_line(g: dict) -> str:
    head = f"[{g['status']}] {g['subject']} · {g['predicate']}"
    t = g["time"]
    if t["start"] or t["end"]:
        head += f" · {t['start'] or '?'}" + (f"..{t['end']}" if t["end"] and t["end"] != t["start"] else "")
    vals = "; ".join(
        f"{v['value']} ({v['independent_sources']} independent of {v['sources']} source{'s' if v['sources'] != 1 else ''})"
        for v in g["values"]
    )
    return f"{head}\n  values: {vals}"


@click.command("compare")
@click.option("--subject", help="Only facts about this subject (any alias in entities.yml works)")
@click.option("--predicate", help="Only this predicate, e.g. seating_capacity")
@click.option(
    "--status",
    type=click.Choice(comparison.STATUSES),
    help="Only fact groups with this classification",
)
@click.option("--claim", "claim_id", help="Only the fact group this claim belongs to")
@click.option(
    "--summary",
    is_flag=True,
    help="One line (or JSON object) per fact group: its classification, value(s) and counts, without the claims",
)
@click.option("--rebuild", is_flag=True, help="Recompute every comparison table from scratch first")
def compare_cmd(db_path, subject, predicate, status, claim_id, summary, rebuild, as_json):
    """Compare what the sources say, fact by fact.

    Claims are grouped by fact (subject entity, predicate, time); each group
    is corroborated (two or more independent sources agree), conflicting
    (different values for overlapping times), change-over-time (values
    differ between times that do not overlap) or single-source. Sources with
    the same publisher, and near-duplicate texts (syndicated copies), count
    once; each claim says whether it counted and why not. Every claim is
    shown with its value, normalised value, source, date and span.
    Output is streamed a group at a time, so a whole archive can be piped.

    Example:

        ledger compare --subject "Morodok Techo National Stadium" --predicate seating_capacity --json

        ledger compare --status conflicting --summary
    """
    from ledger.cli.options import user_errors

    with user_errors():
        db = open_db(db_path, create=False)
        groups = comparison.iter_groups(
            db, subject=subject, predicate=predicate, status=status, claim_id=claim_id, members=not summary,
            rebuild=rebuild,
        )
        first = next(groups, None)
    if as_json:
        _emit_json_stream(first, groups)
        return
    if first is None:
        click.echo("no fact groups match", err=True)
        return
    for g in itertools.chain([first], groups):
        if summary:
            click.echo(_summary_line(g))
            continue
        click.echo(_status_line(g))
        if g["timeline"]:
            click.echo("  over time: " + "; ".join(
                f"{t['from'] or '?'}..{t['to'] or '?'}: {', '.join(t['values'])}" for t in g["timeline"]
            ))
        for m in g["members"]:
            mark = "" if m["counted"] else f"  (not counted: {m['independence']})"
            click.echo(
                f"  - {m['value']!r} -> {m['normalized']!r}  {m['source']} ({m['publisher'] or 'no publisher'}, "
                f"{m['published'] or 'undated'}) [{m['span']['start']}:{m['span']['end']}] "
                f"\"{m['span']['text']}\"{mark}"
            )
        click.echo(f"  rule: {g['rule']}")


def _summary_line(g: dict) -> str:
    t = g["time"]
    when = f"{t['start'] or '?'}" + (f"..{t['end']}" if t["end"] and t["end"] != t["start"] else "")
    vals = " | ".join(g["values"])
    return (
        f"[{g['status']}] {g['subject']} · {g['predicate']} · {when}: {vals} "
        f"({g['independent_sources']} independent of {g['sources']} source{'s' if g['sources'] != 1 else ''}, "
        f"{g['claims']} claim{'s' if g['claims'] != 1 else ''})"
    )


def _emit_json_stream(first, rest) -> None:
    """What ``json.dumps(list, indent=2)`` prints, written a group at a time."""
    if first is None:
        click.echo("[]")
        return
    click.echo("[")
    item = first
    for nxt in rest:
        click.echo(textwrap.indent(json.dumps(item, indent=2, ensure_ascii=False), "  ") + ",")
        item = nxt
    click.echo(textwrap.indent(json.dumps(item, indent=2, ensure_ascii=False), "  "))
    click.echo("]")


def register(cli):
    from ledger.cli.options import db_option, json_option

    cli.add_command(json_option(db_option(compare_cmd)))
