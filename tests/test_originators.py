"""Originators (issue 16): sources carrying one wire story or readout count once, whoever publishes them."""

import json

import pytest
import yaml

from ledger.core import originators
from ledger.core.normalize import fold_name
from ledger.formats.sources import InvalidSource, read_source
from ledger.services.export import export_files
from ledger.services.ingest import build
from ledger.store import compare as comparison
from ledger.store.db import open_db

from test_datasette import get, make_ds
from test_fact_model import ENTITIES, claim, ledger, status_of

AGENCIES = {"xinhua": ("xinhua", "Xinhua"), "agence kampuchea presse": ("akp", "Agence Kampuchea Presse"),
            "agency kampuchea press": ("akp", "Agence Kampuchea Presse")}


def agency(name):
    return AGENCIES.get(name.casefold())


def test_a_dateline_credit_a_credit_line_and_according_to_an_agency_are_originators():
    assert originators.detect("BEIJING, Dec. 3 (Xinhua) -- Xi held talks.", agency, fold_name)[:2] == ("xinhua", "Xinhua")
    assert originators.detect("PREK TAKEO, Cambodia (AP) — Cambodia broke ground.", agency, fold_name)[:2] == ("~ap", "AP")
    assert originators.detect("He arrived.\n\nSource: Agency Kampuchea Press", agency, fold_name)[:2] == ("akp", "Agence Kampuchea Presse")
    got = originators.detect("According to Agence Kampuchea Presse, during the visit he will meet Xi.", agency, fold_name)
    assert got == ("akp", "Agence Kampuchea Presse", '"According to Agence Kampuchea Presse"')


def test_a_body_that_is_not_an_agency_is_no_originator():
    assert originators.detect("According to the Ministry of Foreign Affairs, he will meet Xi.", agency, fold_name) is None
    assert originators.detect("Kin Phea said the visit mattered. The stadium (MTS) opened.", agency, fold_name) is None


WIRE = "BEIJING, Dec. 3 (Xinhua) -- Xi Jinping held talks with Senate President Hun Sen in Beijing on Tuesday."
REWORDED = "BEIJING, Dec. 3 (Xinhua) — Xi Jinping held talks in Beijing on Dec. 3 with the chairman of the Senate, Hun Sen."
OWN = "Hun Sen met personally with Chinese President Xi Jinping on December 3, as part of a three-day visit."


