"""The public library API (``ledger/__init__.py``, issue 19): a ledger recorded, corrected, reviewed, checked
and exported without click, with the same files and rows the commands make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ledger

ARTICLE = (
    "The Morodok Techo National Stadium opened on Saturday with a seating capacity of 60,000, the ministry said.\n"
    "Officials said the stadium cost $160 million.\n"
)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_RECORDED_BY", "Api User")
    Path("article.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def test_a_ledger_recorded_corrected_and_checked_through_the_api(repo):
    db = ledger.open_db("ledger.db")
    src = ledger.add_source(db, "article.txt", url="https://example.com/stadium", publisher="Example News",
                            title="Stadium opens")
    assert src["added"] and src["slug"] == "stadium-opens" and Path("sources/stadium-opens.txt").read_bytes() == ARTICLE.encode()
    again = ledger.add_source(db, "article.txt")
    assert not again["added"] and again["id"] == src["id"]

    claim = ledger.record_claim(db, src["slug"], subject="Morodok Techo National Stadium",
                                predicate="seating_capacity", value="60,000",
                                quote="a seating capacity of 60,000", confidence=0.9)
    assert claim["added"] and claim["claims_file"] == "claims/stadium-opens/api-user.yml"
    assert ARTICLE[claim["span_start"]:claim["span_end"]] == claim["span_text"] == "a seating capacity of 60,000"
    assert ledger.locate(ARTICLE, "a seating capacity of 60,000").start == claim["span_start"]

    fixed = ledger.supersede(db, claim["id"], {"value": "60000"}, reason="written without the comma")
    assert fixed["old"] == claim["id"] and fixed["new"] != claim["id"]
    ledger.retract(db, fixed["new"], reason="wrong article")
    life = ledger.claim_history(db, fixed["new"])
    assert life["status"]["status"] == "retracted"

    cost = ledger.record_claim(db, src["slug"], subject="Morodok Techo National Stadium", predicate="cost",
                               value="$160 million", quote="the stadium cost $160 million", confidence=0.8)
    review = ledger.add_review(db, cost["id"], rating="True", reviewer="Desk", url="https://factcheck.example.org/a")
    assert review["added"] and Path("reviews/api-user.jsonl").exists()

    Path("more.yml").write_text(
        "source: stadium-opens\nclaims:\n- subject: Morodok Techo National Stadium\n  predicate: opened\n"
        "  value: Saturday\n  quote: opened on Saturday\n  confidence: 0.9\n",
        encoding="utf-8",
    )
    assert ledger.import_files(db, ["more.yml"], dry_run=True).added == 1
    assert ledger.import_files(db, ["more.yml"]).added == 1
    assert ledger.import_files(db, ["more.yml"]).added == 0

    groups = ledger.compare(db, subject="Morodok Techo National Stadium")
    assert {g["predicate"] for g in groups} >= {"cost", "opened"}
    report = ledger.verify(db)
    assert report["ok"], report["failures"]
    kinds = [r[0] for r in db.execute("SELECT kind FROM history ORDER BY id")]
    assert kinds == ["source add", "claim add", "supersede", "retract", "claim add", "review", "import"]

    # the files are the ledger: building them into a new database gives the same head
    fresh = ledger.open_db("fresh.db")
    ledger.build(fresh)
    head = "SELECT hash FROM history ORDER BY id DESC LIMIT 1"
    assert fresh.execute(head).fetchone() == db.execute(head).fetchone()

    summary = ledger.export(db, "jsonl", "out.jsonl")
    assert summary and Path("out.jsonl").read_text(encoding="utf-8").count("\n") == db.execute(
        "SELECT count(*) FROM claims").fetchone()[0]


def test_errors_are_ledger_errors_and_nothing_is_written(repo):
    db = ledger.open_db("ledger.db")
    src = ledger.add_source(db, "article.txt", title="Stadium opens")
    with pytest.raises(ledger.LedgerError, match="no-such-source"):
        ledger.record_claim(db, "no-such-source", subject="A", predicate="b", value="c", quote="d", confidence=0.5)
    with pytest.raises(ledger.LedgerError):
        ledger.record_claim(db, src["slug"], subject="A", predicate="seating_capacity", value="70,000",
                            quote="a seating capacity of 60,000", confidence=0.5)
    assert not Path("claims").exists() or not any(Path("claims").rglob("*.yml"))
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == 0


def test_importing_ledger_stays_light():
    """The API's names load on first use: importing a pure module does not load the store or click."""
    code = ("import sys, ledger.core.anchor; "
            "print(sorted(m for m in sys.modules if m.startswith(('ledger.store', 'ledger.services', 'click'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert set(ledger.__all__) >= {"open_db", "add_source", "record_claim", "import_files", "build", "verify",
                                   "locate", "supersede", "retract", "add_review", "compare"}
