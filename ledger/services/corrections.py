"""Corrections: superseding a claim, retracting it, and carrying a source's claims onto its new revision
(re-anchoring). Each is one act of the write unit (``ledger.services.unit``): checked and anchored in a trial
that writes nothing, then the new claims appended to ``claims/SLUG/AUTHOR.yml`` and the status events to
``history/events/AUTHOR.jsonl``, then the ledger replayed from those files."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.services import repository, revisions, unit
from ledger.services.record import append_claim, append_claims
from ledger.store import history

MIN_SCORE = revisions.MIN_SCORE
WINDOW = revisions.WINDOW


def _event(ev: dict) -> dict:
    return json.loads(history.event_line(ev))


def supersede(db, claim_id: str, changes: dict, *, reason: str, actor: str | None = None, claims_dir="claims",
              history_dir="history") -> dict:
    """`ledger claim supersede`: record a new claim with ``changes`` (the rest carried over from
    ``claim_id``) and mark ``claim_id`` superseded by it. Returns ``old``, ``new``, ``added``,
    ``claims_file``, the new claim's ``source_id`` and span, and ``match``."""
    actor = actor or history.default_actor()
    with unit.act(Path(claims_dir).parent):
        at = repository.record_time(db)
        # what the correction is (checked and anchored, nothing written), then the files, then the
        # database built from them
        out = unit.trial(db, lambda: history.supersede(db, claim_id, changes, reason=reason, actor=actor, at=at,
                                                       claims_dir=claims_dir))
        cpath = repository.claims_path(claims_dir, out["source"], actor)
        epath = repository.events_path(history_dir, actor)

        def write_files():
            offset = append_claim(cpath, out["source"], out["file_entry"], db) if out["added"] else None
            repository.append_jsonl(epath, [_event(out["event"])])
            return {"appended": {cpath: (offset, out["source"])}} if offset is not None else None

        unit.commit(db, write_files, claims=[cpath] if out["added"] else [], events=[epath], also=[cpath],
                    claims_dir=claims_dir, history_dir=history_dir)
    result = {k: out[k] for k in ("old", "new", "added")}
    result["claims_file"] = cpath.as_posix()
    row = out["row"]
    result.update({k: row[k] for k in ("source_id", "span_start", "span_end", "span_text", "match")})
    return result


def retract(db, claim_id: str, *, reason: str, actor: str | None = None, history_dir="history") -> dict:
    """`ledger claim retract`: mark ``claim_id`` retracted, with who, when and why. Returns the change
    (``claim``, ``event``)."""
    actor = actor or history.default_actor()
    with unit.act(Path(history_dir).parent):
        at = repository.record_time(db)
        out = unit.trial(db, lambda: history.retract(db, claim_id, reason=reason, actor=actor, at=at))
        epath = repository.events_path(history_dir, actor)
        unit.commit(db, lambda: repository.append_jsonl(epath, [_event(out["event"])]), events=[epath],
                    history_dir=history_dir)
    return out


def reanchor(db, source_ref: str, *, to=None, min_score: float = MIN_SCORE, window: int = WINDOW,
             dry_run: bool = False, actor: str | None = None, claims_dir="claims", history_dir="history"):
    """`ledger reanchor`: carry the current claims of a source's older revisions onto its latest (or ``to``);
    with ``dry_run`` nothing is written. Returns the ``revisions.ReanchorResult``."""
    actor = actor or history.default_actor()
    with unit.act(Path(claims_dir).parent):
        at = repository.record_time(db)
        result = unit.trial(db, lambda: revisions.reanchor(db, source_ref, to=to, min_score=min_score, window=window,
                                                           actor=actor, at=at, claims_dir=claims_dir, dry_run=dry_run))
        if dry_run:
            return result
        cpath = repository.claims_path(claims_dir, result.target, actor)
        epath = repository.events_path(history_dir, actor)

        def write_files():
            # one step per file: the new claims appended to the author's file at once, then the events
            held = {r[0] for r in db.execute("SELECT id FROM claims")} if result.new_claims else set()
            entries, seen = [], set()
            for row, entry in result.new_claims:
                if row["id"] not in held and row["id"] not in seen:
                    # the new claim is recorded by this act (the claim it replaces keeps its own time)
                    entries.append({**entry, "recorded_by": actor, "recorded_at": at})
                    seen.add(row["id"])
            offset = append_claims(cpath, result.target, entries, db) if entries else None
            repository.append_jsonl(epath, [_event({**ev, "actor": actor, "at": at}) for ev in result.events])
            if offset is not None:
                return {"appended": {cpath: (offset, result.target)}}
            return {"claims": [cpath] if entries else []}

        unit.commit(db, write_files, claims=[cpath], events=[epath], claims_dir=claims_dir, history_dir=history_dir)
    return result
