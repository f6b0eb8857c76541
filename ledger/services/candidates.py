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
    src = ex.read_source_text(source, db, published)
    if accept and not src.held:
        raise ExtractError(
            f"{source}: the ledger at {db_path} does not hold this text; add it first "
            f"(`ledger source add {source}`), then extract with --accept"
        )
    cands = ex.extract(src.text, src.published, entities=entities, kinds=kinds or ex.KINDS)
    cands = [c for c in cands if c.confidence >= min_confidence]
    cands, already = ex.drop_recorded(db, src.ref, cands) if src.held else (cands, 0)
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
