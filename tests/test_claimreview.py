"""Reviewers' verdicts and the schema.org ClaimReview export."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from ledger.services import claimreview
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.services.ingest import build

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "jsonld" / "claimreview.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

A = "The stadium has 60,000 seats, the minister said. Critics say the stadium has 60,000 seats but few fans."
B = "Officials repeated that the venue has 60,000 seats. Others put it at 55,000 seats."


@pytest.fixture
def two_sources(tmp_path, monkeypatch):
    """Two sources making one fact three times (twice in a), and another fact once."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    (tmp_path / "claims").mkdir()
    (tmp_path / "sources" / "a.txt").write_text(A, encoding="utf-8")
    (tmp_path / "sources" / "a.yml").write_text(
        "title: Stadium opens\nurl: https://a.example.com/stadium\npublisher: A Daily\npublished: 2024-05-14\n"
        "authors: [Dara Chan]\n",
        encoding="utf-8",
    )
    (tmp_path / "sources" / "b.txt").write_text(B, encoding="utf-8")
    (tmp_path / "sources" / "b.yml").write_text(
        "title: Venue facts\nurl: https://b.example.org/venue\npublisher: B Weekly\npublished: 2024-05-10\n",
        encoding="utf-8",
    )
    fact = {"subject": "National stadium", "predicate": "seating_capacity", "value": "60,000", "confidence": 0.9}
    claims = [
        {"source": "a", **fact, "quote": "has 60,000 seats", "occurrence": 1, "speaker": "minister"},
        {"source": "a", **fact, "quote": "has 60,000 seats", "occurrence": 2},
        {"source": "b", **fact, "quote": "the venue has 60,000 seats"},
        {"source": "b", **fact, "value": "55,000", "quote": "55,000 seats"},
    ]
    (tmp_path / "claims" / "c.json").write_text(json.dumps(claims), encoding="utf-8")
    db = open_db(tmp_path / "ledger.db")
    build(db, tmp_path / "sources", tmp_path / "claims")
    db.close()
    return tmp_path


def claim_id(value="60,000", source="a"):
    db = open_db("ledger.db")
    return db.execute(
        "SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.value = ? AND s.slug = ? "
        "ORDER BY c.span_start LIMIT 1",
        [value, source],
    ).fetchone()[0]


def review(*args):
    return CliRunner().invoke(cli, ["review", "add", "--db", "ledger.db", *args])


GOOD = [
    "--rating", "Mostly true", "--rating-value", "4", "--best-rating", "5", "--worst-rating", "1",
    "--explanation", "The ministry's own plans give 60,000 seats; 55,000 is the football configuration.",
    "--reviewer", "Example Fact Check", "--reviewer-url", "https://factcheck.example.net/",
    "--url", "https://factcheck.example.net/2024/stadium", "--date", "2024-05-20",
]


