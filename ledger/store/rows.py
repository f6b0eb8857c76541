"""The canonical form of a row and the digests of a table's rows, per history entry (issue 19: split from
``ledger/store/history.py``, which still names everything here; the forms are described in its docstring).
The functions are moved unchanged."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from ledger.core.ids import new_sha256

# tables whose rows belong to the entry that added them (reviews since m080)
TRACKED = ("sources", "claims", "claim_events", "reviews")
# columns left out of a row's canonical form: the entry id (implied by which
# aggregate the row is in); a source's text (covered by its id, the SHA-256
# of the text, which `ledger verify` re-derives); and a claim's span text,
# prefix and suffix, which are the source's characters at the claim's
# offsets and context: `ledger verify` re-reads each from the (hash-checked)
# text, so hashing them again would only slow the check (a quarter of it)
EXCLUDED = {
    "sources": {"entry_id", "text"},
    "claims": {"entry_id", "span_text", "prefix", "suffix"},
    "claim_events": {"entry_id"},
    "reviews": {"entry_id"},
}
EXACT = ":exact"  # suffix of a REAL column digested exactly (see the module docstring)


# ---------------------------------------------------------------- canonical rows


def exact_real(v):
    """The ``ledger_real`` SQL function: a REAL's exact decimal (``repr``);
    any other stored type is tagged, so it cannot pass for a number."""
    if v is None or isinstance(v, float):
        return None if v is None else repr(v)
    if isinstance(v, int):
        return repr(float(v)) if abs(v) < 2**53 else f"integer:{v}"
    if isinstance(v, bytes):
        return "blob:" + v.hex()
    return f"text:{v}"


# The REALs whose repr() SQL can write without calling Python: positional
# ones (repr writes 1e-4 <= |x| < 1e16 without an exponent) of at most 15
# significant digits, the usual case (a confidence such as 0.85).
_FAST_DECIMALS = 18  # 1e-4 with 14 more significant digits


def exact_real_sql(q: str) -> str:
    """The SQL expression giving ``exact_real(q)``, for a column expression
    ``q``: the same text, computed in SQLite where that is exact, else by the
    ``ledger_real`` function.

    For j = 0, 1, … decimals, s = round(|x| * 10^j) is tried: when s <
    10^15 and s / 10^j (one IEEE division of two exactly represented
    numbers, so correctly rounded on every platform) gives x back exactly,
    the decimal s / 10^j reads back as x, and the first such j gives the
    fewest digits, which is what repr() writes: repr's shortest round-trip
    digits, in its positional form (no two 15-digit decimals read back as
    the same double, so there is no closer one to choose). It is written
    from the integer s (integer division and remainder), never by SQLite's
    printf of the float. Zero (repr tells -0.0 apart), exponent forms,
    more than 15 digits, NaN/infinity, NULL and a value of another type
    fall through to ``ledger_real``. Either way two different doubles never
    give the same text (the text reads back as its double), and
    tests/test_exact_real_sql.py checks the text equals repr() over
    hypothesis's floats, subnormals and signed zeros included."""
    a = f"abs({q})"
    # first, j = 2 (a confidence such as 0.85, 0.5 or 1.0): when s = round(|x|
    # * 100) gives x back, the fewest decimals are 2, 1 or 0 as s ends in no,
    # one or two zeros (s / 100 is the one decimal of at most 15 digits
    # reading back as x, so a shorter one is the same number), and the text
    # is the one the branch for that j writes; one branch, not three
    s2 = f"CAST(round({a} * 100) AS INTEGER)"
    branches = [
        f"WHEN {a} * 100 < 1000000000000000 AND CAST({s2} AS REAL) / 100 = {a} THEN "
        f"(({s2} / 100) || '.' || CASE WHEN {s2} % 100 = 0 THEN '0' WHEN {s2} % 10 = 0 THEN ({s2} % 100) / 10 "
        f"ELSE printf('%02d', {s2} % 100) END)"
    ]
    for j in range(_FAST_DECIMALS + 1):
        p = 10**j
        s = f"CAST(round({a} * {p}) AS INTEGER)"
        ok = f"{a} * {p} < 1000000000000000 AND CAST({s} AS REAL) / {p} = {a}"
        text = f"({s} || '.0')" if j == 0 else f"(({s} / {p}) || '.' || printf('%0{j}d', {s} % {p}))"
        branches.append(f"WHEN {ok} THEN {text}")
    fast = (
        f"CASE WHEN typeof({q}) = 'real' AND {a} >= 0.0001 AND {a} < 1000000000000000 THEN "
        f"CASE WHEN {q} < 0 THEN '-' ELSE '' END || CASE {' '.join(branches)} END END"
    )
    return f"coalesce({fast}, ledger_real({q}))"  # coalesce() evaluates its second argument only when needed


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions canonical rows use; every connection that digests rows needs them."""
    conn.create_function("ledger_real", 1, exact_real, deterministic=True)


def tracked(db: Database) -> tuple[str, ...]:
    """The tracked tables this ledger's schema links to history (reviews only since m080)."""
    return tuple(t for t in TRACKED if any(r[1] == "entry_id" for r in db.execute(f"PRAGMA table_info([{t}])")))


