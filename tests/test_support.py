"""Issue 14: every claim says how its span supports its value, checked at
input (add, import, supersede, re-anchor) and again by `ledger verify`, and
shown in words on the claim page."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ledger.core.support import SUPPORTED, assess

from _cli import q, run

SEED = "sokhonn-plans-china-trip"
STADIUM = ("Morodok Techo National Stadium", "seating_capacity")


def stadium_id(db_path):
    return q(db_path, "SELECT id FROM claims WHERE subject = ? AND predicate = ?", STADIUM)[0][0]


def tamper(db_path, sql, params=()):
    """Write behind the ledger's back: drop its triggers, change a row."""
    conn = sqlite3.connect(db_path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(sql, params)
    conn.commit()
    conn.close()


# ---------------------------------------------------------------- the levels


@pytest.mark.parametrize(
    "value, span, predicate, published, level",
    [
        ("60,000", "a seating capacity of 60,000", "seating_capacity", None, "exact"),
        ("President of the Senate", "Hun Sen, president of both the Senate and the CPP", "title", None, "exact"),
        ("60000 seats", "a seating capacity of 60,000", "seating_capacity", None, "normalised"),
        ("three days", "a three-day official visit", "visit_duration", None, "normalised"),
        ("2024-12-04", "will conclude on December 4", "visit_end", "2024-12-02", "normalised"),
        ("2021-09", "Last September, Wang paid a visit", "inaugurated", "2021-12-01", "normalised"),
        ("President of China", "Chinese president Xi Jinping", "title", None, "normalised"),
        ("ironclad", "their \u201cironclad\u201d partnership", "said", None, "quotation"),
        ("70,000", "a seating capacity of 60,000", "seating_capacity", None, "unsupported"),
        ("2024-12-05", "will conclude on December 4", "visit_end", "2024-12-02", "unsupported"),
        ("To what extent can China afford to help Cambodia?",
         "Cambodia is suffering economically due to Covid-19 \u2013 but so is China,\u201d he said", "said", None,
         "unsupported"),
    ],
)
def test_support_level(value, span, predicate, published, level):
    assert assess(value, span, predicate, published=published).level == level


def test_unsupported_says_what_the_span_gives_and_what_the_claim_says():
    got = assess("70,000", "a seating capacity of 60,000", "seating_capacity")
    assert got.detail == "the span gives 60,000 seats; the claim says 70,000"


def test_an_abbreviation_the_source_defines_counts_as_its_long_form():
    text = "a meeting of the Communist Party of China (CPC). Xi, who is also general secretary of the CPC, spoke"
    span = "Xi, who is also general secretary of the CPC"
    value = "General Secretary of the Communist Party of China"
    assert assess(value, span, "title").level == "unsupported"
    assert assess(value, span, "title", source_text=text).level == "normalised"


def test_a_declared_paraphrase_is_only_used_when_nothing_stronger_holds():
    span = "the ASEAN Para-Games already scheduled there for 2023"
    got = assess("Morodok Techo National Stadium", span, "venue", paraphrase='"there" is the stadium')
    assert (got.level, got.detail) == ("paraphrase", 'declared a paraphrase: "there" is the stadium')
    assert assess("2023", span, "venue", paraphrase="unneeded").level == "exact"


# ---------------------------------------------------------------- the seed ledger


def test_every_seed_claim_is_supported_and_only_the_declared_ones_are_paraphrases(seed_db):
    # the seed files as first recorded (tests/conftest.py copies claims/<slug>.yml only); the repository
    # supersedes these three paraphrases with claims whose spans give the value (tests/test_demo_data.py)
    rows = q(seed_db, "SELECT support, paraphrase IS NOT NULL, subject, predicate, value FROM claims")
    assert len(rows) == 40
    assert {r[0] for r in rows} <= set(SUPPORTED)
    assert all((level == "paraphrase") == declared for level, declared, *_ in rows)
    levels = {level for level, *_ in rows}
    assert levels == {"exact", "normalised", "quotation", "paraphrase"}
    paraphrases = sorted((s, p, v) for level, _, s, p, v in rows if level == "paraphrase")
    assert paraphrases == [
        ("ASEAN Para-Games", "venue", "Morodok Techo National Stadium"),
        ("Prak Sokhonn", "meeting", "Wang Yi"),
        ("Southeast Asian Games", "venue", "Morodok Techo National Stadium"),
    ]


# ---------------------------------------------------------------- at input


def test_claim_add_refuses_an_unsupported_value_naming_claim_value_and_span(seed_db, workdir):
    before = (workdir / "claims" / f"{SEED}.yml").read_bytes()
    n = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Morodok Techo National Stadium",
        "--predicate", "seating_capacity", "--value", "70,000", "--quote", "a seating capacity of 60,000",
        "--confidence", "0.9", ok=False,
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: command line: claim 1 (Morodok Techo National Stadium / seating_capacity): the value '70,000' is "
        "not supported by its span 'a seating capacity of 60,000': the span gives 60,000 seats; the claim says 70,000;"
    )
    assert (workdir / "claims" / f"{SEED}.yml").read_bytes() == before
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] == n


