"""The facet counts Datasette shows on the claims page and the views, kept in
``facet_counts`` (tbl, col, value, count) by set-based SQL once per write.

At a million claims a facet is a ``GROUP BY`` over every row of a table or
view, past Datasette's facet time limit; the ``counted`` facet type
(``ledger.web.facets``) reads these counts instead. Until issue 19 eleven row
triggers kept them (m052, m060, m063); m140 dropped them. Now
``ledger.store.derived.refresh`` brings them up to date at the end of every
write, inside its transaction, in a few statements:

* claims are append-only, so the counts of the claims table and of the
  claim views (``claim_status``, ``claim_provenance``, ``current_claims``)
  grow by a ``GROUP BY`` over the claims past a watermark (the largest claim
  rowid counted, kept in ``compare_state`` as ``facet_claims_rowid``), read
  through the views themselves;
* a claim event (superseded, retracted, orphaned) moves an older claim from
  one status to another: the claims with events past ``facet_events_rowid``
  lose their status before those events and gain their status now;
* the comparison's views (``fact_groups``, ``single_source_facts``,
  ``fact_claims``, ``conflicts``) change only where the comparison rewrites
  a topic's facts and claim values: ``ledger.store.compare`` counts the
  facts and claim values it deletes and those it writes in their place, from
  the rows it holds (``fact_view_counts``), and adds the difference in one
  statement (``add_counts``).

A count that falls to 0 is kept and read as absent. ``mismatches`` compares
every count with a fresh ``GROUP BY`` over its table or view (the facet test
and ``ledger verify --deep``).
"""

from __future__ import annotations

from collections import Counter

from sqlite_utils import Database

# table or view -> the columns whose value counts facet_counts holds
COUNTED = {
    "claims": ("predicate", "status", "source_id"),
    "claim_status": ("status",),
    "claim_provenance": ("predicate", "publisher", "confidence_band", "status"),
    "current_claims": ("predicate",),
    "fact_groups": ("status", "predicate"),
    "single_source_facts": ("predicate",),
    "fact_claims": ("status",),
    "conflicts": ("predicate", "publisher"),
}
# the claim views and the column naming their claim; the comparison's views, keyed by fact_key
CLAIM_KEYED = {"claims": "id", "claim_status": "claim_id", "claim_provenance": "id", "current_claims": "id"}
FACT_KEYED = ("fact_groups", "single_source_facts", "fact_claims", "conflicts")

CLAIMS_MARK, EVENTS_MARK = "facet_claims_rowid", "facet_events_rowid"

# A claim's value of a counted column before the events past the watermark
# (:ew), for the claims in temp.facet_claims: the view's own expression with
# only those events. Must say what the view in ledger/store/views.py says
# (tests/test_facet_counts.py compares every count with a fresh GROUP BY).
_LAST_EVENT_BEFORE = "(SELECT e.status FROM claim_events e WHERE e.claim_id = c.id AND e.id <= :ew ORDER BY e.id DESC LIMIT 1)"
_BEFORE = {
    ("claim_status", "status"): (
        f"SELECT coalesce({_LAST_EVENT_BEFORE}, CASE WHEN c.status = 'candidate' THEN 'candidate' ELSE 'current' END) "
        "AS value FROM claims c WHERE c.id IN (SELECT id FROM temp.facet_claims)"
    ),
    ("claim_provenance", "status"): (
        f"SELECT coalesce({_LAST_EVENT_BEFORE}, 'current') AS value FROM claims c JOIN sources s ON s.id = c.source_id "
        "WHERE c.id IN (SELECT id FROM temp.facet_claims)"
    ),
    ("current_claims", "predicate"): (
        "SELECT c.predicate AS value FROM claims c WHERE c.id IN (SELECT id FROM temp.facet_claims) "
        "AND NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = c.id AND e.id <= :ew)"
    ),
}
_ADD = (
    "INSERT INTO facet_counts (tbl, col, value, count) SELECT :tbl, :col, value, count(*) * :sign FROM ({select}) "
    "WHERE value IS NOT NULL GROUP BY value "
    "ON CONFLICT (tbl, col, value) DO UPDATE SET count = count + excluded.count"
)


def _bump(db: Database, tbl: str, col: str, select: str, sign: int = 1, **params) -> None:
    """Add ``sign`` x the number of rows of ``select`` (one column, ``value``) to each value's count."""
    db.execute(_ADD.format(select=select), {"tbl": tbl, "col": col, "sign": sign, **params})


