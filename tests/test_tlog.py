"""Issue 15: signed checkpoints, a proof for one claim checked without the
database, and `verify --checkpoint` catching a history rewritten or cut back."""

import json
import sqlite3

import pytest

from ledger.store import history
from ledger.store import tlog

from _cli import run
from test_verify import one, tamper, verify_json

# the signed-note example in the documentation of an independent implementation, the
# Elixir signed_note package (https://hex.pm/packages/signed_note, lib/signed_note.ex)
NOTE_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_a_signed_note_from_another_implementation_opens():
    assert tlog.open_note(NOTE, NOTE_VKEY) == ("This is an example message.\n", True)
    with pytest.raises(tlog.CheckpointError, match="does not verify"):
        tlog.open_note(NOTE.replace("example message", "example massage"), NOTE_VKEY)


def test_our_notes_have_the_spec_form_and_verify():
    skey, vkey = tlog.generate_key("example.org/ledger")
    note = tlog.sign_note("example.org/ledger\n3\n" + "A" * 43 + "=\n", skey)
    text, sigs = note.split("\n\n")
    assert sigs.startswith("\u2014 example.org/ledger ") and sigs.endswith("\n")
    assert tlog.open_note(note, vkey)[1] is True
    other = tlog.generate_key("example.org/ledger")[1]
    with pytest.raises(tlog.CheckpointError, match="not signed by"):
        tlog.open_note(note, other)


@pytest.fixture
def signed(seed_db, workdir):
    run("keygen", "example.org/ledger", "--out", workdir / "k")
    run("checkpoint", "--db", seed_db, "--key", workdir / "k", "--out", workdir / "cp1.txt")
    return seed_db, workdir


def test_prove_and_check_a_claim_without_the_database(signed):
    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    run("prove", cid, "--db", db, "--checkpoint", wd / "cp1.txt", "--out", wd / "p.json")
    (wd / "ledger.db").rename(wd / "elsewhere.db")  # the reader has no database
    out = run("check-proof", wd / "p.json", "--vkey", wd / "k.pub", "--json")
    report = json.loads(out.output)
    assert report["ok"] and report["claim"] == cid and report["signature_checked"]
    assert report["row"]["predicate"] == "seating_capacity"


@pytest.mark.parametrize("field", ["row", "entry", "inclusion", "row_path"])
def test_a_proof_with_anything_changed_fails(signed, field):
    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    run("prove", cid, "--db", db, "--checkpoint", wd / "cp1.txt", "--out", wd / "p.json")
    proof = json.loads((wd / "p.json").read_text())
    if field == "row":
        proof["row"] = proof["row"].replace("60,000", "70,000")
    elif field == "entry":
        proof["entry"]["actor"] = "someone else"
    elif field == "inclusion":
        proof["tree_size"] += 1
    else:
        proof["row_in_entry"]["path"][0] = proof["row_in_entry"]["path"][1]
    (wd / "p.json").write_text(json.dumps(proof))
    result = run("check-proof", wd / "p.json", "--vkey", wd / "k.pub", ok=False)
    assert result.exit_code == 5 and "proof fails" in result.output


def test_a_checkpoint_signed_by_another_key_is_refused(signed):
    db, wd = signed
    run("keygen", "example.org/ledger", "--out", wd / "other")
    cid = one(db, "SELECT id FROM claims LIMIT 1")
    run("prove", cid, "--db", db, "--checkpoint", wd / "cp1.txt", "--out", wd / "p.json")
    result = run("check-proof", wd / "p.json", "--vkey", wd / "other.pub", ok=False)
    assert result.exit_code == 1 and "not signed by example.org/ledger" in result.output


def test_a_history_that_grew_is_consistent_with_the_old_checkpoint(signed):
    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'invited_by'")
    run("claim", "retract", cid, "--db", db, "--reason", "wrong article", "--by", "ed")
    report = verify_json(db, "--checkpoint", wd / "cp1.txt", "--vkey", wd / "k.pub")
    assert report["ok"], report["failures"]


def _rewrite_history(db_path, entry_id, reason):
    """An attacker edits an entry and recomputes every hash after it, keeping the schema."""
    conn = sqlite3.connect(db_path)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE history SET reason = ? WHERE id = ?", [reason, entry_id])
    prev = None
    for id_, kind, at, actor, why, body in conn.execute("SELECT id, kind, at, actor, reason, body FROM history ORDER BY id").fetchall():
        h = history.entry_hash(id_, kind, at, actor, why, json.loads(body), prev)
        conn.execute("UPDATE history SET prev = ?, hash = ? WHERE id = ?", [prev, h, id_])
        prev = h
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()