def test_two_publishers_of_one_wire_story_count_once_and_say_why(tmp_path, monkeypatch):
    groups = ledger(tmp_path, monkeypatch, {
        "people": ("People's Daily Online", "2024-12-04", WIRE,
                   [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", valid_from="2024-12-03", valid_to="2024-12-03")]),
        "aggregator": ("ExBulletin", "2024-12-03", REWORDED,
                       [claim("Xi Jinping", "meeting", "Hun Sen", "held talks in Beijing", valid_from="2024-12-03", valid_to="2024-12-03")]),
    })
    g = status_of(groups, "people", "Hun Sen")
    assert g["status"] == "single-source" and g["sources"] == 2 and g["independent_sources"] == 1
    note = [m for m in g["members"] if not m["counted"]][0]["independence"]
    assert note.startswith("same originator as ") and 'dateline credit "(Xinhua)"' in note


def test_one_aggregator_carrying_two_originators_counts_twice(tmp_path, monkeypatch):
    groups = ledger(tmp_path, monkeypatch, {
        "wire-copy": ("ExBulletin", "2024-12-03", REWORDED,
                      [claim("Xi Jinping", "meeting", "Hun Sen", "held talks in Beijing", valid_from="2024-12-03", valid_to="2024-12-03")]),
        "own-report": ("ExBulletin", "2024-12-04", OWN,
                       [claim("Xi Jinping", "meeting", "Hun Sen", "met personally with", valid_from="2024-12-03", valid_to="2024-12-03")]),
    })
    g = status_of(groups, "wire-copy", "Hun Sen")
    assert g["status"] == "corroborated" and g["independent_sources"] == 2


# ---------------------------------------------------------------- official readouts


READOUT_A = ("On December 4, 2021, State Councilor and Foreign Minister Wang Yi held talks with Deputy Prime "
             "Minister A. Name in Hill Town.")
READOUT_B = ("Wang Yi Holds Virtual Meeting with A. Name\n\n2022-05-08 23:01\n\nOn May 8, 2022, State Councilor and "
             "Foreign Minister Wang Yi held a virtual meeting with Deputy Prime Minister A. Name.")
STORY = ("On Monday, China's top diplomat, Foreign Minister Wang Yi, sat down in Hill Town for a second round of "
         "talks with his host, as our reporter watched from the gallery.")


def test_an_official_readouts_opening_formula_names_its_originator():
    key, name, how = originators.detect(READOUT_A, agency, fold_name)
    assert key == "~readout:wang yi" and "Wang Yi" in name and how.startswith('opening "On December 4, 2021,')
    assert originators.detect(READOUT_B, agency, fold_name)[0] == "~readout:wang yi"  # after a headline and a time
    # a story dated by a weekday, or a dateline, is no readout: news does not open with the full date
    assert originators.detect(STORY, agency, fold_name) is None
    assert originators.detect("On 30 November 2024, the Ministry of Foreign Affairs announced the visit.", agency,
                              fold_name) is None


def test_readouts_republished_by_different_sites_count_once(tmp_path, monkeypatch):
    title = lambda q: claim("Wang Yi", "title", "Foreign Minister", q)  # noqa: E731
    groups = ledger(tmp_path, monkeypatch, {
        "aggregator": ("MarketScreener", "2021-12-05", READOUT_A, [title("Foreign Minister Wang Yi")]),
        "embassy": ("Embassy in Ruritania", "2022-05-08", READOUT_B, [title("Foreign Minister Wang Yi")]),
        "paper": ("Paper C", "2022-05-09", STORY, [title("Foreign Minister Wang Yi")]),
    })
    g = status_of(groups, "aggregator", "Foreign Minister")
    assert g["independent_sources"] == 2 and g["sources"] == 3
    note = next(m["independence"] for m in g["members"] if not m["counted"])
    assert "an official readout of Wang Yi's talks" in note


# ---------------------------------------------------------------- originators the user gives


def sidecar_ledger(tmp_path, monkeypatch, sources):
    """``sources``: {slug: (sidecar dict, text, [claims])}: the ledger built from them, and its fact groups."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_ENTITIES", raising=False)
    monkeypatch.delenv("LEDGER_PREDICATES", raising=False)
    (tmp_path / "entities.yml").write_text(ENTITIES, encoding="utf-8")
    for d in ("sources", "claims"):
        (tmp_path / d).mkdir(exist_ok=True)
    for slug, (meta, text, claims) in sources.items():
        (tmp_path / "sources" / f"{slug}.txt").write_text(text, encoding="utf-8")
        (tmp_path / "sources" / f"{slug}.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
        rows = [{"confidence": 0.9, "recorded_at": "2026-12-07T00:00:00+00:00", **c} for c in claims]
        (tmp_path / "claims" / f"{slug}.json").write_text(json.dumps({"source": slug, "claims": rows}), encoding="utf-8")
    db = open_db(tmp_path / "ledger.db")
    try:
        build(db, tmp_path / "sources", tmp_path / "claims")
        return comparison.compare(db)
    finally:
        db.close()


PLAIN = "The Chinese leader held talks with his Cambodian guest at the Great Hall; the two sides signed accords."
MEETING = dict(valid_from="2024-12-03", valid_to="2024-12-03")


def test_an_originator_given_in_the_sidecar_counts_once_with_the_same_originator_detected(tmp_path, monkeypatch):
    groups = sidecar_ledger(tmp_path, monkeypatch, {
        "wire": ({"publisher": "People's Daily Online", "published": "2024-12-04"}, WIRE,
                 [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
        "reprint": ({"publisher": "Some Portal", "published": "2024-12-05", "originator": "Xinhua"}, PLAIN,
                    [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
    })
    g = status_of(groups, "wire", "Hun Sen")
    assert g["status"] == "single-source" and g["sources"] == 2 and g["independent_sources"] == 1
    note = next(m["independence"] for m in g["members"] if not m["counted"])
    assert "as the source's sidecar gives it (originator: Xinhua)" in note


def test_without_the_sidecars_originator_the_same_two_sources_are_independent(tmp_path, monkeypatch):
    groups = sidecar_ledger(tmp_path, monkeypatch, {
        "wire": ({"publisher": "People's Daily Online", "published": "2024-12-04"}, WIRE,
                 [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
        "reprint": ({"publisher": "Some Portal", "published": "2024-12-04"}, PLAIN,
                    [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
    })
    g = status_of(groups, "wire", "Hun Sen")
    assert g["status"] == "corroborated" and g["independent_sources"] == 2


def test_an_originator_on_two_lines_is_refused_naming_the_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "a.yml").write_text('publisher: P\noriginator: "Xinhua\\nAP"\n', encoding="utf-8")
    with pytest.raises(InvalidSource, match=r"a\.yml.*`originator`.*line break"):
        read_source(tmp_path / "a.txt")
    (tmp_path / "a.yml").write_text("publisher: P\noriginator: Xinhua\n", encoding="utf-8")
    assert read_source(tmp_path / "a.txt").originator == "Xinhua"
    assert read_source(tmp_path / "a.txt").metadata()["originator"] == "Xinhua"


def test_the_sidecars_originator_survives_export_and_rebuild(tmp_path, monkeypatch):
    sidecar_ledger(tmp_path, monkeypatch, {
        "reprint": ({"publisher": "Some Portal", "published": "2024-12-05", "originator": "Xinhua"}, PLAIN,
                    [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
    })
    db = open_db(tmp_path / "ledger.db")
    try:
        export_files(db, tmp_path / "out")
    finally:
        db.close()
    meta = yaml.safe_load((tmp_path / "out" / "sources" / "reprint.yml").read_text(encoding="utf-8"))
    assert meta["originator"] == "Xinhua"


def test_the_claim_page_says_the_sidecar_named_the_originator(tmp_path, monkeypatch):
    sidecar_ledger(tmp_path, monkeypatch, {
        "wire": ({"publisher": "People's Daily Online", "published": "2024-12-04"}, WIRE,
                 [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
        "reprint": ({"publisher": "Some Portal", "published": "2024-12-05", "originator": "Xinhua"}, PLAIN,
                    [claim("Xi Jinping", "meeting", "Hun Sen", "held talks with", **MEETING)]),
    })
    db = open_db(tmp_path / "ledger.db")
    try:
        (claim_id,) = [r[0] for r in db.execute(
            "SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id WHERE s.slug = 'wire'")]
    finally:
        db.close()
    page = get(make_ds(tmp_path / "ledger.db", immutable=False), f"/ledger/claims/{claim_id}").text
    section = page[page.index('id="same-fact"') : page.index("</section>", page.index('id="same-fact"'))]
    assert "single-source" in section
    assert "same originator as wire" in section and "(originator: Xinhua)" in section
