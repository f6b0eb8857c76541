"""Writing sources and claims to the ledger, and finding them again."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from sqlite_utils import Database
from sqlite_utils.db import quote_identifier

from ledger.core.anchor import Span, locate, make_span
from ledger.core.claim import ClaimInput
from ledger.core.errors import AmbiguousQuote, ClaimConflict, InvalidSource, LedgerError, UnknownSource, located
from ledger.core import ids
from ledger.core.ids import canonical_json
from ledger.core.source import Source
from ledger.core.support import assess, unsupported_error

# Fields whose values make a claim what it is: its id is derived from them,
# so recording the same claim twice adds nothing.
IDENTITY_FIELDS = ("source_id", "subject", "predicate", "value", "span_start", "span_end", "speaker", "as_of", "valid_from", "valid_to")
# Fields that may not differ between a file and the ledger for the same id.
DETAIL_FIELDS = ("confidence", "quote", "note", "recorded_by")


def claim_id(row: dict) -> str:
    ident = dict(zip(IDENTITY_FIELDS, map(row.get, IDENTITY_FIELDS)))
    if row.get("supersedes"):
        # a correction is its own claim even when only its confidence,
        # quote or note differ from the claim it supersedes (issue 5)
        ident["supersedes"] = row["supersedes"]
    return ids.claim_id(ident)


def add_source(db: Database, source: Source) -> bool:
    """Insert a source; True if added, False if the same text is already held.

    A slug ``<document>@<n>`` is revision n (n >= 2) of the source whose slug
    is ``<document>``: a changed text of the same article is a new revision,
    never an overwrite (``ledger.services.revisions.resolve_revision`` picks the slug
    for `ledger source add`). The row joins the open history entry.
    """
    added = add_sources(db, [source])[0]
    if isinstance(added, InvalidSource):
        raise added
    return added


def add_sources(db: Database, sources: list[Source]) -> list[bool | InvalidSource]:
    """`add_source` for many sources, their rows inserted in one statement per 500 (issue 19).

    Each source gets exactly the checks and errors of `add_source`, against the ledger and the
    sources before it in the list as if those had been inserted one by one; the result holds,
    for each source, True (added), False (the same text is already held) or the InvalidSource
    `add_source` would have raised (that source is not inserted). One INSERT per row would
    open a statement savepoint per row, at each of which FTS5 writes out a segment of
    ``sources_fts``.
    """
    from ledger.store.entries import current_entry_id
    from ledger.core.slugs import split_slug

    by_slug: dict[str, str] = {}  # the batch's sources so far: slug -> id
    by_id: dict[str, str] = {}  # id -> slug
    latest_of: dict[str, int] = {}  # document -> highest revision in the batch
    entry_id = None
    results: list[bool | InvalidSource] = []
    rows: list[dict] = []

    def latest(document: str) -> int | None:
        held = db.execute("SELECT max(revision) FROM sources WHERE document = ?", [document]).fetchone()[0]
        batch = latest_of.get(document)
        return batch if held is None or (batch is not None and batch > held) else held

    for source in sources:
        document, revision = split_slug(source.slug)
        existing = by_slug.get(source.slug)
        if existing is None:
            found = db.execute("SELECT id FROM sources WHERE slug = ?", [source.slug]).fetchone()
            existing = found[0] if found else None
        if existing:
            if existing == source.id:
                results.append(False)
                continue
            following = (latest(document) or 1) + 1
            results.append(InvalidSource(
                f"source {source.slug!r} is already in the ledger with a different text "
                f"({existing[:12]}… vs {source.id[:12]}…); a changed text is a new revision, never an overwrite: "
                f"restore {source.slug}.txt and add the new text as revision {following} "
                f"(`ledger source add FILE --slug {document}` stores it as sources/{document}@{following}.txt)"
            ))
            continue
        other = by_id.get(source.id)
        if other is None:
            found = db.execute("SELECT slug FROM sources WHERE id = ?", [source.id]).fetchone()
            other = found[0] if found else None
        if other is not None:
            results.append(InvalidSource(
                f"source {source.slug!r} has the same text as {other!r} (sha256 {source.id[:12]}…); "
                f"refer to it as {other!r}"
            ))
            continue
        if revision > 1:
            held = latest(document)
            if held is None:
                results.append(InvalidSource(
                    f"source {source.slug!r} is revision {revision} of {document!r}, which the ledger does not hold; "
                    f"add {document}.txt (its first revision) first"
                ))
                continue
            if revision != held + 1:
                results.append(InvalidSource(
                    f"source {source.slug!r} is revision {revision} of {document!r}, but the ledger holds revisions "
                    f"up to {held}: add {document}@{held + 1} first"
                ))
                continue
        row = source.row()
        row["authors"] = canonical_json(row["authors"])
        row["document"], row["revision"] = document, revision
        if entry_id is None:
            entry_id = current_entry_id(db)
        row["entry_id"] = entry_id
        rows.append(row)
        by_slug[source.slug], by_id[source.id] = source.id, source.slug
        if revision > latest_of.get(document, 0):
            latest_of[document] = revision
        results.append(True)
    _insert_rows(db, "sources", rows)
    return results


def _insert_rows(db: Database, table: str, rows: list[dict], per_statement: int = 500) -> None:
    """Insert dict rows in order, up to ``per_statement`` rows (of the same columns) a statement, and no
    more than the connection's variable limit allows."""
    i = 0
    while i < len(rows):
        cols = tuple(rows[i])
        most = min(per_statement, _rows_per_statement(db, len(cols)))
        j = i
        while j < len(rows) and j - i < most and tuple(rows[j]) == cols:
            j += 1
        one = "(" + ", ".join("?" * len(cols)) + ")"
        db.execute(
            f"INSERT INTO {quote_identifier(table)} ({', '.join(map(quote_identifier, cols))}) VALUES "
            + ", ".join([one] * (j - i)),
            [v for r in rows[i:j] for v in r.values()],
        )
        i = j


