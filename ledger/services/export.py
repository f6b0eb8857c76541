"""Writing the ledger out. Each format is a function registered in EXPORTERS
under its name: ``fn(db, out, **options) -> dict`` (a summary of what was
written). ``ledger export --format NAME`` calls it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from sqlite_utils import Database

from ledger.core.errors import LedgerError
from ledger.core.atomic import write_atomic
from ledger.core.codec import dump_sidecar
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
    """The repository's files under ``out`` (``sources/``, ``claims/``, ``history/``, ``reviews/``), laid out
    as the commands wrote them: `ledger build` in ``out`` gives the same sources, claims, statuses and reviews,
    with the same history head (issue 13).

    Each claim goes back to the file it was read from (its ``claims_file``, in the order it was recorded),
    with its exact span and id; a source's sidecar carries the time and author of the act that added it,
    where its fields came from and its captures (the capture files and saved pages are copied when they are
    where the ledger recorded them); events and reviews go to the per-author files, each with its time, and
    what was recorded with no time (the first entry) to the files a build replays first."""
    out = Path(out)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "claims").mkdir(parents=True, exist_ok=True)
    n_sources = n_claims = 0
    acts = _acts(db)
    files: dict[str, list] = {}
    for src in db.query("SELECT rowid AS _rowid, * FROM sources ORDER BY slug"):
        at, actor = acts.get(src.get("entry_id"), (None, None))
        meta = {
            k: src.get(k)
            for k in META_FIELDS
            if k not in ("sha256", "recorded_at", "recorded_by", "field_origins", "captures")
            and not (k in SNAPSHOT_FIELDS and src.get(k) is None)
        }
        meta["authors"] = json.loads(src["authors"] or "[]")
        if at is not None:  # the act that added it: a build replays it as the same entry
            meta["recorded_at"], meta["recorded_by"] = at, actor
        origins = _rows(db, "source_field_origins", "SELECT field, origin FROM source_field_origins WHERE source_id = ? ORDER BY field", [src["id"]])
        if origins:
            meta["field_origins"] = dict(origins)
        captures = []
        for path, url in _rows(db, "captures", "SELECT warc_path, target_uri FROM captures WHERE source_id = ? ORDER BY rowid", [src["id"]]):
            if path and Path(path).is_file() and not Path(path).is_symlink():
                _copy(Path(path), out / "sources" / Path(path).name)
                captures.append({"file": Path(path).name, "url": url})
        if captures:
            meta["captures"] = captures
        meta["sha256"] = src["id"]
        if src.get("snapshot_sha256") and src.get("path"):
            snap = Path(src["path"]).with_suffix(".html")
            if snap.is_file() and not snap.is_symlink():
                _copy(snap, out / "sources" / f"{src['slug']}.html")
        # each file whole (ledger.core.atomic), the sidecar before its text as `source add` writes them
        write_atomic(out / "sources" / f"{src['slug']}.yml", dump_sidecar(meta))
        write_atomic(out / "sources" / f"{src['slug']}.txt", src["text"].encode("utf-8"))
        n_sources += 1
    for c in db.query(
        "SELECT c.*, s.slug AS source_slug FROM claims c JOIN sources s ON s.id = c.source_id ORDER BY c.rowid"
    ):
        entry = {"source": c["source_slug"], **{k: c[k] for k in FILE_FIELDS if c.get(k) is not None}}
        if entry.get("status") != "candidate":  # current is the default; recorded, machine-extracted mean it
            entry.pop("status", None)
        # the exact span: rebuilding anchors by position first, then by quote
        entry["start"], entry["end"] = c["span_start"], c["span_end"]
        entry["id"] = c["id"]
        files.setdefault(_claims_file(c), []).append(entry)
    for name, claims in sorted(files.items()):
        _write_claims(out / name, claims)
        n_claims += len(claims)
    n_events = _export_events(db, out, acts)
    n_reviews = _export_reviews(db, out)
    return {"format": "files", "out": str(out), "sources": n_sources, "claims": n_claims, "events": n_events,
            "reviews": n_reviews}


def _rows(db: Database, table: str, sql: str, params) -> list:
    return db.execute(sql, params).fetchall() if db[table].exists() else []


def _copy(src: Path, dst: Path) -> None:
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        write_atomic(dst, src.read_bytes())


def _acts(db: Database) -> dict:
    """entry id -> (time, actor) of the history's entries."""
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, at, actor FROM history")}


