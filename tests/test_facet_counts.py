"""facet_counts stays exact after every write, and the claims page's facets
read it only when the page is unfiltered (issue 7)."""

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from ledger.db import open_db
from ledger.facets import mismatches, recount
from ledger.ingest import import_files

ROOT = Path(__file__).resolve().parent.parent


def test_counts_match_a_fresh_group_by_after_build_and_import(seed_db, tmp_path):
    db = open_db(seed_db)
    assert mismatches(db) == []
    held = dict(db.execute("SELECT value, count FROM facet_counts WHERE col = 'predicate'").fetchall())
    assert held["title"] == db.execute("SELECT count(*) FROM claims WHERE predicate = 'title'").fetchone()[0]
    extra = tmp_path / "more.jsonl"
    extra.write_text(
        json.dumps(
            {
                "source": "sokhonn-plans-china-trip",
                "subject": "Morodok Techo National Stadium",
                "predicate": "capacity_note",
                "value": "60,000",
                "quote": "a seating capacity of 60,000",
                "confidence": 0.9,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    import_files(db, [extra])
    assert mismatches(db) == []
    assert db.execute("SELECT count FROM facet_counts WHERE col = 'predicate' AND value = 'capacity_note'").fetchone() == (1,)


def test_a_failed_import_leaves_the_counts_untouched(seed_db, tmp_path):
    db = open_db(seed_db)
    before = db.execute("SELECT * FROM facet_counts ORDER BY 1, 2, 3").fetchall()
    bad = tmp_path / "bad.jsonl"
    good = {"source": "sokhonn-plans-china-trip", "subject": "X", "predicate": "p", "value": "v",
            "quote": "a seating capacity of 60,000", "confidence": 0.5}
    bad.write_text(json.dumps(good) + "\n" + json.dumps({**good, "quote": "not in the text at all"}) + "\n", encoding="utf-8")
    with pytest.raises(Exception):
        import_files(db, [bad])
    assert db.execute("SELECT * FROM facet_counts ORDER BY 1, 2, 3").fetchall() == before


def test_recount_rebuilds_the_same_counts(seed_db):
    db = open_db(seed_db)
    before = db.execute("SELECT * FROM facet_counts ORDER BY 1, 2, 3").fetchall()
    with db.atomic():
        recount(db)
    assert db.execute("SELECT * FROM facet_counts ORDER BY 1, 2, 3").fetchall() == before


def test_claims_page_facets_equal_the_live_facets(seed_db):
    db = open_db(seed_db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    served = seed_db.parent / "ledger.db"
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([], immutables=[str(served)], metadata=metadata, settings={"suggest_facets": False})
    get = lambda path: asyncio.run(ds.client.get(path))  # noqa: E731
    page = get("/ledger/claims.json?_facet=predicate&_facet=source_id").json()
    facets = page["facet_results"]
    as_pairs = lambda f: [(r["value"], r["count"]) for r in f["results"]]  # noqa: E731
    # the metadata facet (counted) and the same facet asked for in the URL (Datasette's live GROUP BY)
    assert as_pairs(facets["predicate"]) == as_pairs(facets["predicate_2"])
    assert as_pairs(facets["source_id"]) == as_pairs(facets["source_id_2"])
    assert facets["predicate"]["type"] == "column"
    assert not page.get("facets_timed_out")
    # a filtered page counts only the matching claims
    filtered = get("/ledger/claims.json?predicate=title").json()["facet_results"]
    n = open_db(served, create=False).execute("SELECT count(*) FROM claims WHERE predicate = 'title'").fetchone()[0]
    assert as_pairs(filtered["predicate"]) == [("title", n)]
    html = get("/ledger/claims")
    assert html.status_code == 200 and "(counted)" not in html.text


def test_a_ledger_without_facet_counts_falls_back_to_live_counts(seed_db):
    db = open_db(seed_db)
    db.execute("DROP TABLE facet_counts")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([], immutables=[str(seed_db)], metadata=metadata, settings={"suggest_facets": False})
    page = asyncio.run(ds.client.get("/ledger/claims.json"))
    assert page.status_code == 200
    n = open_db(seed_db, create=False, migrate=False).execute("SELECT count(*) FROM claims WHERE predicate = 'title'").fetchone()[0]
    assert dict((r["value"], r["count"]) for r in page.json()["facet_results"]["predicate"]["results"])["title"] == n
