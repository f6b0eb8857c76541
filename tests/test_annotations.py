"""W3C Web Annotation export and import."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from ledger.formats import annotations
from ledger.services import export as exports
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.core.errors import LedgerError
from ledger.services.ingest import build, import_files

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = json.loads((FIXTURES / "jsonld" / "web-annotation.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
EMOJI_TEXT = "Opening day 🎉🎉 at the stadium.\nThe stadium has 60,000 seats, officials said. 🏟️ The roof is steel."
CLAIM_FIELDS = "id, source_id, subject, predicate, value, quote, span_start, span_end, span_text, confidence, speaker, as_of, note, recorded_by, recorded_at, status"


def add_emoji_source(root: Path):
    (root / "sources" / "emoji.txt").write_bytes(EMOJI_TEXT.encode("utf-8"))
    (root / "sources" / "emoji.yml").write_text("url: https://example.org/emoji\n", encoding="utf-8")
    (root / "claims" / "emoji.yml").write_text(
        "source: emoji\nclaims:\n"
        "- {subject: Stadium, predicate: seating_capacity, value: '60,000', quote: 'has 60,000 seats', "
        "confidence: 0.9, speaker: officials, as_of: 2024-05-14, note: 'after two emoji: code points != UTF-16'}\n"
        "- {subject: Stadium, predicate: roof_material, value: steel, quote: 'The roof is steel', confidence: 0.8}\n",
        encoding="utf-8",
    )


@pytest.fixture
def ledger_db(workdir):
    """The seed ledger plus a source with emoji before its claims."""
    add_emoji_source(workdir)
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    return db


def fresh_with_sources(root: Path, name="fresh"):
    """A new ledger built from the same sources and no claims."""
    db = open_db(root / f"{name}.db")
    (root / f"{name}-claims").mkdir()
    build(db, root / "sources", root / f"{name}-claims")
    return db


def export(db, out):
    summary = exports.export_w3c(db, out)
    return summary, json.loads(Path(out).read_text(encoding="utf-8"))


def test_export_is_a_valid_annotation_collection(ledger_db, workdir):
    summary, doc = export(ledger_db, workdir / "claims.jsonld")
    VALIDATOR.validate(doc)
    n = ledger_db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert summary["claims"] == doc["total"] == len(doc["first"]["items"]) == n
    assert doc["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    ids = [a["id"] for a in doc["first"]["items"]]
    assert len(set(ids)) == n and all(i.startswith("urn:uuid:") for i in ids)
    for a in doc["first"]["items"]:
        VALIDATOR.validate({"@context": doc["@context"], **a})  # each one valid standing alone too


def test_every_selector_is_the_source_text_in_code_points(ledger_db, workdir):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    texts = {r[0]: (r[1], r[2]) for r in ledger_db.execute("SELECT id, text, url FROM sources")}
    for a in doc["first"]["items"]:
        text, url = texts[a["target"]["source_sha256"]]
        assert a["target"]["source"] == url
        quote, pos = a["target"]["selector"]
        assert (quote["type"], pos["type"]) == ("TextQuoteSelector", "TextPositionSelector")
        s, e = pos["start"], pos["end"]
        assert text[s:e] == quote["exact"]
        assert text[:s].endswith(quote["prefix"]) and text[e:].startswith(quote["suffix"])
        assert pos["offsetUnit"] == "unicode code points, end excluded"


def test_positions_after_an_emoji_are_code_points_not_utf16_units(ledger_db, workdir):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    (a,) = [
        a for a in doc["first"]["items"]
        if a["body"]["predicate"] == "seating_capacity" and a["target"]["source"] == "https://example.org/emoji"
    ]
    pos = a["target"]["selector"][1]
    assert pos["start"] == EMOJI_TEXT.index("has 60,000 seats")
    utf16_start = len(EMOJI_TEXT[: pos["start"]].encode("utf-16-le")) // 2
    assert utf16_start == pos["start"] + 2  # the two emoji are two code points, four UTF-16 units


def test_body_carries_subject_predicate_value_confidence(ledger_db, workdir):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    row = ledger_db.execute(f"SELECT {CLAIM_FIELDS} FROM claims WHERE predicate = 'seating_capacity' AND source_id IN (SELECT id FROM sources WHERE slug = 'emoji')").fetchone()
    (a,) = [a for a in doc["first"]["items"] if a["body"]["claim_id"] == row[0]]
    assert a["body"] == {
        "type": "TextualBody",
        "purpose": "describing",
        "format": "text/plain",
        "value": "60,000",
        "subject": "Stadium",
        "predicate": "seating_capacity",
        "confidence": 0.9,
        "claim_id": row[0],
        "speaker": "officials",
        "as_of": "2024-05-14",
        "note": "after two emoji: code points != UTF-16",
        "status": "current",  # issue 14: the state it entered with
    }
    assert a["motivation"] == "describing"
    assert a["id"] == annotations.annotation_id(row[0])


def claims_of(db):
    return db.execute(f"SELECT {CLAIM_FIELDS} FROM claims ORDER BY id").fetchall()


def test_export_then_import_into_a_fresh_ledger_gives_the_same_claims(ledger_db, workdir):
    export(ledger_db, workdir / "claims.jsonld")
    fresh = fresh_with_sources(workdir)
    result = import_files(fresh, [workdir / "claims.jsonld"])
    assert result.added == ledger_db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert claims_of(fresh) == claims_of(ledger_db)
    # and again into the ledger it came from: nothing new, no conflict
    assert import_files(ledger_db, [workdir / "claims.jsonld"]).added == 0


def test_positions_that_disagree_are_re_anchored_by_quote(ledger_db, workdir):
    """A tool counting UTF-16 units (as Hypothesis does) gives positions two
    past the quote after two emoji: the quote decides."""
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    items = [a for a in doc["first"]["items"] if a["target"]["source"] == "https://example.org/emoji"]
    for a in items:
        pos = a["target"]["selector"][1]
        text = EMOJI_TEXT
        pos["start"] = len(text[: pos["start"]].encode("utf-16-le")) // 2
        pos["end"] = len(text[: pos["end"]].encode("utf-16-le")) // 2
        del a["target"]["source_sha256"]  # named by URL only, as another tool would
        a["@context"] = annotations.ANNO_CONTEXT
    (workdir / "tool.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    fresh = fresh_with_sources(workdir)
    result = import_files(fresh, [workdir / "tool.json"])
    assert result.added == 2
    got = fresh.execute("SELECT span_start, span_end, span_text FROM claims ORDER BY span_start").fetchall()
    s = EMOJI_TEXT.index("has 60,000 seats")
    r = EMOJI_TEXT.index("The roof is steel")
    assert got == [(s, s + 16, "has 60,000 seats"), (r, r + 17, "The roof is steel")]


def test_a_repeated_quote_is_re_anchored_by_its_prefix(workdir):
    text = "The fee is 10 dollars. Later: the fee is 10 dollars, again."
    (workdir / "sources" / "twice.txt").write_text(text, encoding="utf-8")
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    anno = {
        "@context": annotations.ANNO_CONTEXT,
        "id": "https://annotations.example.org/a/1",
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "10 dollars", "subject": "fee", "predicate": "amount", "confidence": 0.7},
        "target": {
            "source": annotations.ni_uri(db.execute("SELECT id FROM sources WHERE slug = 'twice'").fetchone()[0]),
            "selector": [
                {"type": "TextQuoteSelector", "exact": "fee is 10 dollars", "prefix": "Later: the ", "suffix": ", again"},
                {"type": "TextPositionSelector", "start": 0, "end": 17},
            ],
        },
    }
    VALIDATOR.validate(anno)
    (workdir / "one.jsonld").write_text(json.dumps(anno), encoding="utf-8")
    assert import_files(db, [workdir / "one.jsonld"]).added == 1
    assert db.execute("SELECT span_start FROM claims WHERE subject = 'fee'").fetchone()[0] == text.index("fee is 10 dollars, again")


def test_an_annotation_page_imports(ledger_db, workdir):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    page = {"@context": doc["@context"], **doc["first"]}
    del page["partOf"]
    VALIDATOR.validate(page)
    (workdir / "page.json").write_text(json.dumps(page), encoding="utf-8")
    fresh = fresh_with_sources(workdir)
    assert import_files(fresh, [workdir / "page.json"]).added == doc["total"]


def test_cli_exports_and_imports_w3c(ledger_db, workdir):
    runner = CliRunner()
    r = runner.invoke(cli, ["export", "--db", "ledger.db", "--format", "w3c", "--out", "out/a.jsonld", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["format"] == "w3c"
    fresh_with_sources(workdir).close()
    r = runner.invoke(cli, ["import", "--db", "fresh.db", "out/a.jsonld", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["added"] > 0


def _bad(doc, mutate):
    bad = copy.deepcopy(doc)
    mutate(bad["first"]["items"][1])
    return bad


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a: a.update(body={"type": "TextualBody", "value": "a comment"}), "its body carries no claim"),
        (lambda a: a.update(target="https://example.org/emoji"), "its target is a whole resource"),
        (lambda a: a["target"].update(selector=[{"type": "TextPositionSelector", "start": 0, "end": 3}]),
         "no TextQuoteSelector"),
        (lambda a: a["body"].pop("confidence"), "missing required field `confidence`"),
        (lambda a: (a["target"].pop("source_sha256"), a["target"].update(source="https://nowhere.example/x")),
         "unknown source 'https://nowhere.example/x'"),
        (lambda a: a["target"]["selector"][0].update(exact="words the source does not hold"), "quote not found"),
    ],
)
def test_a_bad_annotation_is_named_and_nothing_is_written(ledger_db, workdir, mutate, message):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    bad = _bad(doc, mutate)
    (workdir / "bad.jsonld").write_text(json.dumps(bad), encoding="utf-8")
    fresh = fresh_with_sources(workdir)
    with pytest.raises(LedgerError) as e:
        import_files(fresh, [workdir / "bad.jsonld"])
    assert "bad.jsonld" in str(e.value) and message in str(e.value)
    assert "annotation 2" in str(e.value) or "claim 2" in str(e.value)
    assert fresh.execute("SELECT count(*) FROM claims").fetchone()[0] == 0


def test_plain_json_claim_files_are_not_taken_for_annotations(workdir):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    claims = [{"source": "hun-sen-meets-xi", "subject": "Hun Sen", "predicate": "arrival", "value": "China",
               "quote": "arrived in China today", "confidence": 0.5}]
    (workdir / "plain.json").write_text(json.dumps(claims), encoding="utf-8")
    assert import_files(db, [workdir / "plain.json"]).added == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda a: a.pop("target"),
        lambda a: a.pop("id"),
        lambda a: a.update(type="Note"),
        lambda a: a.update({"@context": "https://schema.org"}),
        lambda a: a["target"].pop("source"),
        lambda a: a["target"]["selector"][0].pop("exact"),
        lambda a: a["target"]["selector"][1].pop("end"),
        lambda a: a["target"]["selector"][1].update(start=-1),
        lambda a: a["body"].pop("value"),
        lambda a: a.update(motivation="believing"),
    ],
)
def test_the_schema_rejects_what_the_model_forbids(ledger_db, workdir, mutate):
    _, doc = export(ledger_db, workdir / "claims.jsonld")
    anno = {"@context": doc["@context"], **copy.deepcopy(doc["first"]["items"][0])}
    VALIDATOR.validate(anno)
    mutate(anno)
    assert not VALIDATOR.is_valid(anno)


def test_a_repeated_quote_with_shifted_positions_goes_to_the_nearest_occurrence(workdir):
    text = "🎉🎉 The fee is 10 dollars. " + "x" * 200 + " The fee is 10 dollars, again."
    (workdir / "sources" / "twice.txt").write_text(text, encoding="utf-8")
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    second = text.rindex("fee is 10 dollars")
    utf16 = len(text[:second].encode("utf-16-le")) // 2  # what a UTF-16 tool would say
    anno = {
        "@context": annotations.ANNO_CONTEXT,
        "id": "https://annotations.example.org/a/2",
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "10 dollars", "subject": "fee", "predicate": "amount", "confidence": 0.7},
        "target": {
            "source": annotations.ni_uri(db.execute("SELECT id FROM sources WHERE slug = 'twice'").fetchone()[0]),
            "selector": [
                {"type": "TextQuoteSelector", "exact": "fee is 10 dollars"},
                {"type": "TextPositionSelector", "start": utf16, "end": utf16 + 17},
            ],
        },
    }
    (workdir / "one.jsonld").write_text(json.dumps(anno), encoding="utf-8")
    assert utf16 != second and text[utf16 : utf16 + 17] != "fee is 10 dollars"
    assert import_files(db, [workdir / "one.jsonld"]).added == 1
    assert db.execute("SELECT span_start FROM claims WHERE subject = 'fee'").fetchone()[0] == second


from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ledger.core.anchor import make_span  # noqa: E402
from ledger.formats.claimfile import Record, validate  # noqa: E402
from ledger.store.writer import anchor_claim  # noqa: E402

SOME_TEXT = st.lists(
    st.sampled_from(list("ab cd\n,.’“”-") + ["é", "🎉", "𝔘", "\r\n", "\u00a0"]), min_size=1, max_size=60
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=SOME_TEXT, data=st.data())
def test_any_span_survives_export_and_import_in_code_points(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    assume(quote == quote.strip() and quote.strip())
    span = make_span(text, start, end, "exact")
    row = {"id": "c0", "value": "v", "subject": "s", "predicate": "p", "confidence": 0.5, "quote": quote,
           "span_text": span.text, "prefix": span.prefix, "suffix": span.suffix, "span_start": start, "span_end": end}
    anno = annotations.claim_annotation(row, {"id": "0" * 64, "url": None})
    claim = validate(Record(annotations.annotation_claim(anno, "x"), "x", None, 1))
    got = anchor_claim(claim, text)
    assert (got.start, got.end) == (start, end)


def test_a_retracted_claim_is_not_published_as_an_annotation(ledger_db, workdir):
    cid = ledger_db.execute("SELECT id FROM claims ORDER BY id LIMIT 1").fetchone()[0]
    ledger_db.close()
    r = CliRunner().invoke(cli, ["claim", "retract", cid, "--db", "ledger.db", "--reason", "misread", "--by", "t"])
    assert r.exit_code == 0, r.output
    db = open_db(workdir / "ledger.db")
    _, doc = export(db, workdir / "claims.jsonld")
    assert cid not in {a["body"]["claim_id"] for a in doc["first"]["items"]}
    assert doc["total"] == db.execute("SELECT count(*) FROM claims").fetchone()[0] - 1


def test_a_type_list_holding_non_strings_is_an_error_not_a_crash(workdir):
    doc = {"@context": annotations.ANNO_CONTEXT, "type": [["Annotation"]], "id": "urn:x:1", "target": "https://e.x/"}
    (workdir / "odd.json").write_text(json.dumps(doc), encoding="utf-8")
    db = open_db(workdir / "ledger.db")
    with pytest.raises(LedgerError, match="odd.json: a W3C annotation file holds an Annotation"):
        import_files(db, [workdir / "odd.json"])


def _twice_source(workdir):
    text = "The fee is 10 dollars. Later: the fee is 10 dollars, again."
    (workdir / "sources" / "twice.txt").write_text(text, encoding="utf-8")
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    return db, text, annotations.ni_uri(db.execute("SELECT id FROM sources WHERE slug = 'twice'").fetchone()[0])


def _fee_annotation(source, selector):
    return {
        "@context": annotations.ANNO_CONTEXT,
        "id": "https://annotations.example.org/a/refined",
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "10 dollars", "subject": "fee", "predicate": "amount", "confidence": 0.7},
        "target": {"source": source, "selector": selector},
    }


def test_a_quote_given_only_through_refinedby_is_followed(workdir):
    db, text, source = _twice_source(workdir)
    anno = _fee_annotation(source, {
        "type": "FragmentSelector", "value": "para2",
        "refinedBy": {"type": "TextQuoteSelector", "exact": "fee is 10 dollars", "prefix": "Later: the "},
    })
    (workdir / "one.jsonld").write_text(json.dumps(anno), encoding="utf-8")
    assert import_files(db, [workdir / "one.jsonld"]).added == 1
    assert db.execute("SELECT span_start FROM claims WHERE subject = 'fee'").fetchone()[0] == text.rindex("fee is 10")


def test_a_position_refined_by_a_position_counts_from_its_parent(workdir):
    db, text, source = _twice_source(workdir)
    second = text.rindex("fee is 10 dollars")
    outer = text.index("Later")
    # no prefix: only the refined position tells the two occurrences apart
    anno = _fee_annotation(source, {
        "type": "TextPositionSelector", "start": outer, "end": len(text),
        "refinedBy": {
            "type": "TextPositionSelector", "start": second - outer, "end": second - outer + 17,
            "refinedBy": {"type": "TextQuoteSelector", "exact": "fee is 10 dollars"},
        },
    })
    claim = annotations.annotation_claim(anno, "one.jsonld: annotation 1")
    assert (claim["start"], claim["end"]) == (second, second + 17)
    (workdir / "one.jsonld").write_text(json.dumps(anno), encoding="utf-8")
    assert import_files(db, [workdir / "one.jsonld"]).added == 1
    assert db.execute("SELECT span_start FROM claims WHERE subject = 'fee'").fetchone()[0] == second


def test_a_refinement_with_no_quote_anywhere_is_named():
    anno = _fee_annotation("https://example.org/p", {"type": "FragmentSelector", "value": "p2",
                                                     "refinedBy": {"type": "CssSelector", "value": "p"}})
    with pytest.raises(LedgerError, match=r"one.jsonld: annotation 1 .*no TextQuoteSelector.*refinedBy"):
        annotations.annotation_claim(anno, "one.jsonld: annotation 1")
