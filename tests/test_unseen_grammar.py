"""Kinds of failure found on real reports nobody had tuned on (issue 16: the untuned and holdout sets), each
fixed by a rule about how English news is written, not about one sentence. The passages are composed (invented
wording); the comparison tests reuse the small-ledger helper of tests/test_fact_model.py."""

import pytest

from ledger.core import extract as ex
from ledger.core import predicates
from ledger.core.normalize import normalize_date, normalize_quantity
from tests.test_fact_model import claim, ledger, status_of


# ---------------------------------------------------------------- numbers and dates


@pytest.mark.parametrize("text, value, unit", [
    ("a capacity of 1,10,000 spectators", 110000, "people"),     # South Asian digit grouping
    ("12,34,567 people", 1234567, "people"),
    ("more than one lakh spectators", 100000, "people"),         # a lakh is 100,000
    ("built at a cost of Rs 700 crore", 7_000_000_000, None),     # a crore is 10 million
    ("1,234,567 people", 1234567, "people"),                      # the usual grouping still reads
])
def test_lakh_crore_and_south_asian_digit_grouping_are_read(text, value, unit):
    q = normalize_quantity(text)
    assert (q.value, q.unit) == (value, unit)


def test_a_count_in_lakh_grouping_is_proposed_whole():
    cands = ex.extract("The stadium has a capacity of 1,10,000 spectators.", "2021-02-24", kinds=("quantity",))
    assert [c.normalized["value"] for c in cands] == [110000]


def test_the_week_of_a_day_is_a_seven_day_range():
    d = normalize_date("the week of June 9", "2024-06-01")
    assert (d.start, d.end) == ("2024-06-09", "2024-06-15")


def test_a_week_range_agrees_with_a_day_inside_it(tmp_path, monkeypatch):
    groups = ledger(tmp_path, monkeypatch, {
        "a": ("Paper A", "2024-06-01", "Talks open the week of June 9.",
              [claim("A. Name", "talks_start", "the week of June 9", "the week of June 9")]),
        "b": ("Paper B", "2024-06-12", "Talks opened on June 11.",
              [claim("A. Name", "talks_start", "June 11", "June 11")]),
    })
    assert status_of(groups, "a", "the week of June 9")["status"] == "corroborated"


def test_yesterday_in_quoted_words_is_the_day_before_they_were_spoken():
    text = '"I met him yesterday," Jones said on Wednesday.'
    got = {c.text: c.value for c in ex.extract(text, "2024-06-07", kinds=("date",))}
    assert got["yesterday"] == "2024-06-04"  # the day before Wednesday June 5, not before June 7
    # undated words are read against the publication date, and the note says so
    [c] = [c for c in ex.extract('"I met him yesterday," Jones said.', "2024-06-07", kinds=("date",)) if c.text == "yesterday"]
    assert c.value == "2024-06-06" and "not dated" in c.note
    # outside a quotation, "yesterday" is still the day before publication
    got = {c.text: c.value for c in ex.extract("Jones met him yesterday.", "2024-06-07", kinds=("date",))}
    assert got["yesterday"] == "2024-06-06"


# ---------------------------------------------------------------- quotations


def test_a_speaker_whose_title_begins_with_an_abbreviation_is_not_cut_at_it():
    text = '"We will act," said U.S. Secretary of State Jane Roe on Monday.'
    [q] = ex.extract(text, "2024-06-07", kinds=("quotation",))
    assert q.speaker == "Jane Roe"


def test_words_others_chant_are_not_given_to_the_reporter_who_quotes_them():
    text = 'Protesters chanted "Down with the council," Mayor John Doe told reporters on Monday.'
    assert [c.speaker for c in ex.extract(text, "2024-06-07", kinds=("quotation",))] == []
    text = 'Mayor John Doe shouted "Order!" as the meeting began, an aide said.'
    assert [c.speaker for c in ex.extract(text, "2024-06-07", kinds=("quotation",))] == ["John Doe"]


# ---------------------------------------------------------------- titles


