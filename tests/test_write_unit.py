"""The one write unit (issue 19): every command that changes the ledger writes its files, then one transaction
holding its history entry and the refresh of the derived state; nothing can skip a step, and a failure leaves
the files and the database as they were."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from _cli import q, run
from ledger.core.errors import LedgerError
from ledger.services import unit
from ledger.services.ingest import ImportFailed
from ledger.store import compare as comparison
from ledger.store import history
from ledger.store.db import open_db, write
from ledger.store.derived_check import check_derived
from ledger.store.writer import ClaimWriter, SourceIndex, prepare
from ledger.formats import claimfile
from ledger.store.facet_counts import mismatches

HUN = "hun-sen-meets-xi"
PAGE = (Path(__file__).parent / "fixtures" / "html" / "stadium-opening.html").read_bytes()
ARTICLE = "The Morodok Techo National Stadium opened on Saturday with a seating capacity of 60,000, the ministry said.\n"
REVISED = "The Morodok Techo National Stadium opened on Saturday with a seating capacity of 60,000, the ministry said today.\n"


def warc_of(url: str, body: bytes) -> bytes:
    """A gzipped WARC holding one HTTP response with ``body``."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return buf.getvalue()


def entries(db_path) -> int:
    return q(db_path, "SELECT count(*) FROM history")[0][0]


def assert_fresh(db_path):
    """The derived state equals a recomputation from the recorded rows: the comparison tables (a full
    refresh in a private copy), the full-text indexes and the facet counts (a fresh GROUP BY)."""
    db = open_db(db_path, create=False, migrate=False)
    try:
        assert list(check_derived(db)) == []
        assert mismatches(db) == []
        assert not comparison.is_stale(db)
    finally:
        db.close()


def stadium(db_path) -> str:
    return q(db_path, "SELECT id FROM current_claims WHERE predicate = 'seating_capacity' ORDER BY id")[0][0]


def test_every_writing_command_leaves_the_derived_state_fresh_and_one_entry_per_act(seed_db, workdir, monkeypatch):
    monkeypatch.setenv("LEDGER_RECORDED_BY", "Unit Tester")
    Path("article.txt").write_text(ARTICLE, encoding="utf-8")
    Path("page.html").write_bytes(PAGE)
    Path("capture.warc.gz").write_bytes(warc_of("https://example.org/stadium", PAGE.replace(b"60,000", b"61,000")))
    Path("more.yml").write_text(
        "source: stadium-news\nclaims:\n- subject: Morodok Techo National Stadium\n  predicate: opened\n"
        "  value: Saturday\n  quote: opened on Saturday\n  confidence: 0.9\n",
        encoding="utf-8",
    )
    Path("article-2.txt").write_text(REVISED, encoding="utf-8")
    claim_args = ["--subject", "Morodok Techo National Stadium", "--predicate", "seating_capacity",
                  "--value", "60,000", "--quote", "a seating capacity of 60,000", "--confidence", "0.9"]
    steps = [
        ("source add (text)", lambda: run("source", "add", "article.txt", "--db", seed_db, "--slug", "stadium-news",
                                          "--url", "https://example.com/stadium")),
        ("source add (html)", lambda: run("source", "add", "page.html", "--db", seed_db)),
        ("source add (warc)", lambda: run("source", "add", "capture.warc.gz", "--db", seed_db)),
        ("claim add", lambda: run("claim", "add", "stadium-news", "--db", seed_db, *claim_args)),
        ("import", lambda: run("import", "more.yml", "--db", seed_db)),
        ("extract --accept", lambda: run("extract", HUN, "--db", seed_db, "--accept", "--kind", "date")),
        ("review add", lambda: run("review", "add", stadium(seed_db), "--db", seed_db, "--rating", "True",
                                   "--reviewer", "Desk", "--url", "https://factcheck.example.org/a")),
        ("claim supersede", lambda: run("claim", "supersede", stadium(seed_db), "--db", seed_db,
                                        "--note", "checked", "--reason", "a note added")),
        ("claim retract", lambda: run("claim", "retract", stadium(seed_db), "--db", seed_db, "--reason", "wrong")),
        ("source add (revision)", lambda: run("source", "add", "article-2.txt", "--db", seed_db,
                                              "--slug", "stadium-news")),
        ("reanchor", lambda: run("reanchor", "stadium-news", "--db", seed_db)),
        ("build (nothing new)", lambda: run("build", "--db", seed_db)),
    ]
    assert_fresh(seed_db)
    for name, step in steps:
        before = entries(seed_db)
        rows_before = q(seed_db, "SELECT (SELECT count(*) FROM sources) + (SELECT count(*) FROM claims) "
                                 "+ (SELECT count(*) FROM claim_events) + (SELECT count(*) FROM reviews)")[0][0]
        step()
        rows_after = q(seed_db, "SELECT (SELECT count(*) FROM sources) + (SELECT count(*) FROM claims) "
                                "+ (SELECT count(*) FROM claim_events) + (SELECT count(*) FROM reviews)")[0][0]
        wrote = rows_after > rows_before
        assert entries(seed_db) - before == (1 if wrote else 0), name
        assert_fresh(seed_db)
    kinds = [k for (k,) in q(seed_db, "SELECT kind FROM history ORDER BY id")][1:]
    assert kinds == ["source add", "source add", "source add", "claim add", "import", "extract", "review",
                     "supersede", "retract", "source add", "reanchor"]
    # the files are the ledger: a build of them into a new database gives the same head
    run("build", "--db", "fresh.db")
    assert q("fresh.db", "SELECT count(*) FROM claims") == q(seed_db, "SELECT count(*) FROM claims")


