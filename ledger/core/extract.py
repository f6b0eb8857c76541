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