def titles(text):
    return {(c.subject, c.value) for c in ex.extract(text, "2024-06-07", kinds=("title",))}


def test_a_list_of_titled_people_gives_each_their_own_title():
    got = titles("He was accompanied by Foreign Minister Ann Poe, Trade Adviser Bob Roe and Special Assistant Cy Doe.")
    assert {("Ann Poe", "Foreign Minister"), ("Bob Roe", "Trade Adviser"), ("Cy Doe", "Special Assistant")} <= got
    assert not any(s == "Ann Poe" and "Bob" in v for s, v in got), got
    got = titles("The delegation comprised Energy Minister Dan Poe, Transport Minister Eve Roe, Chief Secretary, and officials.")
    assert ("Eve Roe", "Chief Secretary") not in got and ("Eve Roe", "Transport Minister") in got


def test_an_appositive_after_a_titled_name_is_still_a_title():
    assert ("Ann Poe", "president of the Farmers' Party") in titles(
        "Prime Minister Ann Poe, president of the Farmers' Party, said the vote would go ahead.")


def test_the_country_after_of_is_not_the_office_holder():
    got = titles("This is the fourth visit of Prime Minister Dahal to India as the Prime Minister of Nepal.")
    assert not any(s == "Nepal" for s, _ in got), got


def test_a_verb_at_the_head_of_a_sentence_is_not_part_of_a_title():
    got = titles("Accompanying Prime Minister Ann Poe are five ministers.")
    assert ("Ann Poe", "Prime Minister") in got and not any(v.startswith("Accompanying") for _, v in got)


# ---------------------------------------------------------------- the comparison


def test_post_spellings_word_orders_and_demonyms_name_one_post():
    p = predicates.load()
    none = lambda name: None  # noqa: E731 - no entity table
    assert {predicates.split_title(t, p, none)[0] for t in (
        "Advisor to the Prime Minister on Commerce", "Commerce Adviser", "Advisor on Commerce",
        "Adviser on Commerce to the Prime Minister")} == {"commerce adviser"}
    assert predicates.split_title("Minister of Foreign Affairs", p, none) == ("foreign minister", None)
    assert predicates.split_title("Pakistani Foreign Minister", p, none) == ("foreign minister", "~pakistan")
    assert predicates.split_title("City councilor", p, none)[0] == predicates.split_title("City councillor", p, none)[0]


def test_one_post_in_three_wordings_is_corroborated(tmp_path, monkeypatch):
    groups = ledger(tmp_path, monkeypatch, {
        "a": ("Paper A", "2021-02-23", "Minister of Foreign Affairs Ann Poe arrived.",
              [claim("Ann Poe", "title", "Minister of Foreign Affairs", "Minister of Foreign Affairs")]),
        "b": ("Paper B", "2021-02-23", "Foreign Minister Ann Poe arrived.",
              [claim("Ann Poe", "title", "Foreign Minister", "Foreign Minister")]),
        "c": ("Paper C", "2020-11-19", "Pakistani Foreign Minister Ann Poe arrived.",
              [claim("Ann Poe", "title", "Pakistani Foreign Minister", "Pakistani Foreign Minister")]),
    })
    g = status_of(groups, "a", "Minister of Foreign Affairs")
    assert g["status"] == "corroborated" and {m["source"] for m in g["members"]} == {"a", "b", "c"}


def test_an_office_named_as_a_predicate_has_one_holder_at_a_time(tmp_path, monkeypatch):
    groups = ledger(tmp_path, monkeypatch, {
        "a": ("Paper A", "2023-05-31", "Foreign Minister Ann Poe came along.",
              [claim("Ruritania", "foreign_minister", "Ann Poe", "Foreign Minister Ann Poe")]),
        "b": ("Paper B", "2023-06-01", "Foreign Minister Bob Roe came along.",
              [claim("Ruritania", "foreign_minister", "Bob Roe", "Foreign Minister Bob Roe")]),
    })
    assert status_of(groups, "a", "Ann Poe")["status"] == "conflicting"
    assert predicates.load().profile("finance_minister").stability == "office"


