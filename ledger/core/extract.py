"""Propose candidate claims from a source text, each anchored to its span.

``extract(text, published=...)`` reads an article and returns
:class:`Candidate` objects of five kinds: ``date``, ``quantity``,
``quotation`` (with its speaker), ``title`` (titles and roles of people) and
``event`` (a visit, a meeting, a statement, with its dates). Every candidate
carries the rule that proposed it and a confidence: the precision that rule
had on the labelled examples in ``tests/labelled/`` (see :data:`RULE_PRECISION`
and ``ledger evaluate --calibrate``).

The extractor is deterministic and explainable: regular expressions over the
text, a small vocabulary of titles, organisations and speech verbs, sentence
boundaries from pysbd (rule-based), and the value normalisers of
:mod:`ledger.core.normalize` for dates (resolved against the publication date,
precision kept) and quantities. Nothing is learned at run time and nothing is
downloaded.

Offsets are Python code-point indices into the text, end excluded, so
``text[c.start:c.end] == c.text`` and the candidate's quote anchors back to
exactly that span on import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.core.extract_vocab import Candidate, Doc, calibration, confidence_for
from ledger.core.extract_text import find_mentions, find_quotes, paragraphs, sentences
from ledger.core.extract_people import quotation_candidates, title_candidates
from ledger.core.extract_values import date_candidates, quantity_candidates
from ledger.core.extract_events import event_candidates

# ---------------------------------------------------------------- the whole pass

KINDS = ("date", "quantity", "quotation", "title", "event")


def analyse(text: str, published: dt.date | str | None = None, entities=None) -> Doc:
    """Segment ``text`` and find its quotations, names and dates."""
    if isinstance(published, str):
        published = _parse_published(published)
    doc = Doc(text=text, published=published)
    doc.paragraphs = paragraphs(text)
    doc.sentences = sentences(text, doc.paragraphs)
    doc.quotes = find_quotes(text, doc.paragraphs)
    doc.mentions = find_mentions(doc, entities)
    doc.dates = date_candidates(doc, entities)
    return doc


def _parse_published(s: str) -> dt.date | None:
    s = s.strip()
    if len(s) == 4:
        return dt.date(int(s), 1, 1)
    if len(s) == 7:
        return dt.date(int(s[:4]), int(s[5:7]), 1)
    return dt.date.fromisoformat(s[:10])


def extract(text: str, published: dt.date | str | None = None, *, entities=None, kinds=KINDS) -> list[Candidate]:
    """Candidate claims of the given kinds, in text order, each with its rule
    and calibrated confidence."""
    doc = analyse(text, published, entities)
    found: list[Candidate] = []
    if "date" in kinds:
        found += doc.dates
    if "quantity" in kinds:
        found += quantity_candidates(doc, entities)
    if "quotation" in kinds:
        found += quotation_candidates(doc, entities)
    if "title" in kinds:
        found += title_candidates(doc, entities)
    if "event" in kinds or "date" in kinds:
        events = event_candidates(doc, entities)
        # a date inside an event's span is about that event's subject
        for d in doc.dates:
            ev = next((e for e in events if e.start <= d.start and d.end <= e.end), None)
            if ev is not None:
                d.subject = ev.subject
        if "event" in kinds:
            found += events
    for c in found:
        c.confidence = confidence_for(c.rule)
        if c.kind in ("title", "quantity", "quotation") and not (c.as_of or c.valid_from):
            c.as_of = _sentence_date(doc, c.start)
        assert text[c.start : c.end] == c.text
    found.sort(key=lambda c: (c.start, KINDS.index(c.kind), c.end))
    return found


def _sentence_date(doc: Doc, pos: int) -> str | None:
    """The date a fact is told about: the one single date of its sentence, else
    the publication date."""
    s0, s1 = doc.sentence_at(pos)
    ds = [d for d in doc.dates if s0 <= d.start < s1 and not doc.in_quote(d.start)]
    if len(ds) == 1 and ds[0].as_of:
        return ds[0].as_of
    return doc.published.isoformat() if doc.published else None


# ---------------------------------------------------------------- claims files


def origin(rule: str) -> str:
    return f"ledger extract: {rule}"


def to_claims(candidates: list[Candidate], *, status: str = "candidate") -> list[dict]:
    """Candidates as claim mappings in the import format (see ledger.formats.claimfile)."""
    out = []
    for c in candidates:
        claim = {
            "subject": c.subject,
            "predicate": c.predicate,
            "value": c.value,
            "quote": c.text,
            "start": c.start,
            "end": c.end,
            "confidence": c.confidence,
        }
        if c.speaker:
            claim["speaker"] = c.speaker
        for k in ("as_of", "valid_from", "valid_to"):
            v = getattr(c, k)
            if v:
                claim[k] = v
        rec = calibration().get(c.rule)
        record = f"right {rec['correct']} of {rec['proposed']} times on the labelled examples" if rec else "not yet measured"
        note = f"{c.kind} proposed by rule {c.rule} ({record})"
        if c.note:
            note += f"; {c.note}"
        claim["note"] = note
        claim["status"] = status
        claim["origin"] = origin(c.rule)
        out.append(claim)
    return out


def candidate_json(c: Candidate) -> dict:
    """The ``--json`` form of a candidate."""
    return {
        "kind": c.kind,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "subject": c.subject,
        "predicate": c.predicate,
        "value": c.value,
        "normalized": c.normalized,
        "speaker": c.speaker,
        "as_of": c.as_of,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "confidence": c.confidence,
        "rule": c.rule,
        "note": c.note,
    }


# ---------------------------------------------------------------- running on a source


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
    from pathlib import Path

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
        when = _parse_published(pub) if isinstance(pub, str) and pub else pub
    except ValueError:
        raise InvalidSource(f"publication date {pub!r} is not a date; write YYYY-MM-DD") from None
    return SourceText(slug, text, when, held)


def drop_recorded(db, source_ref: str, candidates: list[Candidate]) -> tuple[list[Candidate], int]:
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


def record_candidates(
    db, claims: list[dict], source_ref: str, where: str = "ledger extract", left_out: list | None = None
) -> tuple[int, int]:
    """Record claims straight into the ledger, all or nothing; returns (added, already held).

    A candidate whose span does not give its value (issue 14: e.g. "Wang Yi"
    resolved from "meet with Wang") is not recorded: its message goes to
    ``left_out`` (when given) for review, and the rest are recorded."""
    from ledger.store import history
    from ledger.formats.claimfile import Record, validate
    from ledger.store.db import write
    from ledger.core.errors import LedgerError
    from ledger.services.ingest import ImportFailed
    from ledger.store.writer import ClaimWriter, SourceIndex, prepare
    from ledger.core.support import UnsupportedValue

    errors = []
    with write(db, "extract", actor=history.default_actor(), at=history.now()):
        writer = ClaimWriter(db)
        index = SourceIndex(db)
        for i, claim in enumerate(claims, 1):
            try:
                row = prepare(validate(Record({"source": source_ref, **claim}, where, None, i)), index, where)
            except UnsupportedValue as e:
                if left_out is None:
                    errors.append(str(e))
                else:
                    left_out.append(str(e))
                continue
            except LedgerError as e:
                errors.append(str(e))
                continue
            writer.add(row, f"{where} claim {i}")
        if errors:
            raise ImportFailed(errors)
        writer.flush()
    return writer.added, writer.existing
