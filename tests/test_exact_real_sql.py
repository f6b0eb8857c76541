"""A REAL column's exact digest form (issue 15) computed in SQL where that is
exact (``history.exact_real_sql``) must be the text the Python function
``ledger_real`` (``repr``) gives, for every double: otherwise digests recorded
before the SQL form would no longer verify, or two doubles could share a text."""

import math
import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.store import history, rows
from ledger.services import verify as v
from ledger.store.db import open_db
from ledger.services.ingest import build

from test_verify import tamper


CALLS: list = []  # the values the Python function was called with


def counted(x):
    CALLS.append(x)
    return history.exact_real(x)


def connection() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.create_function("ledger_real", 1, counted, deterministic=True)
    conn.execute("CREATE TABLE t (x REAL)")
    return conn


CONN = connection()  # one connection: its statement cache keeps the long expression prepared
SQL = f"SELECT {history.exact_real_sql('x')}, ledger_real(x), x FROM t"


def both(value, conn=CONN):
    """(the SQL form, the Python function, the value as stored) for ``value`` in a REAL column."""
    conn.execute("DELETE FROM t")
    conn.execute("INSERT INTO t VALUES (?)", [value])
    CALLS.clear()
    return conn.execute(SQL).fetchone()


@settings(max_examples=1500, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True))
def test_the_sql_form_is_repr_for_every_double(x):
    fast, python, stored = both(x)
    assert fast == python
    if stored is not None:  # SQLite stores NaN as NULL, and -0.0 as 0 (what every digest of it has read)
        assert fast == repr(stored)


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 10**15 - 1), st.integers(0, 18), st.booleans())
def test_short_decimals_take_the_sql_path_and_give_repr(s, j, negative):
    """Decimals of up to 15 digits, the usual values (0.85), the boundaries of
    repr's positional form included."""
    x = (-1 if negative else 1) * s / 10**j
    fast, python, stored = both(x)
    assert fast == python == repr(stored)
    # the query's own ledger_real(x) column is one call; the SQL form adds none where it is exact
    assert len(CALLS) == (1 if 1e-4 <= abs(x) < 1e15 else 2)


@pytest.mark.parametrize("x", [
    0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
    1e-4, 0.00010000000000000002, 9.999999999999999e-05, 1e-05, 1e15, 999999999999999.9, 999999999999999.0,
    1e16, 0.1 + 0.2, 1 / 3, 2 / 3, 0.95, 0.5, 1.0, 100.0, 12345678901234.5, 0.12345678901234568,
    9007199254740993.0, math.pi, math.inf, -math.inf,
])
def test_edge_values(x):
    fast, python, stored = both(x)
    assert fast == python


@pytest.mark.parametrize("stored", [1, -7, 2**53, 2**60, "0.5", b"\x00\x01", None])
def test_a_value_of_another_type_is_tagged_as_before(stored):
    conn = sqlite3.connect(":memory:")
    history.register_functions(conn)
    conn.execute("CREATE TABLE t (x)")  # no affinity: the value keeps its type
    fast, python, _ = both(stored, conn)
    assert fast == python


def test_the_usual_value_does_not_call_python():
    """0.85 and the like are written by SQLite alone (the point of the SQL
    form: verify's digest thread need not take the GIL per row); a 17-digit
    value still goes to Python."""
    conn = connection()
    conn.executemany("INSERT INTO t VALUES (?)", [(0.85,), (0.9,), (1.0,), (0.1 + 0.2,)])
    CALLS.clear()
    rows = [r[0] for r in conn.execute(f"SELECT {history.exact_real_sql('x')} FROM t ORDER BY rowid")]
    assert rows == ["0.85", "0.9", "1.0", "0.30000000000000004"]
    assert CALLS == [0.1 + 0.2]


AWKWARD = ["0.30000000000000004", "0.3333333333333333", "1e-05", "0.0", "1.0", "5e-324", "0.12345678901234568", "0.0001"]


def test_a_ledger_digested_by_the_python_function_still_verifies(workdir, monkeypatch):
    """A ledger whose entries were sealed when every REAL went through
    ledger_real (before the SQL form) verifies with the SQL form: the
    digests did not change, so history heads did not either."""
    claims = workdir / "claims" / "hun-sen-meets-xi.yml"
    text = claims.read_text(encoding="utf-8")
    values = iter(AWKWARD * 10)
    claims.write_text(re.sub(r"confidence: [0-9.]+", lambda m: f"confidence: {next(values)}", text), encoding="utf-8")
    path = workdir / "ledger.db"
    with monkeypatch.context() as m:
        m.setattr(rows, "exact_real_sql", lambda q: f"ledger_real({q})")  # where row_sql reads it
        db = open_db(path)
        build(db, workdir / "sources", workdir / "claims")
        old_head = history.head(db)["hash"]
        db.close()
    db = open_db(path, create=False)
    stored = {repr(r[0]) for r in db.execute("SELECT confidence FROM claims")}
    assert {"0.30000000000000004", "1e-05", "5e-324"} <= stored
    report = v.verify(db, head=old_head)
    assert report["ok"], report["failures"]
    db.close()
    # and one floating-point step is still caught, by the entry's digest
    tamper(path, ("UPDATE claims SET confidence = ? WHERE confidence = ?", [math.nextafter(0.1 + 0.2, 1), 0.1 + 0.2]))
    db = open_db(path, create=False)
    report = v.verify(db)
    assert [f["kind"] for f in report["failures"]] == ["chain"], report["failures"]
