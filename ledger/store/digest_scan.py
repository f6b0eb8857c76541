"""Every row of a table digested for its history entry, as ``ledger verify``
computes it (issues 15 and 19): the same bytes as ``rows.digest_table``
(the canonical form of ``rows.row_sql``), with the exact text of a REAL
column (``name:exact``) looked up for the values the table holds most
often instead of computed for every row.

``rows.exact_real_sql`` writes ``repr()`` of a REAL in SQL: a dozen
arithmetic steps per row, about a third of the canonical form's cost over
the claims table (whose ``confidence`` takes a few dozen values). Here a
binary search of nested ``CASE``s first looks the value up among the most
frequent nonzero values of a sample of the table, each written as a literal whose text is Python's
``repr()`` of it and kept only when SQLite reads that literal back as the
very same double (so an equal stored value has that ``repr()``); any other
value, zero (``-0.0`` equals ``0.0``), a value of another type and NULL
fall through to ``exact_real_sql`` as before (the comparison drops the
column's affinity, so a TEXT value never equals a number). A stored INTEGER equal to a
literal (below 2**53) has the same text too: ``exact_real`` writes such an
integer as ``repr(float(v))``. tests/test_digest_scan.py holds the result
to ``rows.digest_table`` and ``exact_real``.
"""

from __future__ import annotations

import sqlite3

from ledger.store import rows
from ledger.store.rows import EXACT, RowDigests

SAMPLE_ROWS = 20000  # rows sampled for the common values
COMMON_VALUES = 64  # at most this many values in the CASE


def common_reals(conn: sqlite3.Connection, table: str, column: str) -> list[float]:
    """The most frequent nonzero REAL values of ``column`` among the first
    ``SAMPLE_ROWS`` rows of ``table``, most frequent first, each one SQLite
    reads back exactly from its ``repr()``."""
    q = f'"{column}"'
    rows = conn.execute(
        f"SELECT {q}, count(*) AS n FROM (SELECT {q} FROM [{table}] ORDER BY rowid LIMIT {SAMPLE_ROWS}) "
        f"WHERE typeof({q}) = 'real' AND {q} != 0 GROUP BY 1 ORDER BY n DESC, 1 LIMIT {COMMON_VALUES}"
    ).fetchall()
    out = []
    for v, _ in rows:
        if isinstance(v, float) and 0 < abs(v) < 2**53 and _reads_back(conn, v):
            out.append(v)
    return out


def _reads_back(conn: sqlite3.Connection, v: float) -> bool:
    """SQLite parses the literal ``repr(v)`` to the double ``v`` itself."""
    return conn.execute(f"SELECT {repr(v)} = ?", [v]).fetchone()[0] == 1


def exact_real_lookup_sql(q: str, values: list[float]) -> str:
    """``exact_real_sql(q)``, with the text of each of ``values`` found first
    by a binary search of nested ``CASE``s (about log2 of their number
    comparisons, then one equality)."""
    exact = rows.exact_real_sql(q)
    if not values:
        return exact
    x = f"+{q}"  # the value without its column's affinity: a TEXT value never equals a number

    def tree(vs: list[float]) -> str:
        if len(vs) == 1:
            return f"CASE WHEN {x} = {repr(vs[0])} THEN '{repr(vs[0])}' END"
        mid = len(vs) // 2
        return f"CASE WHEN {x} < {repr(vs[mid])} THEN {tree(vs[:mid])} ELSE {tree(vs[mid:])} END"

    return f"coalesce({tree(sorted(values))}, {exact})"


def fast_row_sql(conn: sqlite3.Connection, table: str, columns: list[str], types: dict) -> str:
    """``rows.row_sql(columns, types)`` with each exact REAL column's text looked up first."""
    sql = rows.row_sql(columns, types)
    for col in columns:
        if col.endswith(EXACT):
            name = col[: -len(EXACT)]
            q = f'"{name}"'
            sql = sql.replace(rows.exact_real_sql(q), exact_real_lookup_sql(q, common_reals(conn, table, name)))
    return sql


def digest_table(conn: sqlite3.Connection, table: str, columns: list[str], types: dict,
                 digests: RowDigests | None = None) -> dict:
    """``rows.digest_table`` over ``fast_row_sql``: the same digests, each
    exact REAL column's text looked up first. ``digests``: the ``RowDigests``
    to feed (a new one if None); returns its ``result()``."""
    return rows.digest_table(conn, table, columns, types, row=fast_row_sql(conn, table, columns, types), digests=digests)
