"""Web captures as sources: WARC/WACZ in (checked like `warcio check`), and
`ledger source fetch` recording its own WARC, against a server on 127.0.0.1."""

import gzip
import hashlib
import http.server
import io
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from ledger.cli import cli
from ledger.store.db import open_db

PAGE = (Path(__file__).parent / "fixtures" / "html" / "stadium-opening.html").read_bytes()
CHANGED = PAGE.replace("seating capacity of 60,000".encode(), "seating capacity of 55,000".encode())


class _Handler(http.server.BaseHTTPRequestHandler):
    pages: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.pages.get(self.path)
        if body is None:
            self.send_error(404, "no such page")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 only, serving _Handler.pages."""
    _Handler.pages = {"/stadium": PAGE}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, [*args, "--db", "ledger.db", "--json"])


def fetched(server, empty):
    r = run("source", "fetch", f"{server}/stadium")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def records(path):
    with open(path, "rb") as f:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(f)]


def test_fetch_records_its_own_warc_and_adds_the_page(server, empty):
    out = fetched(server, empty)
    assert out["added"] is True and out["http_status"] == 200
    warc = Path(out["capture"])
    assert warc.name == f"{out['slug']}.warc.gz" and warc.parent.name == "sources"
    assert ("request", f"{server}/stadium") in records(warc) and ("response", f"{server}/stadium") in records(warc)
    db = open_db("ledger.db")
    cap = next(db.query("SELECT * FROM captures"))
    src = next(db.query("SELECT * FROM sources"))
    assert cap["source_id"] == src["id"] and cap["http_status"] == 200 and cap["target_uri"] == f"{server}/stadium"
    headers = dict(json.loads(cap["http_headers"]))
    assert headers["Content-Type"] == "text/html; charset=utf-8" and "Date" in headers
    assert cap["server_date"] == headers["Date"]
    assert dict(json.loads(cap["request_headers"]))["User-Agent"].startswith("provenance-ledger")
    assert cap["payload_sha256"] == hashlib.sha256(PAGE).hexdigest() == src["snapshot_sha256"]
    assert cap["payload_digest"].startswith("sha1:") or cap["payload_digest"].startswith("sha256:")
    assert cap["digests_checked"] >= 2
    assert src["retrieved"] and src["url"] == f"{server}/stadium"
    # the recorded WARC passes warcio's own checker
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout + check.stderr
    assert "seating capacity of 60,000" in src["text"]


def test_a_second_capture_with_changed_text_is_a_revision_with_the_differences(server, empty):
    first = fetched(server, empty)
    _Handler.pages["/stadium"] = CHANGED
    r = CliRunner().invoke(cli, ["source", "fetch", f"{server}/stadium", "--db", "ledger.db", "--json"])
    assert r.exit_code == 0, r.output
    second = json.loads(r.stdout)
    assert second["slug"] == first["slug"] + "@2" and second["revision_of"] == first["slug"]
    ch = second["changes"]
    assert (ch["removed_lines"], ch["added_lines"]) == (1, 1)
    assert any(d.startswith("-") and "60,000" in d for d in ch["diff"])
    assert any(d.startswith("+") and "55,000" in d for d in ch["diff"])
    assert "a new capture of" in r.stderr and "55,000" in r.stderr
    assert open_db("ledger.db").execute("SELECT count(*) FROM captures").fetchone()[0] == 2


def test_the_same_page_fetched_again_is_already_held(server, empty):
    first = fetched(server, empty)
    again = fetched(server, empty)
    assert again["added"] is False and again["slug"] == first["slug"] and "revision_of" not in again
    # the second capture is an independent copy of the exchange: kept, and recorded beside the first
    assert again["capture"] != first["capture"] and Path(again["capture"]).exists() and Path(first["capture"]).exists()
    assert open_db("ledger.db").execute("SELECT count(*) FROM captures").fetchone()[0] == 2


def test_a_fetched_warc_adds_to_another_ledger_with_the_same_text(server, empty):
    first = fetched(server, empty)
    Path("elsewhere").mkdir()
    r = CliRunner().invoke(
        cli, ["source", "add", first["capture"], "--db", "other.db", "--sources", "elsewhere", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["id"] == first["id"]
    assert Path("elsewhere", Path(first["capture"]).name).read_bytes() == Path(first["capture"]).read_bytes()
    # the kept capture beside the text does not disturb `ledger build` of the sources directory
    from ledger.services.ingest import build

    Path("no-claims").mkdir()
    rebuilt = open_db("rebuilt.db")
    build(rebuilt, Path("sources"), Path("no-claims"))
    assert [r[0] for r in rebuilt.execute("SELECT id FROM sources")] == [first["id"]]


def test_a_fetch_the_server_refuses_adds_nothing(server, empty):
    r = run("source", "fetch", f"{server}/missing")
    assert r.exit_code == 1
    assert f"Error: {server}/missing: the server answered 404; nothing was added" in r.output
    assert list(Path("sources").iterdir()) == []


def test_only_http_urls_are_fetched(empty):
    r = run("source", "fetch", "file:///etc/passwd")
    assert r.exit_code == 1 and "only http and https URLs can be fetched" in r.output


def tampered_warc(server, empty) -> Path:
    """The fetched capture uncompressed, with one character of the page changed."""
    out = fetched(server, empty)
    raw = gzip.decompress(Path(out["capture"]).read_bytes())
    assert raw.count(b"60,000") >= 1
    bad = Path("tampered.warc")
    bad.write_bytes(raw.replace(b"60,000", b"80,000", 1))
    return bad


def test_a_tampered_warc_fails_the_digest_check_and_nothing_is_written(server, empty):
    bad = tampered_warc(server, empty)
    r = CliRunner().invoke(cli, ["source", "add", str(bad), "--db", "fresh.db", "--sources", "fresh", "--json"])
    assert r.exit_code == 1
    assert "tampered.warc: record at offset" in r.output and "fails `warcio check`" in r.output
    assert not Path("fresh").exists() or list(Path("fresh").iterdir()) == []
    assert open_db("fresh.db").execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def make_wacz(warc_bytes: bytes, url: str, corrupt: bool = False) -> bytes:
    buf = io.BytesIO()
    digest = hashlib.sha256(warc_bytes).hexdigest()
    package = {"profile": "data-package", "wacz_version": "1.1.1", "resources": [
        {"name": "data.warc.gz", "path": "archive/data.warc.gz", "hash": f"sha256:{'0' * 64 if corrupt else digest}",
         "bytes": len(warc_bytes)}]}
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.warc.gz", warc_bytes)
        z.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0", "id": "pages"}\n' + json.dumps({"url": url}) + "\n")
        z.writestr("datapackage.json", json.dumps(package))
    return buf.getvalue()


def test_a_wacz_is_read_and_its_package_hashes_checked(server, empty):
    out = fetched(server, empty)
    data = Path(out["capture"]).read_bytes()
    Path("page.wacz").write_bytes(make_wacz(data, f"{server}/stadium"))
    r = CliRunner().invoke(cli, ["source", "add", "page.wacz", "--db", "w.db", "--sources", "w", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["id"] == out["id"] and got["capture"].endswith(".wacz")
    assert next(open_db("w.db").query("SELECT container FROM captures"))["container"] == "wacz"
    Path("bad.wacz").write_bytes(make_wacz(data, f"{server}/stadium", corrupt=True))
    r = CliRunner().invoke(cli, ["source", "add", "bad.wacz", "--db", "b.db", "--sources", "b"])
    assert r.exit_code == 1
    assert "bad.wacz: archive/data.warc.gz hashes to sha256:" in r.output and "nothing was written" in r.output


def test_a_ledger_from_before_the_capture_tables_migrates_and_verifies(seed_db, tmp_path):
    """m110/m111 on a ledger built before them: the new tables appear empty, nothing else changes."""
    import shutil

    from sqlite_utils import Database

    from ledger.store.migrations import migrations
    from ledger.services.verify import verify

    path = tmp_path / "before.db"
    old = Database(path)
    migrations.apply(old, stop_before="m110_create_captures")
    assert not old["captures"].exists() and not old["source_field_origins"].exists()
    old.close()
    shutil.copy(seed_db, tmp_path / "seed.db")
    db = open_db(tmp_path / "seed.db")
    assert db["captures"].exists() and db["source_field_origins"].exists()
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM source_field_origins").fetchone()[0] == 0
    assert verify(open_db(tmp_path / "seed.db"))["failures"] == []
