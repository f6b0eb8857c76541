"""Claim extraction (issue 6): candidates anchored to their spans, scored
against labelled files, imported back into a ledger."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ledger.services import evaluate as ev
from ledger.core import extract as ex
from ledger.core.extract_vocab import calibration
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.services.ingest import build, import_files

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "labelled"
SEEDS = {"hun-sen-meets-xi": "2024-12-02", "sokhonn-plans-china-trip": "2021-12-01"}


def seed_text(slug: str) -> str:
    return (ROOT / "sources" / f"{slug}.txt").read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def report():
    return ev.evaluate([LABELLED])


@pytest.fixture
def sources_only(tmp_path, monkeypatch):
    """A fresh ledger holding the seed sources and no claims."""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    (tmp_path / "claims").mkdir()
    monkeypatch.chdir(tmp_path)
    db = open_db(tmp_path / "ledger.db")
    build(db, tmp_path / "sources", tmp_path / "claims")
    db.close()
    return tmp_path


# ---------------------------------------------------------------- the target


@pytest.mark.parametrize("set_name", ["seed", "composed", "heldout", "heldout-2", "heldout-3"])
@pytest.mark.parametrize("kind", ev.TARGET_KINDS)
def test_recall_and_precision_meet_the_target(report, set_name, kind):
    """Recall >= 90% and precision >= 80% on the seed articles and on the
    composed passages (development and held-out), measured by the evaluator."""
    score = report.by_set[set_name][kind]
    assert score.labels >= 3, f"too few {kind} labels in {set_name} to measure"
    assert score.recall >= 0.90, (set_name, kind, score.recall, score.misses)
    assert score.precision >= 0.80, (set_name, kind, score.precision, score.false_positives)


def test_labelled_sets_are_separate_and_substantial(report):
    assert set(report.by_set) == {"seed", "composed", "heldout", "heldout-2", "heldout-3", "untuned", "holdout"}
    composed = sum(s.labels for name in ("composed", "heldout", "heldout-2", "heldout-3") for s in report.by_set[name].values())
    assert composed >= 150
    for f in [*LABELLED.glob("composed/*.yml"), *LABELLED.glob("heldout*/*.yml")]:
        assert "Composed passage (not a real article)" in f.read_text(encoding="utf-8")
        assert "source:" not in yaml.safe_load(f.read_text(encoding="utf-8"))
    # the untuned set is real reports, each with where and when it was published
    untuned = list(LABELLED.glob("untuned/*.yml"))
    assert len(untuned) >= 30 and sum(report.by_set["untuned"][k].labels for k in ev.EVALUATED) >= 200
    publishers = set()
    for f in untuned:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert "Composed passage" not in f.read_text(encoding="utf-8")
        assert data["url"].startswith("http") and data["publisher"] and data["published"], f
        assert data["publisher"] != "The Phnom Penh Post", f
        publishers.add(data["publisher"])
    assert len(publishers) >= 20
    # the holdout set (issue 16): real reports from outlets the untuned set does not use
    holdout = list(LABELLED.glob("holdout/*.yml"))
    assert len(holdout) >= 12
    for f in holdout:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert data["url"].startswith("http") and data["publisher"] and data["published"], f
        assert data["publisher"] not in publishers, f


def test_calibration_file_is_current(report):
    """Each rule's stored confidence is (correct + 1) / (proposed + 2) on today's labels."""
    stored = calibration()
    measured = {r: {"correct": c, "proposed": n, "confidence": ev.calibrated(c, n)} for r, (c, n) in report.rules.items()}
    assert stored == measured, "run `ledger evaluate --calibrate` and commit ledger/extract_calibration.yml"


def test_confidence_is_the_rules_calibrated_record():
    cands = ex.extract(seed_text("sokhonn-plans-china-trip"), "2021-12-01")
    for c in cands:
        rec = calibration()[c.rule]
        assert c.confidence == rec["confidence"] == ev.calibrated(rec["correct"], rec["proposed"])
    assert ev.calibrated(3, 3) == 0.8 and ev.calibrated(0, 0) == 0.5


# ---------------------------------------------------------------- the candidates file


def test_candidates_import_into_a_fresh_ledger_at_exactly_their_spans(sources_only):
    runner = CliRunner()
    files, expected = [], {}
    for slug, published in SEEDS.items():
        out = sources_only / f"{slug}.candidates.yml"
        result = runner.invoke(cli, ["extract", slug, "-o", str(out)])
        assert result.exit_code == 0, result.output
        files.append(out)
        for c in ex.extract(seed_text(slug), published, entities=ev.default_entities()):
            expected[(slug, c.start, c.end, c.predicate, c.value)] = c
    result = runner.invoke(cli, ["import", *map(str, files)])
    # issue 14: a candidate whose span does not give its value ("Wang Yi" from "meet with Wang": plain
    # "Wang" is no alias) is refused at import, named; the reviewer removes it and imports the rest
    refused = [line.removeprefix("Error: ") for line in result.output.splitlines() if "is not supported by its span" in line]
    assert result.exit_code == 1 and len(refused) == result.output.count("claim ") >= 1, result.output
    for out in files:
        doc = yaml.safe_load(out.read_text(encoding="utf-8"))
        named = {int(line.split(": claim ")[1].split(" ")[0]) for line in refused if line.split(":")[0].endswith(out.name)}
        for i in named:
            c = doc["claims"][i - 1]
            expected.pop((out.name.split(".")[0], c["start"], c["end"], c["predicate"], c["value"]), None)
        doc["claims"] = [c for i, c in enumerate(doc["claims"], 1) if i not in named]
        out.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = runner.invoke(cli, ["import", *map(str, files)])
    assert result.exit_code == 0, result.output
    db = open_db(sources_only / "ledger.db", create=False)
    rows = list(
        db.query(
            "SELECT s.slug, s.text, c.span_start, c.span_end, c.span_text, c.quote, c.predicate, c.value, "
            "c.status, c.origin, c.match FROM claims c JOIN sources s ON s.id = c.source_id"
        )
    )
    assert len(rows) == len(expected) > 30
    for r in rows:
        assert r["text"][r["span_start"] : r["span_end"]] == r["span_text"] == r["quote"]
        assert r["match"] == "exact"
        assert r["status"] == "candidate"
        c = expected[(r["slug"], r["span_start"], r["span_end"], r["predicate"], r["value"])]
        assert r["origin"] == f"ledger extract: {c.rule}"
    # SQLite agrees on the offsets (code points)
    bad = db.execute(
        "SELECT count(*) FROM claims c JOIN sources s ON s.id = c.source_id "
        "WHERE substr(s.text, c.span_start + 1, c.span_end - c.span_start) != c.quote"
    ).fetchone()[0]
    assert bad == 0
    assert runner.invoke(cli, ["verify"]).exit_code == 0


def test_reviewed_file_imports_as_recorded(sources_only):
    out = sources_only / "review.yml"
    assert CliRunner().invoke(cli, ["extract", "sokhonn-plans-china-trip", "--kind", "title", "-o", str(out)]).exit_code == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {c["status"] for c in data["claims"]} == {"candidate"}
    # the reviewer drops one, corrects one, and accepts the rest
    kept = [c for c in data["claims"] if c["subject"] != "Hun Sen"]
    kept[0]["value"] = "Foreign Minister"
    for c in kept:
        c["status"] = "current"
    data["claims"] = kept
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = open_db(sources_only / "ledger.db")
    result = import_files(db, [out])
    assert result.added == len(kept) == 3
    assert [r[0] for r in db.execute("SELECT DISTINCT status FROM claims")] == ["current"]
    assert db.execute("SELECT count(*) FROM claims WHERE value = 'Foreign Minister'").fetchone()[0] == 1


def test_accept_records_machine_extracted_claims_once(sources_only):
    runner = CliRunner()
    result = runner.invoke(cli, ["extract", "hun-sen-meets-xi", "--accept", "--json"])
    assert result.exit_code == 0, result.output
    proposed = json.loads(result.stdout)
    db = open_db(sources_only / "ledger.db")
    statuses = [r[0] for r in db.execute("SELECT status FROM claims")]
    # issue 14: one vocabulary of states; the machine that proposed them is their origin
    # a candidate whose span does not give its value is left for review, named on stderr
    left_out = result.stderr.count("not recorded (review it in the claims file)")
    assert len(statuses) == len(proposed) - left_out > 20 and set(statuses) == {"current"}
    assert {r[0].split(":")[0] for r in db.execute("SELECT origin FROM claims")} == {"ledger extract"}
    # recorded in a history entry that says what wrote them, who and when
    kind, actor, at = db.execute("SELECT kind, actor, at FROM history ORDER BY id DESC LIMIT 1").fetchone()
    assert kind == "extract" and actor and at
    # run again: everything is already recorded, nothing is proposed twice
    again = runner.invoke(cli, ["extract", "hun-sen-meets-xi", "--accept", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == []
    assert "left out as already recorded" in again.stderr
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == len(proposed)


def test_accept_needs_the_source_in_the_ledger(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    article = tmp_path / "article.txt"
    article.write_text("Environment Minister Say Samal said on Tuesday that logging had fallen.", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["extract", str(article), "--accept", "--published", "2020-09-02"])
    assert result.exit_code == 1 and "no ledger at ledger.db" in result.output
    assert not (tmp_path / "ledger.db").exists()
    open_db(tmp_path / "ledger.db").close()
    out = tmp_path / "c.yml"
    result = runner.invoke(cli, ["extract", str(article), "--accept", "--published", "2020-09-02", "-o", str(out)])
    assert result.exit_code == 1
    assert "does not hold this text; add it first (`ledger source add" in result.output
    assert open_db(tmp_path / "ledger.db")["claims"].count == 0
    assert not out.exists()


def test_extract_a_text_file_prints_a_claims_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    article = tmp_path / "minister-says.txt"
    article.write_text(
        "Environment Minister Say Samal said on Tuesday that logging had fallen by 30 percent.\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["extract", str(article), "--published", "2020-09-02"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert data["source"] == "minister-says"
    got = {(c["predicate"], c["value"]) for c in data["claims"]}
    assert {("title", "Environment Minister"), ("statement_date", "2020-09-01"), ("percentage", "30 %")} <= got
    assert "ledger does not hold this text yet" in result.stderr
    assert not (tmp_path / "ledger.db").exists()


def test_json_output_has_every_field(sources_only):
    result = CliRunner().invoke(cli, ["extract", "sokhonn-plans-china-trip", "--json"])
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    text = seed_text("sokhonn-plans-china-trip")
    keys = {"start", "end", "text", "kind", "subject", "predicate", "value", "normalized", "speaker", "confidence", "rule"}
    for item in items:
        assert keys <= set(item)
        assert text[item["start"] : item["end"]] == item["text"]
    quote = next(i for i in items if i["kind"] == "quotation" and i["text"].startswith("“This official visit"))
    assert quote["speaker"] == "Ministry of Foreign Affairs and International Cooperation"
    date = next(i for i in items if i["text"] == "Last September")
    assert date["normalized"]["precision"] == "month" and date["value"] == "2021-09"


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_claims_file_in_json_formats_imports(sources_only, suffix):
    out = sources_only / f"cands{suffix}"
    assert CliRunner().invoke(cli, ["extract", "hun-sen-meets-xi", "-o", str(out), "--kind", "date"]).exit_code == 0
    db = open_db(sources_only / "ledger.db")
    assert import_files(db, [out]).added == 3


def test_bad_options_are_clear_errors(sources_only):
    runner = CliRunner()
    r = runner.invoke(cli, ["extract", "hun-sen-meets-xi", "-o", "out.txt"])
    assert r.exit_code == 1 and "unknown claim file type '.txt'" in r.output
    r = runner.invoke(cli, ["extract", "no-such-source"])
    assert r.exit_code == 1 and "unknown source 'no-such-source'" in r.output
    r = runner.invoke(cli, ["extract", "hun-sen-meets-xi", "--min-confidence", "2"])
    assert r.exit_code == 2


# ---------------------------------------------------------------- rules


def kinds_of(cands, kind):
    return [c for c in cands if c.kind == kind]


def test_he_said_is_the_last_named_person_outside_the_quotation():
    cands = ex.extract(seed_text("hun-sen-meets-xi"), "2024-12-02")
    quotes = {c.text[:25]: c for c in kinds_of(cands, "quotation")}
    # "[Hun Sen]" inside the quotation is not who "he" is
    assert quotes["“This visit demonstrates "].speaker == "Kin Phea"
    assert quotes["“China remains an essenti"].speaker == "Kin Phea"
    assert quotes['"will inject new momentum'].speaker == "Ministry of Foreign Affairs and International Cooperation"


def test_the_ministry_said_is_the_ministry_named_in_the_text():
    text = (
        "The Ministry of Health reported 12 new cases on Tuesday.\n\n"
        '"The situation is under control," the ministry said.'
    )
    (q,) = kinds_of(ex.extract(text, "2024-03-13"), "quotation")
    assert q.speaker == "Ministry of Health" and q.rule == "quote.after.org"


def test_a_quotation_over_several_paragraphs_is_one_candidate():
    text = (
        "Ken Loo, secretary-general of the association, said orders had slowed.\n\n"
        "“Buyers are cautious. Many factories have cut overtime.\n\n"
        "“We expect the first quarter to be difficult,” he said.\n"
    )
    (q,) = kinds_of(ex.extract(text, "2022-11-15"), "quotation")
    assert q.text.startswith("“Buyers") and q.text.endswith("difficult,”")
    assert q.value == "Buyers are cautious. Many factories have cut overtime. We expect the first quarter to be difficult"
    assert q.speaker == "Ken Loo"


def test_straight_quotes_and_a_speaker_named_after_the_quotation():
    text = '"We have waited 64 years to host the Games," Vath Chamroeun told reporters.'
    (q,) = kinds_of(ex.extract(text, "2023-05-06"), "quotation")
    assert q.speaker == "Vath Chamroeun" and q.text == '"We have waited 64 years to host the Games,"'


def test_scare_quotes_without_a_speaker_are_not_proposed():
    text = 'He plans to meet the president to strengthen the "ironclad" friendship between the two nations.'
    assert kinds_of(ex.extract(text, "2024-12-02"), "quotation") == []


def test_titles_of_the_issue():
    cands = ex.extract(seed_text("hun-sen-meets-xi"), "2024-12-02") + ex.extract(
        seed_text("sokhonn-plans-china-trip"), "2021-12-01"
    )
    titles = {(c.subject, c.value) for c in kinds_of(cands, "title")}
    assert ("Kin Phea", "director of the International Relations Institute at the Royal Academy of Cambodia") in titles
    assert ("Prak Sokhonn", "Minister of Foreign Affairs and International Cooperation") in titles
    assert ("Hun Sen", "president of the Senate") in titles
    assert ("Hun Sen", "president of the Cambodian People’s Party") in titles


@pytest.mark.parametrize(
    "text, published, raw, value",
    [
        ("The minister will visit Hangzhou from December 3-5.", "2021-12-01", "from December 3-5", "2021-12-03/2021-12-05"),
        ("The talks run from 3 to 5 December 2021 in Phnom Penh.", "2021-11-01", "from 3 to 5 December 2021", "2021-12-03/2021-12-05"),
        ("Last September, Wang paid a visit.", "2021-12-01", "Last September", "2021-09"),
        ("Hun Sen arrived in China today.", "2024-12-02", "today", "2024-12-02"),
        ("The trip will conclude on November 30.", "2024-12-02", "November 30", "2024-11-30"),
        ("The Games are already scheduled there for 2023.", "2021-12-01", "2023", "2023"),
        ("Loans have been restructured since January.", "2024-08-01", "since January", "2024-01"),
        ("Rains arrived late in June and July.", "2023-10-03", "June and July", "2023-06/2023-07"),
    ],
)
def test_dates_resolved_against_the_publication_date(text, published, raw, value):
    dates = kinds_of(ex.extract(text, published), "date")
    assert [(d.text, d.value) for d in dates] == [(raw, value)]


@pytest.mark.parametrize(
    "text, raw, value, predicate",
    [
        ("The stadium has a seating capacity of 60,000 and a roof.", "seating capacity of 60,000", "60000 seats", "seating_capacity"),
        ("Fans filled the 75,000-seater venue.", "75,000-seater", "75000 seats", "seating_capacity"),
        ("He arrived for a three-day official visit.", "three-day", "3 days", "visit_duration"),
        ("China approved a $200 million loan.", "$200 million", "200000000 USD", "loan_amount"),
        ("The ministry sent 40 health workers to the area.", "40 health workers", "40", "number_of_workers"),
    ],
)
def test_quantities_with_what_they_measure(text, raw, value, predicate):
    (q,) = kinds_of(ex.extract(text, "2024-01-01"), "quantity")
    assert (q.text, q.value, q.predicate) == (raw, value, predicate)


def test_the_two_countries_is_a_reference_not_a_quantity():
    text = "Phea said the two nations could synergise their policies."
    assert kinds_of(ex.extract(text, "2024-12-02"), "quantity") == []


def test_events_carry_their_dates():
    events = kinds_of(ex.extract(seed_text("hun-sen-meets-xi"), "2024-12-02"), "event")
    visit = next(e for e in events if e.predicate == "visit")
    assert (visit.subject, visit.value, visit.valid_from, visit.valid_to) == ("Hun Sen", "China", "2024-12-02", "2024-12-04")
    meetings = {e.value for e in events if e.predicate == "meeting"}
    assert meetings == {"Xi Jinping", "Wang Huning", "Zhao Leji"}


def test_offsets_are_code_points_after_emoji_and_crlf(tmp_path):
    text = "🇰🇭 News 😀\r\n\r\n“This visit matters a great deal to us,” Kin Phea said on Monday.\r\n"
    cands = ex.extract(text, "2024-12-02")
    assert cands
    for c in cands:
        assert text[c.start : c.end] == c.text
    (q,) = kinds_of(cands, "quotation")
    assert q.speaker == "Kin Phea"


def test_extraction_is_deterministic():
    text = seed_text("sokhonn-plans-china-trip")
    first = [c.as_dict() for c in ex.extract(text, "2021-12-01")]
    assert first == [c.as_dict() for c in ex.extract(text, "2021-12-01")]


# ---------------------------------------------------------------- the evaluator


def test_a_label_that_is_not_in_the_text_is_an_error(tmp_path):
    bad = tmp_path / "set" / "bad.yml"
    bad.parent.mkdir()
    bad.write_text("text: Hun Sen arrived today.\npublished: 2024-12-02\nlabels:\n- {kind: date, text: tomorrow, value: x}\n")
    with pytest.raises(ev.InvalidLabels, match=r"bad.yml: label 1: quote not found in the source text: 'tomorrow'"):
        ev.load_document(bad)


def test_scoring_counts_wrong_values_as_both_a_miss_and_an_extra(tmp_path):
    f = tmp_path / "mine" / "doc.yml"
    f.parent.mkdir()
    f.write_text(
        "text: Hun Sen arrived in China today.\npublished: 2024-12-02\nlabels:\n"
        "- {kind: date, text: today, value: 2024-12-03}\n"
    )
    r = ev.evaluate([f])
    s = r.by_set["mine"]["date"]
    assert (s.labels, s.candidates, s.matched_labels, s.matched_candidates) == (1, 1, 0, 0)
    assert s.precision == 0 and s.recall == 0
    assert s.misses[0]["overlapping_candidates"][0]["value"] == "2024-12-02"


def test_evaluate_command_prints_figures_per_set():
    result = CliRunner().invoke(cli, ["evaluate", str(LABELLED / "seed")])
    assert result.exit_code == 0, result.output
    assert "seed:" in result.output and "total:" in result.output
    assert "quotation" in result.output and "rules (correct/proposed -> confidence):" in result.output
    data = json.loads(CliRunner().invoke(cli, ["evaluate", str(LABELLED / "seed"), "--json"]).stdout)
    assert data["total"]["title"]["labels"] == 13


def test_an_impossible_range_is_not_proposed_in_part():
    """"5-3 December" is flagged by the normaliser; "3 December" is not taken from it."""
    assert kinds_of(ex.extract("The talks ran 5-3 December and on February 30.", "2024-01-01"), "date") == []


def test_a_name_after_an_honorific_is_a_person():
    (q,) = kinds_of(ex.extract('Mr. Smith, 45, said: "We are ready for the rains."', "2024-01-01"), "quotation")
    assert q.speaker == "Smith"
    text = "Lou Kim Chhun, the port's chief executive, spoke.\n\n\"We need bigger cranes now,\" Mr Lou said."
    (q,) = kinds_of(ex.extract(text, "2024-01-01"), "quotation")
    assert q.speaker == "Lou Kim Chhun"


def test_robust_on_odd_text():
    for text in ["", "  \n\n ", '"unterminated quote and more words', "“a” “b” ” “", "x" * 5000, "$$$ 5 5 %"]:
        for c in ex.extract(text, "2024-01-01"):
            assert text[c.start : c.end] == c.text


# ---------------------------------------------------------------- issue 16: titles on unseen news text


def _titles(text, published="2024-12-03"):
    from ledger.services.evaluate import default_entities

    return [(c.subject, c.value) for c in ex.extract(text, published, entities=default_entities(), kinds=("title",))]


def test_local_honorifics_and_his_excellency_are_not_part_of_the_name():
    got = _titles("Phnom Penh: Samdech Akka Moha Sena Padei Techo Lim Dara, President of the Farmers' Party, "
                  "will meet H.E. Tan Wei, General Secretary of the CPC.")
    assert ("Lim Dara", "President of the Farmers' Party") in got
    assert ("Tan Wei", "General Secretary of the CPC") in got


def test_stacked_titles_of_two_organisations_before_a_name_are_two_titles():
    got = _titles("Farmers' Party (FP) President and Senate President Samdech Techo Lim Dara arrived on Monday.")
    assert ("Lim Dara", "Farmers' Party (FP) President") in got and ("Lim Dara", "Senate President") in got
    # one office written with "and" stays one title
    assert _titles("Chinese State Councilor and foreign minister Tan Wei spoke.") == [
        ("Tan Wei", "Chinese State Councilor and foreign minister")]


def test_an_appositive_runs_past_a_bracketed_abbreviation_and_splits_at_a_second_post():
    got = _titles("Tan Wei, general secretary of the Workers' Party (WP) Central Committee and Chinese president, "
                  "held talks on Tuesday.")
    assert ("Tan Wei", "general secretary of the Workers' Party (WP) Central Committee") in got
    assert ("Tan Wei", "Chinese president") in got


def test_a_list_of_posts_after_a_name_is_each_a_title():
    got = _titles("Among them is H.E. Lim Dara, Deputy Prime Minister, Minister of Foreign Affairs and International "
                  "Cooperation, and Chairman of the Commission for External Relations.")
    assert ("Lim Dara", "Deputy Prime Minister") in got
    assert ("Lim Dara", "Minister of Foreign Affairs and International Cooperation") in got
    assert ("Lim Dara", "Chairman of the Commission for External Relations") in got


def _events(text, published):
    from ledger.services.evaluate import default_entities

    return [(c.subject, c.predicate, c.value, c.valid_from, c.valid_to)
            for c in ex.extract(text, published, entities=default_entities(), kinds=("event",))]


def test_meetings_by_receiving_discussions_and_personal_talks_are_events():
    got = _events("On September 15, in Beijing, Tan Wei received Prime Minister Lim Dara, who is on an official visit.",
                  "2023-09-15")
    assert ("Tan Wei", "meeting", "Lim Dara", "2023-09-15", "2023-09-15") in got
    got = _events("Lim Dara met personally with President Tan Wei on December 3, as part of his three-day official visit.",
                  "2024-12-04")
    # a meeting on a day of a three-day visit is on that day
    assert ("Lim Dara", "meeting", "Tan Wei", "2024-12-03", "2024-12-03") in got


def test_a_visit_in_a_relative_clause_is_its_subjects():
    got = _events("Premier Tan Wei held talks with Prime Minister Lim Dara, who is on an official visit to China, "
                  "on Friday.", "2023-09-16")
    assert [e for e in got if e[1] == "visit"] == [("Lim Dara", "visit", "China", "2023-09-15", "2023-09-15")]


def test_a_meeting_during_a_visit_dated_in_the_same_sentence_takes_its_dates():
    got = _events("During the visit scheduled from December 2 to 4, Lim Dara will hold a bilateral meeting with "
                  "H.E. Tan Wei.", "2024-11-30")
    assert ("Lim Dara", "meeting", "Tan Wei", "2024-12-02", "2024-12-04") in got


def test_a_currency_after_a_scaled_number_is_its_unit():
    from ledger.services.evaluate import default_entities

    got = [(c.text, c.normalized["value"], c.normalized["unit"]) for c in
           ex.extract("It will earn 88 million USD in its first year and 1.7 billion US dollars by 2050.", "2024-08-05",
                      entities=default_entities(), kinds=("quantity",))]
    assert ("88 million USD", 88000000, "USD") in got and ("1.7 billion US dollars", 1700000000, "USD") in got
