"""`ledger export --format files` writes the ledger's history too (issue 13): reviews, events and every act's
time, in the files the commands write, so that `ledger build` of the export into a new database gives the same
claims, statuses, reviews and history head, entry for entry."""

from __future__ import annotations

import json
import os
from pathlib import Path

from _cli import q, run
from test_repository import ARTICLE, HUN, ledger_state

PAGE = Path(__file__).parent / "fixtures" / "html" / "bridge-report.html"


def test_export_then_build_gives_the_same_claims_statuses_reviews_and_head(workdir, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_RECORDED_BY", "Desk Editor")
    db = "ledger.db"
    run("build", "--db", db)
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE)
    run("source", "add", article, "--db", db, "--slug", "stadium-opens", "--title", "Stadium opens")
    run("source", "add", PAGE, "--db", db)
    run("claim", "add", "stadium-opens", "--db", db, "--subject", "Morodok Techo National Stadium",
        "--predicate", "cost", "--value", "$160 million", "--confidence", "0.9", "--quote", "cost $160 million")
    cap = q(db, "SELECT id FROM claims WHERE predicate = 'seating_capacity' ORDER BY id")[0][0]
    run("claim", "supersede", cap, "--db", db, "--confidence", "0.5", "--reason", "misread", "--by", "ed")
    wrong = q(db, "SELECT id FROM claims WHERE predicate = 'invited_by' ORDER BY id")[0][0]
    run("claim", "retract", wrong, "--db", db, "--reason", "wrong article", "--by", "ed")
    current = q(db, "SELECT id FROM current_claims ORDER BY id")[0][0]
    run("review", "add", current, "--db", db, "--rating", "True", "--reviewer", "Fact Desk",
        "--url", "https://factcheck.example.org/r1", "--date", "2026-12-01")
    outside = tmp_path / "from-a-colleague.jsonl"
    outside.write_text(json.dumps({"source": HUN, "subject": "Hun Sen", "predicate": "met", "value": "Xi Jinping",
                                   "quote": "Hun Sen", "occurrence": 1, "confidence": 0.7, "paraphrase": "the meeting is the article's subject"}) + "\n")
    run("import", outside, "--db", db)
    before = ledger_state(db)
    assert before["reviews"] and before["events"] and len({h[1] for h in before["history"]}) >= 6

    db = str(workdir / db)
    out = tmp_path / "exported"
    summary = json.loads(run("export", "--db", db, "--out", out, "--json").output)
    assert (summary["reviews"], summary["events"]) == (len(before["reviews"]), len(before["events"]))
    os.chdir(out)
    run("build", "--db", "rebuilt.db")
    after = ledger_state("rebuilt.db")
    for what in ("sources", "claims", "statuses", "events", "reviews", "history"):
        assert after[what] == before[what], what
    assert q("rebuilt.db", "SELECT * FROM source_field_origins ORDER BY 1, 2") == q(db, "SELECT * FROM source_field_origins ORDER BY 1, 2")
    # and the export of the rebuilt ledger is the same files
    run("export", "--db", "rebuilt.db", "--out", tmp_path / "again")
    for p in sorted(out.rglob("*")):
        if p.is_file() and not p.name.startswith("rebuilt.db") and p.name != ".ledger.lock":  # the writer lock
            assert (tmp_path / "again" / p.relative_to(out)).read_bytes() == p.read_bytes(), p