STORY = ("The premier on Monday launched a disputed canal project that aims to give the country a new link from "
         "the river to the sea. {q} he said at the launch ceremony before fireworks shot into the air and drums "
         "sounded after he pressed the launch button for the project. The canal will run from the river, about an "
         "hour's drive southeast of the capital, to the sea in the gulf.")


def test_a_light_rewrite_that_keeps_the_storys_narration_counts_once(tmp_path, monkeypatch):
    original = STORY.format(q='"We must build this canal at all costs,"')
    # the rewrite rewords the rest, so under half its text is shared (the near-duplicate rule does not apply),
    # but keeps one long run of the story's narration word for word (short texts, whose shingles are all kept:
    # in long ones a sample is kept, and a shared run of ~20 words is found only when the sample holds it)
    rewrite = ("The prime minister inaugurated a contentious waterway on Monday, hoping it would open a fresh route "
               "from the river to the ocean. He pledged to finish it whatever the cost, speaking at the launch ceremony "
               "before fireworks shot into the air and drums sounded after he pressed the launch button for the project. "
               "The waterway is to link the gulf with the river southeast of the capital.")
    groups = ledger(tmp_path, monkeypatch, {
        "a": ("Wire A", "2024-08-05", original, [claim("Canal", "cost", "$1.7 billion", "canal project", paraphrase="x")]),
        "b": ("Site B", "2024-08-06", rewrite, [claim("Canal", "cost", "$1.7 billion", "contentious waterway", paraphrase="x")]),
    })
    g = status_of(groups, "a", "$1.7 billion")
    assert g["independent_sources"] == 1, g


def test_two_reports_quoting_one_speaker_are_not_copies(tmp_path, monkeypatch):
    quote = ('"We must build this canal at all costs, whatever it takes, for our children and for the future of '
             'the nation and its people, and we will finish it on time and within the budget we set,"')
    a = (f"At a ceremony on Monday, the premier launched the canal, which critics say will hurt farmers downstream "
         f"and cost far more than the budget the government has announced for it. {quote} he said. Work on the "
         f"first section, near the border, is due to begin next month and to take about four years.")
    b = (f"{quote} the prime minister told a crowd of thousands gathered on the riverbank by the new site, where "
         f"engineers from three firms have been surveying the soil since the rainy season ended last autumn. Local "
         f"officials said several hundred families would have to move before the dredgers arrive.")
    groups = ledger(tmp_path, monkeypatch, {
        "a": ("Paper A", "2024-08-05", a, [claim("Canal", "cost", "$1.7 billion", "the canal", paraphrase="x")]),
        "b": ("Paper B", "2024-08-05", b, [claim("Canal", "cost", "$1.7 billion", "the prime minister", paraphrase="x")]),
    })
    assert status_of(groups, "a", "$1.7 billion")["independent_sources"] == 2


# ---------------------------------------------------------------- events


def visits(text, published="2024-06-07"):
    return {(c.subject, c.value, c.valid_from, c.valid_to) for c in ex.extract(text, published, kinds=("event",))
            if c.predicate == "visit"}


@pytest.mark.parametrize("text, place", [
    ("Prime Minister Ann Poe will embark on a one-day visit to neighboring Ruritania on June 9.", "Ruritania"),
    ("Prime Minister Ann Poe will travel to the southern city of Hill Town on June 9.", "Hill Town"),
    ("Prime Minister Ann Poe arrived here in Ruritania’s capital Old Town on June 9.", "Old Town"),
    ("Prime Minister Ann Poe paid her first visit to Old Town since taking office as prime minister in 2018 on Tuesday.",
     "Old Town"),
    ("Prime Minister Ann Poe will lead a high-level delegation to Ruritania on June 9.", "Ruritania"),
])
def test_a_visits_place_is_the_name_the_phrase_gives(text, place):
    assert {v[1] for v in visits(text)} == {place}