@dataclass
class HeldSource:
    id: str
    slug: str
    text: str
    published: str | None


class SourceIndex:
    """Looks sources up by slug, full sha256 or an unambiguous hash prefix,
    keeping texts that have been used so a file of claims reads each once."""

    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[str, HeldSource] = {}

    def aliases(self):
        """The entity table's names, for value support (read once)."""
        if getattr(self, "_aliases", None) is None:
            from ledger.core.support import NameAliases

            self._aliases = NameAliases.from_db(self.db.conn)
        return self._aliases

    def get(self, ref: str) -> HeldSource:
        if ref in self._cache:
            return self._cache[ref]
        row = self.db.execute(
            "SELECT id, slug, text, published FROM sources WHERE slug = ? OR id = ?", [ref, ref]
        ).fetchone()
        if row is None and len(ref) >= 8 and all(c in "0123456789abcdef" for c in ref):
            rows = self.db.execute(
                "SELECT id, slug, text, published FROM sources WHERE id LIKE ? LIMIT 2", [ref + "%"]
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
        if row is None and ref.startswith(("http://", "https://")):
            # a source's URL (W3C annotation targets name sources this way)
            rows = self.db.execute(
                "SELECT id, slug, text, published FROM sources WHERE url = ? LIMIT 2", [ref]
            ).fetchall()
            if len(rows) > 1:
                raise UnknownSource(
                    f"more than one source has the URL {ref!r} (revisions of one page); "
                    "name the source by its sha256 instead"
                )
            row = rows[0] if rows else None
        if row is None:
            raise UnknownSource(
                f"unknown source {ref!r}; add it with `ledger source add`, or use the slug or sha256 "
                "of a source the ledger holds (`ledger source list`)"
            )
        held = HeldSource(*row)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[ref] = held
        return held


def anchor_claim(claim: ClaimInput, text: str) -> Span:
    """Anchor a claim's quote; a given start/end is used when it holds the quote."""
    if claim.start is not None and claim.end is not None and claim.end <= len(text):
        try:
            at = locate(text[claim.start : claim.end], claim.quote)
            if at.start == 0 and at.end == claim.end - claim.start:
                return make_span(text, claim.start, claim.end, at.match)
        except LedgerError:
            pass  # positions disagree with the quote: anchor by quote instead
    if len(claim.quote) > len(text) * 2 + 100:
        raise LedgerError(f"the quote ({len(claim.quote)} characters) is longer than its source ({len(text)})")
    try:
        return locate(text, claim.quote, occurrence=claim.occurrence, prefix=claim.prefix, suffix=claim.suffix)
    except AmbiguousQuote as e:
        # positions that disagree still say roughly where: the nearest
        # occurrence wins when exactly one is nearest (issue 9, W3C import)
        if claim.start is None or claim.occurrence is not None:
            raise
        dist = sorted((abs(sp.start - claim.start), sp.start, sp.end) for sp in e.spans)
        if len(dist) > 1 and dist[0][0] == dist[1][0]:
            raise
        _, s, end = dist[0]
        return make_span(text, s, end, "exact" if text[s:end] == claim.quote else "normalised", len(e.spans))


def claim_row(
    claim: ClaimInput, source: HeldSource, span: Span, claims_file: str | None = None, aliases=None
) -> dict:
    row = {
        "source_id": source.id,
        "subject": claim.subject.strip(),
        "predicate": claim.predicate,
        "value": claim.value,  # issue 14: stored as written, leading and trailing spaces included
        "quote": claim.quote,
        "span_start": span.start,
        "span_end": span.end,
        "span_text": span.text,
        "prefix": span.prefix,
        "suffix": span.suffix,
        "match": span.match,
        "occurrence": claim.occurrence,
        "confidence": claim.confidence,
        "speaker": claim.speaker.strip() if claim.speaker else None,
        "as_of": claim.as_of,
        "valid_from": claim.valid_from,
        "valid_to": claim.valid_to,
        "note": claim.note,
        "recorded_by": claim.recorded_by,
        "recorded_at": claim.recorded_at,
        "status": claim.status or "current",  # issue 14: the state it enters with (ledger/states.py)
        "origin": claim.origin,
        "flags": ",".join(span.flags) or None,
        "claims_file": claims_file,
        "supersedes": claim.supersedes,
    }
    # issue 14: how the span supports the value; never recorded unsupported
    support = assess(
        row["value"], span.text, claim.predicate, published=source.published, paraphrase=claim.paraphrase,
        source_text=source.text, aliases=aliases,
    )
    if not support.ok:
        raise unsupported_error(row["value"], span.text, support)
    row["support"] = support.level
    row["paraphrase"] = claim.paraphrase
    row["id"] = claim_id(row)
    if claim.id and claim.id != row["id"]:
        raise ClaimConflict(
            f"the claim's `id` {claim.id} does not match its content (which gives {row['id']}); "
            "remove `id` to record it as a new claim"
        )
    return row


def prepare(claim: ClaimInput, sources: SourceIndex, claims_file: str | None = None) -> dict:
    """Validate, anchor and turn one claim into its row; errors name the claim."""
    try:
        source = sources.get(claim.source)
        span = anchor_claim(claim, source.text)
        return claim_row(claim, source, span, claims_file, sources.aliases())
    except LedgerError as e:
        raise located(e, claim.where) from None


class ClaimWriter:
    """Buffers claim rows and writes the new ones in batches; the caller holds
    the transaction, so an error anywhere leaves nothing written."""

    def __init__(self, db: Database, batch_size: int = 2000):
        self.db = db
        self.batch_size = batch_size
        self.pending: list[tuple[dict, str]] = []
        self.added = 0
        self.existing = 0
        self.seen: set[str] = set()

    def add(self, row: dict, where: str):
        if row["id"] in self.seen:
            self.existing += 1
            return
        self.seen.add(row["id"])
        self.pending.append((row, where))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self):
        if not self.pending:
            return
        ids = [r["id"] for r, _ in self.pending]
        held = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id, {', '.join(DETAIL_FIELDS)} FROM claims WHERE id IN ({', '.join('?' * len(chunk))})"
            for r in self.db.execute(q, chunk).fetchall():
                held[r[0]] = dict(zip(DETAIL_FIELDS, r[1:]))
        new = []
        for row, where in self.pending:
            old = held.get(row["id"])
            if old is None:
                new.append(row)
                continue
            diff = [k for k in DETAIL_FIELDS if old[k] != row[k]]
            if diff:
                k = diff[0]
                raise ClaimConflict(
                    f"{where}: claim {row['id']} is already recorded with {k} {old[k]!r}, not {row[k]!r}; "
                    f"a recorded claim is never edited in place: correct it with `ledger claim supersede {row['id']}`"
                )
            self.existing += 1
        if new:
            insert_claims(self.db, new)
            self.added += len(new)
        self.pending = []