def test_claim_add_with_a_declared_paraphrase_records_it(seed_db):
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "ASEAN Para-Games", "--predicate", "host_country",
        "--value", "Cambodia", "--quote", "the ASEAN Para-Games already scheduled there for 2023",
        "--paraphrase", '"there" is the stadium in Phnom Penh, Cambodia', "--confidence", "0.7", "--json",
    )
    out = json.loads(result.output)
    assert out["support"] == "paraphrase"
    assert q(seed_db, "SELECT support, paraphrase FROM claims WHERE id = ?", [out["id"]]) == [
        ("paraphrase", '"there" is the stadium in Phnom Penh, Cambodia')
    ]


def test_import_refuses_an_unsupported_value_and_writes_nothing(seed_db, tmp_path):
    f = tmp_path / "bad.yml"
    f.write_text(
        f"source: {SEED}\nclaims:\n- subject: Morodok Techo National Stadium\n  predicate: seating_capacity\n"
        "  value: 60000 seats\n  quote: a seating capacity of 60,000\n  confidence: 0.9\n"
        "- subject: Morodok Techo National Stadium\n  predicate: opened\n  value: 2019\n"
        "  quote: a seating capacity of 60,000\n  confidence: 0.9\n",
        encoding="utf-8",
    )
    n = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    result = run("import", "--db", seed_db, f, ok=False)
    assert result.exit_code == 1
    assert "bad.yml:8: claim 2 (Morodok Techo National Stadium / opened): the value '2019' is not supported" in result.output
    assert "claim 1" not in result.output  # "60000 seats" is the span's 60,000 normalised
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] == n


def test_supersede_with_a_new_value_and_no_quote_is_refused(seed_db, workdir):
    """The README's own example gave a current "70,000" on the span "a seating capacity of 60,000"."""
    cid = stadium_id(seed_db)
    result = run("claim", "supersede", cid, "--db", seed_db, "--value", "70,000", "--reason", "misread the figure",
                 ok=False)
    assert result.exit_code == 1
    assert "the value '70,000' is not supported by its span 'a seating capacity of 60,000'" in result.output
    assert q(seed_db, "SELECT count(*) FROM claim_events") == [(0,)]


def test_supersede_with_a_value_its_span_gives_in_another_form_is_recorded(seed_db):
    cid = stadium_id(seed_db)
    out = json.loads(run("claim", "supersede", cid, "--db", seed_db, "--value", "60000 seats",
                         "--reason", "a number of seats", "--json").output)
    assert q(seed_db, "SELECT support FROM claims WHERE id = ?", [out["new"]]) == [("normalised",)]


# ---------------------------------------------------------------- verify


def test_verify_names_an_unsupported_claim_written_behind_the_ledgers_back(seed_db):
    cid = stadium_id(seed_db)
    assert run("verify", "--db", seed_db).exit_code == 0
    tamper(seed_db, "UPDATE claims SET value = '70,000' WHERE id = ?", [cid])
    result = run("verify", "--db", seed_db, "--json", ok=False)
    report = json.loads(result.output)
    assert result.exit_code != 0  # the dropped triggers and the changed row fail first (7, 4)
    support = [f for f in report["failures"] if f["kind"] == "support"]
    assert support == [{
        "kind": "support", "item": cid,
        "message": "the value '70,000' is not supported by its span 'a seating capacity of 60,000': "
                   "the span gives 60,000 seats; the claim says 70,000",
    }]


