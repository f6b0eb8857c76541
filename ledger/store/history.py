"""The ledger's append-only history: entries chained by hash.

Every write (build, import, claim add, source add, supersede, retract,
reanchor) is one **entry** in the ``history`` table, made in the same
transaction as the rows it adds. Each row it adds (in ``sources``, ``claims``
and ``claim_events``) carries the entry's id in ``entry_id``; the entry's body
records, per table, how many rows it added and the SHA-256 of their canonical
serialisation. The entry's hash covers a canonical serialisation of the entry
(a type tag, its id, kind, who, when, why, body) and the previous entry's
hash, so changing any row, any entry or their order breaks the chain from
there on. Publish the head hash (``ledger head``) outside the database: a
chain kept only inside the file could be recomputed by whoever edits it;
``ledger verify --head HASH`` confirms the history was only appended to.

Canonical forms:

- an entry: ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` over ``{"type": "ledger.history/1", "id", "kind",
  "at", "actor", "reason", "body", "prev"}`` encoded as UTF-8; numbers in a
  body are integers only (anything else is written as a string), so their
  formatting is fixed.
- a row: SQLite's ``json_array()`` over the columns the entry lists (in that
  order), rows in ``rowid`` order, each followed by a newline. A REAL column
  listed as ``name:exact`` is written as Python's ``repr()`` of the float
  (the shortest decimal that reads back as the same double, through the
  ``ledger_real`` SQL function), so a change of one floating-point step
  changes the digest; entries written before that list REAL columns by bare
  name, which means ``printf('%.15g')``, and still verify as they were.
  Since the same change, each table's part of an entry also records
  ``merkle_root``: the RFC 6962 root over its rows (leaf: the row's
  canonical form without the newline), so one row can be proved in its
  entry without the others (``ledger prove``). Computing it in SQL (fetched as UTF-8 bytes) lets
  ``ledger verify`` digest every row in the scan that checks its span or its
  source's hash, or on a second connection beside it (``digest_table``,
  SQLite joining 4,096 rows at a time), and recording the column list in the entry keeps old
  entries verifiable after a later migration adds a column.

The entries themselves are the leaves of an RFC 6962 Merkle tree, in id
order: an entry's leaf data is the canonical form its entry hash covers
(``entry_leaf``), so a signed tree head (``ledger checkpoint``) commits to
every entry, and short proofs show that one entry is in the log and that a
later log extends an earlier one (ledger/merkle.py, ledger/tlog.py).

Nothing here updates or deletes: triggers refuse UPDATE and DELETE on the
ledger tables (see the ``m010`` migration).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3

from sqlite_utils import Database

from ledger.core.errors import HistoryError, LedgerError
from ledger.core.states import entry_state
# split from here (issue 19) and still named here, as verify, tlog, the services and the tests call them:
# an entry's form (entries.py), the rows' canonical form and digests (rows.py), the events file (events.py)
from ledger.store.entries import TYPE_TAG, _json_scalar, _no_float, canonical_json, default_actor  # noqa: F401
from ledger.store.entries import entry_hash, entry_leaf, entry_leaf_spliced, now, sha256_tagged  # noqa: F401
from ledger.store.entries import OpenEntry, _normal_hash, current_entry, current_entry_id, read_checkpoint  # noqa: F401
from ledger.store.events import EVENT_KEYS, EVENTS_FILE, append_events, event_line, read_events  # noqa: F401
from ledger.store.rows import EXACT, EXCLUDED, TRACKED, RowDigests, _column_groups, _is_real, _types  # noqa: F401
from ledger.store.rows import aggregate, aggregate_tree, digest_columns, digest_sql, digest_table  # noqa: F401
from ledger.store.rows import exact_real, exact_real_sql, record_columns, register_functions, row_sql  # noqa: F401
from ledger.store.rows import table_columns, tracked  # noqa: F401

STATUSES = ("current", "superseded", "retracted", "orphaned")


# ---------------------------------------------------------------- writing entries


@contextlib.contextmanager
def entry(db: Database, kind: str, *, actor=None, at=None, reason=None, extra=None, always=False, auto=False):
    """Open a history entry for the writes inside the block (which must run
    inside a write transaction); on a clean exit, seal it: count and hash the
    rows added and append the entry to the chain. Nested calls describe the
    entry already open (kind, who, when, why) instead of opening another."""
    outer = getattr(db, "_ledger_entry", None)
    if outer is not None:
        if outer.auto and not auto:
            outer.kind, outer.actor, outer.at, outer.reason = kind, actor, at, reason
            outer.auto = False
            outer.always = outer.always or always
        if extra and not auto:
            outer.extra.update(extra)
        yield outer
        return
    if not db.conn.in_transaction:
        raise LedgerError("internal error: a history entry must be written inside a transaction")
    # rows may name rows added later in the same write (a correction read
    # before the claim it supersedes): check foreign keys at commit, and
    # name any dangling link cleanly when sealing
    db.execute("PRAGMA defer_foreign_keys = ON")
    head = db.execute("SELECT max(id) FROM history").fetchone()[0] or 0
    marks = {t: db.execute(f"SELECT coalesce(max(rowid), 0) FROM [{t}]").fetchone()[0] for t in tracked(db)}
    e = OpenEntry(head + 1, kind, actor, at, reason, dict(extra or {}), marks, auto=auto, always=always)
    db._ledger_entry = e
    try:
        yield e
    finally:
        db._ledger_entry = None
    seal(db, e)


def seal(db: Database, e: OpenEntry) -> dict | None:
    """Append ``e`` to the chain, covering every tracked row added since it opened."""
    body: dict = {}
    for table in tracked(db):
        mark = e.marks.get(table, 0)
        stray = db.execute(
            f"SELECT rowid FROM [{table}] WHERE rowid > ? AND entry_id IS NOT ? LIMIT 1", [mark, e.id]
        ).fetchone()
        if stray:
            raise LedgerError(
                f"internal error: {table} row {stray[0]} was written without its history entry ({e.id})"
            )
        if table == "claims" and "supersedes" in dict(table_columns(db, table)):
            dangling = db.execute(
                "SELECT id, supersedes, claims_file FROM claims WHERE rowid > ? AND supersedes IS NOT NULL "
                "AND supersedes NOT IN (SELECT id FROM claims) LIMIT 1",
                [mark],
            ).fetchone()
            if dangling:
                raise HistoryError(
                    f"{dangling[2] or 'claim'}: claim {dangling[0]} supersedes {dangling[1]}, which is not in the "
                    "ledger; fix or remove its `supersedes` (nothing was written)"
                )
        cols = record_columns(db, table)
        n, digest, root = aggregate_tree(db, table, cols, "rowid > ?", [mark])
        if n:
            body[table] = {"count": n, "sha256": digest, "columns": cols, "merkle_root": root}
    if not body and not e.always:
        return None
    body.update({k: v for k, v in e.extra.items() if k not in TRACKED})
    prev_row = db.execute("SELECT hash FROM history WHERE id = ?", [e.id - 1]).fetchone()
    prev = prev_row[0] if prev_row else None
    h = entry_hash(e.id, e.kind, e.at, e.actor, e.reason, body, prev)
    db.execute(
        "INSERT INTO history (id, kind, at, actor, reason, body, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [e.id, e.kind, e.at, e.actor, e.reason, canonical_json(body), prev, h],
    )
    e.sealed = {"id": e.id, "hash": h}
    return e.sealed


def head(db: Database) -> dict | None:
    """The last entry: {"entry": id, "hash": …, "kind", "at"} or None for an empty ledger."""
    row = db.execute("SELECT id, hash, kind, at FROM history ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return {"entry": row[0], "hash": row[1], "kind": row[2], "at": row[3]}


def checkpoint(db: Database) -> dict:
    """What to publish outside the database so a reader can later confirm
    that history was only appended to (``ledger verify --checkpoint``)."""
    h = head(db)
    counts = {t: db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in ("sources", "claims")}
    return {
        "ledger_head": {"entry": h["entry"] if h else 0, "hash": h["hash"] if h else None},
        "made_at": now(),
        **counts,
    }


# ---------------------------------------------------------------- claim status


def standing(db: Database, alias: str = "c") -> str:
    """SQL condition: the claim stands (no correction, retraction or orphaning
    recorded against it in ``claim_events``, when the ledger keeps them)."""
    if not db["claim_events"].exists():
        return "1"
    return f"NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = {alias}.id)"


def status_of(db: Database, claim_id: str) -> dict:
    """A claim's current status, derived from its events (the latest wins)."""
    row = db.execute(
        "SELECT status, replaced_by, reason, actor, at, entry_id, method, score FROM claim_events "
        "WHERE claim_id = ? ORDER BY id DESC LIMIT 1",
        [claim_id],
    ).fetchone()
    if row is None:
        # issue 14: one vocabulary (ledger/states.py): a candidate stays one until it changes
        stored = db.execute("SELECT status FROM claims WHERE id = ?", [claim_id]).fetchone()
        return {"status": entry_state(stored[0] if stored else None)}
    keys = ("status", "replaced_by", "reason", "actor", "at", "entry_id", "method", "score")
    return dict(zip(keys, row))


