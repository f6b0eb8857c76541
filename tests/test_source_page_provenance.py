"""The source page shows where each metadata field came from and the HTTP
capture behind the source (issue 20)."""

from ledger.services import capture
from ledger.store.db import open_db
from tests.test_datasette import get, make_ds
from tests.test_warc import empty, server  # noqa: F401 (fixtures)


def test_the_source_page_shows_field_origins_and_the_capture(server, empty):  # noqa: F811
    db = open_db(empty / "ledger.db")
    out = capture.fetch_and_add(db, f"{server}/stadium", empty / "sources", title="Stadium <opens>")
    db.close()
    page = get(make_ds(empty / "ledger.db", immutable=False), f"/ledger/sources/{out['id']}").text
    assert 'id="metadata-origins">authors: meta tag; published: meta tag; publisher: meta tag; title: user</dd>' in page
    assert "HTTP 200 from" in page and out["warc_date"] in page and "WARC <code>" in page
    assert "record digests verified" in page
    assert "Stadium &lt;opens&gt;" in page and "Stadium <opens>" not in page