def test_a_rewritten_history_fails_the_consistency_proof(signed):
    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'invited_by'")
    run("claim", "retract", cid, "--db", db, "--reason", "wrong article", "--by", "ed")
    _rewrite_history(db, 1, "rewritten")
    assert verify_json(db)["ok"]  # self-consistent...
    report = verify_json(db, "--checkpoint", wd / "cp1.txt")  # ...but not what was signed
    assert report["exit_code"] == 5
    assert report["failures"][0]["item"] == "checkpoint" and "changed, removed or reordered" in report["failures"][0]["message"]


def test_a_history_cut_back_fails_against_the_checkpoint(signed):
    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'invited_by'")
    run("claim", "retract", cid, "--db", db, "--reason", "wrong article", "--by", "ed")
    run("checkpoint", "--db", db, "--key", wd / "k", "--out", wd / "cp2.txt")
    tamper(db, ("DELETE FROM claim_events", []), ("DELETE FROM history WHERE id = 2", []))
    assert verify_json(db)["ok"]  # the linear chain alone cannot tell
    report = verify_json(db, "--checkpoint", wd / "cp2.txt", "--vkey", wd / "k.pub")
    assert report["exit_code"] == 5 and "cut back" in report["failures"][0]["message"]


def test_a_forged_checkpoint_fails_its_signature(signed):
    db, wd = signed
    text = (wd / "cp1.txt").read_text().replace("\n1\n", "\n2\n", 1)
    (wd / "forged.txt").write_text(text)
    result = run("verify", "--db", db, "--checkpoint", wd / "forged.txt", "--vkey", wd / "k.pub", ok=False)
    assert result.exit_code == 1 and "does not verify" in result.output


def test_keygen_never_replaces_a_key(signed):
    db, wd = signed
    before = (wd / "k").read_text()
    result = run("keygen", "example.org/ledger", "--out", wd / "k", ok=False)
    assert result.exit_code == 1 and "exists" in result.output and (wd / "k").read_text() == before


