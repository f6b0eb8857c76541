"""Writing the ledger out. Each format is a function registered in EXPORTERS
under its name: ``fn(db, out, **options) -> dict`` (a summary of what was
written). ``ledger export --format NAME`` calls it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import yaml
from sqlite_utils import Database

from ledger.core.errors import LedgerError
from ledger.formats.atomic import write_atomic
from ledger.formats.claimfile import dump_yaml
from ledger.formats.sources import META_FIELDS, SNAPSHOT_FIELDS

EXPORTERS: dict[str, Callable[..., dict]] = {}


def exporter(name: str):
    def register(fn):
        EXPORTERS[name] = fn
        return fn

    return register


# claim columns written back to claim files, in the order a person reads them
FILE_FIELDS = (
    "subject", "predicate", "value", "quote", "confidence", "occurrence", "prefix", "suffix", "speaker",
    "as_of", "valid_from", "valid_to", "note", "paraphrase", "recorded_by", "recorded_at", "status", "origin", "supersedes",
)


@exporter("files")
def export_files(db: Database, out: str | Path, **options) -> dict:
    """``sources/`` + ``claims/`` under ``out``: what `ledger build` reads back
    to the same sources, claim ids and spans."""
    out = Path(out)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "claims").mkdir(parents=True, exist_ok=True)
    n_sources = n_claims = 0
    for src in db.query("SELECT * FROM sources ORDER BY slug"):
        meta = {
            k: src.get(k)
            for k in META_FIELDS
            if k != "sha256" and not (k in SNAPSHOT_FIELDS and src.get(k) is None)
        }
        meta["authors"] = json.loads(src["authors"] or "[]")
        meta["sha256"] = src["id"]
        # each file whole (ledger.formats.atomic), the sidecar before its text as `source add` writes them
        write_atomic(out / "sources" / f"{src['slug']}.yml", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).encode("utf-8"))
        write_atomic(out / "sources" / f"{src['slug']}.txt", src["text"].encode("utf-8"))
        n_sources += 1
        claims = []
        for c in db.query(
            "SELECT * FROM claims WHERE source_id = ? ORDER BY span_start, span_end, id", [src["id"]]
        ):
            entry = {k: c[k] for k in FILE_FIELDS if c.get(k) is not None}
            if entry.get("status") in ("current", "recorded"):  # the default
                del entry["status"]
            # the exact span: rebuilding anchors by position first, then by quote
            entry["start"], entry["end"] = c["span_start"], c["span_end"]
            entry["id"] = c["id"]
            claims.append(entry)
        if claims:
            write_atomic(out / "claims" / f"{src['slug']}.yml", dump_yaml(claims, source=src["slug"]).encode("utf-8"))
            n_claims += len(claims)
    n_events = _export_events(db, out)
    return {"format": "files", "out": str(out), "sources": n_sources, "claims": n_claims, "events": n_events}


def _export_events(db: Database, out: Path) -> int:
    """history/events.jsonl: every superseded/retracted/orphaned mark, in the
    order made, so the rebuilt ledger gives each claim the same status
    (issue 5). Source revisions need nothing more: each is its own
    sources/<slug>@<n>.txt."""
    from ledger.store.history import EVENTS_FILE, event_line

    if not db["claim_events"].exists():
        return 0
    lines = [
        event_line({"claim": r.pop("claim_id"), **r})
        for r in db.query(
            "SELECT claim_id, status, replaced_by, method, score, reason, actor, at FROM claim_events ORDER BY id"
        )
    ]
    if lines:
        (out / "history").mkdir(parents=True, exist_ok=True)
        write_atomic(out / "history" / EVENTS_FILE, "".join(line + "\n" for line in lines).encode("utf-8"))
    return len(lines)


# formats defined in their own modules register themselves on import (issue 9)
from ledger.formats import annotations
from ledger.formats import claimreview
from ledger.formats import tabular  # noqa: E402,F401


def export(db: Database, fmt: str, out: str | Path, **options) -> dict:
    """Write the ledger out in format ``fmt`` (one of ``EXPORTERS``) to ``out``; returns the exporter's
    summary. Reads only."""
    if fmt not in exporters():
        raise LedgerError(f"unknown export format {fmt!r}; choose from {', '.join(sorted(EXPORTERS))}")
    return EXPORTERS[fmt](db, out, **options)


def exporters() -> dict[str, Callable[..., dict]]:
    """Every export format by name (``EXPORTERS``), the Hypothesis one included."""
    from ledger.formats import hypothesis  # noqa: F401  (registers its exporter; it imports this module)

    return EXPORTERS
