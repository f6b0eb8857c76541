"""Issue 15: the changes an outside battery found `ledger verify` missed, each
made to the file behind the ledger's back and each now a named finding."""

import math
import sqlite3

import pytest

from _cli import run
from test_verify import one, tamper, verify_json


@pytest.fixture
def reviewed(seed_db):
    """The seed ledger with one review (a verdict of False) and one retraction."""
    cid = one(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    run("review", "add", cid, "--db", seed_db, "--rating", "False", "--reviewer", "Example Fact Check",
        "--url", "https://factcheck.example.org/stadium", "--date", "2024-12-05")
    other = one(seed_db, "SELECT id FROM claims WHERE predicate = 'invited_by'")
    run("claim", "retract", other, "--db", seed_db, "--reason", "wrong article", "--by", "ed")
    return seed_db


def items(report):
    return [f["item"] for f in report["failures"]]


def test_the_untouched_ledger_verifies_deep(reviewed):
    report = verify_json(reviewed, "--deep")
    assert report["ok"], report["failures"]


def test_a_review_is_a_history_entry(reviewed):
    rid = one(reviewed, "SELECT id FROM reviews")
    eid = one(reviewed, "SELECT entry_id FROM reviews WHERE id = ?", [rid])
    assert one(reviewed, "SELECT kind FROM history WHERE id = ?", [eid]) == "review"
    assert one(reviewed, "SELECT actor FROM history WHERE id = ?", [eid]) == "Example Fact Check"


def test_a_changed_verdict_is_caught(reviewed):
    tamper(reviewed, ("UPDATE reviews SET rating = 'True'", []))
    report = verify_json(reviewed, "--deep")
    assert report["exit_code"] == 5
    assert any("reviews rows of entry 2" in f["message"] for f in report["failures"])


def test_a_deleted_review_is_caught(reviewed):
    tamper(reviewed, ("DELETE FROM reviews", []))
    report = verify_json(reviewed, "--deep")
    assert report["exit_code"] == 5
    assert any("entry 2 added 1 reviews row(s), 0 now name it" in f["message"] for f in report["failures"])


def test_a_dropped_trigger_is_named(reviewed):
    tamper(reviewed, keep_schema=False)
    report = verify_json(reviewed)
    assert report["exit_code"] == 7
    assert "trigger claims_no_update" in items(report) and "trigger reviews_no_delete" in items(report)
    assert all(f["kind"] == "schema" for f in report["failures"])


def test_a_redefined_view_is_named(reviewed):
    """current_claims redefined to show the retracted claim as current."""
    conn = sqlite3.connect(reviewed)
    conn.execute("DROP VIEW current_claims")
    conn.execute("CREATE VIEW current_claims AS SELECT c.* FROM claims c")
    conn.commit()
    conn.close()
    report = verify_json(reviewed)
    assert report["exit_code"] == 7
    assert items(report) == ["view current_claims"] and "redefined" in report["failures"][0]["message"]


def test_an_added_trigger_is_named(reviewed):
    conn = sqlite3.connect(reviewed)
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON claims BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    assert items(verify_json(reviewed)) == ["trigger sneaky"]


@pytest.mark.parametrize(
    "sql, item",
    [
        ("UPDATE facts SET claim_count = claim_count + 1 WHERE fact_key = (SELECT min(fact_key) FROM facts)", "derived table facts"),
        ("UPDATE facts SET subject = 'Someone Else' WHERE fact_key = (SELECT min(fact_key) FROM facts)", "derived table facts"),
        ("DELETE FROM claim_values WHERE rowid = (SELECT min(rowid) FROM claim_values)", "derived table claim_values"),
        ("DELETE FROM source_shingles WHERE hash = (SELECT min(hash) FROM source_shingles)", "derived table source_shingles"),
        ("UPDATE facet_counts SET count = count + 1 WHERE (tbl, col, value) = (SELECT tbl, col, value FROM facet_counts WHERE count > 0 LIMIT 1)", None),
        ("DELETE FROM claims_fts_data WHERE id = (SELECT max(id) FROM claims_fts_data)", "full-text index claims_fts"),
    ],
    ids=["facts", "facts_subject", "claim_values", "shingles", "facet_counts", "fts"],
)
def test_deep_recomputes_every_derived_table(reviewed, sql, item):
    tamper(reviewed, (sql, []))
    assert verify_json(reviewed)["exit_code"] == 0  # not covered by the default pass
    report = verify_json(reviewed, "--deep")
    assert report["exit_code"] in (6, 8), report["failures"]
    found = [f for f in report["failures"] if f["kind"] == "derived"]
    if item is None:
        assert any(f["item"].startswith("facet counts ") for f in found)
    else:
        assert item in [f["item"] for f in found] or report["exit_code"] == 6


def test_a_confidence_changed_by_one_floating_point_step_is_caught(reviewed):
    cid, conf = sqlite3.connect(reviewed).execute("SELECT id, confidence FROM claims LIMIT 1").fetchone()
    tamper(reviewed, ("UPDATE claims SET confidence = ? WHERE id = ?", [math.nextafter(conf, 0), cid]))
    report = verify_json(reviewed)
    assert report["exit_code"] == 5
    assert f"claim {cid}" in items(report) or "entry 1" in items(report)


def test_a_span_stored_as_a_blob_is_a_finding_not_a_traceback(reviewed):
    cid = one(reviewed, "SELECT id FROM claims LIMIT 1")
    tamper(reviewed, ("UPDATE claims SET span_text = CAST(span_text AS BLOB) WHERE id = ?", [cid]))
    result = run("verify", "--db", reviewed, ok=False)
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert f"spans: {cid}: span_text is stored as BLOB, not TEXT" in result.output
    report = verify_json(reviewed, "--deep")  # --deep checks every value's type
    assert report["exit_code"] == 7
    msgs = [f["message"] for f in report["failures"] if f["item"] == f"claim {cid}"]
    assert any("claims.span_text holds a BLOB value where the schema declares TEXT" in m for m in msgs)


@pytest.mark.parametrize("column, value", [("span_end", "x"), ("subject", b"blob"), ("occurrence", "second")])
def test_a_value_of_the_wrong_type_is_a_finding(reviewed, column, value):
    cid = one(reviewed, "SELECT id FROM claims LIMIT 1")
    tamper(reviewed, (f"UPDATE claims SET {column} = ? WHERE id = ?", [value, cid]))
    assert verify_json(reviewed)["exit_code"] in (3, 5)  # found where the default pass reads it
    report = verify_json(reviewed, "--deep")
    assert report["exit_code"] == 7
    assert f"claim {cid}" in items(report)


def test_random_tamperings_are_all_caught_and_clean_writes_pass(seed_db, tmp_path):
    """A quick run of bench/tamper.py's battery on the seed ledger (the full
    run, 1,000 tamperings of a 10k-claim ledger, is in RELIABILITY.md)."""
    import random

    from bench import tamper as battery

    pristine = battery.prepare(seed_db, tmp_path / "pristine.db", seed=15)
    rng = random.Random(15)
    results = []
    while len(results) < 16:
        r = battery.run_one(pristine, tmp_path / "t.db", rng)
        if r and r["effective"]:
            results.append(r)
    assert [r["what"] for r in results if not r["caught"]] == []
    assert {r["kind"] for r in results} >= {"row", "view", "trigger", "index", "derived"}
    clean = [battery.clean_run(pristine, tmp_path / "c.db", rng, deep=(i == 0)) for i in range(3)]
    assert all(c["ok"] for c in clean), clean


def test_reviews_recorded_before_m080_join_the_history_and_old_heads_stay(workdir, monkeypatch):
    """A ledger migrated up to just before m080, with a review recorded the
    old way (no entry): after m080 the review is covered by an appended
    `migrate` entry, verify passes, and the head published before still is in the chain."""
    from ledger.store import derived

    from sqlite_utils import Database

    from ledger.store import history
    from ledger.services import claimreview
    from ledger.store.db import open_db
    from ledger.services.ingest import build
    from ledger.store.migrations import migrations

    path = workdir / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(db, stop_before="m080_reviews_in_history")
    # today's comparison refresh reads columns a later migration adds (m120's entities.part_of): the
    # pre-m080 ledger is built without it, as the code of that time built it without those columns
    with monkeypatch.context() as m:
        m.setattr(derived, "refresh", lambda db, **kw: {})
        build(db, workdir / "sources", workdir / "claims")
    cid = db.execute("SELECT id FROM claims LIMIT 1").fetchone()[0]
    row = claimreview.make_review(db, claim=cid, rating="False", reviewer="Old Desk", url="https://example.org/r",
                                  date="2024-01-02", recorded_at="2024-01-02T00:00:00+00:00")
    db["reviews"].insert(row)  # as the code before issue 15 did: no entry
    published = history.head(db)["hash"]
    db.close()
    db = open_db(path)  # applies m080 (and later migrations)
    assert db.execute("SELECT kind, at FROM history ORDER BY id DESC LIMIT 1").fetchone() == ("migrate", None)
    assert db.execute("SELECT entry_id FROM reviews").fetchone()[0] == history.head(db)["entry"]
    db.close()
    report = verify_json(path, "--head", published)
    assert report["ok"], report["failures"]
    tamper(path, ("UPDATE reviews SET rating = 'True'", []))
    assert verify_json(path)["exit_code"] == 5


def test_the_migration_record_and_its_index_are_part_of_the_schema(reviewed):
    conn = sqlite3.connect(reviewed)
    conn.execute('DROP INDEX "idx__sqlite_migrations_migration_set_name"')
    conn.commit()
    conn.close()
    report = verify_json(reviewed)
    assert report["exit_code"] == 7 and items(report) == ["index idx__sqlite_migrations_migration_set_name"]
