"""The row digests verify computes (``ledger.store.digest_scan``, issues 15
and 19) are the bytes ``rows.digest_table`` computes: the exact text of a
REAL looked up among a table's common values must be ``exact_real``'s text
for every stored value, whatever its type, and a changed value must still
change the digest."""

import math
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.services import verify as v
from ledger.store import digest_scan, history, rows
from ledger.store.db import open_db

from test_verify import tamper

DOUBLES = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
# values a REAL column can hold or be given: doubles, the usual short decimals, their neighbours, other types
VALUES = st.one_of(
    DOUBLES,
    st.integers(0, 100).map(lambda n: n / 100),
    st.integers(0, 100).map(lambda n: math.nextafter(n / 100, 2)),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from(["0.5", "abc", "", b"\x00", b"0.5", None, 0.0, -0.0, 2.0**53, 2**53 + 1]),
)


def looked_up(values: list, declared: str = "REAL") -> list[tuple]:
    """(the lookup's text, exact_real's text) of every value stored in a column of type ``declared``."""
    conn = sqlite3.connect(":memory:")
    history.register_functions(conn)
    conn.execute(f"CREATE TABLE t (x {declared})")
    conn.executemany("INSERT INTO t VALUES (?)", [(x,) for x in values])
    common = digest_scan.common_reals(conn, "t", "x")
    assert 0 not in common and all(isinstance(c, float) and abs(c) < 2**53 for c in common)
    sql = digest_scan.exact_real_lookup_sql("x", common)
    return conn.execute(f"SELECT {sql}, ledger_real(x) FROM t ORDER BY rowid").fetchall()


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=60), st.sampled_from(["REAL", "", "TEXT", "INTEGER"]))
def test_the_looked_up_text_is_exact_real_for_every_value(values, declared):
    for fast, python in looked_up(values * 2, declared):  # twice: every value is common enough to be looked up
        assert fast == python


def test_common_values_are_looked_up_and_the_rest_computed():
    values = [0.85] * 5 + [0.9] * 3 + [-0.0, 0.0, 1.0, 0.1 + 0.2, 1e-05, 5, "0.85", b"\x01"]
    got = [fast for fast, _ in looked_up(values)]  # SQLite stores -0.0 as 0.0
    assert got == ["0.85"] * 5 + ["0.9"] * 3 + ["0.0", "0.0", "1.0", "0.30000000000000004", "1e-05", "5.0", "0.85", "blob:01"]
    # in a column of no affinity a TEXT '0.85' stays text and is never taken for the number
    got = [fast for fast, _ in looked_up([0.85, 0.85, "0.85"], "")]
    assert got == ["0.85", "0.85", "text:0.85"]


def test_the_lookup_is_used_and_only_for_the_sampled_values():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x REAL)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n / 100,) for n in range(100)] * 2)
    common = digest_scan.common_reals(conn, "t", "x")
    assert len(common) == digest_scan.COMMON_VALUES and 0.0 not in common
    sql = digest_scan.exact_real_lookup_sql("x", common)
    assert sql.startswith("coalesce(CASE WHEN +x < ") and sql.endswith(f", {rows.exact_real_sql('x')})")


def _columns(db, table):
    bodies = history.read_chain(db)[1]
    return history.digest_columns(db, table, bodies)


@pytest.mark.parametrize("table", ["sources", "claims"])
def test_a_table_s_digests_are_rows_digest_table_s(seed_db, table):
    db = open_db(seed_db, create=False)
    history.register_functions(db.conn)
    cols = _columns(db, table)
    types = v._types(db, table)
    assert digest_scan.digest_table(db.conn, table, cols, types) == rows.digest_table(db.conn, table, cols, types)
    db.close()


def test_awkward_confidences_digest_alike_and_one_step_is_caught(seed_db):
    """Confidences the lookup holds and ones it does not, each changed by one
    floating-point step behind the ledger's back: the digests still equal
    rows.digest_table's and verify reports the chain broken."""
    db = open_db(seed_db, create=False)
    cid, conf = db.execute("SELECT id, confidence FROM claims ORDER BY rowid LIMIT 1").fetchone()
    common = digest_scan.common_reals(db.conn, "claims", "confidence")
    assert conf in common  # the seed ledger's usual value is looked up
    db.close()
    tamper(seed_db, ("UPDATE claims SET confidence = ? WHERE id = ?", [math.nextafter(conf, 0), cid]))
    db = open_db(seed_db, create=False)
    history.register_functions(db.conn)
    cols, types = _columns(db, "claims"), v._types(db, "claims")
    assert digest_scan.digest_table(db.conn, "claims", cols, types) == rows.digest_table(db.conn, "claims", cols, types)
    report = v.verify(db)
    assert [f["kind"] for f in report["failures"]] == ["chain"], report["failures"]
    db.close()