def record_columns(db: Database, table: str) -> list[str]:
    """The column list a new entry records: REAL columns digested exactly."""
    return [c + EXACT if _is_real(t) else c for c, t in table_columns(db, table)]


def _is_real(ctype: str) -> bool:
    return "REAL" in ctype or "FLOA" in ctype or "DOUB" in ctype


def table_columns(db: Database, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of the columns a row's canonical form covers, in table order."""
    return [
        (r[1], (r[2] or "").upper())
        for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()
        if r[1] not in EXCLUDED.get(table, ())
    ]


def row_sql(columns: list[tuple[str, str]] | list[str], types: dict | None = None) -> str:
    """The SQL expression giving a row's canonical form."""
    parts = []
    for col in columns:
        name, ctype = col if isinstance(col, (tuple, list)) else (col, (types or {}).get(col, ""))
        if name.endswith(EXACT):
            parts.append(exact_real_sql(f'"{name[: -len(EXACT)]}"'))
            continue
        q = f'"{name}"'
        if _is_real(ctype):
            parts.append(f"CASE WHEN {q} IS NULL THEN NULL ELSE printf('%.15g', {q}) END")
        else:
            parts.append(q)
    return "json_array(" + ", ".join(parts) + ")"


def _types(db: Database, table: str) -> dict:
    return {r[1]: (r[2] or "").upper() for r in db.execute(f"PRAGMA table_info([{table}])").fetchall()}


def aggregate(db: Database, table: str, columns: list[str], where: str, params=()) -> tuple[int, str]:
    """(count, sha256) of the canonical forms of the rows ``where`` selects, in rowid order."""
    n, digest, _ = aggregate_tree(db, table, columns, where, params, tree=False)
    return n, digest


def aggregate_tree(db: Database, table: str, columns: list[str], where: str, params=(), tree: bool = True):
    """(count, sha256, merkle root hex or None) of the rows ``where`` selects, in rowid order."""
    from ledger.core import merkle

    register_functions(db.conn)
    h = new_sha256()
    leaves = []
    sql = f"SELECT {digest_sql(columns, _types(db, table))} FROM [{table}] WHERE {where} ORDER BY rowid"
    for (row,) in db.execute(sql, list(params)):
        h.update(row)
        h.update(b"\n")
        leaves.append(merkle.leaf_hash(row) if tree else None)
    root = "sha256:" + merkle.root(leaves).hex() if tree and leaves else None
    return len(leaves), "sha256:" + h.hexdigest(), root


# ---------------------------------------------------------------- digests of every row, per entry


def digest_sql(columns: list[str], types: dict) -> str:
    """The SQL expression giving a row's canonical form as UTF-8 bytes (the
    bytes ``aggregate`` and ``seal`` hash, each followed by a newline),
    fetched without decoding to a str and encoding back."""
    return f"CAST({row_sql(columns, types)} AS BLOB)"


class RowDigests:
    """Per entry, the count and SHA-256 of the canonical rows fed to it in
    rowid order (what an entry's body records for a table). Rows are batched
    and hashed a batch at a time: one C call per batch, not per row."""

    BATCH = 4096

    def __init__(self):
        self.counts: dict = {}
        self.hashes: dict = {}
        self._eid = _NO_ENTRY
        self._parts: list = []

    def add(self, eid, row: bytes) -> None:
        if eid != self._eid:
            self._switch(eid)
        self._parts.append(row)
        if len(self._parts) >= self.BATCH:
            self._flush()

    def extend(self, eid, rows: list) -> None:
        """Add ``rows`` (all of entry ``eid``) and empty the list."""
        if rows:
            if eid != self._eid:
                self._switch(eid)
            self._flush()
            self._hash(rows)
            rows.clear()

    def add_joined(self, eid, data: bytes, n: int) -> None:
        """Add ``n`` rows of entry ``eid`` given joined, each followed by a newline."""
        if eid != self._eid:
            self._switch(eid)
        self._flush()
        self.hashes[eid].update(data)
        self.counts[eid] += n

    def _switch(self, eid) -> None:
        self._flush()
        self._eid = eid
        if eid not in self.hashes:
            self.hashes[eid] = new_sha256()
            self.counts[eid] = 0

    def _flush(self) -> None:
        if self._parts:
            self._hash(self._parts)
            self._parts.clear()

    def _hash(self, rows: list) -> None:
        rows.append(b"")  # every row ends with a newline
        self.hashes[self._eid].update(b"\n".join(rows))
        rows.pop()
        self.counts[self._eid] += len(rows)

    def result(self) -> dict:
        """{entry id: (count, "sha256:…")}"""
        self._flush()
        return {eid: (self.counts[eid], "sha256:" + h.hexdigest()) for eid, h in self.hashes.items()}


_NO_ENTRY = object()


def digest_table(conn: sqlite3.Connection, table: str, columns: list[str], types: dict, *,
                 row: str | None = None, digests: RowDigests | None = None) -> dict:
    """Every row of ``table`` digested for its entry (``RowDigests.result()``)
    in one scan: what ``ledger verify`` computes on a second connection while
    the first checks hashes and spans. SQLite joins the canonical rows of
    each run of ``RowDigests.BATCH`` rowids (in rowid order, the order of the
    range scan) into one value, so this thread holds the GIL for a few
    calls per batch: building the rows and hashing them run without it. A
    range whose rows belong to more than one entry is read row by row.
    ``row``: the canonical row's SQL (``row_sql`` unless given: ``digest_scan``
    gives the same text made faster); ``digests``: the ``RowDigests`` to feed."""
    digests = RowDigests() if digests is None else digests
    row = row_sql(columns, types) if row is None else row
    joined = (
        f"SELECT count(*), count(entry_id), min(entry_id), max(entry_id), "
        f"CAST(group_concat({row}, char(10)) || char(10) AS BLOB) FROM [{table}] WHERE rowid BETWEEN ? AND ?"
    )
    rows = f"SELECT entry_id, CAST({row} AS BLOB) FROM [{table}] WHERE rowid BETWEEN ? AND ? ORDER BY rowid"
    start = conn.execute(f"SELECT min(rowid) FROM [{table}]").fetchone()[0]
    while start is not None:
        end = min(start + RowDigests.BATCH - 1, 2**63 - 1)
        n, named, first, last, data = conn.execute(joined, [start, end]).fetchone()
        if named == n and first == last:  # one entry's rows: the usual case
            digests.add_joined(first, data, n)
        else:
            for eid, r in conn.execute(rows, [start, end]):
                digests.add(eid, r)
        # the next rowid present: a gap in the rowids costs one lookup, not one range per 4,096
        start = conn.execute(f"SELECT min(rowid) FROM [{table}] WHERE rowid > ?", [end]).fetchone()[0] if end < 2**63 - 1 else None
    return digests.result()


def _column_groups(db: Database, table: str, bodies: dict[int, dict]) -> dict[tuple, list[int]]:
    """The entries that added rows to ``table``, grouped by the column list they recorded."""
    groups: dict[tuple, list[int]] = {}
    for eid, b in bodies.items():
        spec = b.get(table)
        if isinstance(spec, dict):
            groups.setdefault(tuple(spec.get("columns") or ()), []).append(eid)
    if not groups:  # no entry added rows here: any row naming an entry is extra
        groups[tuple(c for c, _ in table_columns(db, table))] = []
    return groups


def digest_columns(db: Database, table: str, bodies: dict[int, dict]) -> list[str] | None:
    """The column list every entry recorded for ``table``, when they all
    agree: then one scan of the table can digest every row (``RowDigests``);
    None when entries differ (a migration added a column between them)."""
    groups = _column_groups(db, table, bodies)
    return list(next(iter(groups))) if len(groups) == 1 else None
