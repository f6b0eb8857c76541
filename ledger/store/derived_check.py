"""``ledger verify --deep``: every derived table recomputed from the recorded
rows and compared with what the file holds.

The derived tables (the comparison's ``facts`` and ``claim_values``, the
sources' shingles, fingerprints, duplicates and independence, the facet
counts, the full-text indexes) are not covered by the history's hashes: they
are recomputed from the rows that are. So the check recomputes them, with
the same code the writers use, in a private in-memory copy of the file (the
ledger itself is only read), and names every table whose rows differ. The
entity file's contents are taken as the file holds them (the ``entities``
tables): they come from entities.yml, which the history does not cover.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

# the comparison's tables, emptied and recomputed by a full ``compare.refresh``
COMPARISON = ("facts", "claim_values", "source_shingles", "source_fingerprints", "source_duplicates", "source_independence")
FTS = ("claims_fts", "sources_fts")
# compared as held as well as as read (m142): facts (read through the view fact_details) and the timelines it reads
RAW_TOO = ("facts", "fact_timelines")


def check_derived(db: Database):
    """Yield (item, message) for every derived table that does not match its
    recomputation from the recorded rows."""
    from ledger.store import facet_counts

    for name in facet_counts.mismatches(db):
        yield f"facet counts {name}", "differ from a fresh count of the rows: facet_counts was altered"
    mem = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.conn.backup(mem)
        yield from _check_copy(Database(mem))
    finally:
        mem.close()


def _tables(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def _check_copy(copy: Database):
    from ledger.store import compare

    present = _tables(copy)
    for fts in FTS:
        if fts not in present:
            continue
        try:
            copy.execute(f"INSERT INTO [{fts}] ([{fts}], rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as e:
            yield f"full-text index {fts}", f"does not match the rows it indexes ({e}): the index was altered"
    tables = [t for t in COMPARISON if t in present]
    if not tables or "compare_state" not in present:
        return
    # m142: facts are compared as their readers see them (fact_details) and also as the file holds them,
    # with fact_timelines: Datasette publishes both, and a change the view happens to write the same (a
    # timeline flag on a fact with none, a one-value list written out) is a change too (audit5)
    raw = [t for t in RAW_TOO if t in present and _read_as(copy, "facts") != "facts"]
    copy.execute("BEGIN")
    for t in raw:
        copy.execute(f"CREATE TEMP TABLE [held_raw_{t}] AS SELECT * FROM main.[{t}]")
    for t in tables:
        copy.execute(f"CREATE TEMP TABLE [held_{t}] AS SELECT * FROM main.[{_read_as(copy, t)}]")
        copy.execute(f"DELETE FROM main.[{t}]")
    copy.execute("DELETE FROM compare_state WHERE key IN ('sources_rowid', 'claims_rowid', 'events_rowid')")
    # the entities as the file holds them: no entities.yml is read
    try:
        compare.refresh(copy, entities_path="/nonexistent/entities.yml", full=True)
    except (TypeError, ValueError, AttributeError, sqlite3.Error) as e:
        copy.execute("ROLLBACK")
        yield "derived tables", (
            f"cannot be recomputed from the recorded rows ({type(e).__name__}: {e}): a recorded value has the "
            "wrong type or form; the other failures name it"
        )
        return
    compared = [(t, f"held_{t}", _read_as(copy, t), _compared_columns(copy, t)) for t in tables] + [
        (t, f"held_raw_{t}", t, [c for c in _columns(copy, t) if not (t == "facts" and c == "subject")])
        for t in raw
    ]
    seen = set()
    for t, held_t, src, columns in compared:
        if t in seen:
            continue  # one failure per table
        cols = ", ".join(f'"{c}"' for c in columns)
        extra = copy.execute(f"SELECT count(*) FROM (SELECT {cols} FROM temp.[{held_t}] EXCEPT SELECT {cols} FROM main.[{src}])").fetchone()[0]
        missing = copy.execute(f"SELECT count(*) FROM (SELECT {cols} FROM main.[{src}] EXCEPT SELECT {cols} FROM temp.[{held_t}])").fetchone()[0]
        if extra or missing:
            seen.add(t)
            yield f"derived table {t}", (
                f"differs from its recomputation from the recorded claims and sources: {extra} row(s) held that "
                f"the recorded rows do not give, {missing} row(s) missing: it was altered (`ledger compare --rebuild` "
                "recomputes it)"
            )
    if "facts" in tables:
        # the fact's display subject is one of its topic's claims' (compare.py takes the first it
        # holds, which depends on the order the claims were compared in, so a rebuild may pick
        # another): it must be one of them
        for key, subject in copy.execute(
            "SELECT h.fact_key, h.subject FROM temp.held_facts h WHERE NOT EXISTS (SELECT 1 FROM claim_values v "
            "JOIN claims c ON c.id = v.claim_id WHERE v.topic = h.topic AND coalesce(v.subject_entity, c.subject) = h.subject)"
        ).fetchall()[:20]:
            yield "derived table facts", f"fact {key} shows the subject {subject!r}, which none of its claims gives: it was altered"
    copy.execute("ROLLBACK")


def _read_as(db: Database, table: str) -> str:
    """What a derived table is compared as: facts as its readers see it (the view fact_details adds the
    values, timeline and rule held once per predicate or topic, m142), so those rows are checked too."""
    if table == "facts" and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'fact_details'").fetchone():
        return "fact_details"
    return table


def _compared_columns(db: Database, table: str) -> list[str]:
    return [c for c in _columns(db, _read_as(db, table)) if not (table == "facts" and c == "subject")]


def _columns(db: Database, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info([{table}])")]
