"""Appending a claim to an author's big claims file reads only the new claim (issue 13): the file is known
to be the one the ledger last read (its SHA-256), and its layout makes anything dumped after it new items of
its list; otherwise the whole file is read, as before. Either way the files and the database agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _cli import q, run
from ledger.formats import claimfile
from ledger.services import repository
from ledger.services.record import append_claims
from ledger.store.db import open_db

TEXT = "".join(f"H item {i}: the registry counted {i * 7} boats in harbour {i}.\n" for i in range(80))


def claims_yaml(lo, hi):
    return "source: harbours\nclaims:\n" + "".join(
        f"- subject: harbour {i}\n  predicate: boat_count\n  value: '{i * 7}'\n"
        f"  quote: 'H item {i}: the registry counted {i * 7} boats'\n  confidence: 0.9\n" for i in range(lo, hi))


def entry(i, **kw):
    return {"subject": f"harbour {i}", "predicate": "noted", "value": "registry", "confidence": 0.8,
            "quote": f"H item {i}: the registry", "recorded_by": "desk",
            "recorded_at": f"2026-12-07T05:00:{i:02d}.000000+00:00", **kw}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("h.txt").write_text(TEXT)
    run("source", "add", "h.txt", "--slug", "harbours", "--title", "Harbours")
    Path("h.txt").unlink()
    Path("claims/harbours").mkdir(parents=True)
    Path("claims/harbours/desk.yml").write_text(claims_yaml(0, 40))
    run("build", "--silent")
    return tmp_path


def test_an_append_to_the_file_the_ledger_read_reads_only_the_new_claims(repo):
    path = Path("claims/harbours/desk.yml")
    db = open_db("ledger.db")
    offset = append_claims(path, "harbours", [entry(50), entry(51)], db)
    assert offset is not None and offset < path.stat().st_size
    result = repository.replay_files(db, claims=[path], appended={path: (offset, "harbours")})
    assert (result.claims, result.added) == (2, 2)  # the 40 claims before them were not read again
    assert q("ledger.db", "SELECT claims FROM claim_files WHERE path = 'claims/harbours/desk.yml'") == [(42,)]
    db.close()
    # what was read is what a whole read of the file gives, and the files and the database agree
    whole = [r.data for r in claimfile.iter_records(path)]
    assert [w["subject"] for w in whole[-2:]] == ["harbour 50", "harbour 51"] and len(whole) == 42
    r = run("verify", "--files", ".")
    assert "all hold" in r.output


def test_claim_add_reads_the_whole_file_when_it_changed_since_the_ledger_read_it(repo):
    # a claim added by hand that no build has read, whose quote is not in the source: the whole file is read,
    # so claim add refuses and names it, and the file is left as it was
    path = Path("claims/harbours/desk.yml")
    path.write_text(path.read_text() + "- subject: harbour 99\n  predicate: boat_count\n  value: '1'\n"
                    "  quote: 'nowhere in the text'\n  confidence: 0.9\n")
    before = path.read_bytes()
    r = run("claim", "add", "harbours", "--subject", "harbour 7", "--predicate", "noted", "--value", "registry",
            "--confidence", "0.8", "--quote", "H item 7: the registry", "--recorded-by", "desk", ok=False)
    assert r.exit_code == 1 and "claims/harbours/desk.yml:" in r.output and "harbour 99" in r.output, r.output
    assert path.read_bytes() == before
    assert q("ledger.db", "SELECT count(*) FROM claims") == [(40,)]


@pytest.mark.parametrize("layout", ["key after the list", "indented list", "no newline at the end"])
def test_a_file_in_another_layout_is_read_whole(repo, layout):
    path = Path("claims/harbours/other.yml")
    text = claims_yaml(40, 45)
    if layout == "key after the list":
        text += "recorded_by: other\n"
    elif layout == "indented list":
        text = text.replace("\n- ", "\n  - ").replace("\n  ", "\n    ").replace("\n    - ", "\n  - ")
    else:
        text = text.rstrip("\n")
    path.write_text(text)
    run("build", "--silent")
    assert not claimfile.appendable(path.read_bytes(), "harbours")
    db = open_db("ledger.db")
    try:
        if layout != "no newline at the end":  # an item at column 0 would not be in the list: refused, unchanged
            with pytest.raises(Exception, match="does not end with its claims list"):
                append_claims(path, "harbours", [entry(50)], db)
            assert path.read_text() == text
            return
        assert append_claims(path, "harbours", [entry(50)], db) is None  # checked whole
        result = repository.replay_files(db, claims=[path])
        assert (result.claims, result.added) == (6, 1)
    finally:
        db.close()
    assert "all hold" in run("verify", "--files", ".").output


def test_appendable_only_when_a_line_at_column_0_can_only_be_an_item():
    head = claimfile.append_header("harbours")
    assert head == b"source: harbours\nclaims:\n"
    item = b"- subject: a\n  note: |\n    - not an item\n"
    assert claimfile.appendable(head, "harbours")
    assert claimfile.appendable(head + item + b"# a comment\n\n" + item, "harbours")
    assert not claimfile.appendable(head + item, "other-slug")
    for tail in (b"---\n", b"...\n", b"recorded_by: x\n", b"\t- subject: b\n", b"-x: 1\n"):
        assert not claimfile.appendable(head + item + tail, "harbours"), tail
    assert not claimfile.appendable(head + b"  - subject: a\n", "harbours")


def test_appended_claims_read_alone_are_the_whole_files_last_claims(tmp_path):
    # values a dump quotes or folds: new lines, '- ' and '#' inside text, quotes, other scripts
    odd = [entry(60, note="line one\n- not an item\n# not a comment"), entry(61, note="'quoted' \"twice\": yes"),
           entry(62, note="ស្តាប់ 体育场 " * 30, speaker="Prak Sokhonn")]
    path = tmp_path / "a.yml"
    path.write_bytes(claims_yaml(0, 3).encode())
    data = path.read_bytes() + claimfile.dump_yaml(odd).encode()
    assert claimfile.appendable(path.read_bytes(), "harbours")
    path.write_bytes(data)
    tail = list(claimfile.iter_appended_records(path, len(claims_yaml(0, 3).encode()), 3, "harbours"))
    whole = list(claimfile.iter_records(path))
    assert [(r.data, r.line, r.index) for r in tail] == [(r.data, r.line, r.index) for r in whole[3:]]
    assert json.dumps([r.data for r in tail], sort_keys=True) == json.dumps(
        [{"source": "harbours", **{k: str(v) for k, v in e.items()}} for e in odd], sort_keys=True)