def export(tmp_path):
    r = CliRunner().invoke(cli, ["export", "--db", "ledger.db", "--format", "claimreview", "--out", "cr.json", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output), json.loads((tmp_path / "cr.json").read_text(encoding="utf-8"))


def test_review_add_records_a_verdict_and_the_export_is_valid_claimreview(two_sources):
    r = review(claim_id(), *GOOD, "--json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.output)
    assert row["added"] is True and row["id"].startswith("r")
    summary, items = export(two_sources)
    assert summary == {"format": "claimreview", "out": "cr.json", "reviews": 1}
    VALIDATOR.validate(items)
    (cr,) = items
    assert cr["claimReviewed"] == "National stadium seating capacity: 60,000"
    assert cr["reviewRating"] == {
        "@type": "Rating",
        "name": "Mostly true",
        "alternateName": "Mostly true",
        "ratingValue": 4,
        "bestRating": 5,
        "worstRating": 1,
        "ratingExplanation": GOOD[9],
    }
    assert cr["author"] == {"@type": "Organization", "name": "Example Fact Check", "url": "https://factcheck.example.net/"}
    assert (cr["url"], cr["datePublished"]) == ("https://factcheck.example.net/2024/stadium", "2024-05-20")


def test_the_claim_appears_in_every_source_span_that_makes_it(two_sources):
    review(claim_id(), *GOOD)
    _, (cr,) = export(two_sources)
    claim = cr["itemReviewed"]
    db = open_db("ledger.db")
    spans = db.execute(
        "SELECT c.id, c.span_text, s.url FROM claims c JOIN sources s ON s.id = c.source_id "
        "WHERE c.subject = 'National stadium' AND c.predicate = 'seating_capacity' AND c.value = '60,000'"
    ).fetchall()
    assert len(spans) == 3
    got = {
        (next(i["value"] for i in w["identifier"] if i["propertyID"] == "ledger-claim"), w["text"], w["url"])
        for w in claim["appearance"]
    }
    assert got == set(spans)
    # earliest publication first: b (2024-05-10) before a (2024-05-14)
    assert claim["firstAppearance"]["url"] == "https://b.example.org/venue"
    assert claim["datePublished"] == "2024-05-10"
    # the 55,000 claim is another fact, not an appearance of this one
    assert all("55,000" not in w["text"] for w in claim["appearance"])
    a_work = next(w for w in claim["appearance"] if w["url"] == "https://a.example.com/stadium")
    assert a_work["author"] == [{"@type": "Person", "name": "Dara Chan"}]
    assert a_work["publisher"] == {"@type": "Organization", "name": "A Daily"}


def test_the_claim_author_is_the_speaker_when_there_is_one_else_the_first_publisher(two_sources):
    review(claim_id(), *GOOD)
    review("--subject", "National stadium", "--predicate", "seating_capacity", "--value", "55,000",
           "--rating", "False", "--reviewer", "Jane Roe", "--reviewer-type", "Person",
           "--url", "https://factcheck.example.net/2024/55k", "--date", "2024-05-21")
    _, items = export(two_sources)
    VALIDATOR.validate(items)
    by_value = {cr["claimReviewed"].rsplit(": ", 1)[1]: cr for cr in items}
    assert by_value["60,000"]["itemReviewed"]["author"] == {"@type": "Person", "name": "minister"}
    assert by_value["55,000"]["itemReviewed"]["author"] == {"@type": "Organization", "name": "B Weekly"}
    assert by_value["55,000"]["author"] == {"@type": "Person", "name": "Jane Roe"}
    assert by_value["55,000"]["reviewRating"] == {"@type": "Rating", "name": "False", "alternateName": "False"}


def test_the_same_review_twice_is_recorded_once(two_sources):
    cid = claim_id()
    assert "recorded: r" in review(cid, *GOOD).output
    r = review(cid, *GOOD)
    assert r.exit_code == 0 and "already recorded" in r.output
    assert open_db("ledger.db").execute("SELECT count(*) FROM reviews").fetchone()[0] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["c0000000000000000", *GOOD], "no claim 'c0000000000000000' in the ledger"),
        (["--subject", "National stadium", "--predicate", "seating_capacity", "--value", "70,000", *GOOD],
         "no claim that stands records 'National stadium' / seating_capacity = '70,000'"),
        ([*GOOD[:2], *GOOD[10:]], None),  # fact missing: filled in below
        (["CLAIM", *GOOD[:4], *GOOD[8:]], "--rating-value, --best-rating and --worst-rating go together"),
        (["CLAIM", *GOOD[:2], "--rating-value", "7", *GOOD[4:]], "--rating-value 7 is outside the scale 1 (worst) .. 5 (best)"),
        (["CLAIM", *GOOD[:-1], "20 May 2024"], "--date '20 May 2024' is not a date; write YYYY-MM-DD"),
        (["CLAIM", *GOOD[:-4], "--url", "ftp://x", "--date", "2024-05-20"], "--url 'ftp://x' must be an http(s) URL"),
    ],
)
def test_a_bad_review_says_what_is_wrong_and_writes_nothing(two_sources, args, message):
    args = [claim_id() if a == "CLAIM" else a for a in args]
    if message is None:
        message = "name the fact reviewed: a claim id, or all of --subject, --predicate and --value"
    r = review(*args)
    assert r.exit_code == 1, r.output
    assert f"Error: {message}" in r.output
    assert open_db("ledger.db").execute("SELECT count(*) FROM reviews").fetchone()[0] == 0


def test_required_options_are_required(two_sources):
    r = review(claim_id(), "--rating", "False", "--url", "https://x.example/")
    assert r.exit_code == 2 and "Missing option '--reviewer'" in r.output


