"""Commands for the ledger's history: corrections, retractions, a claim's
life story, the head hash to publish, the log, and re-anchoring claims onto
a new revision of a source. The work is done in ledger/services/corrections.py
and ledger/services/log.py; these parse options and print."""

from __future__ import annotations

import click

from ledger import open_db
from ledger.services import corrections, log as ledger_log
from ledger.cli.options import db_option, emit_json, json_option, note, user_errors
from ledger.core.fields import InvalidField, escaped, one_line


def history_option(fn):
    return click.option(
        "--history",
        "history_dir",
        default="history",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Where status events are appended (events/AUTHOR.jsonl), for `ledger build`",
    )(fn)


def claims_option(fn):
    return click.option(
        "--claims", "claims_dir", default="claims", show_default=True, type=click.Path(file_okay=False),
        help="Where the new claim is appended (claims/SLUG/AUTHOR.yml)",
    )(fn)


def _one_line_actor(ctx, param, value):
    if value is None:
        return value
    try:
        return one_line(value, "--by / LEDGER_RECORDED_BY")  # issue 14: no forged `ledger log` lines
    except InvalidField as e:
        raise click.BadParameter(str(e)) from None


def by_option(fn):
    return click.option(
        "--by", "actor", envvar="LEDGER_RECORDED_BY", callback=_one_line_actor,
        help="Who makes the change (env LEDGER_RECORDED_BY; default: login name)",
    )(fn)


@click.command("supersede")
@db_option
@click.argument("claim_id", metavar="ID")
@click.option("--reason", required=True, help="Why the claim is corrected (shown to readers)")
@click.option("--source", "source_ref", help="Move the claim to another source (slug or sha256)")
@click.option("--subject")
@click.option("--predicate")
@click.option("--value")
@click.option("--quote", help="A new passage (anchored like `claim add`)")
@click.option("--confidence", type=float)
@click.option("--occurrence", type=int)
@click.option("--speaker")
@click.option("--as-of")
@click.option("--valid-from")
@click.option("--valid-to")
@click.option("--note")
@click.option("--paraphrase", metavar="NOTE", help="Declare that the span gives the value in other words, saying how")
@by_option
@claims_option
@history_option
@json_option
def supersede(db_path, claim_id, reason, source_ref, actor, claims_dir, history_dir, as_json, **changes):
    """Correct claim ID: record a new claim with the fields given changed
    (the rest carried over) and mark ID superseded by it, with who, when and
    why. Nothing is edited or deleted: both claims stay, and `ledger claim
    history` shows the change. The new claim is appended to
    claims/SLUG/AUTHOR.yml and the event to history/events/AUTHOR.jsonl, and
    the ledger records them from there, so `ledger build` reproduces it.
    A new value needs a span that gives it: without --quote the old span is
    kept and checked again (a value it does not give is refused).

    Example:

        ledger claim supersede c3f1a2b4c5d6e7f8 --source sokhonn-plans-china-trip@2 \\
            --value "70,000" --quote "a seating capacity of 70,000" --reason "the article was corrected"
    """
    changes["source"] = source_ref
    with user_errors():
        db = open_db(db_path, create=False)
        result = corrections.supersede(db, claim_id, changes, reason=reason, actor=actor, claims_dir=claims_dir,
                                       history_dir=history_dir)
    match = result.pop("match")  # shown in the text, not in --json (as before)
    if as_json:
        emit_json(result)
        return
    click.echo(f"superseded: {result['old']} -> {result['new']}")
    click.echo(f"span [{result['span_start']}:{result['span_end']}] ({match}): {result['span_text']}")


@click.command("retract")
@db_option
@click.argument("claim_id", metavar="ID")
@click.option("--reason", required=True, help="Why the claim is withdrawn (shown to readers)")
@by_option
@history_option
@json_option
def retract(db_path, claim_id, reason, actor, history_dir, as_json):
    """Retract claim ID (e.g. recorded against the wrong article): it stays
    in the ledger, marked retracted with who, when and why, and leaves the
    current claims. The event is appended to history/events/AUTHOR.jsonl.

    Example: ledger claim retract c3f1a2b4c5d6e7f8 --reason "wrong article"
    """
    with user_errors():
        db = open_db(db_path, create=False)
        out = corrections.retract(db, claim_id, reason=reason, actor=actor, history_dir=history_dir)
    if as_json:
        emit_json(out)
    else:
        click.echo(f"retracted: {out['claim']}")


