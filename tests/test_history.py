"""The append-only history: entries, the hash chain, supersede and retract."""

import json
import sqlite3

import pytest

from ledger.store import history
from ledger.store.db import open_db, write_transaction
from ledger.services.ingest import build

from _cli import q, run

SEED = "sokhonn-plans-china-trip"


def stadium_claim(db_path) -> str:
    return q(db_path, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")[0][0]


def test_build_is_one_entry_covering_every_row(seed_db):
    entries = q(seed_db, "SELECT id, kind, at, actor, body, prev FROM history")
    assert len(entries) == 1
    id_, kind, at, actor, body, prev = entries[0]
    assert (id_, kind, at, actor, prev) == (1, "build", None, None, None)
    body = json.loads(body)
    assert body["claims"]["count"] == q(seed_db, "SELECT count(*) FROM claims")[0][0] == 40
    assert body["sources"]["count"] == 2
    assert q(seed_db, "SELECT DISTINCT entry_id FROM claims") == [(1,)]
    assert q(seed_db, "SELECT DISTINCT entry_id FROM sources") == [(1,)]


def test_build_is_deterministic_and_a_second_build_adds_no_entry(workdir):
    heads = []
    for name in ("a.db", "b.db"):
        db = open_db(workdir / name)
        build(db, "sources", "claims")
        heads.append(history.head(db)["hash"])
        build(db, "sources", "claims")
        assert db.execute("SELECT count(*) FROM history").fetchone()[0] == 1
        db.close()
    assert heads[0] == heads[1]
    assert heads[0].startswith("sha256:") and len(heads[0]) == 71


@pytest.mark.parametrize("table", ["claims", "sources", "history", "claim_events"])
def test_triggers_refuse_update_and_delete(seed_db, table):
    run("claim", "retract", "--db", seed_db, stadium_claim(seed_db), "--reason", "test")
    conn = sqlite3.connect(seed_db)
    first = conn.execute(f"SELECT rowid FROM {table} LIMIT 1").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"UPDATE {table} SET rowid = rowid WHERE rowid = ?", [first])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", [first])
    conn.close()


def test_entry_hash_covers_a_type_tag_and_the_previous_hash():
    a = history.entry_hash(2, "retract", "2026-01-01T00:00:00+00:00", "me", "why", {"x": 1}, "sha256:" + "0" * 64)
    assert a == history.entry_hash(2, "retract", "2026-01-01T00:00:00+00:00", "me", "why", {"x": 1}, "sha256:" + "0" * 64)
    assert a != history.entry_hash(2, "retract", "2026-01-01T00:00:00+00:00", "me", "why", {"x": 1}, "sha256:" + "1" * 64)
    assert a != history.entry_hash(3, "retract", "2026-01-01T00:00:00+00:00", "me", "why", {"x": 1}, "sha256:" + "0" * 64)
    with pytest.raises(TypeError):
        history.canonical_json({"score": 0.5})  # numbers in bodies are integers only


def test_claim_add_is_an_entry_with_who_and_when(seed_db):
    run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Wang Yi", "--predicate", "role",
        "--value", "foreign minister", "--quote", "foreign minister Wang Yi", "--confidence", "0.9",
        "--recorded-by", "Dara",
    )
    kind, at, actor, body = q(seed_db, "SELECT kind, at, actor, body FROM history WHERE id = 2")[0]
    assert (kind, actor) == ("claim add", "Dara")
    assert at.startswith("20")
    assert json.loads(body)["claims"]["count"] == 1
    assert q(seed_db, "SELECT entry_id FROM claims WHERE predicate = 'role' AND value = 'foreign minister'") == [(2,)]
    assert run("verify", "--db", seed_db).exit_code == 0


