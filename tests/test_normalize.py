"""Value normalisers: dates against the publication date, quantities, titles, names."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.entities import Entities, InvalidEntities
from ledger.core.normalize import fold_name, normalize_date, normalize_quantity, normalize_title

P2021 = dt.date(2021, 12, 1)  # the Sokhonn article
P2024 = dt.date(2024, 12, 2)  # the Hun Sen article


@pytest.mark.parametrize(
    "text, published, start, end, precision",
    [
        ("December 3-5", P2021, "2021-12-03", "2021-12-05", "day"),
        ("from December 3-5", P2021, "2021-12-03", "2021-12-05", "day"),
        ("from 3 to 5 December 2021", None, "2021-12-03", "2021-12-05", "day"),
        ("December 2-4, 2024", None, "2024-12-02", "2024-12-04", "day"),
        ("December 2–4, 2024", None, "2024-12-02", "2024-12-04", "day"),  # en dash
        ("November 30 to December 2", P2021, "2021-11-30", "2021-12-02", "day"),
        ("December 30 to January 2", dt.date(2021, 12, 20), "2021-12-30", "2022-01-02", "day"),
        ("today", P2024, "2024-12-02", "2024-12-02", "day"),
        ("arrived in China today", P2024, "2024-12-02", "2024-12-02", "day"),
        ("yesterday", P2024, "2024-12-01", "2024-12-01", "day"),
        ("Last September", P2021, "2021-09-01", "2021-09-30", "month"),
        ("last December", P2021, "2020-12-01", "2020-12-31", "month"),
        ("next January", P2021, "2022-01-01", "2022-01-31", "month"),
        ("on November 30", P2021, "2021-11-30", "2021-11-30", "day"),
        ("on November 30", P2024, "2024-11-30", "2024-11-30", "day"),
        ("December 30", dt.date(2024, 1, 2), "2023-12-30", "2023-12-30", "day"),
        ("Tuesday", P2024, "2024-12-03", "2024-12-03", "day"),  # 2024-12-02 is a Monday
        ("on Friday", P2024, "2024-11-29", "2024-11-29", "day"),  # nearest: 3 days before
        ("last Tuesday", P2024, "2024-11-26", "2024-11-26", "day"),
        ("next Monday", P2024, "2024-12-09", "2024-12-09", "day"),
        ("2023", None, "2023-01-01", "2023-12-31", "year"),
        ("scheduled there for 2023", P2021, "2023-01-01", "2023-12-31", "year"),
        ("2024-12-04", None, "2024-12-04", "2024-12-04", "day"),
        ("2021-09", None, "2021-09-01", "2021-09-30", "month"),
        ("2021-12-03/2021-12-05", None, "2021-12-03", "2021-12-05", "day"),
        ("September 2021", None, "2021-09-01", "2021-09-30", "month"),
        ("3rd of December 2021", None, "2021-12-03", "2021-12-03", "day"),
        ("Dec. 3, 2021", None, "2021-12-03", "2021-12-03", "day"),
    ],
)
def test_dates_resolve_against_the_publication_date(text, published, start, end, precision):
    d = normalize_date(text, published)
    assert (d.start, d.end, d.precision) == (start, end, precision)
    assert d.raw == text


def test_november_30_in_articles_of_different_years_are_different_dates():
    a, b = normalize_date("November 30", P2021), normalize_date("November 30", P2024)
    assert a.normalized == "2021-11-30" and b.normalized == "2024-11-30"
    assert "year-inferred" in a.flags


def test_publication_date_may_be_an_iso_string():
    assert normalize_date("December 4", "2024-12-02").start == "2024-12-04"


@pytest.mark.parametrize(
    "text, flag", [("December 5-3", "impossible-range"), ("February 30, 2021", "impossible-date"), ("2021-13", "impossible-date")]
)
def test_impossible_dates_are_flagged_not_guessed(text, flag):
    d = normalize_date(text, P2021)
    assert d.start is None and d.end is None and d.normalized is None
    assert d.flags == (flag,)


def test_yearless_date_without_publication_date_is_not_guessed():
    assert normalize_date("November 30", None) is None
    assert normalize_date("today", None) is None


def test_no_date_and_modal_may_is_not_a_month():
    assert normalize_date("Hun Sen", P2024) is None
    assert normalize_date("he may attend", P2024) is None


def test_day_month_order_ambiguity_is_flagged():
    d = normalize_date("12/03/2021", None)
    assert d.start == "2021-12-03" and "ambiguous-day-month" in d.flags


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_iso_dates_round_trip(day):
    d = normalize_date(day.isoformat(), None)
    assert (d.start, d.end, d.precision, d.normalized) == (day.isoformat(), day.isoformat(), "day", day.isoformat())


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=28),
)
def test_a_bare_month_and_day_is_the_nearest_such_date(published, month, day):
    text = f"{dt.date(2000, month, 1):%B} {day}"
    d = normalize_date(text, published)
    got = dt.date.fromisoformat(d.start)
    assert (got.month, got.day) == (month, day)
    assert abs((got - published).days) <= 183


@pytest.mark.parametrize(
    "text, value, unit, counts, flags",
    [
        ("60,000", 60000, None, None, ()),
        ("60000 seats", 60000, "seats", "capacity", ()),
        ("60,000-seat", 60000, "seats", "capacity", ()),
        ("75,000-seater", 75000, "seats", "capacity", ()),
        ("a seating capacity of 60,000", 60000, "seats", "capacity", ()),
        ("a capacity of 70,000", 70000, None, "capacity", ()),
        ("up to 88,000 people", 88000, "people", None, ("upper-bound",)),
        ("more than 40 percent", 40, "%", None, ("lower-bound",)),
        ("about 5,000 spectators", 5000, "people", "spectators", ("approximate",)),
        ("two-day", 2, "days", None, ()),
        ("three-day", 3, "days", None, ()),
        ("three days", 3, "days", None, ()),
        ("$200 million", 200_000_000, "USD", None, ()),
        ("US$1.5 billion", 1_500_000_000, "USD", None, ()),
    ],
)
def test_quantities_with_unit_and_what_they_count(text, value, unit, counts, flags):
    q = normalize_quantity(text)
    assert (q.value, q.unit, q.counts, q.flags) == (value, unit, counts, flags)
    assert q.raw == text


def test_a_unit_hint_fills_in_a_missing_unit():
    assert normalize_quantity("60,000", unit_hint="seats").normalized == "60000 seats"
    assert normalize_quantity("60,000-seat", unit_hint="people").unit == "seats"


@pytest.mark.parametrize("text", ["Hun Sen", "in 2023", "the ministry said", ""])
def test_no_quantity(text):
    assert normalize_quantity(text) is None


@pytest.mark.parametrize(
    "a, b",
    [
        (
            "director of the International Relations Institute at the Royal Academy of Cambodia",
            "director of the Royal Academy of Cambodia’s International Relations Institute",
        ),
        ("Senate president", "President of the Senate"),
        ("President of the Cambodian People’s Party (CPP)", "president of the Cambodian People's Party"),
        ("Prime Minister", "prime minister"),
    ],
)
def test_titles_that_say_the_same_normalise_alike(a, b):
    assert normalize_title(a) == normalize_title(b)


@pytest.mark.parametrize("a, b", [("Prime Minister", "President of the Senate"), ("director", "deputy director")])
def test_different_titles_stay_different(a, b):
    assert normalize_title(a) != normalize_title(b)


def test_names_fold_case_punctuation_and_honorifics():
    assert fold_name("H.E. PRAK Sokhonn") == fold_name("Prak Sokhonn") == "prak sokhonn"
    assert fold_name("The foreign ministry") == "foreign ministry"


@pytest.fixture(scope="module")
def entities():
    from pathlib import Path

    return Entities.load(Path(__file__).resolve().parent.parent / "entities.yml")


@pytest.mark.parametrize(
    "name, canonical",
    [
        ("Sokhonn", "Prak Sokhonn"),
        ("Prak Sokhonn", "Prak Sokhonn"),
        ("PRAK Sokhonn", "Prak Sokhonn"),
        ("H.E. PRAK Sokhonn", "Prak Sokhonn"),
        ("Phea", "Kin Phea"),
        ("Kin Phea", "Kin Phea"),
        ("the foreign ministry", "Ministry of Foreign Affairs and International Cooperation"),
        ("Samdech Techo Hun Sen", "Hun Sen"),
        ("SEA Games", "Southeast Asian Games"),
    ],
)
def test_the_repository_entity_file_resolves_aliases(entities, name, canonical):
    assert entities.resolve(name) == canonical


def test_an_ambiguous_name_is_not_an_alias(entities):
    assert entities.resolve("Wang") is None
    assert entities.resolve("Nobody Known") is None


def test_an_alias_naming_two_entities_is_refused(tmp_path):
    p = tmp_path / "entities.yml"
    p.write_text(
        "entities:\n- name: Wang Yi\n  type: person\n  aliases: [Wang]\n- name: Wang Huning\n  type: person\n  aliases: [Wang]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidEntities, match=r"entity 2: alias 'Wang' names both 'Wang Yi' and 'Wang Huning'"):
        Entities.load(p)


@pytest.mark.parametrize(
    "body, message",
    [
        ("entities:\n- name: X\n  type: robot\n", "entity 1: `type` must be one of"),
        ("entities:\n- type: person\n", "entity 1: each entity needs a `name`"),
        ("entities:\n- name: X\n  type: person\n  name: Y\n", "duplicate key 'name'"),
        ("entities: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping with an `entities:` list"),
    ],
)
def test_bad_entity_files_name_the_problem(tmp_path, body, message):
    p = tmp_path / "entities.yml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidEntities, match=message):
        Entities.load(p)
