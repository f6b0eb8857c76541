"""Writing the ledger out. Each format is a function in the EXPORTERS table at the end, under its name:
``fn(db, out, **options) -> dict`` (a summary of what was written). ``ledger export --format NAME`` calls
it. The rows are read here; formats/ turns each into its format (annotations, hypothesis, tabular).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database

from ledger.core.atomic import write_atomic
from ledger.core.claim import FILE_FIELDS
from ledger.core.codec import dump_sidecar
from ledger.core.errors import LedgerError
from ledger.core.ids import sha256_text
from ledger.formats import annotations as w3c
from ledger.formats import hypothesis
from ledger.formats.claimfile import dump_yaml
from ledger.formats.sources import META_FIELDS, SNAPSHOT_FIELDS
from ledger.formats.tabular import COLUMNS, output_file, write_csv
from ledger.services import claimreview
from ledger.store.history import standing
from ledger.store.independence import user_originator


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
            if k not in ("sha256", "recorded_at", "recorded_by", "field_origins", "captures", "originator")
            and not (k in SNAPSHOT_FIELDS and src.get(k) is None)
        }
        meta["authors"] = json.loads(src["authors"] or "[]")
        if at is not None:  # the act that added it: a build replays it as the same entry
            meta["recorded_at"], meta["recorded_by"] = at, actor
        if user_originator(db, src["id"]):  # the sidecar's `originator:` (issue 16)
            meta["originator"] = user_originator(db, src["id"])
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


# ---------------------------------------------------------------- one file each: W3C, Hypothesis, CSV, JSON Lines
# The rows are read here; formats/ turns each into its format (issue 19: formats/ holds no SQL).


def w3c_annotations(db: Database) -> Iterator[dict]:
    """Every claim that stands as an annotation, in a stable order (source
    slug, span, id): a superseded or retracted claim is not published."""
    sources = {r["id"]: r for r in db.query("SELECT id, slug, url, retrieved FROM sources")}
    for c in db.query(
        f"SELECT c.* FROM claims c JOIN sources s ON s.id = c.source_id WHERE {standing(db)} "
        "ORDER BY s.slug, c.span_start, c.span_end, c.id"
    ):
        yield w3c.claim_annotation(c, sources[c["source_id"]], context=False)


def export_w3c(db: Database, out: str | Path, **options) -> dict:
    """An AnnotationCollection (JSON-LD) with every claim, in one embedded page."""
    from ledger.formats.tabular import output_file

    out = output_file(out, "jsonld")
    items = list(w3c_annotations(db))
    digest = sha256_text("\n".join(a["id"] for a in items))
    coll_id = f"urn:uuid:{uuid.uuid5(w3c.ID_NAMESPACE, 'collection:' + digest)}"
    doc = {
        "@context": w3c.CONTEXT,
        "id": coll_id,
        "type": "AnnotationCollection",
        "label": "Claims of the provenance ledger",
        "total": len(items),
        "first": {
            "id": f"urn:uuid:{uuid.uuid5(w3c.ID_NAMESPACE, 'page:' + digest)}",
            "type": "AnnotationPage",
            # the collection described, not only named: the W3C test suite reads the page's
            # total and label through partOf
            "partOf": {"id": coll_id, "label": "Claims of the provenance ledger", "total": len(items)},
            "startIndex": 0,
            "items": [_ITEMS],
        },
    }
    if not items:
        del doc["first"]
    # the envelope indented, each annotation on one line: readable, diffable,
    # and written by json's C encoder (indenting every item is ten times slower)
    lines = ",\n      ".join(json.dumps(a, ensure_ascii=False) for a in items)
    text = json.dumps(doc, ensure_ascii=False, indent=2).replace(json.dumps(_ITEMS), lines, 1)
    from ledger.core.atomic import write_atomic

    write_atomic(out, (text + "\n").encode("utf-8"))  # whole or not at all
    return {"format": "w3c", "out": str(out), "claims": len(items)}


_ITEMS = "\u0000items\u0000"  # stands in for the items in the envelope, which holds no claim text


def hypothesis_annotations(db: Database) -> Iterator[dict]:
    """Every claim that stands, in the W3C export's order, as a Hypothesis annotation."""
    source_id, source = None, None
    for c in db.query(
        f"SELECT c.* FROM claims c JOIN sources s ON s.id = c.source_id WHERE {standing(db)} "
        "ORDER BY s.slug, c.span_start, c.span_end, c.id"
    ):
        if c["source_id"] != source_id:
            source_id = c["source_id"]
            source = next(db.query("SELECT id, url, title, text FROM sources WHERE id = ?", [source_id]))
        yield hypothesis.claim_annotation(c, source)