def test_failed_and_dry_run_imports_add_no_entry(seed_db, workdir):
    bad = workdir / "bad.yml"
    bad.write_text(f"source: {SEED}\nclaims:\n- {{subject: X, predicate: p, value: v, quote: 'no such passage here', confidence: 0.5}}\n")
    run("import", "--db", seed_db, bad, ok=False)
    good = workdir / "good.yml"
    good.write_text(f"source: {SEED}\nclaims:\n- {{subject: Wang Yi, predicate: role, value: foreign minister, quote: foreign minister Wang Yi, confidence: 0.5}}\n")
    run("import", "--db", seed_db, good, "--dry-run")
    assert q(seed_db, "SELECT count(*) FROM history") == [(1,)]
    run("import", "--db", seed_db, good)
    assert q(seed_db, "SELECT kind FROM history ORDER BY id") == [("build",), ("import",)]


def test_supersede_keeps_both_claims_and_says_who_when_why(seed_db, workdir):
    old = stadium_claim(seed_db)
    before = q(seed_db, "SELECT * FROM claims WHERE id = ?", [old])
    out = run(
        "claim", "supersede", old, "--db", seed_db, "--value", "60000 seats", "--reason", "misread the figure",
        "--by", "Sreyneang", "--json",
    )
    res = json.loads(out.output)
    new = res["new"]
    assert res["old"] == old and new != old and res["added"] is True
    # the old row is untouched, the new one is on the same span
    assert q(seed_db, "SELECT * FROM claims WHERE id = ?", [old]) == before
    assert q(seed_db, "SELECT value, span_start, span_end FROM claims WHERE id = ?", [new]) == [("60000 seats", 1189, 1217)]
    status = q(seed_db, "SELECT status, replaced_by, reason, changed_by FROM claim_status WHERE claim_id = ?", [old])
    assert status == [("superseded", new, "misread the figure", "Sreyneang")]
    assert q(seed_db, "SELECT status FROM claim_status WHERE claim_id = ?", [new]) == [("current",)]
    current = {r[0] for r in q(seed_db, "SELECT id FROM current_claims")}
    assert new in current and old not in current and len(current) == 40
    events = q(seed_db, "SELECT event, entry_kind, actor FROM claim_history WHERE claim_id = ? ORDER BY entry_id", [old])
    assert events == [("added", "build", "ledger founding team"), ("superseded", "supersede", "Sreyneang")]
    # the files say the same, so `ledger build` reproduces it: one file per author (git merges cleanly)
    line = json.loads((workdir / "history" / "events" / "sreyneang.jsonl").read_text().splitlines()[-1])
    assert line["claim"] == old and line["replaced_by"] == new and line["status"] == "superseded"
    assert f"id: {new}" in (workdir / "claims" / SEED / "sreyneang.yml").read_text()
    assert run("verify", "--db", seed_db).exit_code == 0
    # the history tells the story
    text = run("claim", "history", "--db", seed_db, old).output
    assert "superseded" in text and "misread the figure" in text and f"stands now as: {new}" in text


def test_supersede_twice_or_without_change_is_refused(seed_db):
    old = stadium_claim(seed_db)
    same = run("claim", "supersede", old, "--db", seed_db, "--value", "60,000", "--reason", "r", ok=False)
    assert same.exit_code == 1 and "changes nothing" in same.output
    run("claim", "supersede", old, "--db", seed_db, "--value", "60000 seats", "--reason", "r")
    again = run("claim", "supersede", old, "--db", seed_db, "--value", "80,000", "--reason", "r", ok=False)
    assert again.exit_code == 1 and "already superseded" in again.output
    retract = run("claim", "retract", old, "--db", seed_db, "--reason", "r", ok=False)
    assert "already superseded" in retract.output


def test_supersede_can_move_a_claim_to_another_source(seed_db):
    old = q(seed_db, "SELECT id FROM claims WHERE subject = 'Wang Yi' AND predicate = 'title'")[0][0]
    out = run(
        "claim", "supersede", old, "--db", seed_db, "--source", "hun-sen-meets-xi", "--quote", "Chinese president Xi Jinping",
        "--subject", "Xi Jinping", "--value", "Chinese president", "--reason", "recorded against the wrong article", "--json",
    )
    new = json.loads(out.output)["new"]
    slug = q(seed_db, "SELECT s.slug FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = ?", [new])
    assert slug == [("hun-sen-meets-xi",)]