def test_a_write_commits_rows_entry_and_derived_state_together(seed_db):
    db = open_db(seed_db)
    facts_before = db.execute("SELECT count(*) FROM claim_values").fetchone()[0]
    claim = claimfile.validate(claimfile.Record(
        {"source": HUN, "subject": "Hun Sen", "predicate": "met", "value": "Xi Jinping", "quote": "Xi Jinping",
         "confidence": 0.9}, "test", None, 1))
    with write(db, "claim add", actor="tester", at=history.now()):
        writer = ClaimWriter(db)
        writer.add(prepare(claim, SourceIndex(db), "test"), "test")
        writer.flush()
    assert db.execute("SELECT kind, actor FROM history ORDER BY id DESC LIMIT 1").fetchone() == ("claim add", "tester")
    assert db.execute("SELECT count(*) FROM claim_values").fetchone()[0] == facts_before + 1
    assert list(check_derived(db)) == [] and not comparison.is_stale(db)


def test_a_failed_write_rolls_back_rows_entry_and_refresh(seed_db):
    db = open_db(seed_db)
    state = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "history", "claim_values")]
    claim = claimfile.validate(claimfile.Record(
        {"source": HUN, "subject": "Hun Sen", "predicate": "met", "value": "Xi Jinping", "quote": "Xi Jinping",
         "confidence": 0.9}, "test", None, 1))
    with pytest.raises(RuntimeError, match="after the rows"):
        with write(db, "claim add", actor="tester", at=history.now()):
            writer = ClaimWriter(db)
            writer.add(prepare(claim, SourceIndex(db), "test"), "test")
            writer.flush()
            raise RuntimeError("after the rows")
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "history", "claim_values")] == state
    assert not db.conn.in_transaction


def test_a_row_cannot_be_written_outside_the_write_unit(seed_db):
    db = open_db(seed_db)
    claim = claimfile.validate(claimfile.Record(
        {"source": HUN, "subject": "Hun Sen", "predicate": "met", "value": "Xi Jinping", "quote": "Xi Jinping",
         "confidence": 0.9}, "test", None, 1))
    row = prepare(claim, SourceIndex(db), "test")
    with pytest.raises(LedgerError, match="outside a history entry"):
        writer = ClaimWriter(db)
        writer.add(row, "test")
        writer.flush()
    # nor inside a write that opens no entry of its own (a replay opens one per act)
    with pytest.raises(LedgerError, match="outside a history entry"):
        with write(db, None):
            writer = ClaimWriter(db)
            writer.add(row, "test")
            writer.flush()
    assert db.execute("SELECT count(*) FROM claims WHERE id = ?", [row["id"]]).fetchone()[0] == 0


def test_a_failed_replay_puts_the_files_back_and_writes_no_row(seed_db, workdir):
    """Files first, then the database: when the database half fails, the files written are restored byte for
    byte (a file that was new is removed), and the database holds no row and no entry of the act."""
    db = open_db(seed_db)
    held = workdir / "claims" / f"{HUN}.yml"
    before_bytes = held.read_bytes()
    new = workdir / "claims" / HUN / "tester.yml"
    before = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "history")]

    def write_files():
        # a claim on a source the ledger does not hold: the replay refuses it
        new.parent.mkdir(parents=True, exist_ok=True)
        new.write_text("source: no-such-source\nclaims:\n- subject: A\n  predicate: b\n  value: c\n  quote: d\n"
                       "  confidence: 0.5\n  recorded_at: '2030-01-01T00:00:00.000000+00:00'\n", encoding="utf-8")
        held.write_bytes(before_bytes + b"# an edit the failed act made\n")

    with pytest.raises(ImportFailed, match="no-such-source"):
        with unit.act(workdir):
            unit.commit(db, write_files, claims=[new], also=[held], claims_dir=workdir / "claims")
    assert not new.exists()
    assert held.read_bytes() == before_bytes
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "history")] == before
    assert not db.conn.in_transaction


def test_a_failed_command_leaves_files_and_ledger_as_they_were(seed_db, workdir, monkeypatch):
    """Through the command line: a claim whose value its span does not give is refused before any file is
    written; the ledger's files and rows are unchanged."""
    monkeypatch.setenv("LEDGER_RECORDED_BY", "Unit Tester")
    files = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file() and p.suffix in (".yml", ".txt", ".jsonl")}
    head = q(seed_db, "SELECT max(id) FROM history")
    r = run("claim", "add", HUN, "--db", seed_db, "--subject", "Hun Sen", "--predicate", "met", "--value", "Putin",
            "--quote", "Xi Jinping", "--confidence", "0.9", ok=False)
    assert r.exit_code == 1
    after = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file() and p.suffix in (".yml", ".txt", ".jsonl")}
    assert after == files
    assert q(seed_db, "SELECT max(id) FROM history") == head
    assert q(seed_db, "SELECT count(*) FROM claims WHERE value = 'Putin'") == [(0,)]
