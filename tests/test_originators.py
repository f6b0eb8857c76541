"""Originators (issue 16): sources carrying one wire story or readout count once, whoever publishes them."""

from ledger.core import originators
from ledger.core.normalize import fold_name

from test_fact_model import claim, ledger, status_of

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
