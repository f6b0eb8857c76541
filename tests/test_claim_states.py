"""Issue 14: one vocabulary of claim states (candidate, current, superseded,
retracted, orphaned; ledger/states.py), and the same word for a claim in the
CLI, the database views, the CSV and JSON Lines exports and the claim page."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from _cli import q, run

ROOT = Path(__file__).resolve().parent.parent


def _claim(db_path, predicate):
    return q(db_path, "SELECT id FROM claims WHERE predicate = ? ORDER BY id", [predicate])[0][0]


@pytest.fixture
def three(seed_db, workdir):
    """The seed ledger with one claim corrected and one retracted: {state: claim id}."""
    cap = _claim(seed_db, "seating_capacity")
    fixed = json.loads(run("claim", "supersede", cap, "--db", seed_db, "--value", "60000 seats",
                           "--reason", "written as the comparison reads it", "--by", "ed", "--json").output)["new"]
    wrong = _claim(seed_db, "invited_by")
    run("claim", "retract", wrong, "--db", seed_db, "--reason", "recorded against the wrong article", "--by", "ed")
    return {"current": fixed, "superseded": cap, "retracted": wrong}


def cli_word(db_path, cid):
    first = run("claim", "history", cid, "--db", db_path).output.splitlines()[0]
    return first.split()[1]


def view_words(db_path, cid):
    return {
        view: q(db_path, f"SELECT status FROM {view} WHERE {key} = ?", [cid])[0][0]
        for view, key in (("claim_status", "claim_id"), ("claim_provenance", "id"))
    }


def export_words(db_path, tmp_path, cid):
    run("export", "--db", db_path, "--format", "csv", "-o", tmp_path / "out.csv", "--force")
    run("export", "--db", db_path, "--format", "jsonl", "-o", tmp_path / "out.jsonl", "--force")
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        in_csv = [r["status"] for r in csv.DictReader(f) if r["id"] == cid]
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    in_jsonl = [json.loads(line)["status"] for line in lines if json.loads(line)["id"] == cid]
    return {"csv": in_csv[0], "jsonl": in_jsonl[0]}


def page_words(db_path, cid):
    html = asyncio.run(Datasette(files=[str(db_path)]).client.get(f"/ledger/claims/{cid}")).text
    shown = re.search(r"<dt>Status</dt><dd>(\w+)", html).group(1)
    all_fields = re.search(r"<th scope=\"row\"[^>]*>status</th><td>(\w+) ", html).group(1)
    entered = re.search(r"it entered the ledger as (\w+)\)", html).group(1)
    return {"page": shown, "all fields": all_fields}, entered


@pytest.mark.parametrize("word", ["current", "superseded", "retracted"])
def test_the_same_word_in_the_cli_the_views_the_exports_and_the_page(three, seed_db, tmp_path, word):
    cid = three[word]
    assert cli_word(seed_db, cid) == word
    assert view_words(seed_db, cid) == {"claim_status": word, "claim_provenance": word}
    assert export_words(seed_db, tmp_path, cid) == {"csv": word, "jsonl": word}
    shown, entered = page_words(seed_db, cid)
    assert shown == {"page": word, "all fields": word}
    assert entered == "current"


def test_a_candidate_is_a_candidate_in_every_view(seed_db, workdir):
    """claim_provenance used to call an unreviewed candidate `current`."""
    f = workdir / "candidate.yml"
    f.write_text(
        "source: sokhonn-plans-china-trip\nclaims:\n- subject: Morodok Techo National Stadium\n"
        "  predicate: seating_capacity\n  value: 60000 seats\n  quote: a seating capacity of 60,000\n"
        "  confidence: 0.5\n  status: candidate\n",
        encoding="utf-8",
    )
    run("import", "--db", seed_db, f)
    cid = q(seed_db, "SELECT id FROM claims WHERE status = 'candidate'")[0][0]
    assert cli_word(seed_db, cid) == "candidate"
    assert view_words(seed_db, cid) == {"claim_status": "candidate", "claim_provenance": "candidate"}
    assert export_words(seed_db, workdir, cid) == {"csv": "candidate", "jsonl": "candidate"}


@pytest.mark.parametrize("old_word", ["recorded", "machine-extracted"])
def test_a_row_stored_with_a_word_from_before_the_vocabulary_reads_as_current(seed_db, tmp_path, old_word):
    """Ledgers written before issue 14 keep `recorded` / `machine-extracted` in
    claims.status (rows are never updated); every reader shows `current`."""
    cid = _claim(seed_db, "seating_capacity")
    conn = sqlite3.connect(seed_db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE claims SET status = ? WHERE id = ?", [old_word, cid])
    conn.commit()
    conn.close()
    assert cli_word(seed_db, cid) == "current"
    assert view_words(seed_db, cid) == {"claim_status": "current", "claim_provenance": "current"}
    assert export_words(seed_db, tmp_path, cid) == {"csv": "current", "jsonl": "current"}
    shown, entered = page_words(seed_db, cid)
    assert shown == {"page": "current", "all fields": "current"} and entered == "current"
    table = asyncio.run(Datasette(files=[str(seed_db)]).client.get(f"/ledger/claims?id={cid}")).text
    assert re.findall(r'<td class="col-status[^"]*">([^<]*)</td>', table) == ["current"]
    # the canned queries show it as current (they used to leave machine-extracted claims out)
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    rows = asyncio.run(Datasette(files=[str(seed_db)], metadata=metadata).client.get(
        "/ledger/claims_about_subject.json?subject=Morodok+Techo+National+Stadium&states=&_shape=array")).json()
    assert [r["state"] for r in rows if r["claim_id"] == cid] == ["current"]


def test_an_exported_row_in_a_later_state_is_refused_on_import_naming_it(three, seed_db, tmp_path, workdir):
    """A retracted claim's row says `retracted`: importing it into a ledger that
    lacks the retraction would bring it back as current, so it is refused."""
    out = tmp_path / "claims.jsonl"
    run("export", "--db", seed_db, "--format", "jsonl", "-o", out)
    retracted = [line for line in out.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] == three["retracted"]]
    one = tmp_path / "one.jsonl"
    one.write_text(retracted[0] + "\n", encoding="utf-8")
    fresh = workdir / "fresh.db"
    run("build", "--db", fresh)
    before = q(fresh, "SELECT count(*) FROM claims")
    result = run("import", "--db", fresh, one, ok=False)
    assert result.exit_code == 1
    assert "one.jsonl:1" in result.output and "`status` 'retracted' is a state a claim reaches after it is recorded" in result.output
    assert q(fresh, "SELECT count(*) FROM claims") == before


def test_an_exported_claims_file_never_carries_a_word_from_before_the_vocabulary(seed_db, tmp_path):
    cid = _claim(seed_db, "seating_capacity")
    conn = sqlite3.connect(seed_db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE claims SET status = 'machine-extracted' WHERE id = ?", [cid])
    conn.commit()
    conn.close()
    run("export", "--db", seed_db, "--format", "files", "-o", tmp_path / "out")
    written = (tmp_path / "out" / "claims" / "sokhonn-plans-china-trip.yml").read_text(encoding="utf-8")
    assert cid in written and "machine-extracted" not in written and "status:" not in written