def add_event(
    db: Database,
    claim_id: str,
    status: str,
    *,
    replaced_by=None,
    method=None,
    score=None,
    reason=None,
    actor=None,
    at=None,
) -> dict:
    """Record that a claim is superseded, retracted or orphaned (in the open entry)."""
    if status not in STATUSES[1:]:
        raise HistoryError(f"unknown status {status!r}")
    row = {
        "entry_id": current_entry_id(db),
        "claim_id": claim_id,
        "status": status,
        "replaced_by": replaced_by,
        "method": method,
        "score": score,
        "reason": reason,
        "actor": actor,
        "at": at,
    }
    db["claim_events"].insert(row)
    return row


def require_changeable(db: Database, claim_id: str, action: str) -> None:
    """A claim can be superseded or retracted while current or orphaned (under review)."""
    if not db.execute("SELECT 1 FROM claims WHERE id = ?", [claim_id]).fetchone():
        raise HistoryError(f"no claim {claim_id} in the ledger (`ledger claim history ID` shows one)")
    st = status_of(db, claim_id)
    if st["status"] in ("superseded", "retracted"):
        extra = f" by {st['replaced_by']}" if st.get("replaced_by") else ""
        raise HistoryError(
            f"claim {claim_id} is already {st['status']}{extra} (entry {st['entry_id']}); "
            f"{action} the claim that is current instead"
            + (f" ({st['replaced_by']})" if st.get("replaced_by") else "")
        )


