"""`ledger extract` as a use case: propose candidate claims from a source, write them as a claims file for
review, or record them at once (``record.accept_candidates``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ledger.core import extract as ex
from ledger.core.errors import LedgerError
from ledger.formats import claimfile
from ledger.core.atomic import write_atomic
from ledger.services import record


@dataclass
class SourceText:
    """The text to extract from and what the claims file calls it."""

    ref: str  # slug the claims file names as its source
    text: str
    published: dt.date | None
    held: bool  # the ledger holds this exact text


def read_source_text(source: str, db=None, published: str | None = None) -> SourceText:
    """Find SOURCE: a slug or sha256 the ledger holds, or a text file (read
    byte-exact, with its ``.yml`` sidecar for the publication date)."""
    from ledger.core.errors import InvalidSource, UnknownSource
    from ledger.formats.sources import check_slug, decode_text, read_source, sha256_text, slugify
    from ledger.store.writer import SourceIndex

    path = Path(source)
    if path.is_file():
        if path.with_suffix(".yml").exists() and path.suffix == ".txt":
            src = read_source(path)
            text, slug, pub = src.text, src.slug, src.published
        else:
            text = decode_text(path.read_bytes(), str(path))
            slug, pub = slugify(path.stem), None
        held = False
        if db is not None and "sources" in db.table_names():
            row = db.execute("SELECT slug, published FROM sources WHERE id = ?", [sha256_text(text)]).fetchone()
            if row:
                slug, pub, held = row[0], pub or row[1], True
        check_slug(slug)
    else:
        if db is None or "sources" not in db.table_names():
            raise UnknownSource(
                f"{source!r} is neither a file nor a source in the ledger; give a text file, or the slug of a "
                "source the ledger holds (`ledger source list`)"
            )
        held_src = SourceIndex(db).get(source)
        text, slug, pub, held = held_src.text, held_src.slug, held_src.published, True
    if published:
        pub = published
    try:
        when = ex._parse_published(pub) if isinstance(pub, str) and pub else pub
    except ValueError:
        raise InvalidSource(f"publication date {pub!r} is not a date; write YYYY-MM-DD") from None
    return SourceText(slug, text, when, held)


def drop_recorded(db, source_ref: str, candidates: list) -> tuple[list, int]:
    """Leave out candidates the ledger already records (same subject,
    predicate, value and span in the same source)."""
    if db is None or "claims" not in db.table_names():
        return candidates, 0
    row = db.execute("SELECT id FROM sources WHERE slug = ?", [source_ref]).fetchone()
    if not row:
        return candidates, 0
    held = {
        (r[0].casefold(), r[1], r[2].casefold(), r[3], r[4])
        for r in db.execute(
            "SELECT subject, predicate, value, span_start, span_end FROM claims WHERE source_id = ?", [row[0]]
        )
    }
    keep = [c for c in candidates if (c.subject.casefold(), c.predicate, c.value.casefold(), c.start, c.end) not in held]
    return keep, len(candidates) - len(keep)


class ExtractError(LedgerError):
    """The extract command was asked for something it cannot do."""


@dataclass
class Proposal:
    """What `ledger extract` proposes: the candidates, as claims, and what was recorded with ``accept``."""

    ref: str
    held: bool
    candidates: list
    claims: list[dict]
    already: int = 0
    added: int = 0
    existing: int = 0
    left_out: list[str] = field(default_factory=list)


def check_output(path) -> None:
    """Refuse an output file whose format is not a claims file's (.yml, .json, .jsonl), before any work."""
    claimfile.file_format(path)


def propose(db, source: str, *, published=None, entities=None, kinds=ex.KINDS, min_confidence: float = 0.0,
            accept: bool = False, claims_dir="claims", db_path=None) -> Proposal:
    """Candidates from ``source`` (a slug or sha256 the ledger holds, or a text file; ``db`` may be None when
    there is no ledger), those already recorded left out; with ``accept`` they are recorded as current claims
    (all or nothing, files first: ``record.accept_candidates``)."""
    src = read_source_text(source, db, published)
    if accept and not src.held:
        raise ExtractError(
            f"{source}: the ledger at {db_path} does not hold this text; add it first "
            f"(`ledger source add {source}`), then extract with --accept"
        )
    cands = ex.extract(src.text, src.published, entities=entities, kinds=kinds or ex.KINDS)
    cands = [c for c in cands if c.confidence >= min_confidence]
    cands, already = drop_recorded(db, src.ref, cands) if src.held else (cands, 0)
    claims = ex.to_claims(cands, status="current" if accept else "candidate")
    out = Proposal(src.ref, src.held, cands, claims, already)
    if accept:
        out.added, out.existing = record.accept_candidates(db, claims, src.ref, claims_dir,
                                                           where=f"ledger extract {source}", left_out=out.left_out)
    return out


def dump(claims: list[dict], source: str) -> str:
    """The candidates as a YAML claims file."""
    return claimfile.dump_yaml(claims, source=source)


def write_claims(path: Path, claims: list[dict], source: str):
    fmt = claimfile.file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "yaml":
        header = (
            f"# Candidate claims proposed by `ledger extract` from {source} on "
            f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d}.\n# Review each one: delete or fix what is wrong, "
            "then `ledger import` this file.\n"
        )
        text = header + claimfile.dump_yaml(claims, source=source)
    elif fmt == "json":
        text = json.dumps({"source": source, "claims": claims}, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(json.dumps({"source": source, **c}, ensure_ascii=False) + "\n" for c in claims)
    write_atomic(path, text.encode("utf-8"))  # whole or not at all (ledger.core.atomic)