def test_review_list(two_sources):
    review(claim_id(), *GOOD)
    r = CliRunner().invoke(cli, ["review", "list", "--db", "ledger.db", "--json"])
    assert r.exit_code == 0
    (row,) = json.loads(r.output)
    assert (row["rating"], row["best_rating"], row["date"]) == ("Mostly true", 5.0, "2024-05-20")


def test_an_empty_ledger_exports_an_empty_list(two_sources):
    _, items = export(two_sources)
    assert items == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda cr: cr.pop("claimReviewed"),
        lambda cr: cr.pop("url"),
        lambda cr: cr["reviewRating"].pop("alternateName"),
        lambda cr: cr["reviewRating"].pop("bestRating"),
        lambda cr: cr["author"].pop("name"),
        lambda cr: cr["itemReviewed"].pop("appearance"),
        lambda cr: cr["itemReviewed"].update(appearance=[]),
        lambda cr: cr["itemReviewed"].pop("author"),
        lambda cr: cr["itemReviewed"].update({"@type": "CreativeWork"}),
        lambda cr: cr.update({"@type": "Review"}),
    ],
)
def test_the_schema_rejects_what_the_guidelines_require(two_sources, mutate):
    review(claim_id(), *GOOD)
    _, items = export(two_sources)
    VALIDATOR.validate(items)
    bad = copy.deepcopy(items)
    mutate(bad[0])
    assert not VALIDATOR.is_valid(bad)


def test_library_summary_default():
    assert claimreview.default_summary("Hun Sen", "visit_end", "2024-12-04") == "Hun Sen visit end: 2024-12-04"


def test_reviews_cannot_be_edited_or_removed(two_sources):
    import sqlite3

    review(claim_id(), *GOOD)
    db = open_db("ledger.db")
    for sql in ("UPDATE reviews SET rating = 'True'", "DELETE FROM reviews"):
        with pytest.raises(sqlite3.IntegrityError, match="reviews are append-only"):
            db.execute(sql)
    assert db.execute("SELECT rating FROM reviews").fetchall() == [("Mostly true",)]


def retract(cid):
    r = CliRunner().invoke(cli, ["claim", "retract", cid, "--db", "ledger.db", "--reason", "wrong article", "--by", "t"])
    assert r.exit_code == 0, r.output


def test_a_retracted_claim_is_no_appearance_and_no_longer_reviewable(two_sources):
    review(claim_id(), *GOOD)
    retract(claim_id(source="b"))
    _, (cr,) = export(two_sources)
    assert {w["url"] for w in cr["itemReviewed"]["appearance"]} == {"https://a.example.com/stadium"}
    assert len(cr["itemReviewed"]["appearance"]) == 2
    retract(claim_id(value="55,000", source="b"))
    r = review("--subject", "National stadium", "--predicate", "seating_capacity", "--value", "55,000", *GOOD)
    assert r.exit_code == 1 and "no claim that stands records" in r.output


def test_a_review_whose_every_claim_was_retracted_is_left_out_and_counted(two_sources):
    r = review("--subject", "National stadium", "--predicate", "seating_capacity", "--value", "55,000", *GOOD, "--json")
    rid = json.loads(r.output)["id"]
    retract(claim_id(value="55,000", source="b"))
    summary, items = export(two_sources)
    assert items == [] and summary["left_out"] == [rid]


# ---------------------------------------------------------------- Google's rules (issue 20)


def one_review(two_sources, *scale, claim_reviewed=None):
    args = [claim_id(), "--rating", "Mostly true", *scale, "--reviewer", "Example Fact Check",
            "--url", "https://factcheck.example.net/2024/stadium", "--date", "2024-05-20"]
    if claim_reviewed:
        args += ["--claim-reviewed", claim_reviewed]
    return review(*args)


