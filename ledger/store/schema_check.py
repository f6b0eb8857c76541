"""The ledger's schema as its migrations make it, and the check that a file
still has exactly that schema (``ledger verify``).

The rows are covered by the history's hashes; the schema is what makes those
rows mean what they say: the triggers that refuse an UPDATE or DELETE, the
views ``claim_status`` and ``current_claims`` that say which claims stand,
the indexes. Whoever edits the file can drop a trigger or redefine a view
without touching a row. So verify rebuilds the schema the migrations make,
in the order the file records having applied them, in a private in-memory
database (the ledger itself is only read: this works on a read-only
connection), adds the views of this version (``ledger/shape.py``), and
compares every table, index, trigger and view by name and SQL text.
"""

from __future__ import annotations

import functools
import sqlite3

from sqlite_utils import Database, Migrations

# objects SQLite makes on its own (ANALYZE's statistics, AUTOINCREMENT's counters)
_IGNORED_PREFIXES = ("sqlite_stat", "sqlite_sequence")
_KINDS = ("table", "index", "trigger", "view")


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """The ledger's migrations this file records, in the order it applied them."""
    try:
        return [
            r[0]
            for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'ledger' ORDER BY rowid")
        ]
    except sqlite3.OperationalError:
        return []


@functools.lru_cache(maxsize=8)
def expected_schema(applied: tuple[str, ...]) -> dict:
    """{(type, name): sql} of the schema made by the migrations ``applied``
    (in that order), plus the views this version registers when the list is
    complete."""
    from ledger.store.migrations import migrations
    from ledger.store.shape import ensure_shape

    known = {m.name: m.fn for m in migrations._migrations}
    conn = sqlite3.connect(":memory:", isolation_level=None)
    db = Database(conn)
    Migrations("ledger-schema-check").apply(db)  # sqlite-utils' own record table and its index, as it makes them
    conn.execute("BEGIN")
    for name in applied:
        known[name](db)
    if set(applied) >= set(known):
        ensure_shape(db)
    conn.execute("COMMIT")
    schema = read_schema(conn)
    conn.close()
    return schema


def read_schema(conn: sqlite3.Connection) -> dict:
    """{(type, name): sql} of every table, index, trigger and view of ``conn``'s main database."""
    return {
        (t, name): sql
        for t, name, sql in conn.execute("SELECT type, name, sql FROM main.sqlite_master")
        if t in _KINDS and not name.startswith(_IGNORED_PREFIXES)
    }


def check_schema(conn: sqlite3.Connection):
    """Yield (item, message) for every object that differs from what the
    recorded migrations make: missing, redefined, or added."""
    from ledger.store.migrations import migrations

    applied = applied_migrations(conn)
    known = [m.name for m in migrations._migrations]
    unknown = [n for n in applied if n not in known]
    if not applied:
        yield "schema", "the file records no ledger migrations: it is not a ledger, or its record was removed"
        return
    if unknown:
        yield "schema", (
            f"the file records migrations this version of ledger does not know ({', '.join(unknown[:3])}): "
            "verify it with the version that wrote it"
        )
        return
    if len(set(applied)) != len(applied):
        yield "schema", "the file records a migration twice: its record of migrations was altered"
    want = expected_schema(tuple(dict.fromkeys(applied)))
    have = read_schema(conn)
    complete = set(applied) >= set(known)
    for key in sorted(set(want) | set(have)):
        kind, name = key
        if kind == "view" and not complete:
            continue  # the views of an older file are checked once it is migrated
        if key not in have:
            yield f"{kind} {name}", f"is missing: the migrations create it ({_why(kind)}); it was dropped"
        elif key not in want:
            yield f"{kind} {name}", f"is not part of the ledger's schema: it was added behind the ledger's back ({_why(kind)})"
        elif _norm(have[key]) != _norm(want[key]):
            yield f"{kind} {name}", f"is defined differently from what the migrations create: it was redefined ({_why(kind)})"


def _why(kind: str) -> str:
    return {
        "trigger": "a trigger can refuse or make changes to rows",
        "view": "a view decides what readers are shown",
        "index": "an index can change what queries return if it is corrupt or partial",
        "table": "a table holds rows the ledger reads",
    }[kind]


def _norm(sql):
    return None if sql is None else " ".join(sql.split())


def schema_markdown(conn: sqlite3.Connection) -> str:
    """Every table, index, trigger and view of ``conn``'s main database as
    Markdown, one section per kind, each object's SQL as SQLite holds it
    (indentation made even), sorted by name: docs/schema.md, which the tests
    compare with a fresh ledger's."""
    import textwrap

    schema = read_schema(conn)
    out = []
    titles = {"table": "Tables", "index": "Indexes", "trigger": "Triggers", "view": "Views"}
    for kind in _KINDS:
        names = sorted(name for k, name in schema if k == kind)
        out.append(f"## {titles[kind]} ({len(names)})\n")
        for name in names:
            sql = schema[(kind, name)]
            if sql is None:  # an index SQLite made for a UNIQUE or PRIMARY KEY constraint
                out.append(f"- `{name}` (made by SQLite for a constraint)\n")
                continue
            first, _, rest = sql.strip().partition("\n")
            body = textwrap.dedent(rest)
            lines = [first.rstrip()] + [line.rstrip() for line in body.splitlines()]
            text = "\n".join(lines)
            out.append(f"### {name}\n\n```sql\n{text}\n```\n")
    return "\n".join(out)


def fresh_schema_markdown() -> str:
    """``schema_markdown`` of a new, empty ledger (migrated, its views made)."""
    import tempfile
    from pathlib import Path

    from ledger.store.db import open_db, write_transaction
    from ledger.store.shape import ensure_shape

    with tempfile.TemporaryDirectory() as d:
        db = open_db(Path(d) / "ledger.db")
        try:
            with write_transaction(db):
                ensure_shape(db)
            return schema_markdown(db.conn)
        finally:
            db.close()
