"""The repository is the ledger (issue 13): every command writes its files, `ledger build` from a fresh clone
reproduces the same sources, claims, statuses, reviews and history, and two clones merge in git cleanly, in
either order, to one ledger."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from _cli import q, run

SEED = "sokhonn-plans-china-trip"
HUN = "hun-sen-meets-xi"
ARTICLE = (
    "The Morodok Techo National Stadium opened on Saturday with a seating capacity of 60,000, the ministry said.\n"
    "Officials said the stadium cost $160 million.\n"
)


def ledger_state(db_path) -> dict:
    """Everything a ledger holds that its files must reproduce, row for row (the history included)."""
    conn = sqlite3.connect(db_path)
    try:
        def rows(sql):
            return [tuple(r) for r in conn.execute(sql)]

        return {
            "sources": rows("SELECT * FROM sources ORDER BY id"),
            "claims": rows("SELECT * FROM claims ORDER BY id"),
            "statuses": rows("SELECT claim_id, status, replaced_by, reason FROM claim_status ORDER BY claim_id"),
            "events": rows("SELECT * FROM claim_events ORDER BY id"),
            "reviews": rows("SELECT * FROM reviews ORDER BY id"),
            # what a review says, without the history entry that recorded it (acts merged in late get later entries)
            "review_contents": [tuple(v for k, v in zip([d[0] for d in conn.execute("SELECT * FROM reviews").description], r)
                                      if k != "entry_id") for r in conn.execute("SELECT * FROM reviews ORDER BY id")],
            "history": rows("SELECT id, kind, at, actor, reason, body, prev, hash FROM history ORDER BY id"),
        }
    finally:
        conn.close()


def git(cwd, *args):
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stdout}{out.stderr}"
    return out.stdout


def commit_all(repo, message):
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", message)


def fresh_build(repo: Path, into: Path, monkeypatch) -> Path:
    """`git clone` the repository and `ledger build` it into a new database."""
    git(into.parent, "clone", "-q", str(repo), str(into))
    assert not (into / "ledger.db").exists()
    monkeypatch.chdir(into)
    run("build", "--db", "ledger.db")
    return into / "ledger.db"


def stadium_claim(db_path) -> str:
    return q(db_path, "SELECT id FROM current_claims WHERE predicate = 'seating_capacity' ORDER BY id")[0][0]


def claim_id_of(result) -> str:
    return json.loads(result.stdout)["id"]


# ---------------------------------------------------------------- the tour, then a fresh clone


def test_the_tour_then_a_build_from_a_fresh_clone_gives_the_same_ledger_and_head(workdir, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LEDGER_RECORDED_BY", "Tour Reader")
    git(workdir, "init", "-q")
    (workdir / ".gitignore").write_text("/ledger.db\n/ledger.db-*\n/.ledger.lock\n")
    db = workdir / "ledger.db"
    printed = []

    def tour(*args, **kw):
        r = run(*args, "--db", db, **kw)
        printed.append((args[:2], r.stdout.strip().splitlines()[:2]))
        return r

    tour("build")
    (workdir / "article.txt").write_text(ARTICLE, encoding="utf-8")
    tour("source", "add", "article.txt", "--title", "Stadium opens", "--url", "https://example.com/stadium",
         "--publisher", "Example News", "--published", "2024-05-01", "--date-basis", "dateline")
    said = claim_id_of(tour(
        "claim", "add", SEED, "--subject", "Kin Phea", "--predicate", "said", "--speaker", "Kin Phea",
        "--value", "Cambodia is suffering economically due to Covid-19 - but so is China", "--confidence", "0.9",
        "--quote", 'Cambodia is suffering economically due to Covid-19 - but so is China," he said', "--json"))
    # an import from outside claims/ (the tour's extra.jsonl): copied in, its name kept
    extra = workdir.parent / "extra.jsonl"
    extra.write_text(json.dumps({"source": "stadium-opens", "subject": "Morodok Techo National Stadium",
                                 "predicate": "cost", "value": "$160 million", "confidence": 0.8,
                                 "quote": "the stadium cost $160 million"}) + "\n", encoding="utf-8")
    tour("import", extra, "--dry-run")
    tour("import", extra)
    tour("verify")
    stadium = stadium_claim(db)
    tour("claim", "supersede", stadium, "--confidence", "0.6", "--reason", "the figure is not expressly seats", "--by", "Sreyneang")
    tour("claim", "retract", said, "--reason", "recorded against the wrong article")
    refetched = workdir / "refetched.txt"
    refetched.write_bytes(b"PHNOM PENH - " + (workdir / "sources" / f"{HUN}.txt").read_bytes())
    tour("source", "add", refetched, "--slug", HUN)
    tour("reanchor", HUN)
    tour("extract", f"{HUN}@2", "--accept", "--kind", "date")
    tour("review", "add", stadium_claim(db), "--rating", "Mostly true", "--rating-value", "4", "--best-rating", "5",
         "--worst-rating", "1", "--reviewer", "Example Fact Check", "--url", "https://factcheck.example.org/stadium",
         "--date", "2024-12-05")
    head = tour("head").stdout.split()[0]
    assert tour("verify").exit_code == 0
    commit_all(workdir, "the tour")

    clone = fresh_build(workdir, tmp_path_factory.mktemp("clone") / "repo", monkeypatch)
    before, after = ledger_state(db), ledger_state(clone)
    for part in before:
        assert after[part] == before[part], part
    assert run("head", "--db", clone).stdout.split()[0] == head
    assert len(before["reviews"]) == 1 and len(before["claims"]) > 45
    assert {s for _, s, *_ in before["statuses"]} >= {"current", "superseded", "retracted", "orphaned"} - {"orphaned"}
    kinds = [h[1] for h in before["history"]]
    assert kinds[:2] == ["build", "source add"] and {"claim add", "import", "supersede", "retract", "reanchor",
                                                     "extract", "review"} <= set(kinds)
    # what the tour printed, for the record (pytest -s shows it)
    for args, lines in printed:
        print(" ".join(map(str, args)), "->", " | ".join(lines))


# ---------------------------------------------------------------- each case the issue found


@pytest.fixture
def rebuilt(workdir, tmp_path_factory, monkeypatch):
    """Returns a function: the state of a ledger built from a copy of the current files (no database)."""

    def build_copy():
        target = tmp_path_factory.mktemp("copy")
        for name in ("sources", "claims", "history", "reviews"):
            if (workdir / name).exists():
                shutil.copytree(workdir / name, target / name)
        monkeypatch.chdir(target)
        try:
            run("build", "--db", "fresh.db")
            return ledger_state(target / "fresh.db")
        finally:
            monkeypatch.chdir(workdir)

    return build_copy


def test_claims_imported_from_a_file_outside_claims_are_rebuilt(seed_db, workdir, rebuilt):
    outside = workdir.parent / "from-a-colleague.jsonl"
    outside.write_text(json.dumps({"source": SEED, "subject": "Morodok Techo National Stadium",
                                   "predicate": "capacity_note", "value": "60,000",
                                   "quote": "a seating capacity of 60,000", "confidence": 0.7}) + "\n")
    run("import", "--db", seed_db, outside)
    copies = list((workdir / "claims" / "imported").glob("*--from-a-colleague.jsonl"))
    assert len(copies) == 1 and copies[0].read_bytes() == outside.read_bytes()
    assert rebuilt()["claims"] == ledger_state(seed_db)["claims"]
    # importing the same file again copies nothing more and adds nothing
    run("import", "--db", seed_db, outside)
    assert len(list((workdir / "claims" / "imported").iterdir())) == 1


def test_a_failed_import_leaves_no_copy_and_names_the_file_given(seed_db, workdir):
    outside = workdir.parent / "bad.jsonl"
    outside.write_text(json.dumps({"source": SEED, "subject": "S", "predicate": "p", "value": "v",
                                   "quote": "a passage that is not in the article", "confidence": 0.7}) + "\n")
    r = run("import", "--db", seed_db, outside, ok=False)
    assert r.exit_code == 1 and "bad.jsonl:1" in r.output and "imported/" not in r.output
    assert not (workdir / "claims" / "imported").exists() or not any((workdir / "claims" / "imported").iterdir())


def test_a_dangling_supersedes_in_an_imported_file_names_the_file_given(seed_db, workdir):
    # found from outside (audit5): the error named claims/imported/TIME--bad.jsonl, a copy the failed import
    # had already removed
    outside = workdir.parent / "bad.jsonl"
    outside.write_text(json.dumps({"source": SEED, "subject": "Morodok Techo National Stadium",
                                   "predicate": "capacity_note", "value": "60,000",
                                   "quote": "a seating capacity of 60,000", "confidence": 0.7,
                                   "supersedes": "cffffffffffffffff"}) + "\n")
    before = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    r = run("import", "--db", seed_db, outside, ok=False)
    assert r.exit_code == 1 and "supersedes cffffffffffffffff, which is not in the ledger" in r.output
    assert "imported/" not in r.output and "bad.jsonl: claim c" in r.output
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] == before
    assert not (workdir / "claims" / "imported").exists() or not any((workdir / "claims" / "imported").iterdir())


def test_extract_accept_claims_are_written_to_the_files_and_rebuilt(seed_db, workdir, rebuilt):
    before = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    run("extract", HUN, "--db", seed_db, "--accept", "--kind", "date")
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] > before
    assert list((workdir / "claims" / HUN).glob("*.yml"))
    assert rebuilt()["claims"] == ledger_state(seed_db)["claims"]


def test_reviews_are_written_to_the_files_and_rebuilt(seed_db, workdir, rebuilt):
    run("review", "add", stadium_claim(seed_db), "--db", seed_db, "--rating", "True", "--reviewer", "Desk",
        "--url", "https://factcheck.example.org/a", "--date", "2024-12-05", env={"LEDGER_RECORDED_BY": "ana"})
    line = json.loads((workdir / "reviews" / "ana.jsonl").read_text())
    assert line["rating"] == "True" and line["recorded_by"] == "ana"
    state = rebuilt()
    assert len(state["reviews"]) == 1 and state["reviews"] == ledger_state(seed_db)["reviews"]
    # the review's entry is the same (the seed entry's rows name the seed files by the path seed_db was built with)
    assert [h[1:6] for h in state["history"][1:]] == [h[1:6] for h in ledger_state(seed_db)["history"][1:]]
    assert state["history"][-1][1] == "review"


def test_a_revision_added_with_slug_keeps_its_predecessors_provenance(seed_db, workdir, rebuilt):
    refetched = workdir / "refetched.txt"
    refetched.write_bytes(b"PHNOM PENH - " + (workdir / "sources" / f"{HUN}.txt").read_bytes())
    run("source", "add", refetched, "--slug", HUN, "--db", seed_db)
    cols = "title, publisher, url, published, date_basis"
    first = q(seed_db, f"SELECT {cols} FROM sources WHERE slug = ?", [HUN])[0]
    assert all(first[:4])
    assert q(seed_db, f"SELECT {cols} FROM sources WHERE slug = ?", [f"{HUN}@2"])[0] == first
    # (the seed rows' `path` names the files as seed_db's build was given them, so compare the provenance)
    assert [r[:11] for r in rebuilt()["sources"]] == [r[:11] for r in ledger_state(seed_db)["sources"]]
    # a value given anew wins over the carried one
    refetched.write_bytes(b"UPDATED - " + refetched.read_bytes())
    run("source", "add", refetched, "--slug", HUN, "--title", "A new headline", "--db", seed_db)
    assert q(seed_db, "SELECT title, publisher FROM sources WHERE slug = ?", [f"{HUN}@3"])[0] == ("A new headline", first[1])


def test_source_add_of_a_held_text_writes_no_file(seed_db, workdir):
    sidecar = (workdir / "sources" / f"{HUN}.yml").read_bytes()
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*") if p.is_file() and "ledger.db" not in p.name and p.name != ".ledger.lock")
    # different provenance for a held text is an error listing the differences (issue 13), nothing written
    r = run("source", "add", workdir / "sources" / f"{HUN}.txt", "--slug", HUN, "--publisher", "Someone else",
            "--db", seed_db, ok=False)
    assert r.exit_code == 1 and "publisher: held 'The Phnom Penh Post', given 'Someone else'" in r.output
    run("source", "add", workdir / "sources" / f"{HUN}.txt", "--slug", HUN, "--db", seed_db)  # already held
    assert (workdir / "sources" / f"{HUN}.yml").read_bytes() == sidecar
    after = sorted(p.relative_to(workdir) for p in workdir.rglob("*") if p.is_file() and "ledger.db" not in p.name and p.name != ".ledger.lock")
    assert after == before


def test_a_command_whose_replay_fails_leaves_the_files_as_they_were(seed_db, workdir, monkeypatch):
    from ledger.services import repository

    def boom(*a, **k):
        raise repository.RepositoryError("simulated failure")

    monkeypatch.setattr(repository, "replay_files", boom)
    run("claim", "add", SEED, "--db", seed_db, "--subject", "S", "--predicate", "p", "--value", "60,000",
        "--quote", "a seating capacity of 60,000", "--confidence", "0.5", "--recorded-by", "ana", ok=False)
    assert not (workdir / "claims" / SEED / "ana.yml").exists()


# ---------------------------------------------------------------- two clones, merged in git


def _work_in(clone: Path, monkeypatch, who: str, value: str, rating: str):
    """One person's day on their clone: a claim, a correction and a review, committed."""
    monkeypatch.chdir(clone)
    monkeypatch.setenv("LEDGER_RECORDED_BY", who)
    run("build", "--db", "ledger.db")
    cid = claim_id_of(run("claim", "add", SEED, "--db", "ledger.db", "--subject", f"{who} subject",
                          "--predicate", "seating_capacity", "--value", value, "--confidence", "0.9",
                          "--quote", "a seating capacity of 60,000", "--json"))
    run("review", "add", cid, "--db", "ledger.db", "--rating", rating, "--reviewer", who,
        "--url", "https://factcheck.example.org/" + who.lower())
    run("claim", "supersede", cid, "--db", "ledger.db", "--confidence", "0.6", "--reason", f"{who} was unsure")
    commit_all(clone, f"{who}'s work")


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_two_clones_merged_in_either_order_build_the_same_ledger(workdir, tmp_path_factory, monkeypatch, order):
    git(workdir, "init", "-q")
    (workdir / ".gitignore").write_text("*.db\n*.db-*\n.ledger.lock\n")
    commit_all(workdir, "seeds")
    base = tmp_path_factory.mktemp("clones")
    a, b = base / "a", base / "b"
    git(base, "clone", "-q", str(workdir), "a")
    git(base, "clone", "-q", str(workdir), "b")
    _work_in(a, monkeypatch, "Ana", "60,000", "True")
    _work_in(b, monkeypatch, "Bo", "60000 seats", "Mostly true")
    first, second = (a, b) if order == "a-then-b" else (b, a)
    # each merges the other's work into their own clone: no conflicts, whichever way round
    git(first, "pull", "-q", "--no-rebase", "--no-edit", str(second), "HEAD")
    merged = fresh_build(first, base / "merged", monkeypatch)
    state = ledger_state(merged)
    assert len(state["reviews"]) == 2
    assert {r[1] for r in state["statuses"] if r[3] and "unsure" in r[3]} == {"superseded"}
    # the other order gives the very same ledger, history head included
    git(second, "pull", "-q", "--no-rebase", "--no-edit", str(first), "HEAD")
    other = fresh_build(second, base / "other", monkeypatch)
    assert ledger_state(other) == state
    # the merged clone's own ledger takes the other's work in by appending to its history, never reordering:
    # Bo worked after Ana, so Ana's ledger appends Bo's acts in their order (the fresh build's history); Bo's
    # ledger appends Ana's earlier acts after its own (late), keeping every head it held as a prefix
    monkeypatch.chdir(first)
    held = ledger_state(first / "ledger.db")["history"]
    out = json.loads(run("build", "--db", "ledger.db", "--json").stdout)
    mine = ledger_state(first / "ledger.db")
    assert mine["history"][: len(held)] == held
    for part in ("sources", "statuses", "review_contents"):
        assert mine[part] == state[part], part
    assert {c[0] for c in mine["claims"]} == {c[0] for c in state["claims"]}
    if order == "a-then-b":
        assert out["late"] == 0 and mine["history"] == state["history"]
    else:
        assert out["late"] == 3 and mine["history"] != state["history"]