def insert_claims(db: Database, rows: list[dict]) -> None:
    """Insert new claim rows into the open history entry (never replacing one)."""
    from ledger.store.entries import current_entry_id

    if not rows:
        return
    entry_id = current_entry_id(db)
    for row in rows:
        row["entry_id"] = entry_id
    columns = list(rows[0])
    keys = set(columns)
    if any(r.keys() != keys for r in rows):  # rows of different shapes
        db["claims"].insert_all(rows, batch_size=1000)
        return
    # Many rows per INSERT statement, not one statement per row (issue 19): each
    # statement on claims opens a statement savepoint (its triggers and foreign
    # keys may abort it), and FTS5 writes its pending terms out as a new segment
    # at every savepoint, so one row per statement made one claims_fts segment
    # per claim, merged again and again: 60% of the insert's time.
    head = f"INSERT INTO claims ({', '.join(quote_identifier(c) for c in columns)}) VALUES "
    one = f"({', '.join('?' * len(columns))})"
    per = _rows_per_statement(db, len(columns))
    values = itemgetter(*columns) if len(columns) > 1 else lambda r: (r[columns[0]],)  # a row's values, in C
    for i in range(0, len(rows), per):
        chunk = rows[i : i + per]
        db.conn.execute(head + ", ".join([one] * len(chunk)), list(chain.from_iterable(map(values, chunk))))


def _rows_per_statement(db: Database, width: int) -> int:
    """Rows of ``width`` values one statement may bind (SQLite's variable limit), at most 1,000."""
    limit = db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(1000, limit // width))