def test_the_javascript_check_in_the_docs_accepts_a_proof_and_refuses_a_changed_one(signed):
    """docs/integrity.md's few lines of another language really check a proof."""
    import re
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on this machine")
    db, wd = signed
    doc = (Path(__file__).resolve().parent.parent / "docs" / "integrity.md").read_text()
    (wd / "check.js").write_text(re.search(r"```js\n(.*?)```", doc, re.S).group(1))
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    run("prove", cid, "--db", db, "--checkpoint", wd / "cp1.txt", "--out", wd / "p.json")
    ok = subprocess.run([node, "check.js", "p.json"], cwd=wd, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and f"claim {cid} is entry 1 of 1" in ok.stdout, ok.stderr
    proof = json.loads((wd / "p.json").read_text())
    proof["row"] = proof["row"].replace("60,000", "70,000")
    (wd / "p.json").write_text(json.dumps(proof))
    bad = subprocess.run([node, "check.js", "p.json"], cwd=wd, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "row not in its entry" in bad.stderr


def test_the_claim_page_shows_its_proof_and_the_checkpoint(signed):
    import asyncio

    from datasette.app import Datasette

    db, wd = signed
    cid = one(db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")
    ds = Datasette([str(db)])

    async def get():
        return await ds.client.get(f"/ledger/claims/{cid}")

    page = asyncio.run(get()).text
    note = (wd / "cp1.txt").read_text()
    assert "Proof that it is in the log" in page and "Checked:" in page
    assert "in history entry\n    1" in page or "history entry 1" in " ".join(page.split())
    assert note.splitlines()[2] in page  # the checkpoint's root hash, as signed
    # an altered row fails its proof on the page
    tamper(db, ("UPDATE claims SET value = '70,000' WHERE id = ?", [cid]))
    page = asyncio.run(get()).text
    assert "The proof against the latest checkpoint fails" in page


@pytest.mark.parametrize("size", ["\u00b2", "\uff11", "\u0661", "1\u2028"])
def test_a_checkpoint_size_not_in_ascii_digits_is_refused(signed, size):
    """audit6: the size field was read with str.isdigit(): a superscript two was a ValueError traceback, a
    fullwidth or Arabic-Indic one was taken as 1 (only the signature, when checked, caught it)."""
    db, wd = signed
    (wd / "odd.txt").write_text((wd / "cp1.txt").read_text().replace("\n1\n", f"\n{size}\n", 1), encoding="utf-8")
    cid = one(db, "SELECT id FROM claims LIMIT 1")
    run("prove", cid, "--db", db, "--checkpoint", wd / "cp1.txt", "--out", wd / "p.json")
    for args in (("verify", "--db", db, "--checkpoint", wd / "odd.txt"), ("prove", cid, "--db", db, "--checkpoint", wd / "odd.txt"),
                 ("check-proof", wd / "p.json", "--checkpoint", wd / "odd.txt")):
        result = run(*args, ok=False)
        assert result.exit_code == 1 and "tree size" in result.output, (args, result.output)


@pytest.mark.parametrize("size", ["2", "9" * 40])
def test_prove_refuses_a_checkpoint_larger_than_the_history(signed, size):
    """audit6: a checkpoint of 2 entries against a history of 1 gave a proof (that no check could pass),
    and one of 10**40 entries an IntegrityError traceback."""
    db, wd = signed
    (wd / "big.txt").write_text((wd / "cp1.txt").read_text().replace("\n1\n", f"\n{size}\n", 1), encoding="utf-8")
    cid = one(db, "SELECT id FROM claims LIMIT 1")
    result = run("prove", cid, "--db", db, "--checkpoint", wd / "big.txt", "--out", wd / "p.json", ok=False)
    assert result.exit_code == 1 and f"{size} entries" in result.output and "holds 1" in result.output
    assert not (wd / "p.json").exists()


def test_a_checkpoint_of_size_zero_must_have_the_empty_root(signed):
    """audit6: a checkpoint of 0 entries was never compared with anything, so one with a non-empty root
    (a checkpoint no log could sign) passed `verify --checkpoint`."""
    db, wd = signed
    (wd / "zero.txt").write_text((wd / "cp1.txt").read_text().replace("\n1\n", "\n0\n", 1), encoding="utf-8")
    report = verify_json(db, "--checkpoint", wd / "zero.txt")
    assert report["exit_code"] == 5 and report["failures"][0]["item"] == "checkpoint"
    assert "empty" in report["failures"][0]["message"]


def _old_style_proof():
    """A proof for a claim of an entry written before entries had a Merkle root of their rows (its rows
    travel whole), against a one-entry log signed here."""
    from ledger.core import merkle
    from ledger.core.ids import tagged_sha256

    rows = ['["c1","A"]', '["c2","B"]']
    body = {"claims": {"columns": ["id", "subject"], "count": 2, "sha256": tagged_sha256("".join(r + "\n" for r in rows).encode())}}
    e = {"id": 1, "kind": "build", "at": "2024-01-01T00:00:00Z", "actor": "x", "reason": "r", "body": body, "prev": None}
    leaf = history.entry_leaf(e["id"], e["kind"], e["at"], e["actor"], e["reason"], e["body"], e["prev"])
    skey, vkey = tlog.generate_key("example.org/old")
    note = tlog.sign_note(tlog.checkpoint_text("example.org/old", 1, merkle.root([merkle.leaf_hash(leaf)])), skey)
    proof = {"type": tlog.PROOF_TYPE, "claim": "c2", "table": "claims", "columns": ["id", "subject"], "row": rows[1],
             "row_in_entry": {"index": 1, "count": 2, "rows": rows}, "entry": e, "leaf_index": 0, "tree_size": 1,
             "inclusion": [], "checkpoint": note}
    return proof, tlog.read_checkpoint(note, vkey)


@pytest.mark.parametrize("where, value", [
    (("row_in_entry", "index"), 2), (("row_in_entry", "index"), -3), (("row_in_entry", "index"), -1),
    (("row_in_entry", "index"), True), (("leaf_index",), False), (("tree_size",), True), (("row_in_entry", "count"), 2.0),
])
def test_a_proof_with_an_index_out_of_range_or_not_an_integer_fails(where, value):
    """audit6: in a proof whose rows travel whole, an index past the rows was an IndexError traceback, and
    -1 (Python's last row), JSON true for 1 or false for 0 were accepted as the index they alias."""
    proof, cp = _old_style_proof()
    assert tlog.check_proof(proof, cp)["claim"] == "c2"
    target = proof
    for k in where[:-1]:
        target = target[k]
    target[where[-1]] = value
    with pytest.raises(tlog.ProofError):
        tlog.check_proof(proof, cp)