# ---------------------------------------------------------------- verify --files


def test_verify_files_reports_what_is_in_the_files_and_not_the_database_and_back(seed_db, workdir):
    assert run("verify", "--db", seed_db, "--files", ".").exit_code == 0
    stadium = stadium_claim(seed_db)
    # a colleague's claim pulled in but not built yet, and a retraction whose file was lost
    extra = workdir / "claims" / SEED / "bo.yml"
    extra.parent.mkdir()
    extra.write_text("source: sokhonn-plans-china-trip\nclaims:\n- subject: S\n  predicate: p\n  value: 60,000\n"
                     "  quote: a seating capacity of 60,000\n  confidence: 0.5\n"
                     "  recorded_at: 2026-12-01T00:00:00.000001+00:00\n")
    run("claim", "retract", stadium, "--db", seed_db, "--reason", "wrong article", "--by", "ana")
    (workdir / "history" / "events" / "ana.jsonl").unlink()
    r = run("verify", "--db", seed_db, "--files", ".", ok=False)
    assert r.exit_code == 10
    lines = [line for line in r.output.splitlines() if line.startswith("files:")]
    assert len(lines) == 2
    assert "but not in the database: run `ledger build`" in lines[0] and "claims/sokhonn-plans-china-trip/bo.yml" in lines[0]
    assert f"event {stadium} retracted" in lines[1] and "in the database but in no file" in lines[1]


