"""`ledger export` then `ledger build` reproduces the same sources, claims,
ids, spans and statuses: corrections, retractions, revisions and re-anchored
claims included."""

import filecmp
import json
import os
from pathlib import Path



from _cli import q, run

HUN = "hun-sen-meets-xi"
SOK = "sokhonn-plans-china-trip"
# every claim column but where it was read from and which entry added it
SAME = (
    "id, source_id, subject, predicate, value, quote, span_start, span_end, span_text, prefix, suffix, match, "
    "occurrence, confidence, speaker, as_of, valid_from, valid_to, note, recorded_by, recorded_at, status, origin, flags, supersedes"
)


def snapshot(db_path) -> dict:
    return {
        "claims": q(db_path, f"SELECT {SAME} FROM claims ORDER BY id"),
        "sources": q(db_path, "SELECT id, slug, document, revision, url, title, publisher, published, length FROM sources ORDER BY slug"),
        "status": q(db_path, "SELECT claim_id, status, replaced_by, method, score, reason, changed_by, changed_at FROM claim_status ORDER BY claim_id"),
    }


def dirs_equal(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    diffs = []

    def walk(c, prefix=""):
        diffs.extend(prefix + n for n in c.left_only + c.right_only + c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, prefix + name + "/")

    walk(cmp)
    return diffs


def test_export_then_build_reproduces_claims_ids_spans_and_status(seed_db, workdir, tmp_path):
    # a living ledger: a correction, a retraction, a new revision re-anchored
    cap = q(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")[0][0]
    run("claim", "supersede", cap, "--db", seed_db, "--value", "60000 seats", "--reason", "misread", "--by", "ed")
    wrong = q(seed_db, "SELECT id FROM claims WHERE predicate = 'invited_by'")[0][0]
    run("claim", "retract", wrong, "--db", seed_db, "--reason", "wrong article", "--by", "ed")
    text = (workdir / "sources" / f"{HUN}.txt").read_text(encoding="utf-8")
    new = workdir / "refetched.txt"
    new.write_text("PHNOM PENH - " + text.replace("will conclude on December 4", "will conclude on December 6"), encoding="utf-8")
    run("source", "add", new, "--db", seed_db, "--slug", HUN)
    run("reanchor", HUN, "--db", seed_db, "--by", "ed")
    before = snapshot(seed_db)
    statuses = {s for _, s, *_ in before["status"]}
    assert statuses == {"current", "superseded", "retracted", "orphaned"}

    out = tmp_path / "exported"
    summary = json.loads(run("export", "--db", seed_db, "--out", out, "--json").stdout)
    assert summary["events"] == len(q(seed_db, "SELECT * FROM claim_events"))
    assert (out / "sources" / f"{HUN}@2.txt").read_bytes() == new.read_bytes()

    os.chdir(out)
    rebuilt = out / "rebuilt.db"
    run("build", "--db", rebuilt)
    assert snapshot(rebuilt) == before
    assert run("verify", "--db", rebuilt).exit_code == 0
    # building again adds nothing, and exporting the rebuilt ledger gives the same files
    again = json.loads(run("build", "--db", rebuilt, "--json").stdout)
    assert (again["added"], again["sources_added"], again["events"]) == (0, 0, 0)
    out2 = tmp_path / "exported-again"
    run("export", "--db", rebuilt, "--out", out2)
    assert dirs_equal(out / "sources", out2 / "sources") == []
    assert dirs_equal(out / "claims", out2 / "claims") == []
    assert dirs_equal(out / "history", out2 / "history") == []


def test_the_working_files_rebuild_the_same_ledger(seed_db, workdir):
    """The commands append to claims/ and history/ as they write, so the
    repository's own files rebuild what the commands made."""
    cap = q(seed_db, "SELECT id FROM claims WHERE predicate = 'seating_capacity'")[0][0]
    run("claim", "supersede", cap, "--db", seed_db, "--value", "60000 seats", "--reason", "misread")
    wrong = q(seed_db, "SELECT id FROM claims WHERE predicate = 'invited_by'")[0][0]
    run("claim", "retract", wrong, "--db", seed_db, "--reason", "wrong article")
    fresh = workdir / "fresh.db"
    run("build", "--db", fresh)
    assert snapshot(fresh) == snapshot(seed_db)
    # and building into the original ledger again changes nothing
    heads = q(seed_db, "SELECT hash FROM history ORDER BY id DESC LIMIT 1")
    run("build", "--db", seed_db)
    assert q(seed_db, "SELECT hash FROM history ORDER BY id DESC LIMIT 1") == heads
