"""Sources inserted many to a statement (issue 19): every check of one-by-one `add_source`, also
against the sources before a source in the same batch, with the same errors and the same rows."""

from __future__ import annotations

import pytest

from ledger.core.errors import InvalidSource
from ledger.core.source import Source
from ledger.store.db import open_db, write
from ledger.store.writer import add_source, add_sources


def batch() -> list[Source]:
    return [
        Source("alpha", "Alpha text.", title="A"),
        Source("beta", "Beta text.", authors=["X", "Y"]),
        Source("gamma", "Alpha text."),  # the same text as alpha, earlier in the batch
        Source("alpha@2", "Alpha, second revision."),
        Source("alpha@4", "Alpha, fourth revision."),  # revision 3 is missing
        Source("delta@2", "Delta, second revision."),  # delta is held nowhere
        Source("beta", "Beta text."),  # the same source again: nothing to add
        Source("beta", "Beta, changed."),  # a changed text under a slug earlier in the batch
        Source("alpha@3", "Alpha, third revision."),
        Source("alpha@4", "Alpha, fourth revision."),  # now in order
    ]


def one_by_one(db) -> list:
    out = []
    for s in batch():
        try:
            out.append(add_source(db, s))
        except InvalidSource as e:
            out.append(e)
    return out


def rows(db) -> list[tuple]:
    return db.execute("SELECT rowid, * FROM sources ORDER BY rowid").fetchall()


def test_batch_checks_against_earlier_sources_in_it(tmp_path):
    singly, batched = open_db(tmp_path / "singly.db"), open_db(tmp_path / "batched.db")
    with write(singly, "source"):
        expected = one_by_one(singly)
    with write(batched, "source"):
        got = add_sources(batched, batch())
    assert [type(r) for r in got] == [type(r) for r in expected]
    assert [str(r) for r in got] == [str(r) for r in expected]
    assert got[:2] == [True, True] and got[6] is False and got[8:] == [True, True]
    assert "has the same text as 'alpha'" in str(got[2])
    assert "holds revisions up to 2: add alpha@3 first" in str(got[4])
    assert "which the ledger does not hold" in str(got[5])
    assert "already in the ledger with a different text" in str(got[7])
    assert rows(batched) == rows(singly)
    assert [r[0] for r in batched.execute("SELECT slug FROM sources ORDER BY rowid")] == ["alpha", "beta", "alpha@2", "alpha@3", "alpha@4"]
    # the full-text index holds each added source once
    assert batched.execute("SELECT count(*) FROM sources_fts WHERE sources_fts MATCH 'alpha'").fetchone()[0] == 4


def test_batch_checks_against_the_ledger(tmp_path):
    db = open_db(tmp_path / "l.db")
    with write(db, "source"):
        assert add_sources(db, batch()[:2]) == [True, True]
    with write(db, "source"):
        got = add_sources(db, [Source("alpha", "Alpha text."), Source("alpha", "Alpha, other."),
                               Source("alpha@3", "Alpha three.")])
    assert got[0] is False
    assert "restore alpha.txt and add the new text as revision 2" in str(got[1])
    assert "holds revisions up to 1: add alpha@2 first" in str(got[2])
    with write(db, "source"), pytest.raises(InvalidSource, match="same text as 'beta'"):
        add_source(db, Source("beta2", "Beta text."))


def test_a_batch_keeps_within_the_connections_variable_limit(tmp_path):
    """audit5: 500 rows of ~20 values is 10,000 variables; SQLite before 3.32 allows 999 by default, and a
    connection may be given a lower limit. The batch splits to fit, as the claims insert does."""
    import sqlite3

    db = open_db(tmp_path / "l.db")
    db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    sources = [Source(f"s{i}", f"Text number {i}.") for i in range(120)]
    with write(db, "source"):
        assert add_sources(db, sources) == [True] * 120
    assert db.execute("SELECT count(*) FROM sources").fetchone()[0] == 120
    assert db.execute("SELECT count(*) FROM sources_fts WHERE sources_fts MATCH 'number'").fetchone()[0] == 120