@pytest.mark.parametrize(
    "scale, expected",
    [
        # inverted: 1 is best on a 5..1 scale, so 2 there is 4 on 1..5
        (("--rating-value", "2", "--best-rating", "1", "--worst-rating", "5"), (4, 5, 1)),
        # worstRating 0 is not allowed: 0..4 shifts to 1..5
        (("--rating-value", "3", "--best-rating", "4", "--worst-rating", "0"), (4, 5, 1)),
        # both at once: -2 (best) .. 2 (worst), 1 there is 2 on 1..5
        (("--rating-value", "1", "--best-rating", "-2", "--worst-rating", "2"), (2, 5, 1)),
        (("--rating-value", "4", "--best-rating", "5", "--worst-rating", "1"), (4, 5, 1)),
    ],
)
def test_a_scale_google_rejects_is_converted_to_one_it_accepts(two_sources, scale, expected):
    r = one_review(two_sources, *scale)
    assert r.exit_code == 0, r.output
    _, (cr,) = export(two_sources)
    got = cr["reviewRating"]
    assert (got["ratingValue"], got["bestRating"], got["worstRating"]) == expected
    assert 1 <= got["worstRating"] < got["bestRating"]


def test_a_fractional_scale_is_refused_with_how_to_fix_it(two_sources):
    r = one_review(two_sources, "--rating-value", "0.5", "--best-rating", "1", "--worst-rating", "0")
    assert r.exit_code == 1
    assert "Error: the rating scale 0 (worst) .. 1 (best) with value 0.5 has fractions" in r.output
    assert "whole-number scale such as 1 .. 5" in r.output
    assert open_db("ledger.db").execute("SELECT count(*) FROM reviews").fetchone()[0] == 0


def test_a_fractional_scale_recorded_earlier_is_left_out_of_the_rating(two_sources):
    db = open_db("ledger.db")
    row = claimreview.make_review(db, claim=claim_id(), rating="Mostly true", reviewer="Example Fact Check",
                                  url="https://factcheck.example.net/2024/stadium", date="2024-05-20")
    row.update(rating_value=0.5, best_rating=1.0, worst_rating=0.0)  # as an older ledger may hold it
    row["id"] = claimreview.review_id(row)
    from ledger.store.db import write_transaction

    with write_transaction(db):  # a review is a history entry (issue 15): recorded inside a write transaction
        claimreview.add_review(db, row)
    _, (cr,) = export(two_sources)
    assert cr["reviewRating"] == {"@type": "Rating", "name": "Mostly true", "alternateName": "Mostly true"}


def test_claim_reviewed_is_under_75_characters_and_the_claim_keeps_the_whole_quote(two_sources):
    quote = ("The stadium, which the minister said was built in record time by a consortium of firms, has 60,000 "
             "seats, more than any other venue in the region, and will host the games next year.")
    assert len(quote) > 75
    assert one_review(two_sources, claim_reviewed=quote).exit_code == 0
    _, (cr,) = export(two_sources)
    assert len(cr["claimReviewed"]) < 75
    assert cr["claimReviewed"] == "The stadium, which the minister said was built in record time by a…"
    assert cr["itemReviewed"]["name"] == quote
    VALIDATOR.validate([cr])


def test_short_claim():
    assert claimreview.short_claim("short one") == "short one"
    assert claimreview.short_claim("x" * 100) == "x" * 73 + "…"
    assert len(claimreview.short_claim("word " * 40)) < 75


def test_speakers_and_authors_are_typed_from_the_entity_table(two_sources, monkeypatch):
    (two_sources / "entities.yml").write_text(
        "entities:\n"
        "- {name: Ministry of Tourism, type: organisation, aliases: [minister, the ministry]}\n"
        "- {name: Dara Chan, type: person}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LEDGER_ENTITIES", str(two_sources / "entities.yml"))
    (two_sources / "sources" / "a.yml").write_text(
        "title: Stadium opens\nurl: https://a.example.com/stadium\npublisher: A Daily\npublished: 2024-05-14\n"
        "authors: [Dara Chan, A Daily]\n",
        encoding="utf-8",
    )
    (two_sources / "ledger.db").unlink()
    build(open_db(two_sources / "ledger.db"), two_sources / "sources", two_sources / "claims")
    assert one_review(two_sources).exit_code == 0
    _, (cr,) = export(two_sources)
    assert cr["itemReviewed"]["author"] == {"@type": "Organization", "name": "Ministry of Tourism"}
    in_a = next(w for w in cr["itemReviewed"]["appearance"] if w["url"] == "https://a.example.com/stadium")
    assert in_a["author"] == [{"@type": "Person", "name": "Dara Chan"}, {"@type": "Organization", "name": "A Daily"}]
