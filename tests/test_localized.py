"""Values in the source's language (issue 20): numbers with local separators
and scale words, written fractions, rupee amounts, dates with local month
names; the English rules kept for English and where they are better."""

import json

import pytest

from ledger.store.db import open_db
from ledger.services.ingest import build
from ledger.core.localized import normalize_date_in, normalize_quantity_in, parse_local_number
from ledger.core.normalize import normalize_date, normalize_quantity


@pytest.mark.parametrize(
    "text, language, unit_hint, expected",
    [
        ("60.000 Sitze", "de", "seats", "60000 seats"),
        ("60 000 places", "fr", "seats", "60000 seats"),
        ("60\u202f000 places", "fr", "seats", "60000 seats"),
        ("1,5 Mio. Euro", "de", None, "1500000 EUR"),
        ("3,5 millones de dólares", "es", None, "3500000 USD"),
        ("12.000 asientos", "es", "seats", "12000 seats"),
        ("1.234,5 km", "de", None, "1234.5 km"),
        ("two-thirds", "en", None, str(2 / 3)),
        ("two-thirds of voters", None, None, str(2 / 3)),
        ("Rs 5 crore", "en", None, "50000000 INR"),
        ("₹2.5 lakh", "hi", None, "250000 INR"),
        ("500 rupees", "en", None, "500 INR"),
        ("60,000 seats", "en", None, "60000 seats"),
        ("60,000 seats", None, None, "60000 seats"),
    ],
)
def test_quantities_are_read_in_the_source_language(text, language, unit_hint, expected):
    q = normalize_quantity_in(text, language, unit_hint)
    assert q is not None and q.normalized == expected


def test_the_english_rules_got_these_wrong():
    """What the issue found: each of these is wrong or empty under the English rules alone."""
    assert normalize_quantity("60.000 Sitze").value == 60
    assert normalize_quantity("two-thirds").value == 2.0
    assert normalize_quantity("Rs 5 crore").unit != "INR"
    assert normalize_date("3. Dezember 2021").precision == "year"
    assert normalize_date("3 de diciembre de 2021").precision == "year"


def test_a_number_read_differently_from_english_is_flagged():
    q = normalize_quantity_in("60.000 Sitze", "de", "seats")
    assert "read-as-de" in q.flags
    assert "read-as-de" not in normalize_quantity_in("60 Sitze", "de", "seats").flags


def test_an_english_decimal_in_a_german_source_stays_what_english_says():
    # "1.5" has no group of three: German cannot read it strictly, so the English rule stands
    assert parse_local_number("1.5", "de") is None
    assert normalize_quantity_in("1.5 km", "de").normalized == "1.5 km"


@pytest.mark.parametrize(
    "text, language, expected, rule",
    [
        ("3. Dezember 2021", "de", "2021-12-03", "dateparser:de"),
        ("3 de diciembre de 2021", "es", "2021-12-03", "dateparser:es"),
        ("le 3 décembre 2021", "fr", "2021-12-03", "dateparser:fr"),
        ("3 декабря 2021 года", "ru", "2021-12-03", "dateparser:ru"),
        ("2021年12月3日", "zh", "2021-12-03", "dateparser:zh"),
        ("diciembre de 2021", "es", "2021-12", "dateparser:es"),
        # English rules kept: ranges, and English text in any source
        ("December 3-5, 2021", "de", "2021-12-03/2021-12-05", None),
        ("2021-12-03", "fr", "2021-12-03", None),
    ],
)
def test_dates_are_read_in_the_source_language(text, language, expected, rule):
    d = normalize_date_in(text, language, "2022-01-10")
    assert d is not None and d.normalized == expected
    if rule:
        assert d.rule == rule
    else:
        assert not d.rule.startswith("dateparser")


def test_a_date_without_a_year_takes_the_year_nearest_the_publication_date():
    # dateparser alone would take the current year; the English rule takes the nearest one
    assert normalize_date_in("3 décembre", "fr", "2022-01-10").normalized == "2021-12-03"
    assert normalize_date_in("3 décembre", "fr", "2021-11-20").normalized == "2021-12-03"
    assert normalize_date_in("3 décembre", "fr", None) is None


def test_comparison_reads_values_in_their_source_language(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    (tmp_path / "claims").mkdir()
    (tmp_path / "sources" / "de.txt").write_text("Das Stadion hat 60.000 Sitze und wurde am 3. Dezember 2021 eröffnet.", encoding="utf-8")
    (tmp_path / "sources" / "de.yml").write_text("language: de\npublished: 2021-12-04\n", encoding="utf-8")
    (tmp_path / "sources" / "en.txt").write_text("The stadium has 60,000 seats.", encoding="utf-8")
    (tmp_path / "sources" / "en.yml").write_text("language: en\npublished: 2021-12-05\n", encoding="utf-8")
    claims = [
        {"source": "de", "subject": "Stadion", "predicate": "seating_capacity", "value": "60.000 Sitze",
         "quote": "60.000 Sitze", "confidence": 0.9},
        {"source": "en", "subject": "Stadion", "predicate": "seating_capacity", "value": "60,000 seats",
         "quote": "60,000 seats", "confidence": 0.9},
    ]
    (tmp_path / "claims" / "c.json").write_text(json.dumps(claims), encoding="utf-8")
    db = open_db(tmp_path / "ledger.db")
    build(db, tmp_path / "sources", tmp_path / "claims")
    nums = sorted(r[0] for r in db.execute("SELECT value_num FROM claim_values"))
    assert nums == [60000.0, 60000.0]
