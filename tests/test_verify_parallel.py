"""`ledger verify` computes the row digests on a second connection in a
thread, beside the pass over hashes and spans: both connections must read
the same snapshot, and the report must be the one a single pass gives."""

import json
import sqlite3

import pytest
from sqlite_utils import Database

from ledger.services import verify as v
from ledger.store.db import open_db

from _cli import run
from test_verify import one
from test_verify import tamper as tamper_all


def tamper(db_path, sql, params=()):
    """One statement behind the ledger's back (test_verify.tamper takes several)."""
    tamper_all(db_path, (sql, params))


def one_thread(db_path, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setenv("LEDGER_VERIFY_THREADS", "1")
        return verify_file(db_path)


def verify_file(db_path) -> dict:
    db = open_db(db_path, create=False)
    try:
        return v.verify(db)
    finally:
        db.close()


@pytest.fixture
def digester_runs(monkeypatch):
    """How many times the digest thread ran."""
    runs = []
    real = v._Digester.run

    def counted(self):
        runs.append(self.name)
        real(self)

    monkeypatch.setattr(v._Digester, "run", counted)
    return runs


@pytest.fixture
def write_between(seed_db, monkeypatch):
    """Open the ledger and arrange for ``writes`` (callables, each writing
    from a connection of its own) to land one per attempt after verify's
    main connection began its snapshot and before the second connection
    began its own; returns the database and the list of the main
    connection's begins."""
    real = v._begin

    def arrange(*writes):
        db = open_db(seed_db, create=False)
        pending, begins = list(writes), []

        def begin(conn):
            version = real(conn)
            if conn is db.conn:
                begins.append(conn)
                if pending:
                    pending.pop(0)()
            return version

        monkeypatch.setattr(v, "_begin", begin)
        return db, begins

    return arrange


def test_the_row_digests_run_in_a_second_thread_with_the_same_report(seed_db, digester_runs, monkeypatch):
    report = verify_file(seed_db)
    assert digester_runs == ["ledger-verify-digests"]
    assert report["ok"] and report == one_thread(seed_db, monkeypatch)
    assert digester_runs == ["ledger-verify-digests"]  # one thread: no digest thread


@pytest.mark.parametrize(
    "edit, code",
    [
        ("UPDATE claims SET value = 'edited' WHERE predicate = 'seating_capacity'", 5),
        ("UPDATE claims SET span_text = 'edited' WHERE predicate = 'seating_capacity'", 3),
        ("UPDATE sources SET text = text || ' ' WHERE rowid = 1", 4),
        ("UPDATE sources SET slug = 'renamed' WHERE rowid = 1", 5),
        ("DELETE FROM claims WHERE predicate = 'seating_capacity'", 5),
        ("UPDATE claims SET entry_id = 99 WHERE predicate = 'seating_capacity'", 6),
    ],
)
def test_two_threads_report_what_one_pass_reports(seed_db, digester_runs, monkeypatch, edit, code):
    tamper(seed_db, edit)
    report = verify_file(seed_db)
    assert digester_runs
    assert report["exit_code"] == code
    assert report == one_thread(seed_db, monkeypatch)


def test_a_ledger_write_between_the_two_snapshots_is_no_false_failure(seed_db, write_between, digester_runs, monkeypatch):
    """A claim corrected (a new history entry, its claim and event rows) after
    the main connection's snapshot began and before the second connection's:
    the second would digest a claim row of an entry the first cannot see. The
    snapshots are compared, found different, and taken again: the report is
    the one-pass report of the later state, not a mix."""
    cid = one(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    correct = ("claim", "supersede", cid, "--db", seed_db, "--confidence", "0.5", "--reason", "misread", "--by", "ed")
    db, begins = write_between(lambda: run(*correct))
    report = v.verify(db)
    assert report["ok"], report["failures"]
    assert report["checked"]["entries"] == 2
    assert report == one_thread(seed_db, monkeypatch)
    assert len(begins) == 2  # the first pair differed, the second matched
    assert digester_runs


def test_an_edit_behind_the_ledgers_back_between_the_two_snapshots_is_not_missed(seed_db, write_between, digester_runs, monkeypatch):
    """An edit that opens no history entry (so the history heads agree) still
    changes PRAGMA data_version: the snapshots are taken again and both see it."""
    cid = one(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    db, begins = write_between(lambda: tamper(seed_db, "UPDATE claims SET value = 'edited' WHERE id = ?", [cid]))
    report = v.verify(db)
    assert report["exit_code"] == 5
    assert any(f["item"] == f"claim {cid}" for f in report["failures"])
    assert report == one_thread(seed_db, monkeypatch)
    assert len(begins) == 2
    assert digester_runs


def test_an_edit_undone_between_the_two_snapshots_is_checked_on_one_of_them(seed_db, write_between, monkeypatch):
    """Edited before verify began, restored between the two starts: the report
    is the one of a single snapshot (the restored ledger), not a mix."""
    old = one(seed_db, "SELECT value FROM claims WHERE predicate = 'seating_capacity'")
    tamper(seed_db, "UPDATE claims SET value = 'edited' WHERE predicate = 'seating_capacity'")
    db, begins = write_between(lambda: tamper(seed_db, "UPDATE claims SET value = ? WHERE predicate = 'seating_capacity'", [old]))
    report = v.verify(db)
    assert report["ok"], report["failures"]
    assert report == one_thread(seed_db, monkeypatch)
    assert len(begins) == 2


def test_writes_that_keep_landing_fall_back_to_one_pass(seed_db, write_between, digester_runs, monkeypatch):
    cid = one(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    edits = [lambda i=i: tamper(seed_db, "UPDATE claims SET note = ? WHERE id = ?", [f"edit {i}", cid]) for i in range(3)]
    db, begins = write_between(*edits)
    report = v.verify(db)
    assert len(begins) == 4  # three pairs differed; then the main connection alone
    assert digester_runs == []
    assert report["exit_code"] == 5
    assert report == one_thread(seed_db, monkeypatch)


def test_one_thread_on_request(seed_db, digester_runs, monkeypatch):
    monkeypatch.setenv("LEDGER_VERIFY_THREADS", "1")
    result = run("verify", "--db", seed_db, "--json")
    assert json.loads(result.output)["ok"]
    assert digester_runs == []


def test_an_in_memory_ledger_is_verified_on_one_connection(seed_db, digester_runs, monkeypatch):
    src = sqlite3.connect(seed_db)
    mem = Database(memory=True)
    src.backup(mem.conn)
    src.close()
    report = v.verify(mem)
    assert digester_runs == []
    assert report == one_thread(seed_db, monkeypatch)
    assert report["ok"]


def test_a_caller_s_open_transaction_is_verified_on_one_connection(seed_db, digester_runs):
    db = open_db(seed_db, create=False)
    db.conn.execute("BEGIN")
    try:
        assert v.verify(db)["ok"]
        assert db.conn.in_transaction
    finally:
        db.conn.execute("ROLLBACK")
        db.close()
    assert digester_runs == []


def test_rows_far_apart_in_rowid_are_digested_as_one_pass_does(seed_db, digester_runs, monkeypatch):
    """The digest thread reads rowid ranges; a claim moved to a far rowid
    (behind the ledger's back) costs one lookup, and is found as the one
    pass finds it."""
    tamper(seed_db, "UPDATE claims SET rowid = 9223372036854775807 WHERE predicate = 'seating_capacity'")
    report = verify_file(seed_db)
    assert digester_runs
    assert not report["ok"]
    assert report == one_thread(seed_db, monkeypatch)