def resolve_claim_id(db: Database, ref: str, command: str = "claim history") -> str:
    """A full claim id from an id or an unambiguous prefix (6+ characters);
    ``command`` names the command in the error (issue 17)."""
    if db.execute("SELECT 1 FROM claims WHERE id = ?", [ref]).fetchone():
        return ref
    if len(ref) >= 6:
        rows = db.execute("SELECT id FROM claims WHERE id LIKE ? LIMIT 2", [ref.replace("%", "") + "%"]).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if len(rows) > 1:
            raise HistoryError(f"claim id prefix {ref!r} matches more than one claim; give more characters")
    raise HistoryError(f"no claim {ref!r} in the ledger; `ledger {command}` needs an id from the claims table")


def claim_history(db: Database, claim_id: str) -> dict:
    """Everything the ledger knows about a claim's life: the row, who added it
    in which entry, every event on it, and the claims it replaced or that replace it."""
    claim_id = resolve_claim_id(db, claim_id)
    claim = next(db.query("SELECT * FROM claims WHERE id = ?", [claim_id]))
    source = next(db.query("SELECT slug, document, revision FROM sources WHERE id = ?", [claim["source_id"]]), None)
    events = []
    added = next(
        db.query("SELECT id, kind, at, actor, reason, hash FROM history WHERE id = ?", [claim["entry_id"]]), None
    )
    if added:
        events.append({"event": "added", "entry": added["id"], "entry_kind": added["kind"], "at": added["at"] or claim.get("recorded_at"),
                       "actor": added["actor"] or claim.get("recorded_by"), "reason": added["reason"], "entry_hash": added["hash"]})
    for ev in db.query(
        "SELECT e.*, h.kind AS entry_kind, h.hash AS entry_hash FROM claim_events e "
        "LEFT JOIN history h ON h.id = e.entry_id WHERE e.claim_id = ? ORDER BY e.id",
        [claim_id],
    ):
        events.append({"event": ev["status"], "entry": ev["entry_id"], "entry_kind": ev["entry_kind"], "at": ev["at"],
                       "actor": ev["actor"], "reason": ev["reason"], "replaced_by": ev["replaced_by"],
                       "method": ev["method"], "score": ev["score"], "entry_hash": ev["entry_hash"]})
    replaces = [
        dict(r) for r in db.query(
            "SELECT claim_id, status, method, reason FROM claim_events WHERE replaced_by = ? ORDER BY id", [claim_id]
        )
    ]
    # follow the chain of replacements forward to the claim that stands now
    chain, seen, cur = [], {claim_id}, claim_id
    while True:
        st = status_of(db, cur)
        nxt = st.get("replaced_by")
        if st["status"] != "superseded" or not nxt or nxt in seen:
            break
        chain.append(nxt)
        seen.add(nxt)
        cur = nxt
    return {
        "claim": claim,
        "source": source,
        "status": status_of(db, claim_id),
        "events": events,
        "replaces": replaces,
        "replaced_by_chain": chain,
    }