def test_a_visits_length_in_the_next_sentence_gives_its_end():
    got = visits("Prime Minister Ann Poe arrived in Ruritania today.\n\nShe has arrived as part of her official "
                 "two-day state visit.", "2021-02-23")
    assert ("Ann Poe", "Ruritania", "2021-02-23", "2021-02-24") in got


def test_the_visitor_of_a_reported_clause_is_its_own_subject():
    got = visits("Previously, the Ruritanian Foreign Ministry said that Prime Minister Ann Poe paid an official visit "
                 "to Ruritania from June 4 to 6.")
    assert {v[0] for v in got} == {"Ann Poe"}


def test_a_visiting_counterpart_is_not_a_visit_to_a_place():
    assert visits("Prime Minister Bob Roe and his visiting Ruritanian counterpart Ann Poe held talks on Thursday.") == set()


def test_a_title_with_no_name_speaks_for_the_person_last_named_with_it():
    text = "Prime Minister Ann Poe opened the bridge. The premier spoke on Thursday at the riverside."
    got = [(c.subject, c.value) for c in ex.extract(text, "2024-06-07", kinds=("event",)) if c.predicate == "statement_date"]
    assert got == [("Ann Poe", "2024-06-06")]


def test_a_date_opening_the_sentence_dates_the_statement():
    text = "On 30 November 2024, the Ministry of Foreign Affairs announced the visit."
    got = [(c.subject, c.value) for c in ex.extract(text, "2024-12-01", kinds=("event",)) if c.predicate == "statement_date"]
    assert got and got[0][1] == "2024-11-30" and "Ministry of Foreign Affairs" in got[0][0]


def test_counterpart_and_the_post_after_it_are_two_titles():
    assert {("Ann Poe", "Indian counterpart"), ("Ann Poe", "Prime Minister")} <= titles(
        "He will hold talks with his Indian counterpart Prime Minister Ann Poe on Monday.")


def test_evaluate_prints_overall_rows_beside_first_runs_recorded_with_or_without_counts():
    from click.testing import CliRunner

    from ledger.cli import cli

    result = CliRunner().invoke(cli, ["evaluate", "tests/labelled/composed", "tests/labelled/holdout"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    holdout = lines.index(next(line for line in lines if line.startswith("holdout:")))
    assert "first run" in lines[holdout] and lines[holdout + 7].split()[0] == "overall"
    assert lines[holdout + 8].split()[0] == "no-event"


def test_a_weekday_after_a_verb_in_the_future_is_the_coming_one():
    text = "Prime Minister Ann Poe will travel to Ruritania on Wednesday on a four-day official visit, it was announced on Saturday."
    got = {c.text: c.value for c in ex.extract(text, "2023-05-27", kinds=("date",))}
    assert got["Wednesday"] == "2023-05-31" and got["Saturday"] == "2023-05-27"
    # the visit takes the coming Wednesday and its four days, not the date of the announcement
    assert ("Ann Poe", "Ruritania", "2023-05-31", "2023-06-03") in visits(text, "2023-05-27")
    # a weekday told in the past ("said on Wednesday") after an earlier "will" stays the nearest one
    text = "The port will double its capacity by 2029, its chief executive, Ann Poe, said on Wednesday."
    assert {c.text: c.value for c in ex.extract(text, "2024-04-18", kinds=("date",))}["Wednesday"] == "2024-04-17"


def test_a_one_word_name_followed_by_who_is_the_sentences_actor():
    text = ("Poe, who arrived in Old Town on Wednesday on a four-day official visit, paid tributes to "
            "Mahatma Gandhi at the memorial on Thursday morning.")
    assert {v[0] for v in visits(text, "2023-06-01")} == {"Poe"}


def test_a_described_broadcaster_after_the_quotation_is_its_speaker():
    text = '"The leaders met at the palace," state broadcaster RTV said, without giving further details.'
    assert [c.speaker for c in ex.extract(text, "2024-06-07", kinds=("quotation",))] == ["RTV"]