def _bump_view(db: Database, tbl: str, where: str | None, sign: int = 1, **params) -> None:
    """Add ``sign`` x the counts of every counted column of ``tbl`` over its
    rows matching ``where`` (``None``: every row).

    A filtered view with one counted column is counted straight from it; the
    claims table's every row too, column by column, each read from the index
    that covers it. Otherwise the rows are read once (into a temporary
    table), then counted column by column: a claim view read whole is then
    scanned once, not once per column nor through an index lookup per claim
    (issue 19: a first import's counts, 1.6 s -> 0.3 s at 100k claims)."""
    cols = COUNTED[tbl]
    filtered = f" WHERE {where}" if where is not None else ""
    if (len(cols) == 1 and where is not None) or (tbl == "claims" and where is None):
        for col in cols:
            _bump(db, tbl, col, f"SELECT [{col}] AS value FROM [{tbl}]{filtered}", sign, **params)
        return
    rows = f"temp.[facet_rows_{tbl}]"  # made by prepare(); emptied, never dropped (see prepare)
    db.execute(f"DELETE FROM {rows}")
    db.execute(f"INSERT INTO {rows} SELECT {', '.join(f'[{c}]' for c in cols)} FROM [{tbl}]{filtered}", params)
    for col in cols:
        _bump(db, tbl, col, f"SELECT [{col}] AS value FROM {rows}", sign)
    db.execute(f"DELETE FROM {rows}")