# ---------------------------------------------------------------- checking the chain


def read_chain(db: Database):
    """Check every entry's hash and link; return (breaks, bodies, entries):
    the (item, message) of each break, each entry's parsed body by id, and
    the entry rows."""
    entries = db.execute("SELECT id, kind, at, actor, reason, body, prev, hash FROM history ORDER BY id").fetchall()
    breaks = []
    bodies: dict[int, dict] = {}
    prev_hash, expected_id = None, 1
    for id_, kind, at, actor, reason, body_text, prev, h in entries:
        if id_ != expected_id:
            breaks.append((f"entry {expected_id}", f"missing: the history goes from entry {expected_id - 1} to {id_} (entries were removed)"))
        if prev != prev_hash:
            breaks.append((f"entry {id_}", f"links to {prev}, expected {prev_hash} (the hash of entry {id_ - 1}): the chain is broken here"))
        leaf = None
        try:
            # a number that is not an integer is refused as it is parsed (canonical_json refuses to write one)
            body = json.loads(body_text, parse_float=_no_float, parse_constant=_no_float)
            if not isinstance(body, dict) or json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) != body_text:
                raise ValueError("not canonical")
            leaf = entry_leaf_spliced(id_, kind, at, actor, reason, body_text, prev)
        except (ValueError, TypeError):
            breaks.append((f"entry {id_}", f"({kind}) its body is not canonical JSON: the entry was altered"))
            body = {}
        bodies[id_] = body
        try:
            actual = sha256_tagged(leaf) if leaf is not None else entry_hash(id_, kind, at, actor, reason, body, prev)
        except (TypeError, ValueError):  # a field stored as a BLOB, say (audit5): an altered entry, not a traceback
            breaks.append((f"entry {id_}", f"({kind!r}) a field is not text or a number: the entry was altered"))
            actual = h
        if actual != h:
            breaks.append((f"entry {id_}", f"({kind}) hashes to {actual}, expected the recorded {h}: the entry was altered"))
        prev_hash, expected_id = h, id_ + 1
    return breaks, bodies, entries