@click.command("history")
@db_option
@click.argument("claim_id", metavar="ID")
@json_option
def claim_history(db_path, claim_id, as_json):
    """Show a claim's life: its status, who added it in which history entry,
    every correction, retraction or re-anchoring, what it replaced and what
    replaces it now. ID may be an unambiguous prefix.

    Example: ledger claim history c3f1a2b4 --json
    """
    with user_errors():
        db = open_db(db_path, create=False)
        info = ledger_log.claim_history(db, claim_id)
    if as_json:
        emit_json(info)
        return
    c, st = info["claim"], info["status"]
    src = info["source"] or {}
    click.echo(f"{c['id']}  {st['status']}" + (f" -> {st['replaced_by']}" if st.get("replaced_by") else ""))
    click.echo(f"  {c['subject']} / {c['predicate']} = {c['value']}")
    click.echo(f"  {src.get('slug')} [{c['span_start']}:{c['span_end']}]: {c['span_text']}")
    for r in info["replaces"]:
        click.echo(f"  replaces {r['claim_id']} ({r['method']}: {r['reason']})")
    for ev in info["events"]:
        bits = [f"entry {ev['entry']} ({ev['entry_kind']})", ev.get("at") or "", ev.get("actor") or ""]
        line = f"  {ev['event']:<10} " + "  ".join(b for b in bits if b)
        if ev.get("replaced_by"):
            line += f"  -> {ev['replaced_by']}"
        if ev.get("score") is not None and ev.get("method") == "reanchor-fuzzy":
            line += f"  score {ev['score']}"
        if ev.get("reason"):
            line += f"  why: {ev['reason']}"
        click.echo(line)
    if info["replaced_by_chain"]:
        click.echo(f"  stands now as: {info['replaced_by_chain'][-1]}")


@click.command("head")
@db_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Also write the checkpoint to this file")
@json_option
def head(db_path, out_path, as_json):
    """Print the hash of the last history entry: publish it (in a newsletter,
    a git tag, a tweet) so anyone can later run `ledger verify --head HASH`
    and confirm the history was only appended to since.

    Example: ledger head --out checkpoints/2026-11-29.json
    """
    with user_errors():
        db = open_db(db_path, create=False)
        cp = ledger_log.head(db, out_path)
    if as_json:
        emit_json(cp)
        return
    h = cp["ledger_head"]
    if h["hash"] is None:
        click.echo("the history is empty")
    else:
        click.echo(f"{h['hash']}  (entry {h['entry']}; {cp['sources']} source(s), {cp['claims']} claim(s))")


@click.command("log")
@db_option
@click.option("--limit", type=int, default=20, show_default=True, help="How many entries, newest first (0: all)")
@json_option
def log(db_path, limit, as_json):
    """List the history's entries, newest first: what was written, when, by
    whom and why, and each entry's hash.

    Example: ledger log --limit 5
    """
    with user_errors():
        db = open_db(db_path, create=False)
        rows = ledger_log.entries(db, limit)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        counts = ", ".join(f"{v['count']} {k}" for k, v in r["body"].items() if isinstance(v, dict) and "count" in v)
        # issue 14: a name or reason holding a newline or terminal escape is shown escaped, never as a new line
        who = "  ".join(escaped(x) for x in (r["at"], r["actor"]) if x)
        click.echo(f"{r['id']:>5}  {escaped(r['kind']):<11} {who}  {counts}" + (f"  why: {escaped(r['reason'])}" if r["reason"] else ""))
        click.echo(f"       {r['hash']}")


@click.command("reanchor")
@db_option
@click.argument("source_ref", metavar="SOURCE")
@click.option("--to", "to", help="The revision to carry claims to (slug or number; default: the latest)")
@click.option("--min-score", type=click.FloatRange(0, 100), default=corrections.MIN_SCORE, show_default=True,
              help="Lowest fuzzy score (0-100) at which a claim moves")
@click.option("--window", type=click.IntRange(0), default=corrections.WINDOW, show_default=True,
              help="Characters either side of the old position searched by fuzzy matching")
@click.option("--dry-run", is_flag=True, help="Show where each claim would go; write nothing")
@by_option
@claims_option
@history_option
@json_option
def reanchor(db_path, source_ref, to, min_score, window, dry_run, actor, claims_dir, history_dir, as_json):
    """Carry the current claims of a source's older revisions onto its latest
    revision (add the new text first with `ledger source add FILE --slug
    SLUG`). Exact matches first, then fuzzy matches near the old position
    that keep the passage's numbers, negations and the claim's value; any
    other claim is marked orphaned for review, never moved silently. Prints
    how many moved exactly, fuzzily (with scores) and were orphaned.

    Example: ledger reanchor hun-sen-meets-xi --dry-run
    """
    with user_errors():
        db = open_db(db_path, create=False)
        result = corrections.reanchor(db, source_ref, to=to, min_score=min_score, window=window, dry_run=dry_run,
                                      actor=actor, claims_dir=claims_dir, history_dir=history_dir)
    out = result.as_dict()
    if as_json:
        emit_json(out)
        return
    for p in result.placements:
        where = f"[{p.start}:{p.end}]" if p.start is not None else ""
        score = f" {p.score:.1f}" if p.score is not None and p.outcome != "exact" else ""
        line = f"{p.outcome:<8}{score:>6}  {p.claim_id}  {p.old_slug}[{p.old_start}:{p.old_end}] -> {result.target}{where}"
        if p.reason:
            line += f"\n          {p.reason}"
        click.echo(line)
    c = result.counts()
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"{result.target}: {verb} {c['exact']} exactly, {c['fuzzy']} fuzzily; {c['orphaned']} orphaned (for review)",
        err=False,
    )
    if c["orphaned"] and not dry_run:
        note("orphaned claims keep their old span; correct them with `ledger claim supersede ID --source "
             f"{result.target} --quote ...` or retract them")


def register(cli):
    claim = cli.commands["claim"]
    claim.add_command(supersede)
    claim.add_command(retract)
    claim.add_command(claim_history)
    cli.add_command(head)
    cli.add_command(log)
    cli.add_command(reanchor)