def _claims_file(c: dict) -> str:
    """Where a claim is written back: the file it was read from, when that is a claims file of the repository
    (``claims/...``); else ``claims/<slug>.yml``, a file a build replays in its first entry."""
    from ledger.formats.claimfile import SUFFIXES

    name = c.get("claims_file") or ""
    parts = Path(name).parts
    if (len(parts) >= 2 and parts[0] == "claims" and ".." not in parts and not Path(name).is_absolute()
            and Path(name).suffix.lower() in SUFFIXES):
        return Path(name).as_posix()
    return f"claims/{c['source_slug']}.yml"


def _write_claims(path: Path, claims: list[dict]) -> None:
    """A claims file in the format its name says (YAML, JSON, JSON Lines or CSV), each claim with its source."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        data = "".join(json.dumps(c, ensure_ascii=False, sort_keys=False) + "\n" for c in claims)
    elif suffix == ".json":
        data = json.dumps(claims, ensure_ascii=False, indent=1) + "\n"
    elif suffix == ".csv":
        import io

        from ledger.formats.tabular import COLUMNS, write_csv

        buf = io.StringIO(newline="")
        write_csv(buf, claims, columns=COLUMNS, exact=True)
        data = buf.getvalue()
    else:
        data = dump_yaml(claims)
    write_atomic(path, data.encode("utf-8"))


def _export_events(db: Database, out: Path, acts: dict | None = None) -> int:
    """Every superseded/retracted/orphaned mark, in the order made, so the rebuilt ledger gives each claim
    the same status (issue 5): those recorded by a command to ``history/events/<author>.jsonl`` with their
    time (each its own act), those of a build's first entry (no time) to ``history/events.jsonl``. Source
    revisions need nothing more: each is its own sources/<slug>@<n>.txt."""
    from ledger.store.history import EVENTS_FILE, event_line
    from ledger.services.repository import events_path

    if not db["claim_events"].exists():
        return 0
    acts = _acts(db) if acts is None else acts
    files: dict[Path, list[str]] = {}
    n = 0
    for r in db.query(
        "SELECT claim_id, status, replaced_by, method, score, reason, actor, at, entry_id FROM claim_events ORDER BY id"
    ):
        at = acts.get(r.pop("entry_id"), (None, None))[0]
        path = out / "history" / EVENTS_FILE if at is None else events_path(out / "history", r["actor"])
        files.setdefault(path, []).append(event_line({"claim": r.pop("claim_id"), **r}))
        n += 1
    for path, lines in files.items():
        write_atomic(path, "".join(line + "\n" for line in lines).encode("utf-8"))
    return n


def _export_reviews(db: Database, out: Path) -> int:
    """``reviews/<reviewer>.jsonl``: every review, as `ledger review add` wrote it, in the order recorded."""
    from ledger.services.repository import REVIEW_ARGS, REVIEWS_DIR, reviews_path

    if not db["reviews"].exists():
        return 0
    files: dict[Path, list[str]] = {}
    n = 0
    for r in db.query("SELECT * FROM reviews ORDER BY rowid"):
        line = {"id": r["id"], **{k: r[k] for k in REVIEW_ARGS if r.get(k) is not None}}
        path = reviews_path(out / REVIEWS_DIR, r.get("reviewer"))
        files.setdefault(path, []).append(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
        n += 1
    for path, lines in files.items():
        write_atomic(path, "".join(line + "\n" for line in lines).encode("utf-8"))
    return n


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