def test_recording_times_strictly_increase_even_when_the_clock_is_behind(seed_db):
    from ledger.services import repository
    from ledger.store.db import open_db

    db = open_db(seed_db)
    future = "2999-01-01T00:00:00.000000+00:00"
    run("claim", "add", SEED, "--db", seed_db, "--subject", "S", "--predicate", "p", "--value", "60,000",
        "--quote", "a seating capacity of 60,000", "--confidence", "0.5")
    assert repository.record_time(db) > q(seed_db, "SELECT max(at) FROM history")[0][0]
    # a ledger whose latest entry is in the future (a clock set wrong on another clone): one microsecond after it
    with db.conn:
        db.execute("INSERT INTO history (id, kind, at, body, hash) VALUES (999, 'x', ?, '{}', 'h')", [future])
    assert repository.record_time(db) == "2999-01-01T00:00:00.000001+00:00"
    assert repository.time_key(None) < repository.time_key("2020-01-01T00:00:00+00:00")


def test_a_saved_page_added_then_a_fresh_build_gives_the_same_history_head(workdir):
    """`source add page.html` writes its act's time and author into the sidecar, so a build from the files
    alone replays it as the same entry (it used to write the wall clock into the entry and nothing in the files)."""
    page = Path(__file__).parent / "fixtures" / "html" / "bridge-report.html"
    run("build", "--db", "ledger.db")
    run("source", "add", page, "--db", "ledger.db")
    held = json.loads(run("head", "--db", "ledger.db", "--json").output)
    run("build", "--db", "fresh.db")
    fresh = json.loads(run("head", "--db", "fresh.db", "--json").output)
    # made_at is when `head` ran, not part of the ledger (it made this test fail when a second ticked over)
    held.pop("made_at"), fresh.pop("made_at")
    assert fresh == held and held["ledger_head"]
