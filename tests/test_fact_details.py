"""issue 19 (m142): a fact row holds only what it alone says; its predicate's
rule and its topic's timeline are held once, and its values list only when it
says more than the row. What the readers see (the view fact_details) is
checked by verify --deep's recomputation, so a change to any of the three
places it is read from is named."""

import sqlite3
from pathlib import Path

import pytest

from ledger.services.ingest import build
from ledger.store.db import open_db
from ledger.store.derived_check import check_derived

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "ledger.db"
    mp = pytest.MonkeyPatch()
    mp.chdir(ROOT)  # the demo's entities.yml
    db = open_db(path)
    build(db, ROOT / "sources", ROOT / "claims")
    db.close()
    mp.undo()
    return path


def test_each_rule_and_timeline_is_held_once(demo):
    conn = sqlite3.connect(demo)
    n_facts, n_lists, n_timelined = conn.execute("SELECT count(*), count(values_json), count(timeline) FROM facts").fetchone()
    assert 0 < n_lists < n_facts
    # a values list is held exactly when the fact has several values or words its one value several ways
    assert conn.execute("SELECT count(*) FROM facts WHERE value_count > 1 AND values_json IS NULL").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM fact_timelines").fetchone()[0] < n_timelined
    assert conn.execute("SELECT count(*) FROM fact_rules").fetchone() == conn.execute(
        "SELECT count(DISTINCT predicate) FROM facts"
    ).fetchone()
    # every fact reads its full values list, its rule, and its timeline where it changes over time
    assert conn.execute(
        "SELECT count(*) FROM fact_details WHERE values_json IS NULL OR rule IS NULL "
        "OR (timeline_json IS NULL) != (fact_key NOT IN (SELECT fact_key FROM facts WHERE timeline))"
    ).fetchone() == (0,)


def _tampered_copy(demo, tmp_path, sql):
    """A copy of the demo ledger with ``sql`` (changing one row) applied, opened without migrating."""
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(demo)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    with dst:
        assert dst.execute(sql).rowcount == 1
    dst.close()
    return open_db(copy, migrate=False)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE fact_rules SET rule = 'any two sources agree' WHERE predicate = (SELECT min(predicate) FROM fact_rules)",
        "UPDATE fact_timelines SET timeline_json = '[]' WHERE topic = (SELECT min(topic) FROM fact_timelines)",
        "DELETE FROM fact_timelines WHERE topic = (SELECT min(topic) FROM fact_timelines)",
        "UPDATE facts SET timeline = NULL WHERE fact_key = (SELECT min(fact_key) FROM facts WHERE timeline)",
        "UPDATE facts SET values_json = NULL WHERE fact_key = (SELECT min(fact_key) FROM facts WHERE value_count > 1)",
        "UPDATE facts SET value = 'sixty thousand' WHERE fact_key = (SELECT min(fact_key) FROM facts WHERE values_json IS NULL)",
    ],
    ids=["rule", "timeline", "timeline_gone", "timeline_flag", "values_list", "value"],
)
def test_verify_deep_names_a_changed_fact_wherever_it_is_held(demo, tmp_path, sql):
    db = _tampered_copy(demo, tmp_path, sql)
    # a timeline changed in fact_timelines: that table is named as well (audit5)
    timelines = ["derived table fact_timelines"] if "fact_timelines" in sql.split(" WHERE")[0] else []
    assert [item for item, _ in check_derived(db)] == ["derived table facts", *timelines]
    db.close()


_ONE_VALUE = (
    "'[{\"value\": ' || json_quote(value_norm) || ', \"raw\": [' || json_quote(value) || '], \"claims\": ' || "
    "claim_count || ', \"sources\": ' || source_count || ', \"independent_sources\": ' || independent_count || '}]'"
)


@pytest.mark.parametrize(
    "sql, item",
    [
        ("UPDATE facts SET timeline = 1 WHERE fact_key = (SELECT min(fact_key) FROM facts WHERE timeline IS NULL "
         "AND topic NOT IN (SELECT topic FROM fact_timelines))", "derived table facts"),
        ("UPDATE facts SET timeline = 2 WHERE fact_key = (SELECT min(fact_key) FROM facts WHERE timeline)",
         "derived table facts"),
        (f"UPDATE facts SET values_json = {_ONE_VALUE} WHERE fact_key = (SELECT min(fact_key) FROM facts "
         "WHERE values_json IS NULL)", "derived table facts"),
        ("INSERT INTO fact_timelines VALUES ('nobody|nothing', '[{\"from\": null, \"to\": null, \"values\": []}]')",
         "derived table fact_timelines"),
    ],
    ids=["timeline_flag_without_timeline", "timeline_flag_two", "values_list_written_out", "timeline_of_no_fact"],
)
def test_verify_deep_names_a_change_to_what_the_file_holds_that_the_view_does_not_show(demo, tmp_path, sql, item):
    """audit5: facts, fact_timelines and fact_details are all published (Datasette shows every table): a row
    changed where the view happens to write the same is a changed row (before m142 every byte of a fact was
    compared)."""
    db = _tampered_copy(demo, tmp_path, sql)
    assert item in [item for item, _ in check_derived(db)]
    db.close()
