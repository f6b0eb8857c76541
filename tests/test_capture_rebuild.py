"""Saved pages and web captures are in the files too (issue 13): `ledger build` of the files alone gives the same
`captures` and `source_field_origins` rows, and the same history head, as the ledger the commands wrote."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from _cli import run

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PAGE = (FIXTURES / "stadium-opening.html").read_bytes()
URL = "https://news.example.org/stadium"


def write_warc(path: Path, payload: bytes, day: int) -> Path:
    """A capture of ``payload`` at URL made on day ``day`` of December 2026."""
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        rec = w.create_warc_record(URL, "response", payload=io.BytesIO(payload), http_headers=headers,
                                   warc_headers_dict={"WARC-Date": f"2026-12-{day:02d}T10:00:00Z"})
        w.write_record(rec)
    return path


def rows(db, table):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        conn.close()


def head(db):
    return json.loads(run("head", "--db", db, "--json").output)


def test_a_page_and_captures_are_rebuilt_from_the_files_with_the_same_head(workdir, tmp_path):
    run("build", "--db", "ledger.db")
    run("source", "add", FIXTURES / "bridge-report.html", "--db", "ledger.db")
    run("source", "add", write_warc(tmp_path / "one.warc.gz", PAGE, 1), "--db", "ledger.db")
    sidecars = {p.name: p.read_bytes() for p in Path("sources").glob("*.yml")}
    # the same page captured again: the text is held, so its sidecar keeps everything and lists the new capture
    again = json.loads(run("source", "add", write_warc(tmp_path / "two.warc.gz", PAGE, 2),
                           "--db", "ledger.db", "--json").output)
    assert again["added"] is False
    changed = [p.name for p in Path("sources").glob("*.yml") if sidecars.get(p.name) != p.read_bytes()]
    assert changed == [f"{again['slug']}.yml"]
    meta = Path("sources", f"{again['slug']}.yml").read_text()
    assert meta.startswith(sidecars[f"{again['slug']}.yml"].decode().split("captures:")[0])
    assert len(rows("ledger.db", "captures")) == 2 and rows("ledger.db", "source_field_origins")

    run("build", "--db", "fresh.db")  # the files alone
    for table in ("captures", "source_field_origins", "sources"):
        assert rows("fresh.db", table) == rows("ledger.db", table), table
    assert head("fresh.db") == head("ledger.db")
    assert "all hold" in run("verify", "--db", "ledger.db", "--files", ".").output


def test_a_capture_the_sidecar_lists_must_be_there_and_be_the_page(workdir, tmp_path):
    run("source", "add", write_warc(tmp_path / "one.warc.gz", PAGE, 1), "--db", "ledger.db")
    kept = next(Path("sources").glob("*.warc.gz"))
    # another page's capture put in its place: refused, naming the file
    write_warc(kept, PAGE.replace(b"60,000", b"55,000"), 1)
    r = run("build", "--db", "fresh.db", ok=False)
    assert r.exit_code == 1 and str(kept) in r.output and "not the page" in r.output, r.output
    kept.unlink()
    r = run("build", "--db", "fresh2.db", ok=False)
    assert r.exit_code == 1 and kept.name in r.output and "restore it" in r.output, r.output