def prepare(db: Database) -> None:
    """Make the temporary tables the counting uses, before the refresh starts:
    the comparison counts while it still reads a statement of its own, and
    SQLite refuses to drop (or reliably make) a table then ("database table
    is locked"), so they are made once per connection and only emptied."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS facet_claims (id TEXT PRIMARY KEY)")
    for tbl, cols in COUNTED.items():
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS [facet_rows_{tbl}] ({', '.join(f'[{c}]' for c in cols)})")


def _mark(db: Database, key: str) -> int | None:
    row = db.execute("SELECT value FROM compare_state WHERE key = ?", [key]).fetchone()
    return None if row is None else int(row[0])


def _set_mark(db: Database, key: str, value: int) -> None:
    db.execute("INSERT OR REPLACE INTO compare_state (key, value) VALUES (?, ?)", [key, str(value)])


def _max_rowid(db: Database, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(rowid), 0) FROM [{table}]").fetchone()[0]


def kept_in_bulk(db: Database) -> bool:
    """True once m140 has replaced the row triggers (the watermarks exist)."""
    try:
        return _mark(db, CLAIMS_MARK) is not None
    except Exception:  # no compare_state table: a ledger made before the comparison
        return False


def refresh_claims(db: Database) -> dict:
    """Count the claims added and the claim events recorded since the
    watermarks; move the watermarks. Returns what it counted."""
    cw, ew = _mark(db, CLAIMS_MARK), _mark(db, EVENTS_MARK)
    if cw is None or ew is None:
        return {}
    top_claim, top_event = _max_rowid(db, "claims"), _max_rowid(db, "claim_events")
    stats = {"claims": 0, "event_claims": 0}
    if top_claim > cw:
        stats["claims"] = top_claim - cw
        new = f"SELECT id FROM claims WHERE rowid > {int(cw)}"
        # every claim past the watermark (a first import or build): the views are counted whole, unfiltered
        whole = db.execute("SELECT min(rowid) FROM claims").fetchone()[0] > cw
        if whole:
            prepare(db)
        for tbl, key in CLAIM_KEYED.items():
            if whole:
                _bump_view(db, tbl, None)
            else:
                _bump_view(db, tbl, f"rowid > {int(cw)}" if tbl == "claims" else f"[{key}] IN ({new})")
    if top_event > ew:
        # claims counted before whose status the new events change: out with the old status, in with the new
        prepare(db)
        db.execute("DELETE FROM temp.facet_claims")
        db.execute(
            "INSERT OR IGNORE INTO temp.facet_claims (id) SELECT e.claim_id FROM claim_events e "
            "JOIN claims c ON c.id = e.claim_id WHERE e.id > :ew AND c.rowid <= :cw",
            {"ew": ew, "cw": cw},
        )
        stats["event_claims"] = db.execute("SELECT count(*) FROM temp.facet_claims").fetchone()[0]
        for (tbl, col), before in _BEFORE.items():
            _bump(db, tbl, col, before, -1, ew=ew)
            key = CLAIM_KEYED[tbl]
            _bump(db, tbl, col, f"SELECT [{col}] AS value FROM [{tbl}] WHERE [{key}] IN (SELECT id FROM temp.facet_claims)")
        db.execute("DELETE FROM temp.facet_claims")
    if top_claim != cw:
        _set_mark(db, CLAIMS_MARK, top_claim)
    if top_event != ew:
        _set_mark(db, EVENTS_MARK, top_event)
    return stats


def fact_view_counts(facts, members, publisher) -> Counter:
    """The counts of the comparison's views (``FACT_KEYED``) over a set of
    facts and their claim values, from rows already in hand rather than a
    ``GROUP BY`` over each view (issue 19: the comparison's refresh holds every
    fact and claim value it writes, and every one it deletes).

    ``facts``: (fact_key, status, predicate) of each fact; ``members``:
    (fact_key, source_id) of each claim value; ``publisher``: source id ->
    publisher, for every source that exists. Must say what the views in
    ledger/store/views.py say (tests/test_facet_counts.py compares every
    count with a fresh GROUP BY): ``fact_groups`` is every fact,
    ``single_source_facts`` the single-source ones, ``fact_claims`` every
    claim value joined to its fact and (through its claim) its source,
    ``conflicts`` the fact_claims rows of conflicting facts."""
    counts: Counter = Counter()
    of_fact = {}
    for key, status, predicate in facts:
        of_fact[key] = status, predicate
        counts["fact_groups", "status", status] += 1
        counts["fact_groups", "predicate", predicate] += 1
        if status == "single-source":
            counts["single_source_facts", "predicate", predicate] += 1
    for key, source_id in members:
        fact = of_fact.get(key)
        if fact is None or source_id not in publisher:
            continue
        counts["fact_claims", "status", fact[0]] += 1
        if fact[0] == "conflicting":
            counts["conflicts", "predicate", fact[1]] += 1
            counts["conflicts", "publisher", publisher[source_id]] += 1
    return counts


def add_counts(db: Database, added: Counter, removed: Counter) -> None:
    """Add ``added`` and subtract ``removed`` ((tbl, col, value) -> rows), in
    one statement: every value either names gets its row, as a ``GROUP BY``
    per side would give it (a count that nets to 0 is kept at 0)."""
    if not kept_in_bulk(db):
        return
    db.conn.executemany(
        "INSERT INTO facet_counts (tbl, col, value, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (tbl, col, value) DO UPDATE SET count = count + excluded.count",
        [(*k, added[k] - removed[k]) for k in added.keys() | removed.keys() if k[2] is not None],
    )


def forget_facts(db: Database) -> None:
    """The comparison's tables were emptied (a full refresh): so are their views' counts."""
    if kept_in_bulk(db):
        db.execute(
            f"DELETE FROM facet_counts WHERE tbl IN ({', '.join('?' * len(FACT_KEYED))})", list(FACT_KEYED)
        )


def recount(db: Database) -> None:
    """Recompute facet_counts from the tables and views (after a repair, or to
    check them), and move the watermarks to the rows counted."""
    db.execute("DELETE FROM facet_counts")
    for table, columns in COUNTED.items():
        for col in columns:
            db.execute(
                f"INSERT INTO facet_counts (tbl, col, value, count) "
                f"SELECT ?, ?, [{col}], count(*) FROM [{table}] WHERE [{col}] IS NOT NULL GROUP BY [{col}]",
                [table, col],
            )
    if kept_in_bulk(db):
        _set_mark(db, CLAIMS_MARK, _max_rowid(db, "claims"))
        _set_mark(db, EVENTS_MARK, _max_rowid(db, "claim_events"))


def mismatches(db: Database) -> list[str]:
    """Columns whose stored counts differ from a fresh GROUP BY (for tests and verify)."""
    bad = []
    for table, columns in COUNTED.items():
        for col in columns:
            live = dict(
                db.execute(
                    f"SELECT [{col}], count(*) FROM [{table}] WHERE [{col}] IS NOT NULL GROUP BY [{col}]"
                ).fetchall()
            )
            held = dict(
                db.execute(
                    "SELECT value, count FROM facet_counts WHERE tbl = ? AND col = ? AND count != 0", [table, col]
                ).fetchall()
            )
            if live != held:
                bad.append(f"{table}.{col}")
    return bad