def test_verify_names_a_paraphrase_whose_declaration_was_removed(seed_db):
    cid = q(seed_db, "SELECT id FROM claims WHERE subject = 'ASEAN Para-Games'")[0][0]
    tamper(seed_db, "UPDATE claims SET paraphrase = NULL WHERE id = ?", [cid])
    report = json.loads(run("verify", "--db", seed_db, "--json", ok=False).output)
    assert [f["item"] for f in report["failures"] if f["kind"] == "support"] == [cid]


def test_verify_exits_11_naming_an_unsupported_claim_recorded_without_the_input_check(seed_db):
    """A claim written by code that skips the input check (an older version,
    a script calling the store directly), in a proper history entry so that
    every hash and the schema hold: the support check alone fails, exit 11."""
    cid = _record_behind_the_check(seed_db, "70,000")
    result = run("verify", "--db", seed_db, ok=False)
    assert result.exit_code == 11, result.output
    assert (f"support: {cid}: the value '70,000' is not supported by its span 'a seating capacity of "
            "60,000': the span gives 60,000 seats; the claim says 70,000") in result.output
    failures = json.loads(run("verify", "--db", seed_db, "--json", ok=False).output)["failures"]
    assert [(f["kind"], f["item"]) for f in failures] == [("support", cid)]


# ---------------------------------------------------------------- the claim page


def _page(db_path, cid) -> str:
    import asyncio

    from datasette.app import Datasette

    return asyncio.run(Datasette(files=[str(db_path)]).client.get(f"/ledger/claims/{cid}")).text


def test_the_claim_page_states_the_support_in_words(seed_db):
    cid = stadium_id(seed_db)
    html = _page(seed_db, cid)
    assert "Support: Exact: the span gives these words." in html
    tamper(seed_db, "UPDATE claims SET value = '70,000' WHERE id = ?", [cid])
    html = _page(seed_db, cid)
    assert "Support: Unsupported: the span gives 60,000 seats; the claim says 70,000." in html
    assert 'class="ledger-bad" id="support"' in html
    assert 'class="ledger-ok" id="support"' not in html


