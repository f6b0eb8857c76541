"""`ledger verify` catches what was changed behind the ledger's back: the
tests edit the database file directly with sqlite3, dropping the triggers
first as an attacker would, and expect the right exit code with the claim,
source or entry named."""

import json
import sqlite3

import pytest

from ledger.store import history

from _cli import run

SEED = "sokhonn-plans-china-trip"


def tamper(db_path, *statements, keep_schema=True):
    """Edit the file as an attacker would: drop the triggers that refuse the
    edit, make it, and (``keep_schema``) put the triggers back exactly as
    they were, so that only the rows differ (verify names a missing trigger)."""
    conn = sqlite3.connect(db_path)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    for sql, params in statements:
        conn.execute(sql, params)
    if keep_schema:
        for _, sql in triggers:
            conn.execute(sql)
    conn.commit()
    conn.close()


def one(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def verify_json(db_path, *extra):
    result = run("verify", "--db", db_path, "--json", *extra, ok=False)
    report = json.loads(result.output)
    assert report["exit_code"] == result.exit_code
    return report


@pytest.fixture
def ledger(seed_db):
    """The seed ledger plus one correction and one retraction (three entries)."""
    cid = one(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    run("claim", "supersede", cid, "--db", seed_db, "--value", "60000 seats", "--reason", "misread", "--by", "ed")
    other = one(seed_db, "SELECT id FROM claims WHERE predicate = 'invited_by'")
    run("claim", "retract", other, "--db", seed_db, "--reason", "wrong article", "--by", "ed")
    return seed_db


def test_an_untouched_ledger_verifies(ledger):
    report = verify_json(ledger)
    assert report["ok"] and report["exit_code"] == 0
    assert report["checked"]["entries"] == 3
    assert report["checked"]["head"] == one(ledger, "SELECT hash FROM history WHERE id = 3")


def test_an_edited_claim_value_is_named(ledger):
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET value = 'Premier' WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    items = [f["item"] for f in report["failures"]]
    assert f"claim {cid}" in items
    # issue 14: the span does not say 'Premier' either
    assert {f["kind"] for f in report["failures"]} == {"chain", "support"}
    assert [f["item"] for f in report["failures"] if f["kind"] == "support"] == [cid]


def test_an_edited_claim_note_names_its_entry(ledger):
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET note = 'edited' WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    (f,) = report["failures"]
    assert f["item"] == "entry 1" and "hash to" in f["message"] and "the entry records sha256:" in f["message"]


def test_an_edited_span_is_a_span_failure(ledger):
    """The span text, prefix and suffix are the source's own characters: the
    span check re-reads them from the hash-checked text (the chain covers the
    offsets and the source)."""
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET span_text = 'Premier Wang Yi' WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 3
    # issue 14: the edited span no longer gives the value either
    assert [(f["kind"], f["item"]) for f in report["failures"]] == [("spans", cid), ("support", cid)]
    tamper(ledger, ("UPDATE claims SET span_start = span_start + 1 WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert {(f["kind"], f["item"]) for f in report["failures"]} >= {("spans", cid), ("chain", f"claim {cid}")}


def test_rows_naming_an_entry_that_added_none_are_caught(ledger):
    tamper(ledger, ("UPDATE claim_events SET entry_id = 1 WHERE status = 'retracted'", []))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    messages = " ".join(f["message"] for f in report["failures"])
    assert "entry 1 added 0 claim_events row(s), 1 now name it" in messages


def test_an_edited_source_text_is_a_hash_failure(ledger):
    sid = one(ledger, "SELECT id FROM sources WHERE slug = ?", [SEED])
    tamper(ledger, ("UPDATE sources SET text = replace(text, '60,000', '75,000') WHERE id = ?", [sid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 4
    assert report["failures"][0]["item"] == sid
    assert "expected " + sid in report["failures"][0]["message"]


@pytest.mark.parametrize("deep", [False, True])
def test_a_source_text_stored_as_a_blob_is_a_finding_not_a_traceback(ledger, deep):
    """audit5: the same bytes as a BLOB; the support check read them as the text and raised a TypeError."""
    sid = one(ledger, "SELECT id FROM sources WHERE slug = ?", [SEED])
    tamper(ledger, ("UPDATE sources SET text = CAST(text AS BLOB) WHERE id = ?", [sid]))
    report = verify_json(ledger, *(["--deep"] if deep else []))
    assert report["exit_code"] != 0
    assert sid in {f["item"] for f in report["failures"]}


@pytest.mark.parametrize("sql", [
    "UPDATE sources SET id = CAST(id AS BLOB) WHERE rowid = (SELECT max(rowid) FROM sources)",
    "UPDATE history SET kind = CAST(kind AS BLOB) WHERE id = (SELECT max(id) FROM history)",
    "UPDATE history SET hash = CAST(hash AS BLOB) WHERE id = (SELECT max(id) FROM history)",
], ids=["source_id", "entry_kind", "entry_hash"])
def test_a_key_stored_as_a_blob_gives_a_json_report_not_a_traceback(ledger, sql):
    """audit5: verify --json failed with `Object of type bytes is not JSON serializable` when a failure
    named a row by a value stored as a BLOB."""
    tamper(ledger, (sql, []))
    for extra in ([], ["--deep"]):
        report = verify_json(ledger, *extra)
        assert report["exit_code"] != 0 and report["failures"]


def test_edited_source_metadata_is_a_chain_failure(ledger):
    sid = one(ledger, "SELECT id FROM sources WHERE slug = ?", [SEED])
    tamper(ledger, ("UPDATE sources SET publisher = 'Somebody Else' WHERE id = ?", [sid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    assert any(f["item"] == f"source {sid}" for f in report["failures"])


def test_an_edited_history_entry_is_the_first_broken_link(ledger):
    tamper(ledger, ("UPDATE history SET reason = 'nothing to see' WHERE id = 2", []))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    (f,) = report["failures"]
    assert f["item"] == "entry 2"
    recorded = one(ledger, "SELECT hash FROM history WHERE id = 2")
    assert f"expected the recorded {recorded}" in f["message"]


def test_a_relinked_entry_breaks_the_chain(ledger):
    tamper(ledger, ("UPDATE history SET prev = NULL WHERE id = 3", []))
    items = [f["item"] for f in verify_json(ledger)["failures"]]
    assert items[0] == "entry 3"


def test_a_deleted_claim_is_caught(ledger):
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'meeting' AND subject = 'Prak Sokhonn'")
    tamper(ledger, ("DELETE FROM claims WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    assert any("entry 1 added 40 claims row(s), 39 now name it" in f["message"] for f in report["failures"])


def test_a_claim_slipped_in_behind_the_ledgers_back_is_named(ledger):
    conn = sqlite3.connect(ledger)
    row = conn.execute("SELECT * FROM claims WHERE predicate = 'seating_capacity' AND value = '60,000'").fetchone()
    cols = [d[0] for d in conn.execute("SELECT * FROM claims LIMIT 0").description]
    conn.close()
    forged = dict(zip(cols, row), id="cforged0000000000", value="90,000", entry_id=None)
    tamper(ledger, (f"INSERT INTO claims ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [forged[c] for c in cols]))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    assert any(f["item"] == "claim cforged0000000000" for f in report["failures"])


def test_a_removed_retraction_is_caught(ledger):
    tamper(ledger, ("DELETE FROM claim_events WHERE status = 'retracted'", []))
    report = verify_json(ledger)
    assert report["exit_code"] == 5
    assert any(f["item"] == "entry 3" for f in report["failures"])


def test_a_recomputed_chain_is_caught_by_the_published_head(ledger, workdir):
    """Whoever edits the file can recompute every hash in it; the head
    published before the edit is what catches them."""
    published = json.loads(run("head", "--db", ledger, "--json", "--out", workdir / "cp.json").output)["ledger_head"]["hash"]
    # the attacker edits a retraction's reason and re-seals every entry from there
    conn = sqlite3.connect(ledger)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE history SET reason = 'a better story' WHERE id = 3")
    prev = None
    for id_, kind, at, actor, reason, body in conn.execute("SELECT id, kind, at, actor, reason, body FROM history ORDER BY id").fetchall():
        h = history.entry_hash(id_, kind, at, actor, reason, json.loads(body), prev)
        conn.execute("UPDATE history SET prev = ?, hash = ? WHERE id = ?", [prev, h, id_])
        prev = h
    for _, sql in triggers:  # and leaves the schema as it was
        conn.execute(sql)
    conn.commit()
    conn.close()
    assert run("verify", "--db", ledger).exit_code == 0  # self-consistent again...
    report = verify_json(ledger, "--head", published)  # ...but not what was published
    assert report["exit_code"] == 5
    assert report["failures"][0]["item"] == "head" and published in report["failures"][0]["message"]
    from_file = run("verify", "--db", ledger, "--checkpoint", workdir / "cp.json", ok=False)
    assert from_file.exit_code == 5 and "not in the history" in from_file.output


def test_history_that_only_grew_matches_the_published_head(ledger, workdir):
    published = json.loads(run("head", "--db", ledger, "--json").output)["ledger_head"]["hash"]
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'meeting' AND subject = 'Prak Sokhonn'")
    run("claim", "retract", cid, "--db", ledger, "--reason", "later")
    result = run("verify", "--db", ledger, "--head", published)
    assert "all hold" in result.output
    bad = run("verify", "--db", ledger, "--head", "sha256:" + "0" * 64, ok=False)
    assert bad.exit_code == 5


def test_head_and_checkpoint_together_are_a_usage_error(ledger, workdir):
    run("head", "--db", ledger, "--out", workdir / "cp.json")
    result = run("verify", "--db", ledger, "--head", "x", "--checkpoint", workdir / "cp.json", ok=False)
    assert result.exit_code == 2 and "not both" in result.output


def test_verify_output_names_the_failure(ledger):
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET value = 'Premier' WHERE id = ?", [cid]))
    result = run("verify", "--db", ledger, ok=False)
    assert result.exit_code == 5
    assert f"chain: claim {cid}: its content no longer gives its id" in result.output


def test_verify_as_a_real_process(ledger):
    """The exit code and the named claim, from the installed `ledger` script."""
    import subprocess
    import sys
    from pathlib import Path

    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET value = 'Premier' WHERE id = ?", [cid]))
    bin_ = Path(sys.executable).parent / "ledger"
    proc = subprocess.run([str(bin_), "verify", "--db", str(ledger), "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 5
    report = json.loads(proc.stdout)
    assert any(f["item"] == f"claim {cid}" for f in report["failures"])


# ------------------------------------------------------------------ what the default proves, and what --deep adds


def test_a_reference_to_a_missing_row_is_a_database_failure(ledger):
    """Foreign keys are checked by default: a status event or a correction
    naming a claim that is not there gives exit 6."""
    tamper(ledger, ("UPDATE claim_events SET claim_id = 'cnothere000000000' WHERE status = 'retracted'", []))
    report = verify_json(ledger)
    assert report["exit_code"] == 6 and not report["deep"]
    assert {"kind": "database", "item": "claim_events rowid 2", "message": "refers to a missing row in claims"} in report["failures"]


def test_a_correction_naming_a_missing_claim_is_a_database_failure(ledger):
    new = one(ledger, "SELECT id FROM claims WHERE supersedes IS NOT NULL")
    rowid = one(ledger, "SELECT rowid FROM claims WHERE id = ?", [new])
    tamper(ledger, ("UPDATE claims SET supersedes = 'cnothere000000000' WHERE id = ?", [new]))
    report = verify_json(ledger)
    assert report["exit_code"] == 6
    assert report["failures"][0] == {"kind": "database", "item": f"claims rowid {rowid}", "message": "refers to a missing row in claims"}


def test_a_claim_whose_source_is_gone_is_named(ledger):
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    tamper(ledger, ("UPDATE claims SET source_id = 'nosuchsource' WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 6
    kinds = {(f["kind"], f["message"]) for f in report["failures"] if f["item"] in (cid, f"claim {cid}") or "claims rowid" in f["item"]}
    assert ("spans", "source nosuchsource is not in the ledger") in kinds
    assert ("database", "refers to a missing row in sources") in kinds


def corrupt_index(db_path, index, definition):
    """Make an index disagree with its table, as a damaged file would: its
    stored entries stay, its declared columns change."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", [definition, index])
    conn.commit()
    conn.close()


def test_deep_finds_an_index_that_disagrees_with_its_table(ledger):
    """An index that no longer matches its table misleads queries (a Datasette
    page can miss claims). The default verify names its changed definition
    (the schema check, issue 15); --deep runs SQLite's integrity check, which
    finds its entries disagree with the table."""
    corrupt_index(ledger, "idx_claims_status", "CREATE INDEX idx_claims_status ON claims (subject)")
    report = verify_json(ledger)
    assert report["exit_code"] == 7
    assert [f["item"] for f in report["failures"]] == ["index idx_claims_status"]
    report = verify_json(ledger, "--deep")
    assert report["exit_code"] == 6 and report["deep"]
    messages = [f["message"] for f in report["failures"] if f["item"] == "integrity_check"]
    assert any("idx_claims_status" in m for m in messages)
    result = run("verify", "--db", ledger, "--deep", ok=False)
    assert result.exit_code == 6 and "database: integrity_check: " in result.output


def test_deep_on_a_sound_ledger_passes(ledger):
    report = verify_json(ledger, "--deep")
    assert report["ok"] and report["deep"] and report["exit_code"] == 0


def test_a_damaged_claims_page_is_found_without_deep(ledger):
    """The default pass reads every page of the claims table: a damaged one
    is a database failure (6), not a crash and not a pass."""
    conn = sqlite3.connect(ledger)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'claims'").fetchone()[0]
    conn.close()
    with open(ledger, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff")  # not a b-tree page type
    report = verify_json(ledger)
    assert report["exit_code"] == 6
    assert any(f["kind"] == "database" and "the file is damaged" in f["message"] for f in report["failures"])


def test_a_claim_added_later_to_an_earlier_source_is_checked(ledger):
    """The pass reads sources beside claims in storage order; a correction
    recorded later on the first source lies behind that scan and is checked
    against its text all the same."""
    first = one(ledger, "SELECT id FROM sources ORDER BY rowid LIMIT 1")
    old = one(ledger, "SELECT id FROM claims WHERE source_id = ? AND supersedes IS NULL ORDER BY rowid LIMIT 1", [first])
    out = json.loads(run("claim", "supersede", old, "--db", ledger, "--confidence", "0.51", "--reason", "r", "--json").output)
    new = out["new"]
    assert one(ledger, "SELECT max(rowid) FROM claims") == one(ledger, "SELECT rowid FROM claims WHERE id = ?", [new])
    assert one(ledger, "SELECT count(*) FROM sources WHERE rowid > (SELECT rowid FROM sources WHERE id = ?)", [first]) > 0
    assert verify_json(ledger)["ok"]
    tamper(ledger, ("UPDATE claims SET suffix = 'x' || suffix WHERE id = ?", [new]))
    start, end = one(ledger, "SELECT span_start FROM claims WHERE id = ?", [new]), one(ledger, "SELECT span_end FROM claims WHERE id = ?", [new])
    report = verify_json(ledger)
    assert report["exit_code"] == 3
    assert report["failures"] == [
        {"kind": "spans", "item": new, "message": f"the stored suffix does not match the text after [{start}:{end}]"}
    ]


def test_a_claim_naming_a_missing_entry_is_a_database_failure(ledger):
    """claims.entry_id is a foreign key: the pass checks it without
    foreign_key_check (exit 6, as a missing source is)."""
    cid = one(ledger, "SELECT id FROM claims WHERE predicate = 'title' AND subject = 'Wang Yi'")
    rowid = one(ledger, "SELECT rowid FROM claims WHERE id = ?", [cid])
    tamper(ledger, ("UPDATE claims SET entry_id = 99 WHERE id = ?", [cid]))
    report = verify_json(ledger)
    assert report["exit_code"] == 6
    assert report["failures"][0] == {"kind": "database", "item": f"claims rowid {rowid}", "message": "refers to a missing row in history"}
    assert any(f["item"] == f"claim {cid}" and "names history entry 99, which does not exist" in f["message"] for f in report["failures"])