def test_retract_keeps_the_claim_and_records_why(seed_db):
    cid = stadium_claim(seed_db)
    out = json.loads(run("claim", "retract", cid, "--db", seed_db, "--reason", "wrong article", "--by", "Vuthy", "--json").output)
    assert out["claim"] == cid and out["event"]["status"] == "retracted"
    assert q(seed_db, "SELECT count(*) FROM claims WHERE id = ?", [cid]) == [(1,)]
    assert q(seed_db, "SELECT status, reason, changed_by FROM claim_status WHERE claim_id = ?", [cid]) == [
        ("retracted", "wrong article", "Vuthy")
    ]
    assert q(seed_db, "SELECT count(*) FROM current_claims") == [(39,)]
    kind, reason, actor = q(seed_db, "SELECT kind, reason, actor FROM history WHERE id = 2")[0]
    assert (kind, reason, actor) == ("retract", "wrong article", "Vuthy")
    again = run("claim", "retract", cid, "--db", seed_db, "--reason", "x", ok=False)
    assert again.exit_code == 1 and "already retracted" in again.output
    no_reason = run("claim", "retract", cid, "--db", seed_db, "--reason", " ", ok=False)
    assert "needs a reason" in no_reason.output


def test_unknown_claim_is_named(seed_db):
    out = run("claim", "retract", "cdeadbeefdeadbeef", "--db", seed_db, "--reason", "x", ok=False)
    assert out.exit_code == 1 and "no claim 'cdeadbeefdeadbeef'" in out.output


def test_head_and_log(seed_db, workdir):
    out = json.loads(run("head", "--db", seed_db, "--json").output)
    assert out["ledger_head"]["entry"] == 1 and out["claims"] == 40
    run("head", "--db", seed_db, "--out", workdir / "cp.json")
    assert history.read_checkpoint(workdir / "cp.json") == out["ledger_head"]["hash"]
    run("claim", "retract", stadium_claim(seed_db), "--db", seed_db, "--reason", "because")
    log = json.loads(run("log", "--db", seed_db, "--json").output)
    assert [e["kind"] for e in log] == ["retract", "build"]
    assert log[0]["prev"] == log[1]["hash"]


def test_a_write_outside_an_entry_is_refused(seed_db):
    from ledger.core.errors import LedgerError
    from ledger.store.writer import insert_claims

    db = open_db(seed_db)
    with pytest.raises(LedgerError, match="outside a history entry"):
        insert_claims(db, [{"id": "cx"}])
    with write_transaction(db):
        pass  # an empty write adds no entry
    assert db.execute("SELECT count(*) FROM history").fetchone()[0] == 1


def test_migrating_a_ledger_made_before_the_history(tmp_path):
    """A ledger file from before m010: a first 'migrate' entry covers its rows."""
    import hashlib

    from sqlite_utils import Database

    from ledger.store.migrations import migrations
    from ledger.services.verify import verify

    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m010_history")
    text = "An old article, held before history was kept."
    sid = hashlib.sha256(text.encode()).hexdigest()
    old.execute("INSERT INTO sources (id, slug, length, text) VALUES (?, 'old', ?, ?)", [sid, len(text), text])
    old.execute(
        "INSERT INTO claims (id, source_id, subject, predicate, value, quote, span_start, span_end, span_text, "
        "prefix, suffix, match, confidence) VALUES ('c1', ?, 'x', 'p', 'v', 'old article', 3, 14, 'old article', "
        "'An ', ', held before history was kept.', 'exact', 0.5)",
        [sid],
    )
    old.conn.commit()
    old.close()
    db = open_db(path)
    assert db.execute("SELECT id, kind FROM history").fetchall() == [(1, "migrate")]
    assert db.execute("SELECT entry_id, document, revision FROM sources").fetchall() == [(1, "old", 1)]
    report = verify(db)
    assert [f for f in report["failures"] if f["kind"] == "chain"] == []


