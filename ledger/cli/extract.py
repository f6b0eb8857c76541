"""`ledger extract` (propose candidate claims from a source) and `ledger
evaluate` (score the extractor against labelled files). The work is in
ledger/extract.py and ledger/evaluate.py."""

from __future__ import annotations

from pathlib import Path

import click

from ledger import open_db
from ledger.services import candidates
from ledger.services import evaluate as ev
from ledger.core import extract as ex
from ledger.core.extract_vocab import CALIBRATION_FILE
from ledger.cli.options import db_option, emit_json, json_option, note, user_errors
from ledger.services.candidates import ExtractError


def _entities(path, disabled):
    if disabled:
        return None
    if path:
        from ledger.core.entities import Entities

        return Entities.load(path)
    return ev.default_entities()


@click.command("extract")
@db_option
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the claims file here (.yml, .json or .jsonl)")
@click.option("--accept", is_flag=True, help="Record the candidates in the ledger now, as current claims whose origin names the rule")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(ex.KINDS), help="Only these kinds (repeatable)")
@click.option("--min-confidence", type=float, default=0.0, show_default=True, help="Drop candidates below this")
@click.option("--published", help="Publication date to resolve relative dates against (default: the source's)")
@click.option("--entities", "entities_path", type=click.Path(exists=True, dir_okay=False), help="Entity table (default: entities.yml)")
@click.option("--no-entities", is_flag=True, help="Do not use an entity table for names")
@click.option("--claims", "claims_dir", default="claims", show_default=True, type=click.Path(file_okay=False),
              help="With --accept: where the claims are appended (claims/SLUG/AUTHOR.yml)")
@json_option
def extract_cmd(db_path, source, output, accept, kinds, min_confidence, published, entities_path, no_entities,
                claims_dir, as_json):
    """Propose candidate claims from SOURCE, each anchored to its exact span.

    SOURCE is the slug or sha256 of a source in the ledger, or a text file.
    Dates (resolved against the publication date), quantities, quotations
    with their speakers, titles and roles, and events with their dates come
    out as a claims file in the import format with `status: candidate`, the
    rule that proposed each (`origin`) and its confidence (the rule's
    precision on the labelled examples). Review the file, delete or fix
    what is wrong, set `status: current` (or leave it candidate), then `ledger
    import` it. Nothing is recorded unless --accept is given; then every
    candidate is recorded at once as current, its `origin` naming the rule,
    appended to claims/SLUG/AUTHOR.yml so that `ledger build` reproduces them.

    Without -o the claims file (YAML) goes to stdout; --json prints the
    candidates (start, end, text, kind, subject, predicate, value,
    normalized, speaker, confidence, rule) instead.

    Example:

        ledger extract sokhonn-plans-china-trip -o review/sokhonn.yml
    """
    if min_confidence < 0 or min_confidence > 1:
        raise click.BadParameter("must be between 0 and 1", param_hint="--min-confidence")
    if entities_path and no_entities:
        raise click.UsageError("--entities and --no-entities conflict: give one")
    with user_errors():
        if output:
            candidates.check_output(output)
        # reading never creates a ledger; --accept needs one that holds the source
        db = open_db(db_path, create=False) if (accept or Path(db_path).exists()) else None
        out = candidates.propose(db, source, published=published, entities=_entities(entities_path, no_entities),
                                 kinds=kinds or ex.KINDS, min_confidence=min_confidence, accept=accept,
                                 claims_dir=claims_dir, db_path=db_path)
        if output:
            candidates.write_claims(Path(output), out.claims, out.ref)
    cands, src_ref = out.candidates, out.ref
    if not out.held and not accept:
        note(f"note: the ledger does not hold this text yet; add it (`ledger source add {source}`) before importing")
    if as_json:
        emit_json([ex.candidate_json(c) for c in cands])
    elif not output and not accept:  # with --accept the claims are recorded, not printed (issue 17)
        click.echo(candidates.dump(out.claims, src_ref), nl=False)
    counts = ", ".join(f"{k}: {sum(1 for c in cands if c.kind == k)}" for k in ex.KINDS)
    note(f"{len(cands)} candidate(s) from {src_ref} ({counts})" + (f"; written to {output}" if output else "")
         + (f"; {out.already} left out as already recorded" if out.already else ""))
    if accept:
        note(f"recorded {out.added} claim(s) as current (origin: ledger extract), {out.existing} already held")
        for message in out.left_out:
            note(f"not recorded (review it in the claims file): {message}")


