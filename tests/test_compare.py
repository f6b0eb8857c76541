"""Cross-source comparison on the seed articles plus composed fixture sources
(tests/fixtures/compare/README.md lists the cases)."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.store import classify, compare_values
from ledger.store import compare as comparison
from ledger.cli import cli
from ledger.store.db import open_db, write_transaction
from ledger.services.ingest import build, import_files

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "compare"


def add_fixtures(workdir: Path):
    for sub in ("sources", "claims"):
        for f in (FIXTURES / sub).iterdir():
            shutil.copy(f, workdir / sub / f.name)


@pytest.fixture
def compare_db(workdir):
    add_fixtures(workdir)
    path = workdir / "ledger.db"
    db = open_db(path)
    build(db, workdir / "sources", workdir / "claims")
    db.close()
    return path


@pytest.fixture
def db(compare_db):
    d = open_db(compare_db, create=False)
    yield d
    d.close()


def one(groups, **match):
    found = [g for g in groups if all(g[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, [(g["subject"], g["predicate"], g["normalized"], g["status"]) for g in groups])
    return found[0]


def by_source(group):
    return {m["source"]: m for m in group["members"]}


def test_values_agree_after_normalisation_and_the_group_is_corroborated(db):
    g = one(comparison.compare(db, subject="Hun Sen", predicate="visit_end"))
    assert g["status"] == "corroborated"
    assert g["normalized"] == "2024-12-04"
    assert g["independent_sources"] == 2 and g["sources"] == 3
    m = by_source(g)
    assert m["hun-sen-meets-xi"]["value"] == "2024-12-04"
    assert m["wire-hun-sen-beijing"]["value"] == "December 4"
    assert m["wire-hun-sen-beijing"]["normalized"] == "2024-12-04"
    assert m["wire-hun-sen-beijing"]["span"]["text"] == "will end on December 4"
    # "three-day" and "three days" are the same quantity
    d = one(comparison.compare(db, subject="Hun Sen", predicate="visit_duration"))
    assert d["status"] == "corroborated" and d["normalized"] == "3 days"
    assert {m["value"] for m in d["members"]} == {"three days", "three-day"}


def test_a_syndicated_copy_counts_once_and_says_so(db):
    g = one(comparison.compare(db, subject="Hun Sen", predicate="visit_end"))
    daily = by_source(g)["daily-hun-sen-beijing"]
    assert daily["counted"] is False
    assert "near-duplicate text of wire-hun-sen-beijing" in daily["independence"]
    assert "syndicated" in daily["independence"]
    assert by_source(g)["wire-hun-sen-beijing"]["counted"] is True
    row = db.execute(
        "SELECT d.slug FROM source_independence i JOIN sources d ON d.id = i.duplicate_of WHERE i.slug = 'daily-hun-sen-beijing'"
    ).fetchone()
    assert row == ("wire-hun-sen-beijing",)


def test_the_same_publisher_counts_once(db):
    g = one(comparison.compare(db, subject="Phea", predicate="title"))
    assert g["status"] == "single-source"
    assert (g["sources"], g["independent_sources"]) == (2, 1)
    not_counted = [m for m in g["members"] if not m["counted"]]
    assert len(not_counted) == 1
    assert "same publisher as sokhonn-plans-china-trip (The Phnom Penh Post)" in not_counted[0]["independence"]
    # the two wordings of the title normalise alike
    assert len(g["values"]) == 1


def test_different_values_at_overlapping_times_conflict(db):
    g = one(comparison.compare(db, subject="Morodok Techo National Stadium", predicate="seating_capacity"))
    assert g["status"] == "conflicting"
    assert g["value"] is None and g["support"] is None
    assert [v["value"] for v in g["values"]] == ["60000 seats", "75000 seats"]
    m = by_source(g)
    assert m["sokhonn-plans-china-trip"]["span"]["text"] == "a seating capacity of 60,000"
    assert m["sports-stadium-capacity"]["span"]["text"] == "The 75,000-seater Morodok Techo National Stadium"
    assert "within 1%" in g["rule"]


def test_different_titles_at_times_that_do_not_overlap_are_a_change_over_time(db):
    groups = comparison.compare(db, subject="Hun Sen", predicate="title")
    pm = one(groups, normalized="prime minister")
    senate = one(groups, normalized="president of senate")
    assert pm["status"] == senate["status"] == "change-over-time"
    assert not [g for g in groups if g["status"] == "conflicting"]
    assert pm["support"] == "single-source"
    # the 2024 title is stated by the Post and the wire (the daily copies the wire)
    assert senate["support"] == "corroborated" and senate["independent_sources"] == 2
    assert [t["values"] for t in senate["timeline"]][0] == ["prime minister"]
    assert pm["members"][0]["time"] == {"start": "2021-09-01", "end": "2021-09-30", "basis": "as_of"}


def test_two_titles_held_at_once_are_not_a_conflict(db):
    groups = comparison.compare(db, subject="Xi Jinping", predicate="title")
    assert sorted(g["status"] for g in groups) == ["single-source", "single-source"]


def test_november_30_in_2021_and_2024_articles_are_different_dates(db):
    groups = comparison.compare(db, subject="the foreign ministry", predicate="statement_date")
    assert sorted(g["normalized"] for g in groups) == ["2021-11-30", "2024-11-30"]
    y2021 = one(groups, normalized="2021-11-30")
    y2024 = one(groups, normalized="2024-11-30")
    assert set(by_source(y2021)) == {"sokhonn-plans-china-trip", "wire-sokhonn-hangzhou"}
    assert set(by_source(y2024)) == {"hun-sen-meets-xi", "wire-hun-sen-beijing"}
    assert y2021["status"] == y2024["status"] == "corroborated"
    assert by_source(y2021)["wire-sokhonn-hangzhou"]["value"] == "November 30"
    assert "year-inferred" in by_source(y2021)["wire-sokhonn-hangzhou"]["flags"]


def test_subjects_and_values_resolve_through_entity_aliases(db):
    g = one(comparison.compare(db, subject="H.E. PRAK Sokhonn", predicate="visit"))
    assert g["subject"] == "Prak Sokhonn"
    assert g["status"] == "corroborated"
    assert {m["value"] for m in g["members"]} == {"Hangzhou", "Hangzhou, Zhejiang province, China"}
    venue = one(comparison.compare(db, subject="SEA Games", predicate="venue"))
    assert venue["status"] == "corroborated" and venue["subject"] == "Southeast Asian Games"
    aliases = dict(db.execute("SELECT alias_key, entity_id FROM entity_aliases WHERE alias_key IN ('sokhonn', 'phea')"))
    assert aliases == {"sokhonn": "prak-sokhonn", "phea": "kin-phea"}


def test_every_member_span_is_the_source_text(db):
    texts = dict(db.execute("SELECT slug, text FROM sources"))
    groups = comparison.compare(db)
    members = [m for g in groups for m in g["members"]]
    assert len(members) == db.execute("SELECT count(*) FROM claims").fetchone()[0]
    for m in members:
        s = m["span"]
        assert texts[m["source"]][s["start"] : s["end"]] == s["text"]


def test_cli_json_gives_the_library_answer(compare_db, db):
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == comparison.compare(db)
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--status", "conflicting", "--json"])
    out = json.loads(r.output)
    assert [(g["subject"], g["predicate"]) for g in out] == [("Morodok Techo National Stadium", "seating_capacity")]


def test_cli_text_output_shows_values_spans_and_rule(compare_db):
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--subject", "Morodok Techo", "--predicate", "seating_capacity"])
    assert r.exit_code == 0, r.output
    assert "[conflicting] Morodok Techo National Stadium · seating_capacity" in r.output
    assert '"a seating capacity of 60,000"' in r.output
    assert "rule: a capacity is stable; figures for it conflict whatever their dates" in r.output


def test_the_sql_views_give_the_same_answers(db):
    groups = comparison.compare(db)
    status = {g["fact_key"]: g["status"] for g in groups}
    assert dict(db.execute("SELECT fact_key, status FROM fact_groups")) == status
    for view, st in [
        ("single_source_facts", "single-source"),
        ("corroborated_facts", "corroborated"),
        ("changes_over_time", "change-over-time"),
    ]:
        assert {r[0] for r in db.execute(f"SELECT fact_key FROM {view}")} == {k for k, v in status.items() if v == st}
    conflicts = {r[0] for r in db.execute("SELECT claim_id FROM conflicts")}
    assert conflicts == {m["claim_id"] for g in groups if g["status"] == "conflicting" for m in g["members"]}
    for g in groups:
        got = {r[0]: (r[1], r[2], r[3]) for r in db.execute(
            "SELECT claim_id, span_start, span_end, span_text FROM fact_claims WHERE fact_key = ?", [g["fact_key"]]
        )}
        assert got == {m["claim_id"]: (m["span"]["start"], m["span"]["end"], m["span"]["text"]) for m in g["members"]}


def test_fact_members_lists_the_other_sources_on_a_claims_fact(db):
    cid = db.execute("SELECT id FROM claims WHERE predicate = 'seating_capacity' AND value = '60,000'").fetchone()[0]
    rows = list(db.query("SELECT * FROM fact_members WHERE claim_id = ?", [cid]))
    assert len(rows) == 1
    r = rows[0]
    assert (r["status"], r["other_source"], r["other_value"], r["same_value"]) == (
        "conflicting", "sports-stadium-capacity", "75,000-seater", 0,
    )
    assert r["other_span_text"] == "The 75,000-seater Morodok Techo National Stadium"
    assert comparison.compare(db, claim_id=cid)[0]["status"] == "conflicting"


def snapshot(db):
    facts = sorted(tuple(r) for r in db.execute("SELECT * FROM facts"))
    values = sorted(tuple(r) for r in db.execute("SELECT * FROM claim_values"))
    return facts, values


def test_writes_keep_the_tables_current_and_equal_to_a_full_rebuild(workdir):
    path = workdir / "ledger.db"
    db = open_db(path)
    build(db, workdir / "sources", workdir / "claims")
    assert one(comparison.compare(db, predicate="seating_capacity"))["status"] == "single-source"
    add_fixtures(workdir)
    build(db, workdir / "sources", workdir / "claims")  # adds four sources and their claims
    assert one(comparison.compare(db, predicate="seating_capacity"))["status"] == "conflicting"
    incremental = snapshot(db)
    with write_transaction(db):
        comparison.refresh(db, full=True)
    assert snapshot(db) == incremental
    assert not comparison.is_stale(db)


def test_an_imported_claim_joins_its_fact_at_once(workdir):
    path = workdir / "ledger.db"
    db = open_db(path)
    build(db, workdir / "sources", workdir / "claims")
    extra = workdir / "extra.yml"
    extra.write_text(
        "source: hun-sen-meets-xi\nclaims:\n- subject: Xi\n  predicate: title\n  value: president of China\n"
        "  quote: Chinese president Xi Jinping\n  confidence: 0.5\n  note: the same claim typed again\n",
        encoding="utf-8",
    )
    import_files(db, [extra])
    g = one(comparison.compare(db, subject="Xi Jinping", predicate="title"), normalized="president of china")
    assert g["claims"] == 2 and g["independent_sources"] == 1
    assert any("same source as claim" in (m["independence"] or "") for m in g["members"])


def test_candidate_claims_are_not_compared(workdir):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    extra = workdir / "cand.yml"
    extra.write_text(
        "source: sokhonn-plans-china-trip\nclaims:\n- subject: Morodok Techo National Stadium\n"
        "  predicate: seating_capacity\n  value: '61,000'\n  quote: seating capacity of 60,000\n"
        "  confidence: 0.3\n  status: candidate\n  paraphrase: a misreading, declared so it can be recorded\n",
        encoding="utf-8",
    )
    import_files(db, [extra])
    g = one(comparison.compare(db, predicate="seating_capacity"))
    assert g["status"] == "single-source" and g["claims"] == 1
    assert db.execute("SELECT active FROM claim_values WHERE value_raw = '61,000'").fetchone() == (0,)


def test_a_changed_entity_file_is_reloaded(compare_db, tmp_path):
    text = (Path(__file__).resolve().parent.parent / "entities.yml").read_text(encoding="utf-8")
    text = text.replace("aliases: [Morodok Techo Stadium, ", "aliases: [")
    alt = tmp_path / "entities.yml"
    alt.write_text(text, encoding="utf-8")
    db = open_db(compare_db)
    with write_transaction(db):
        stats = comparison.refresh(db, entities_path=alt)
    assert stats["entities_reloaded"] is True
    groups = comparison.compare(db, predicate="seating_capacity")
    assert sorted(g["subject"] for g in groups) == ["Morodok Techo National Stadium", "Morodok Techo Stadium"]
    assert {g["status"] for g in groups} == {"single-source"}


def test_numbers_within_the_tolerance_agree():
    src = {"a": {"slug": "a", "publisher": "A", "published": "2021-12-01", "publisher_key": "a", "independence_key": "a",
                 "duplicate_of": None, "containment": None},
           "b": {"slug": "b", "publisher": "B", "published": "2021-12-02", "publisher_key": "b", "independence_key": "b",
                 "duplicate_of": None, "containment": None}}

    def member(cid, source, raw):
        from ledger.store.compare_values import _EntityIndex  # noqa: F401 (only the row builder is used)

        class NoEntities:
            def get(self, name):
                return None

        row = compare_values.claim_value_row(
            {"id": cid, "subject": "S", "predicate": "seating_capacity", "value": raw, "as_of": None,
             "valid_from": None, "valid_to": None, "status": "recorded"},
            src[source]["published"], NoEntities(),
        )
        row.update(source_id=source, subject_raw="S")
        return row

    facts, _ = classify.classify_topic("~s|seating_capacity", [member("c1", "a", "60,000"), member("c2", "b", "60,400 seats")], src)
    assert [f["status"] for f in facts] == ["corroborated"]
    facts, _ = classify.classify_topic("~s|seating_capacity", [member("c1", "a", "60,000"), member("c2", "b", "61,000")], src)
    assert [f["status"] for f in facts] == ["conflicting"]


def test_quantity_groups_follow_units_and_rounding():
    """How figures group (classify._value_groups): within the tolerance (1%), or the wider one (5%) when
    a figure of the group is rounded ("about"); a figure without a unit joins the first group of the same
    number that has one; figures in two different units never share a group."""
    class NoEntities:
        def get(self, name):
            return None

    def member(cid, raw):
        row = compare_values.claim_value_row(
            {"id": cid, "subject": "S", "predicate": "budget", "value": raw, "as_of": None, "valid_from": None,
             "valid_to": None, "status": "recorded"},
            "2021-12-01", NoEntities(),
        )
        row.update(source_id="a", subject_raw="S")
        return row

    def groups(*raws):
        ms = [member(f"c{i}", raw) for i, raw in enumerate(raws)]
        return sorted(sorted(m["value_raw"] for m in g) for g in classify._value_groups(ms, compare_values.profile("budget")))

    assert groups("US$1,000,000", "$1.03 million") == [["$1.03 million"], ["US$1,000,000"]]
    assert groups("US$1,000,000", "about $1.04 million") == [["US$1,000,000", "about $1.04 million"]]
    assert groups("US$1,000,000", "$1.04 million", "about $1.02 million") == [
        ["$1.04 million", "US$1,000,000", "about $1.02 million"]
    ]
    assert groups("1,000,000", "US$1,000,000", "EUR 1 million") == [["1,000,000", "EUR 1 million", "US$1,000,000"]]
    assert groups("about 1.04 million", "1.04 million euros", "$1.03 million") == [
        ["$1.03 million", "1.04 million euros", "about 1.04 million"]
    ]
    assert groups("US$1,000,000", "EUR 1 million") == [["EUR 1 million"], ["US$1,000,000"]]
    assert groups("1,000,000", "1,040,000", "some 1,040,000") == [["1,000,000", "1,040,000", "some 1,040,000"]]


def test_compare_needs_an_existing_ledger(tmp_path):
    r = CliRunner().invoke(cli, ["compare", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 1
    assert "no ledger at" in r.output
    assert not (tmp_path / "missing.db").exists()


def test_an_unknown_status_is_a_usage_error(compare_db):
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--status", "maybe"])
    assert r.exit_code == 2
    assert "'maybe' is not one of" in r.output


def test_a_retracted_claim_leaves_the_comparison(compare_db, db):
    cid = db.execute("SELECT id FROM claims WHERE value = '75,000-seater'").fetchone()[0]
    r = CliRunner().invoke(cli, ["claim", "retract", cid, "--db", str(compare_db), "--reason", "composed example"])
    assert r.exit_code == 0, r.output
    # the retraction itself brings the comparison tables up to date, so
    # Datasette stops counting the claim at once
    assert not comparison.is_stale(db)
    assert db.execute("SELECT active, fact_key FROM claim_values WHERE claim_id = ?", [cid]).fetchone() == (0, None)
    r = CliRunner().invoke(cli, ["compare", "--db", str(compare_db), "--predicate", "seating_capacity", "--json"])
    assert r.exit_code == 0, r.output
    (g,) = json.loads(r.output)
    assert g["status"] == "single-source" and g["normalized"] == "60000 seats"
    assert db.execute("SELECT active, fact_key FROM claim_values WHERE claim_id = ?", [cid]).fetchone() == (0, None)
    assert not comparison.is_stale(db)