def test_a_corrected_confidence_alone_is_a_new_claim_that_names_the_old(seed_db, workdir):
    old = stadium_claim(seed_db)
    out = json.loads(run("claim", "supersede", old, "--db", seed_db, "--confidence", "0.6", "--reason", "unsure", "--json").stdout)
    new = out["new"]
    assert new != old
    assert q(seed_db, "SELECT value, confidence, supersedes, span_start FROM claims WHERE id = ?", [new]) == [("60,000", 0.6, old, 1189)]
    assert f"supersedes: {old}" in "".join(p.read_text() for p in (workdir / "claims" / SEED).glob("*.yml"))
    assert run("verify", "--db", seed_db).exit_code == 0
    # the files rebuild the same ids
    fresh = workdir / "fresh.db"
    run("build", "--db", fresh)
    assert q(fresh, "SELECT id FROM claims WHERE supersedes IS NOT NULL") == [(new,)]
    assert q(fresh, "SELECT status, replaced_by FROM claim_status WHERE claim_id = ?", [old]) == [("superseded", new)]


def test_the_same_files_elsewhere_give_the_same_head(tmp_path, monkeypatch):
    """Anyone can rebuild the published files and compare head hashes."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    heads = []
    for place in ("one", "two/deeper"):
        d = tmp_path / place
        shutil.copytree(root / "sources", d / "sources")
        shutil.copytree(root / "claims", d / "claims")
        monkeypatch.chdir(d)
        run("build", "--db", "ledger.db")
        heads.append(json.loads(run("head", "--db", "ledger.db", "--json").stdout)["ledger_head"]["hash"])
    assert heads[0] == heads[1]


def test_a_correction_read_before_its_original_still_builds(workdir):
    """Build reads claims files in name order: a correction moved to another
    source's file can come before the claim it supersedes."""
    db = open_db(workdir / "a.db")
    build(db, "sources", "claims")
    old = db.execute("SELECT id FROM claims WHERE predicate = 'seating_capacity'").fetchone()[0]
    db.close()
    run("claim", "supersede", old, "--db", workdir / "a.db", "--source", "hun-sen-meets-xi", "--subject", "Xi Jinping",
        "--predicate", "title", "--value", "Chinese president", "--quote", "Chinese president Xi Jinping", "--reason", "moved")
    # claims/hun-sen-meets-xi.yml (with the correction) sorts before claims/sokhonn-….yml
    run("build", "--db", workdir / "b.db")
    assert q(workdir / "b.db", "SELECT count(*) FROM claims WHERE supersedes = ?", [old]) == [(1,)]


def test_a_dangling_supersedes_is_a_clean_error(seed_db, workdir):
    f = workdir / "bad.yml"
    f.write_text(
        f"source: {SEED}\nclaims:\n- {{subject: Wang Yi, predicate: role, value: foreign minister, quote: foreign minister Wang Yi, "
        "confidence: 0.5, supersedes: cdeadbeefdeadbeef}\n"
    )
    result = run("import", "--db", seed_db, f, ok=False)
    assert result.exit_code == 1 and "supersedes cdeadbeefdeadbeef, which is not in the ledger" in result.output
    assert q(seed_db, "SELECT count(*) FROM history") == [(1,)]


def test_datasette_shows_a_claims_status_and_history(seed_db):
    """The views Datasette serves: a superseded claim with who/why, its history rows, the current claims."""
    import asyncio

    from datasette.app import Datasette

    old = stadium_claim(seed_db)
    new = json.loads(run("claim", "supersede", old, "--db", seed_db, "--value", "60000 seats", "--reason", "misread",
                         "--by", "Sreyneang", "--json").stdout)["new"]
    ds = Datasette([str(seed_db)])
    name = seed_db.stem

    def get(path):
        return asyncio.run(ds.client.get(path))

    status = get(f"/{name}/claim_status.json?claim_id={old}&_shape=array").json()
    assert [(r["status"], r["replaced_by"], r["changed_by"], r["reason"]) for r in status] == [
        ("superseded", new, "Sreyneang", "misread")
    ]
    events = get(f"/{name}/claim_history.json?claim_id={old}&_shape=array").json()
    assert [e["event"] for e in events] == ["added", "superseded"]
    assert all(e["entry_hash"].startswith("sha256:") for e in events)
    current = get(f"/{name}/current_claims.json?id={old}&_shape=array").json()
    assert current == []
    assert len(get(f"/{name}/current_claims.json?id={new}&_shape=array").json()) == 1
