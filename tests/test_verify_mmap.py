"""``ledger verify`` reads a ledger file through a memory map on its own read
connections (issues 15 and 19: CPU), and leaves the caller's connection as
it found it."""

import sqlite3

from ledger.services import verify as v
from ledger.store.db import open_db


def test_verify_maps_the_file_while_it_runs_and_restores_the_setting(seed_db, monkeypatch):
    seen = []
    real = v._verify

    def spy(db, *args, **kwargs):
        seen.append(db.conn.execute("PRAGMA mmap_size").fetchone()[0])
        return real(db, *args, **kwargs)

    monkeypatch.setattr(v, "_verify", spy)
    db = open_db(seed_db, create=False)
    db.conn.execute("PRAGMA mmap_size = 4096")
    report = v.verify(db)
    assert report["ok"], report["failures"]
    assert seen and seen[0] > 4096  # mapped during verify (SQLite caps the size at its compile-time limit)
    assert db.conn.execute("PRAGMA mmap_size").fetchone()[0] == 4096
    db.close()


def test_the_second_connection_is_mapped_too(seed_db, monkeypatch):
    twins = []
    real = v._twin_reader

    def spy(db, attempts=3):
        twin = real(db, attempts)
        twins.append(twin.execute("PRAGMA mmap_size").fetchone()[0] if twin is not None else None)
        return twin

    monkeypatch.setattr(v, "_twin_reader", spy)
    db = open_db(seed_db, create=False)
    assert v.verify(db)["ok"]
    assert twins and twins[0] > 0
    db.close()


def test_a_database_in_memory_has_no_map_to_set_or_restore():
    # (verify of a ledger in memory: tests/test_verify_parallel.py)
    conn = sqlite3.connect(":memory:")
    assert v._map(conn, v.MMAP_BYTES) is None