def export_hypothesis(db: Database, out: str | Path, **options) -> dict:
    """A JSON list of Hypothesis create-annotation bodies, one per claim that
    stands (positions in UTF-16 code units, as Hypothesis counts them)."""
    from ledger.formats.tabular import output_file

    out = output_file(out, "json")
    items = list(hypothesis_annotations(db))
    out.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {"format": "hypothesis", "out": str(out), "claims": len(items)}


def claim_rows(db: Database) -> Iterator[dict]:
    """Every claim as an export row (claim-file fields), in a stable order."""
    from ledger.core.states import ENTRY_STATE_SQL

    # issue 14: `status` is the claim's state now (current, superseded, retracted, ...), the word the CLI,
    # the claim_status view and the claim page use, never the word it was first stored with
    latest = (
        "(SELECT e.status FROM claim_events e WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1)"
        if db["claim_events"].exists() else "NULL"
    )
    sql = (
        f"SELECT c.*, s.slug AS source_slug, coalesce({latest}, {ENTRY_STATE_SQL.format(col='c.status')}) AS state "
        "FROM claims c JOIN sources s ON s.id = c.source_id "
        "ORDER BY s.slug, c.span_start, c.span_end, c.id"
    )
    for c in db.query(sql):
        row = {"id": c["id"], "source": c["source_slug"], "start": c["span_start"], "end": c["span_end"]}
        for k in FILE_FIELDS:
            row[k] = c.get(k)
        row["status"] = c["state"]
        yield {k: row[k] for k in COLUMNS}


def export_csv(db: Database, out: str | Path, exact: bool = False, **options) -> dict:
    """Every claim as one CSV row (RFC 4180, UTF-8, header row); formula
    cells neutralised unless ``exact``."""
    out = output_file(out, "csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        n = write_csv(f, claim_rows(db), exact=exact)
    return {"format": "csv", "out": str(out), "claims": n}


def export_jsonl(db: Database, out: str | Path, **options) -> dict:
    """Every claim as one JSON object per line (UTF-8, absent fields left out)."""
    out = output_file(out, "jsonl")
    n = 0
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for row in claim_rows(db):
            f.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
            n += 1
    return {"format": "jsonl", "out": str(out), "claims": n}


# every export format by name: ``ledger export --format NAME`` calls ``fn(db, out, **options) -> dict``
EXPORTERS: dict[str, Callable[..., dict]] = {
    "files": export_files,
    "w3c": export_w3c,
    "hypothesis": export_hypothesis,
    "csv": export_csv,
    "jsonl": export_jsonl,
    "claimreview": claimreview.export_claimreview,
}


def export(db: Database, fmt: str, out: str | Path, **options) -> dict:
    """Write the ledger out in format ``fmt`` (one of ``EXPORTERS``) to ``out``; returns the exporter's
    summary. Reads only."""
    if fmt not in EXPORTERS:
        raise LedgerError(f"unknown export format {fmt!r}; choose from {', '.join(sorted(EXPORTERS))}")
    return EXPORTERS[fmt](db, out, **options)


def exporters() -> dict[str, Callable[..., dict]]:
    """Every export format by name (``EXPORTERS``)."""
    return EXPORTERS
