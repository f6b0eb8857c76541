"""`ledger compare --summary` and the streamed reading of the comparison
(issue 7): the summary of each fact group is the full group's
classification, and the streamed output is what the list gave."""

import json

from click.testing import CliRunner

from ledger.store import compare as comparison
from ledger.cli import cli
from tests.test_compare import add_fixtures, compare_db, db  # noqa: F401  (fixtures)

SUMMARY_KEYS = ("fact_key", "subject", "predicate", "status", "support", "kind", "time", "value", "normalized",
                "claims", "sources", "independent_sources")


def test_the_summary_of_each_group_is_its_full_classification(db):
    full = comparison.compare(db)
    summary = list(comparison.iter_compare(db, members=False))
    assert [s["fact_key"] for s in summary] == [g["fact_key"] for g in full]
    assert {g["status"] for g in full} >= {"corroborated", "conflicting", "single-source", "change-over-time"}
    for s, g in zip(summary, full):
        assert {k: s[k] for k in SUMMARY_KEYS} == {k: g[k] for k in SUMMARY_KEYS}
        # every distinct value: one when the sources agree, each of them in a conflict
        assert s["values"] == [v["value"] for v in g["values"]]
        assert "members" not in s
        assert s["claims"] == len(g["members"])


def test_the_summary_filters_like_the_full_comparison(db):
    for kw in ({"status": "conflicting"}, {"subject": "Hun Sen"}, {"predicate": "seating_capacity"}):
        full = comparison.compare(db, **kw)
        assert full, kw
        assert [s["fact_key"] for s in comparison.iter_compare(db, members=False, **kw)] == [g["fact_key"] for g in full]


def test_a_conflict_lists_both_values_in_the_summary(db):
    conflicts = [s for s in comparison.iter_compare(db, members=False, status="conflicting")]
    stadium = [s for s in conflicts if s["predicate"] == "seating_capacity"]
    assert stadium and set(stadium[0]["values"]) == {"60000 seats", "75000 seats"}
    assert stadium[0]["value"] is None


def test_streamed_json_is_the_list_and_the_summary_prints_a_line_per_group(compare_db):
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--json"])
    assert r.exit_code == 0, r.output
    from ledger.store.db import open_db

    d = open_db(compare_db, create=False)
    full = comparison.compare(d)
    assert r.output == json.dumps(full, indent=2, ensure_ascii=False) + "\n"
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--summary"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert len(lines) == len(full)
    assert any(line.startswith("[conflicting] Morodok Techo National Stadium · seating_capacity") and "60000 seats | 75000 seats" in line
               for line in lines), lines
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--summary", "--json", "--predicate", "no_such"])
    assert r.exit_code == 0 and r.output == "[]\n"


def _tables(d):
    return (
        d.execute("SELECT * FROM claim_values ORDER BY claim_id").fetchall(),
        d.execute("SELECT * FROM facts ORDER BY fact_key").fetchall(),
    )


def test_a_refresh_in_small_batches_equals_one_in_a_single_batch(compare_db, monkeypatch):
    """The refresh classifies new claims a batch at a time (flat memory at a
    million claims); a topic whose claims fall in several batches must end
    up classified exactly as when they all arrive together."""
    from ledger.store.db import open_db, write_transaction

    d = open_db(compare_db, create=False)
    n = d.execute("SELECT count(*) FROM claims").fetchone()[0]
    with write_transaction(d):
        comparison.refresh(d, full=True)
    whole = _tables(d)
    assert whole[1]
    for size in (1, 3, 7):
        monkeypatch.setattr(comparison, "REFRESH_BATCH", size)
        with write_transaction(d):
            stats = comparison.refresh(d, full=True)
        assert stats["claims"] == n
        assert _tables(d) == whole, size