def test_words_of_ascii_text_are_those_of_the_whitespace_collapsed_text():
    """support._words reads an ASCII text without collapsing its whitespace, and with [a-z0-9_] for \\w
    (issue 19): the same words as the rule it stands for, over hypothesis's ASCII strings."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ledger.core.support import _words

    word_re = re.compile(r"\w+(?:[.,:/]\w+)*")

    def reference(text):
        t = " ".join(text.split()).lower().replace("'s ", " ").replace("'", "")
        return word_re.findall(t[:-2] if t.endswith("'s") else t)

    alphabet = st.sampled_from(list("aZ09_'s.,:/- \t\n\r\x0b\x0c\x1c\x1f\x00!\"") + ["'s", "'s ", "  "])

    @settings(max_examples=3000, deadline=None)
    @given(st.lists(alphabet, max_size=30).map("".join) | st.text(st.characters(max_codepoint=127)))
    def check(text):
        assert _words(text) == reference(text)

    check()


# ---------------------------------------------------------------- audit6: values that contradict their span


@pytest.mark.parametrize(
    "value, span, published",
    [
        ("60", "a seating capacity of 60,000", None),  # a number inside a longer number
        ("000", "a seating capacity of 60,000", None),
        ("November 3", "from December 3-5", "2021-12-01"),  # a date in words: the month differs
        ("December 3-6", "from December 3-5", "2021-12-01"),  # the range ends a day later
        ("November 3", "from December 3-5", None),
    ],
)
def test_a_value_contradicting_its_span_is_unsupported(value, span, published):
    """audit6: '60' passed on '60,000' as "the span gives these characters" (a substring inside a number),
    and a date written in words was compared as its first number only, so 'November 3' and
    'December 3-6' passed on 'December 3-5' as "the same quantity"."""
    assert assess(value, span, "x", published=published).level == "unsupported"


@pytest.mark.parametrize(
    "value, span, published, level",
    [
        ("\U0001F600", "fans cheered \U0001F600 loudly", None, "exact"),  # an emoji holds no word
        ("60,000", "capacity 60,000.", None, "exact"),
        ("December 4", "will conclude on December 4", "2024-12-02", "normalised"),
        ("3 May 2024", "It opened on May 3, 2024.", None, "normalised"),
    ],
)
def test_values_the_span_does_give_stay_supported(value, span, published, level):
    assert assess(value, span, "x", published=published).level in SUPPORTED


def test_import_names_a_claim_whose_number_is_inside_a_longer_one(seed_db, tmp_path):
    f = tmp_path / "part.yml"
    f.write_text(
        f"source: {SEED}\nclaims:\n- subject: Morodok Techo National Stadium\n  predicate: seating_capacity\n"
        "  value: '60'\n  quote: a seating capacity of 60,000\n  confidence: 0.9\n", encoding="utf-8")
    n = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    result = run("import", "--db", seed_db, f, ok=False)
    assert result.exit_code == 1
    assert "part.yml:3: claim 1 (Morodok Techo National Stadium / seating_capacity): the value '60' is not supported" in result.output
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] == n


def test_verify_names_a_number_inside_a_longer_one_recorded_without_the_input_check(seed_db):
    """audit6: verify's cheap pass (support.evident) settled any value found as characters in its span,
    so '60' recorded on 'a seating capacity of 60,000' passed verify."""
    cid = _record_behind_the_check(seed_db, "60")
    failures = json.loads(run("verify", "--db", seed_db, "--json", ok=False).output)["failures"]
    assert [(f["kind"], f["item"]) for f in failures] == [("support", cid)]


@pytest.mark.parametrize(
    "value, span",
    [
        ("-60,000", "a seating capacity of 60,000"),  # the span's number has no sign
        ("\u221260,000", "a seating capacity of 60,000"),  # U+2212 MINUS SIGN
        ("-3%", "GDP fell 3% last year"),  # a reading of "fell", not what the span gives: declare a paraphrase
        ("-5 degrees", "it was 5 degrees"),
    ],
)
def test_a_negative_value_on_a_span_without_the_sign_is_unsupported(value, span):
    """Found by audit6 and left to me: a leading minus was dropped by the word test and by
    normalize_quantity, so '-60,000' passed on '60,000' as "exact"."""
    got = assess(value, span, "x")
    assert got.level == "unsupported", got
    assert "the claim says" in got.detail


@pytest.mark.parametrize(
    "value, span, level",
    [
        ("-3%", "GDP changed by -3% last year", "exact"),
        ("\u22123%", "GDP changed by -3% last year", "exact"),  # the fold makes U+2212 a hyphen-minus
        ("-5 degrees", "it was -5 degrees at night", "exact"),
        ("2021-2022", "the 2021-2022 season", "exact"),  # a hyphen inside a value is no sign
        ("60,000", "a seating capacity of 60,000", "exact"),
    ],
)
def test_a_signed_value_the_span_gives_with_its_sign_stays_supported(value, span, level):
    assert assess(value, span, "x").level == level


def test_a_negative_value_declared_a_paraphrase_is_a_paraphrase():
    got = assess("-3%", "GDP fell 3% last year", "x", paraphrase="'fell 3%' is a change of -3%")
    assert got.level == "paraphrase"


def _record_behind_the_check(seed_db, value: str) -> str:
    """Record the stadium's capacity claim again with ``value``, as code that skips the input check would (an
    older version, a script calling the store directly), in a proper history entry: every hash and the schema
    hold. Returns the new claim's id."""
    from ledger.store import history
    from ledger.store.db import open_db, write_transaction
    from ledger.store.shape import ensure_shape
    from ledger.store.writer import claim_id, insert_claims

    db = open_db(seed_db)
    row = dict(next(db.query("SELECT * FROM claims WHERE subject = ? AND predicate = ?", STADIUM)))
    row.pop("entry_id")
    row.update(value=value, support="exact", recorded_at="2026-12-07T06:00:00+00:00")
    row["id"] = claim_id(row)
    with write_transaction(db), history.entry(db, "import", actor="a script", at="2026-12-07T06:00:00+00:00"):
        insert_claims(db, [row])
        ensure_shape(db)
    db.close()
    return row["id"]
