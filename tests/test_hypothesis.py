"""The Hypothesis API bridge: export in its create format, import its annotations,
UTF-16 offsets converted to code points and back."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.formats import hypothesis as hyp
from ledger.services import export as exports
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.core.errors import LedgerError
from ledger.services.ingest import build, import_files
from tests.test_annotations import CLAIM_FIELDS, add_emoji_source, fresh_with_sources



@pytest.fixture
def ledger_db(workdir):
    add_emoji_source(workdir)
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    return db


def claims_of(db):
    return db.execute(f"SELECT {CLAIM_FIELDS} FROM claims ORDER BY id").fetchall()


def export(db, out):
    summary = exports.export_hypothesis(db, out)
    return summary, json.loads(out.read_text(encoding="utf-8"))


def utf16_slice(text, start, end):
    """What a browser's String.prototype.slice(start, end) gives."""
    return text.encode("utf-16-le", "surrogatepass")[2 * start : 2 * end].decode("utf-16-le")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n") + ["é", "🎉", "𝔘", "\ufe0f"]), max_size=40), st.data())
def test_offsets_convert_to_utf16_and_back_with_non_bmp_characters(text, data):
    cp = data.draw(st.integers(0, len(text)))
    units = hyp.utf16_offset(text, cp)
    assert units == len(text[:cp].encode("utf-16-le")) // 2
    assert hyp.code_point_offset(text, units) == cp


def test_an_offset_inside_a_surrogate_pair_or_past_the_end_has_no_code_point():
    text = "a🎉b"
    assert [hyp.code_point_offset(text, u) for u in range(6)] == [0, 1, None, 2, 3, None]


def test_the_export_is_hypothesis_create_bodies_counting_utf16_units(ledger_db, workdir):
    summary, items = export(ledger_db, workdir / "h.json")
    standing = ledger_db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert summary["claims"] == len(items) == standing
    texts = {r[0]: r[1] for r in ledger_db.execute("SELECT coalesce(url, ''), text FROM sources")}
    shifted = 0
    for a in items:
        assert set(a) == {"uri", "document", "text", "tags", "group", "permissions", "target"}
        quote, pos = a["target"][0]["selector"]
        text = texts[a["uri"]] if a["uri"] in texts else None
        if text is None:
            continue
        assert utf16_slice(text, pos["start"], pos["end"]) == quote["exact"]
        shifted += hyp.code_point_offset(text, pos["start"]) != pos["start"]
    assert shifted == 2  # the emoji source's two claims sit after non-BMP characters
    emoji = [a for a in items if a["uri"] == "https://example.org/emoji"]
    seats = next(a for a in emoji if "60,000" in a["target"][0]["selector"][0]["exact"])
    assert "**Stadium**, seating capacity: 60,000" in seats["text"]


def test_a_round_trip_through_the_hypothesis_format_keeps_every_claim_and_span(ledger_db, workdir):
    export(ledger_db, workdir / "h.json")
    fresh = fresh_with_sources(workdir)
    result = import_files(fresh, [workdir / "h.json"])
    assert result.added == ledger_db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert claims_of(fresh) == claims_of(ledger_db)


def made_in_hypothesis(workdir, text, start16, end16, exact, **extra):
    claim = {"subject": "fee", "predicate": "amount", "value": "10 dollars", "confidence": 0.7}
    return {
        "total": 1,
        "rows": [
            {
                "id": "Zx1-hypo",
                "created": "2024-05-14T09:30:00.000000+00:00",
                "user": "acct:dara@hypothes.is",
                "uri": "https://example.org/fees",
                "text": f"Fee claim\n\n<!-- ledger-claim {json.dumps(claim)} -->",
                "tags": [],
                "target": [{"source": "https://example.org/fees", "selector": [
                    {"type": "TextQuoteSelector", "exact": exact, **extra},
                    {"type": "TextPositionSelector", "start": start16, "end": end16},
                ]}],
            }
        ],
    }


def test_a_hypothesis_search_result_imports_with_its_utf16_positions_converted(workdir):
    # forty emoji before two occurrences 30 code points apart: unconverted, the
    # first occurrence's UTF-16 offset would sit nearer the second
    text = "🎉" * 40 + " The fee is 10 dollars. " + "x" * 6 + " The fee is 10 dollars, again."
    (workdir / "sources" / "fees.txt").write_text(text, encoding="utf-8")
    (workdir / "sources" / "fees.yml").write_text("url: https://example.org/fees\n", encoding="utf-8")
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    first = text.index("fee is 10 dollars")
    start16 = hyp.utf16_offset(text, first)
    assert abs(start16 - text.rindex("fee is 10 dollars")) < abs(start16 - first)
    doc = made_in_hypothesis(workdir, text, start16, start16 + 17, "fee is 10 dollars")
    (workdir / "h.json").write_text(json.dumps(doc), encoding="utf-8")
    assert import_files(db, [workdir / "h.json"]).added == 1
    row = db.execute("SELECT span_start, recorded_by, recorded_at FROM claims WHERE subject = 'fee'").fetchone()
    assert row == (first, "dara@hypothes.is", "2024-05-14T09:30:00.000000+00:00")


def test_a_hypothesis_note_without_a_claim_is_named_and_nothing_is_written(workdir):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    before = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    doc = made_in_hypothesis(workdir, "", 0, 3, "abc")
    doc["rows"][0]["text"] = "Just a comment"
    (workdir / "h.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LedgerError, match=r"h.json: annotation 1 \(Zx1-hypo\): its text carries no ledger claim"):
        import_files(db, [workdir / "h.json"])
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == before


def test_cli_exports_hypothesis_and_imports_it_back(ledger_db, workdir):
    runner = CliRunner()
    r = runner.invoke(cli, ["export", "--db", "ledger.db", "--format", "hypothesis", "--out", "out/h.json", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["format"] == "hypothesis"
    fresh_with_sources(workdir).close()
    r = runner.invoke(cli, ["import", "--db", "fresh.db", "out/h.json", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["added"] == ledger_db.execute("SELECT count(*) FROM claims").fetchone()[0]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda a: a.update(text=42), "its text carries no ledger claim"),
        (lambda a: a.update(uri=7), "`uri` (the annotated page) must be a URL"),
        (lambda a: a["target"][0].update(selector={"type": "RangeSelector"}), "no TextQuoteSelector"),
        (lambda a: a.update(text="<!-- ledger-claim {nope} -->"), "the ledger-claim block is not valid JSON"),
        (lambda a: a.update(text="<!-- ledger-claim [1] -->"), "no ledger claim"),
        (lambda a: a["target"].append({"source": "x"}), "has 2 targets"),
    ],
)
def test_a_malformed_hypothesis_annotation_is_an_error_naming_it(workdir, mutate, message):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    doc = made_in_hypothesis(workdir, "", 0, 3, "abc")
    mutate(doc["rows"][0])
    (workdir / "h.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LedgerError, match=r"h.json: annotation 1 \(Zx1-hypo\)") as e:
        import_files(db, [workdir / "h.json"])
    assert message in str(e.value)