@click.command("evaluate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--details", is_flag=True, help="List every missed label and every false positive")
@click.option("--no-entities", is_flag=True, help="Score without the entity table")
@click.option("--calibrate", is_flag=True, help=f"Store each rule's record as its confidence (ledger/{CALIBRATION_FILE})")
@click.option(
    "--relations",
    "relations_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Also score the comparison against a labelled relations file (tests/relations/*.yml); repeatable",
)
@json_option
def evaluate_cmd(paths, details, no_entities, calibrate, relations_files, as_json):
    """Score the extractor against labelled files: precision and recall per kind.

    PATHS are labelled YAML files or folders of them (default:
    tests/labelled/). A candidate matches a label when their spans overlap and
    their normalised values agree (the date, the number and unit, the
    speaker, the subject and title, the event's subject, predicate and
    dates). Figures are given per set (the folder a file is in) and in total,
    and per rule (correct / proposed, and the calibrated confidence).

    --calibrate stores each rule's record, from which the extractor takes
    its confidences: (correct + 1) / (proposed + 2).

    Where a set has a recorded first run (tests/labelled/first-runs.json:
    its figures before any code was changed for it), they are printed
    beside today's. --relations FILE scores the cross-source comparison
    against labelled cases (tests/relations/README.md): the share of cases
    classified right, per kind of case, and every case still wrong.

    Example: ledger evaluate tests/labelled/untuned --relations tests/relations/untuned.yml
    """
    from ledger.services import relations as rel

    with user_errors():
        report = ev.evaluate(list(paths) or None, use_entities=not no_entities)
        if calibrate:
            if paths:
                raise ExtractError("--calibrate uses every labelled example (tests/labelled/): give no PATHS")
            note(f"calibration written to {ev.write_calibration(report)}")
        relations = [rel.evaluate_relations(f) for f in relations_files]
    first = ev.first_runs()
    if as_json:
        out = report.as_dict(details=details)
        out["first_runs"] = {k: v for k, v in first.items() if k in report.by_set}
        if relations:
            out["relations"] = [r.as_dict() for r in relations]
            out["relations_first_runs"] = {r.set: first.get(r.set, {}).get("relations") for r in relations}
        emit_json(out)
        return
    for name, scores in list(report.by_set.items()) + [("total", report.total())]:
        was = first.get(name, {}).get("extraction")
        click.echo(f"{name}:" + (f"  (first run {first[name]['date']}: before any change for this set)" if was else ""))
        click.echo(f"  {'kind':10} {'labels':>6} {'cands':>6} {'prec':>6} {'recall':>6}" + ("  first: prec recall" if was else ""))
        for kind, s in scores.items():
            p = "-" if s.precision is None else f"{s.precision:.2f}"
            r = "-" if s.recall is None else f"{s.recall:.2f}"
            then = ""
            if was and kind in was:
                fp, fr = was[kind].get("precision"), was[kind].get("recall")
                then = f"  {'-' if fp is None else f'{fp:.2f}':>11} {'-' if fr is None else f'{fr:.2f}':>6}"
            click.echo(f"  {kind:10} {s.labels:6} {s.candidates:6} {p:>6} {r:>6}{then}")
            if details:
                for m in s.misses:
                    click.echo(f"      missed: {m['document']}: {m['text'][:70]!r} {m['label']}")
                for f in s.false_positives:
                    click.echo(f"      extra:  {f['document']}: {f['text'][:70]!r} ({f['rule']}: {f['subject']} / {f['value'][:40]})")
        for row, kinds in ev.OVERALL.items():
            o = ev.overall(scores, kinds)
            then = ""
            if was:
                f = ev.overall({k: v for k, v in was.items() if isinstance(v, dict)}, kinds)
                then = f"  {_fig(f['precision']):>11} {_fig(f['recall']):>6}"
            click.echo(f"  {row:10} {o['labels']:6} {o['candidates']:6} {_fig(o['precision']):>6} {_fig(o['recall']):>6}{then}")
    click.echo("rules (correct/proposed -> confidence):")
    for rule, (c, n) in sorted(report.rules.items()):
        click.echo(f"  {rule:32} {c:3}/{n:<3} -> {ev.calibrated(c, n):.2f}")
    for r in relations:
        _echo_relations(r, first.get(r.set, {}).get("relations"))


def _fig(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _echo_relations(r, was: dict | None) -> None:
    d = r.as_dict()
    click.echo(f"comparison, set {r.set} ({r.path}): {d['right']}/{d['cases']} cases right ({d['accuracy']:.2f})"
               + (f"; first run {was['right']}/{was['cases']} ({was['accuracy']:.2f})" if was else ""))
    click.echo(f"  {'kind of case':18} {'right':>5} {'cases':>5}" + ("  first run" if was else ""))
    for kind, (c, n) in r.by_kind().items():
        then = ""
        if was and kind in was.get("by_kind", {}):
            then = f"  {was['by_kind'][kind]['right']:>5}/{was['by_kind'][kind]['cases']}"
        click.echo(f"  {kind:18} {c:5} {n:5}{then}")
    for w in d["wrong"]:
        click.echo(f"  wrong: {w['id']} ({w['kind']}): expected {w['expected']}; " + "; ".join(w["problems"]))


def register(cli):
    cli.add_command(extract_cmd)
    cli.add_command(evaluate_cmd)