def check_chain(db: Database, head: str | None = None, digested: dict | None = None):
    """Yield (item, message) for every break: an entry whose hash or link is
    wrong, a row that does not match the entry that added it (or names no
    entry), an impossible status history, a published head not in the chain.

    ``digested``: per table, the rows' digests already computed by a pass
    over the table that did other checks too (``RowDigests.result()`` over
    ``digest_columns``); tables not in it are scanned here."""
    register_functions(db.conn)
    breaks, bodies, entries = read_chain(db)
    yield from breaks
    for table in tracked(db):
        yield from check_rows(db, table, bodies, (digested or {}).get(table))
    yield from check_statuses(db)
    if head:
        yield from check_head(db, head, entries)


def check_statuses(db: Database):
    """A claim superseded or retracted twice, or changed after it was."""
    for (cid,) in db.execute(
        "SELECT claim_id FROM claim_events WHERE status IN ('superseded', 'retracted') GROUP BY claim_id HAVING count(*) > 1"
    ):
        yield f"claim {cid}", "is superseded or retracted more than once: its status history was altered"
    for cid, bad in db.execute(
        "SELECT e.claim_id, e.id FROM claim_events e JOIN claim_events t ON t.claim_id = e.claim_id "
        "AND t.status IN ('superseded', 'retracted') AND t.id < e.id"
    ):
        yield f"claim {cid}", f"has event {bad} after it was superseded or retracted: its status history was altered"


def check_head(db: Database, head: str, entries: list):
    """The published head must still be an entry of the chain."""
    want = _normal_hash(head)
    row = db.execute("SELECT id FROM history WHERE hash = ?", [want]).fetchone()
    if row is None:
        last = entries[-1] if entries else None
        now_ends = f"entry {last[0]}, {last[7]}" if last else "no entries"
        yield "head", (
            f"the published head {want} is not in the history (which now ends at {now_ends}): "
            "history was rewritten or cut back since it was published"
        )


def check_rows(db: Database, table: str, bodies: dict[int, dict], digested: dict | None = None):
    """Every row of ``table`` against the entry that added it. ``digested``:
    {entry id: (count, digest)} of every row, from ``RowDigests`` over
    ``digest_columns`` (None: scan the table here)."""
    label = {"sources": "source", "claims": "claim", "claim_events": "event", "reviews": "review"}[table]
    key = "id"
    expected = {eid: b[table] for eid, b in bodies.items() if isinstance(b.get(table), dict)}
    groups = _column_groups(db, table, bodies)
    known = set(bodies)
    if digested is not None and len(groups) == 1:
        actual = dict(digested)
    else:
        actual = {}
        for cols, eids in groups.items():
            where = "1" if len(groups) == 1 else f"entry_id IN ({', '.join(str(int(e)) for e in eids)})"
            digests = RowDigests()
            try:
                sql = f"SELECT entry_id, {digest_sql(list(cols), _types(db, table))} FROM [{table}] WHERE {where} ORDER BY rowid"
                for eid, row in db.execute(sql):
                    digests.add(eid, row)
            except sqlite3.Error as e:
                yield f"{table}", f"cannot re-read the rows to check them ({e}): a column was altered or removed"
                return
            actual.update(digests.result())
    if len(groups) != 1 or any(e not in known for e in actual):
        # rows that name no entry of the history (the scan above saw some, or did not look at every row)
        for rid, eid in db.execute(
            f"SELECT {key}, entry_id FROM [{table}] WHERE entry_id IS NULL OR entry_id NOT IN (SELECT id FROM history)"
        ):
            yield f"{label} {rid}", f"names history entry {eid}, which does not exist: it was added behind the ledger's back"
    for eid in sorted(set(expected) | {e for e in actual if e in known}):
        spec = expected.get(eid) or {"count": 0, "sha256": None}
        n, digest = actual.get(eid, (0, None))
        if n == spec["count"] and digest == spec["sha256"]:
            continue
        if n != spec["count"]:
            what = f"entry {eid} added {spec['count']} {table} row(s), {n} now name it (rows were removed or added)"
        else:
            what = f"the {table} rows of entry {eid} hash to {digest}, the entry records {spec['sha256']}: a row was altered"
        named = list(_altered_rows(db, table, eid)) if table != "claim_events" else []
        if named:
            for item, msg in named:
                yield item, f"{msg} ({what})"
        else:
            yield f"entry {eid}", what


