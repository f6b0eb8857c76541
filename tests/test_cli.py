"""The ledger CLI, through click's CliRunner and as a real subprocess."""

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import run, q as rows

SEED = "sokhonn-plans-china-trip"


def file_state(db_path: Path) -> str:
    """The database file's bytes once every connection is closed (WAL checkpointed)."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return hashlib.sha256(db_path.read_bytes()).hexdigest()


def drop_triggers(conn):
    """Drop every trigger (as an attacker editing the file would); return them, to put back."""
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    return triggers


def restore_triggers(conn, triggers):
    """Put the triggers back exactly as they were: only the rows differ (verify names a missing trigger)."""
    for _, sql in triggers:
        conn.execute(sql)


# ------------------------------------------------------------------ build


def test_build_the_seed_ledger(workdir):
    result = run("build", "--db", "ledger.db")
    assert "2 source(s) added" in result.output
    n_claims = sum(1 for p in (workdir / "claims").glob("*.yml") for line in p.read_text().splitlines() if line.startswith("- subject:"))
    assert rows("ledger.db", "SELECT count(*) FROM claims") == [(n_claims,)]
    # the invariant, checked by SQL
    bad = rows(
        "ledger.db",
        "SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id "
        "WHERE substr(s.text, c.span_start + 1, c.span_end - c.span_start) != c.span_text",
    )
    assert bad == []


def test_seed_sources_are_byte_exact(seed_db):
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    for slug, seed in [(SEED, "000_310adaa2c5c93029.txt"), ("hun-sen-meets-xi", "004_90e2909b2f24b29d.txt")]:
        [(sid, text)] = rows(seed_db, "SELECT id, text FROM sources WHERE slug = ?", [slug])
        data = (Path("sources") / f"{slug}.txt").read_bytes()
        assert text.encode("utf-8") == data
        assert sid == hashlib.sha256(data).hexdigest()
        if shared.exists():
            assert data == (shared / seed).read_bytes()


def test_build_is_idempotent_and_deterministic(workdir):
    run("build", "--db", "a.db")
    again = run("build", "--db", "a.db", "--json")
    assert json.loads(again.output)["added"] == 0
    run("build", "--db", "b.db")
    dump = "SELECT * FROM claims ORDER BY id"
    assert rows("a.db", dump) == rows("b.db", dump)
    assert rows("a.db", "SELECT * FROM sources ORDER BY id") == rows("b.db", "SELECT * FROM sources ORDER BY id")


def test_build_skips_unchanged_claim_files_and_reads_changed_ones(workdir):
    run("build", "--db", "ledger.db")
    path = workdir / "claims" / f"{SEED}.yml"
    path.write_text(
        path.read_text()
        + "\n- subject: Kin Phea\n  predicate: employer\n  value: Royal Academy of Cambodia\n"
        "  quote: director of the Royal Academy of Cambodia's International Relations Institute\n  confidence: 0.9\n"
    )
    out = json.loads(run("build", "--db", "ledger.db", "--json").output)
    assert out["added"] == 1
    assert out["unchanged_files"] == ["claims/hun-sen-meets-xi.yml"]


def test_seed_claims_cover_what_the_issue_asks_for(seed_db):
    preds = {(s, p) for s, p in rows(seed_db, "SELECT subject, predicate FROM claims")}
    for needed in [
        ("Prak Sokhonn", "visit"),
        ("Hun Sen", "visit"),
        ("Morodok Techo National Stadium", "seating_capacity"),
        ("Kin Phea", "title"),
        ("Hun Sen", "title"),
        ("Ministry of Foreign Affairs and International Cooperation", "statement_date"),
    ]:
        assert needed in preds
    speakers = rows(seed_db, "SELECT speaker, count(*) FROM claims WHERE predicate = 'said' GROUP BY speaker ORDER BY speaker")
    assert speakers == [("Kin Phea", 4), ("Ministry of Foreign Affairs and International Cooperation", 2)]


# ------------------------------------------------------------------ claim add


def test_claim_add_with_straight_quotes_stores_the_curly_source_text(seed_db, workdir):
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Kin Phea", "--predicate", "said",
        "--value", "Cambodia is suffering economically due to Covid-19 - but so is China", "--speaker", "Kin Phea",
        "--quote", 'Cambodia is suffering economically due to Covid-19 - but so is China," he said',
        "--confidence", "0.9", "--json",
    )
    out = json.loads(result.output)
    assert out["span_text"] == "Cambodia is suffering economically due to Covid-19 – but so is China,” he said"
    assert out["match"] == "normalised"
    assert out["support"] == "quotation"  # issue 14: the value is the quoted words (dash typed as "-")
    text = rows(seed_db, "SELECT text FROM sources WHERE slug = ?", [SEED])[0][0]
    assert text[out["span_start"] : out["span_end"]] == out["span_text"]
    # appended to the claims file, so a fresh build from the files has it
    assert "Cambodia is suffering economically due to Covid-19 - but so is China" in Path(out["claims_file"]).read_text()
    run("build", "--db", "fresh.db")
    assert rows("fresh.db", "SELECT span_text FROM claims WHERE id = ?", [out["id"]]) == [(out["span_text"],)]
    # adding it again adds nothing
    again = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Kin Phea", "--predicate", "said",
        "--value", "Cambodia is suffering economically due to Covid-19 - but so is China", "--speaker", "Kin Phea",
        "--quote", 'Cambodia is suffering economically due to Covid-19 - but so is China," he said',
        "--confidence", "0.9",
    )
    assert "already recorded" in again.output


def test_claim_add_prints_id_and_span(seed_db):
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Wang Yi", "--predicate", "visit_count",
        "--value", "previous visit", "--quote", "During his previous visit", "--confidence", "0.5",
    )
    lines = result.output.splitlines()
    assert lines[0].startswith("recorded: c") and len(lines[0].split(": ")[1]) == 17
    assert lines[1].endswith("(exact): During his previous visit")


# ------------------------------------------------------------------ bad input leaves the ledger unchanged

BAD_CLAIM_ADD = [
    ({"source": "no-such-source"}, "unknown source 'no-such-source'"),
    ({"--confidence": "1.5"}, "`confidence` 1.5 is outside 0..1"),
    ({"--confidence": "-0.1"}, "outside 0..1"),
    ({"--quote": "  "}, "`quote` is empty or only whitespace"),
    ({"--quote": "a seating capacity of 75,000"}, "quote not found in the source text"),
    ({"--quote": "Sokhonn"}, "quote occurs"),
    ({"--predicate": "Seating Capacity"}, "is not lower_snake_case"),
    ({"--as-of": "last week"}, "is not a date"),
]


@pytest.mark.parametrize("change, message", BAD_CLAIM_ADD)
def test_bad_claim_add_exits_non_zero_and_writes_nothing(seed_db, workdir, change, message):
    args = {"source": SEED, "--subject": "Stadium", "--predicate": "seating_capacity", "--value": "60,000",
            "--quote": "a seating capacity of 60,000", "--confidence": "0.9"}
    args.update(change)
    before = file_state(seed_db)
    claims_before = {p.name: p.read_bytes() for p in (workdir / "claims").iterdir()}
    cmd = ["claim", "add", args.pop("source"), "--db", seed_db]
    for k, v in args.items():
        cmd += [k, v]
    result = run(*cmd, ok=False)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Error: ")
    assert file_state(seed_db) == before
    assert {p.name: p.read_bytes() for p in (workdir / "claims").iterdir()} == claims_before


def test_confidence_that_is_not_a_number(seed_db):
    before = file_state(seed_db)
    result = run("claim", "add", SEED, "--db", seed_db, "--subject", "x", "--predicate", "p", "--value", "v",
                 "--quote", "Sokhonn will meet", "--confidence", "high", ok=False)
    assert result.exit_code == 2 and "'high' is not a valid float" in result.output
    assert file_state(seed_db) == before


def write_claims(path: Path, claims, source=SEED):
    path.write_text(json.dumps({"source": source, "claims": claims}, ensure_ascii=False), encoding="utf-8")
    return path


def good(i):
    return {"subject": f"S{i}", "predicate": "p", "value": "60,000", "quote": "a seating capacity of 60,000", "confidence": 0.5}


def test_import_is_all_or_nothing_and_names_the_bad_claim(seed_db, tmp_path):
    claims = [good(i) for i in range(5)]
    claims[2] = {**claims[2], "quote": "a seating capacity of 75,000"}
    f = write_claims(tmp_path / "five.json", claims)
    ok = write_claims(tmp_path / "ok.json", [good(9)])
    before = file_state(seed_db)
    result = run("import", "--db", seed_db, ok, f, ok=False)
    assert result.exit_code == 1
    assert "Error: five.json: claim 3 (S2 / p): quote not found" in result.output
    assert "nothing was written" in result.output
    assert file_state(seed_db) == before


def test_import_lists_every_problem(seed_db, tmp_path):
    claims = [good(i) for i in range(4)]
    claims[1]["confidence"] = 2
    claims[3]["predicate"] = "Bad Predicate"
    f = write_claims(tmp_path / "c.json", claims)
    result = run("import", "--db", seed_db, f, ok=False)
    assert "claim 2 (S1 / p): `confidence` 2 is outside 0..1" in result.output
    assert "claim 4 (S3 / Bad Predicate): predicate" in result.output
    assert "2 problems; nothing was written" in result.output


def test_import_twice_adds_nothing_and_dry_run_writes_nothing(seed_db, tmp_path):
    f = write_claims(tmp_path / "c.json", [good(1), good(2)])
    before = file_state(seed_db)
    dry = json.loads(run("import", "--db", seed_db, "--dry-run", "--json", f).output)
    assert dry["added"] == 2 and dry["dry_run"] is True
    assert file_state(seed_db) == before
    assert json.loads(run("import", "--db", seed_db, "--json", f).output)["added"] == 2
    second = json.loads(run("import", "--db", seed_db, "--json", f).output)
    assert (second["added"], second["existing"]) == (0, 2)


def test_import_refuses_a_changed_detail_of_a_recorded_claim(seed_db, tmp_path):
    f = write_claims(tmp_path / "c.json", [good(1)])
    run("import", "--db", seed_db, f)
    before = file_state(seed_db)
    write_claims(f, [{**good(1), "confidence": 0.9}])
    result = run("import", "--db", seed_db, f, ok=False)
    assert "is already recorded with confidence 0.5, not 0.9" in result.output
    assert file_state(seed_db) == before


def test_malformed_yaml_import(seed_db, tmp_path):
    f = tmp_path / "bad.yml"
    f.write_text("source: x\nclaims:\n  - subject: [\n")
    before = file_state(seed_db)
    result = run("import", "--db", seed_db, f, ok=False)
    assert "Error: bad.yml:4: malformed YAML" in result.output
    assert file_state(seed_db) == before


def test_invalid_utf8_import(seed_db, tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(json.dumps({**good(1), "source": SEED}).encode() + b"\n" + b'{"subject": "\xff"}\n')
    before = file_state(seed_db)
    result = run("import", "--db", seed_db, f, ok=False)
    assert "Error: bad.jsonl:2: not valid UTF-8" in result.output
    assert file_state(seed_db) == before


# ------------------------------------------------------------------ sources


def test_source_add_stores_bytes_exactly(workdir, tmp_path):
    data = "Line one – with a dash\r\nLine “two” 😀\r\n".encode("utf-8")
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    out = json.loads(run("source", "add", f, "--db", "ledger.db", "--url", "https://example.com/a",
                         "--publisher", "Example", "--published", "2024-01-02", "--title", "A Test", "--json").output)
    assert out["slug"] == "a-test" and out["id"] == hashlib.sha256(data).hexdigest()
    assert (workdir / "sources" / "a-test.txt").read_bytes() == data
    claim = json.loads(run("claim", "add", "a-test", "--db", "ledger.db", "--subject", "x", "--predicate", "p",
                           "--value", "two", "--quote", 'Line "two"', "--confidence", "1", "--json").output)
    assert (claim["span_start"], claim["span_text"]) == (24, "Line “two”")
    # the sidecar carries the provenance, and a fresh build reads it back
    run("build", "--db", "fresh.db")
    assert rows("fresh.db", "SELECT publisher, published, url FROM sources WHERE slug = 'a-test'") == [
        ("Example", "2024-01-02", "https://example.com/a")
    ]


def test_source_add_refuses_invalid_utf8(workdir, tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes("café\n".encode("latin-1"))
    result = run("source", "add", f, "--db", "ledger.db", ok=False)
    assert "not valid UTF-8 (byte 0xe9" in result.output
    assert not (workdir / "sources" / "latin1.txt").exists()
    assert not Path("ledger.db").exists() or rows("ledger.db", "SELECT count(*) FROM sources") == [(0,)]


def test_source_add_refuses_a_non_http_url(workdir, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("text")
    result = run("source", "add", f, "--db", "ledger.db", "--url", "javascript:alert(1)", ok=False)
    assert "must be an http(s) URL" in result.output


def test_edited_source_text_is_caught_at_build(workdir):
    p = workdir / "sources" / f"{SEED}.txt"
    p.write_bytes(p.read_bytes().replace(b"60,000", b"75,000"))
    result = run("build", "--db", "ledger.db", ok=False)
    assert "text does not match the sha256" in result.output
    assert rows("ledger.db", "SELECT count(*) FROM claims") == [(0,)]


# ------------------------------------------------------------------ verify


def test_verify_passes_on_the_seed_ledger(seed_db):
    result = run("verify", "--db", seed_db, "--json")
    report = json.loads(result.output)
    assert report["ok"] is True and report["failures"] == []
    assert report["checked"]["claims"] > 30


def test_verify_catches_an_edited_span(seed_db):
    conn = sqlite3.connect(seed_db)
    triggers = drop_triggers(conn)
    cid = conn.execute("SELECT id FROM claims WHERE predicate = 'seating_capacity'").fetchone()[0]
    conn.execute("UPDATE claims SET span_text = 'a seating capacity of 75,000' WHERE id = ?", [cid])
    restore_triggers(conn, triggers)
    conn.commit()
    conn.close()
    result = run("verify", "--db", seed_db, ok=False)
    assert result.exit_code == 3
    assert f"spans: {cid}: span [" in result.output and "75,000" in result.output


def test_verify_catches_an_edited_source_text(seed_db):
    conn = sqlite3.connect(seed_db)
    triggers = drop_triggers(conn)
    conn.execute("UPDATE sources SET text = replace(text, '60,000', '75,000') WHERE slug = ?", [SEED])
    restore_triggers(conn, triggers)
    conn.commit()
    conn.close()
    result = run("verify", "--db", seed_db, ok=False)
    assert result.exit_code == 4
    assert "hashes: " in result.output and "the text was altered" in result.output


def test_read_only_commands_do_not_create_a_database(workdir):
    result = run("verify", "--db", "missing.db", ok=False)
    assert result.exit_code == 1 and "no ledger at missing.db" in result.output
    assert not Path("missing.db").exists()


# ------------------------------------------------------------------ as a real process


def test_real_subprocess_build_and_verify(workdir):
    ledger = [sys.executable, "-m", "ledger"]
    built = subprocess.run(ledger + ["build", "--db", "p.db"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    verified = subprocess.run(ledger + ["verify", "--db", "p.db"], capture_output=True, text=True)
    assert verified.returncode == 0 and "all hold" in verified.stdout
    bad = subprocess.run(ledger + ["import", "--db", "p.db", "nope.yml"], capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    if shutil.which("ledger"):
        helped = subprocess.run(["ledger", "--help"], capture_output=True, text=True)
        assert helped.returncode == 0 and "build" in helped.stdout