def _altered_rows(db: Database, table: str, eid: int):
    """Name the rows of entry ``eid`` that no longer match their own identity."""
    if table == "claims":
        from ledger.store.writer import claim_id

        for row in db.query("SELECT * FROM claims WHERE entry_id = ? ORDER BY rowid", [eid]):
            if claim_id(row) != row["id"]:
                yield f"claim {row['id']}", "its content no longer gives its id (subject, predicate, value, span, speaker or dates were changed)"
    elif table == "sources":
        rows = db.execute("SELECT id, slug FROM sources WHERE entry_id = ? ORDER BY rowid LIMIT 21", [eid]).fetchall()
        if len(rows) <= 20:  # name a few candidates; a big build is named by its entry
            for sid, slug in rows:
                yield f"source {sid}", f"({slug}) one of the sources this entry added was changed (metadata or text)"


# ---------------------------------------------------------------- corrections

# claim fields a correction carries over from the claim it replaces
CARRIED = (
    "subject", "predicate", "value", "quote", "confidence", "occurrence", "speaker", "as_of", "valid_from",
    "valid_to", "note", "origin",
)


def apply_events(db: Database, path) -> int:
    """Apply the events of ``path`` the ledger does not hold yet (in the open
    entry); events already held are skipped, so applying twice adds nothing."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return 0
    added = 0
    for n, ev in read_events(path):
        cid = ev["claim"]
        held = db.execute(
            "SELECT 1 FROM claim_events WHERE claim_id = ? AND status = ? AND replaced_by IS ?",
            [cid, ev["status"], ev.get("replaced_by")],
        ).fetchone()
        if held:
            continue
        try:
            apply_event(db, ev)
        except HistoryError as e:
            raise HistoryError(f"{path}:{n}: {e}") from None
        added += 1
    return added


def apply_event(db: Database, ev: dict) -> dict:
    """Check and record one status event read from the files (in the open entry)."""
    cid = ev["claim"]
    if ev["status"] == "orphaned":
        if not db.execute("SELECT 1 FROM claims WHERE id = ?", [cid]).fetchone():
            raise HistoryError(f"no claim {cid} in the ledger")
        if status_of(db, cid)["status"] != "current":
            raise HistoryError(f"claim {cid} is {status_of(db, cid)['status']}, not current")
    else:
        require_changeable(db, cid, ev["status"])
    rb = ev.get("replaced_by")
    if rb and not db.execute("SELECT 1 FROM claims WHERE id = ?", [rb]).fetchone():
        raise HistoryError(f"the replacing claim {rb} is not in the ledger (is it in claims/?)")
    if (ev["status"] == "superseded") != bool(rb):
        raise HistoryError("a `superseded` event needs `replaced_by`, and only it has one")
    score = ev.get("score")
    return add_event(db, cid, ev["status"], replaced_by=ev.get("replaced_by"), method=ev.get("method"),
                     score=float(score) if score is not None else None, reason=ev.get("reason"),
                     actor=ev.get("actor"), at=ev.get("at"))


def supersede(db: Database, ref: str, changes: dict, *, reason: str, actor=None, at=None, claims_dir="claims") -> dict:
    """Record a corrected claim and mark ``ref`` superseded by it (call inside
    a write transaction). ``changes`` holds the fields that differ (``source``
    moves the claim to another source). Returns the old and new ids, the new
    row, and the claims-file entry and path for the new claim."""
    from ledger.core.claim import Record, validate
    from ledger.store.writer import SourceIndex, insert_claims, prepare

    if not reason or not reason.strip():
        raise HistoryError("a correction needs a reason (--reason): readers see why the claim changed")
    old_id = resolve_claim_id(db, ref, "claim supersede")
    require_changeable(db, old_id, "supersede")
    old = next(db.query("SELECT * FROM claims WHERE id = ?", [old_id]))
    slug = db.execute("SELECT slug FROM sources WHERE id = ?", [old["source_id"]]).fetchone()[0]
    fields = {k: old[k] for k in CARRIED if old.get(k) is not None}
    changes = {k: v for k, v in changes.items() if v is not None}
    if old.get("paraphrase") and not {"value", "quote", "source"} & set(changes):
        fields["paraphrase"] = old["paraphrase"]  # issue 14: same value on the same span, same reading
    source = changes.pop("source", None) or slug
    if source == slug and all(old.get(k) == v for k, v in changes.items()):
        raise HistoryError(
            f"the correction changes nothing in claim {old_id}: give the fields that differ "
            "(--value, --quote, --confidence, --note, --source, …)"
        )
    if changes.get("as_of"):
        fields.pop("valid_from", None), fields.pop("valid_to", None)
    if changes.get("valid_from") or changes.get("valid_to"):
        fields.pop("as_of", None)
    if "quote" in changes:
        fields.pop("occurrence", None)
    fields.update(changes)
    fields["recorded_by"] = actor
    fields["recorded_at"] = at
    fields["supersedes"] = old_id  # part of the new claim's id: a new confidence alone is a new claim
    index = SourceIndex(db)
    held = index.get(source)
    entry = {k: v for k, v in fields.items() if v is not None}
    if held.id == old["source_id"] and "quote" not in changes and "occurrence" not in changes:
        # same passage: keep the exact span (the quote alone may occur twice)
        entry["start"], entry["end"] = old["span_start"], old["span_end"]
    claims_file = f"{claims_dir}/{held.slug}.yml"
    claim_in = validate(Record({"source": held.slug, **entry}, "the correction", None, 1))
    row = prepare(claim_in, index, claims_file)
    if row["id"] == old_id:  # cannot happen: the id covers `supersedes`
        raise HistoryError(f"the correction gives the same claim {old_id}")
    exists = db.execute("SELECT 1 FROM claims WHERE id = ?", [row["id"]]).fetchone()
    if exists:
        if status_of(db, row["id"])["status"] != "current":
            raise HistoryError(f"the corrected claim {row['id']} is already in the ledger and is not current")
    else:
        insert_claims(db, [row])
    event = add_event(db, old_id, "superseded", replaced_by=row["id"], method="correction", reason=reason,
                      actor=actor, at=at)
    entry["id"] = row["id"]
    return {"old": old_id, "new": row["id"], "row": row, "added": not exists, "file_entry": entry,
            "claims_file": claims_file, "source": held.slug, "event": _event_of(event)}


def retract(db: Database, ref: str, *, reason: str, actor=None, at=None) -> dict:
    """Mark a claim retracted (call inside a write transaction); the claim row stays."""
    if not reason or not reason.strip():
        raise HistoryError("a retraction needs a reason (--reason): readers see why the claim was withdrawn")
    cid = resolve_claim_id(db, ref, "claim retract")
    require_changeable(db, cid, "retract")
    event = add_event(db, cid, "retracted", reason=reason, actor=actor, at=at)
    return {"claim": cid, "event": _event_of(event)}


def _event_of(row: dict) -> dict:
    return {"claim": row["claim_id"], **{k: row.get(k) for k in EVENT_KEYS[1:]}}
