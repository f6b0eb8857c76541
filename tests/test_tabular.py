"""CSV and JSON Lines export/import of claims: exact round trips."""

import csv
import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.cli import cli
from ledger.store.db import open_db
from ledger.core.errors import LedgerError
from ledger.services.ingest import ImportFailed, build, import_files
from ledger.formats.tabular import COLUMNS, iter_csv_records, write_csv
from ledger.services.export import export_csv, export_jsonl

# A source with what breaks naive CSV and offset handling: CRLF line breaks,
# commas, straight and curly quotes, a tab, characters outside the BMP
# (emoji, mathematical letters), a repeated passage and a formula-like cell.
TEXT = (
    "Le café “Zéphyr” a 60,000 places 🏟️.\r\n"
    'It said: "=SUM(A1)" is not a formula, 🎉 twice 🎉.\r\n'
    "Line three, with a comma, and a \ttab.\n"
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters end here."
)
CLAIMS = [
    {
        "subject": "Café Zéphyr",
        "predicate": "seating_capacity",
        "value": "60,000",
        "quote": "“Zéphyr” a 60,000 places 🏟️",
        "confidence": 0.1,
        "note": 'a "quoted", multi-line\r\nnote, with a comma\nand 🎉',
        "recorded_by": "Desk, night shift",
        "recorded_at": "2026-11-29T01:00:00+00:00",
    },
    {
        "subject": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "predicate": "formula",
        "value": "=SUM(A1)",
        "quote": "🏟️.\r\nIt said",
        "paraphrase": "what it said follows the span (issue 14: declared)",
        "confidence": 1,
        "speaker": "Someone, “quoted”",
        "as_of": "2024-05-14",
        "status": "candidate",
        "origin": "rule:test",
    },
    {
        "subject": "emoji",
        "predicate": "celebration",
        "value": "🎉",
        "quote": "🎉",
        "occurrence": 2,
        "confidence": 0.333333333333333314829616256247,
        "valid_from": "2024",
        "valid_to": "2024-06",
    },
    {
        # typed with straight quotes: anchors to the curly ones ("normalised")
        "subject": "Café Zéphyr",
        "predicate": "name",
        "value": 'Le café "Zéphyr"',
        "quote": 'café "Zéphyr"',
        "confidence": 0.95,
        "note": "",
    },
]
FIELDS = (
    "id", "source_id", "subject", "predicate", "value", "quote", "span_start", "span_end", "span_text", "prefix",
    "suffix", "match", "occurrence", "confidence", "speaker", "as_of", "valid_from", "valid_to", "note",
    "recorded_by", "recorded_at", "status", "origin", "flags",
)


def write_sources(root):
    (root / "sources").mkdir(parents=True)
    (root / "claims").mkdir()
    (root / "sources" / "tricky.txt").write_bytes(TEXT.encode("utf-8"))
    (root / "sources" / "tricky.yml").write_text("title: Tricky\nurl: https://example.org/tricky\n", encoding="utf-8")


@pytest.fixture
def tricky(tmp_path, monkeypatch):
    """A ledger with the tricky source and its claims; returns (db, root)."""
    monkeypatch.chdir(tmp_path)
    write_sources(tmp_path)
    (tmp_path / "claims" / "tricky.json").write_text(
        json.dumps({"source": "tricky", "claims": CLAIMS}, ensure_ascii=False), encoding="utf-8"
    )
    db = open_db(tmp_path / "ledger.db")
    build(db, tmp_path / "sources", tmp_path / "claims")
    return db, tmp_path


def fresh(root, name):
    """A new ledger holding the same sources and no claims."""
    other = root / name
    write_sources(other)
    db = open_db(other / "ledger.db")
    build(db, other / "sources", other / "claims")
    return db


def rows(db):
    return [dict(zip(FIELDS, r)) for r in db.execute(f"SELECT {', '.join(FIELDS)} FROM claims ORDER BY id")]


def test_the_fixture_holds_every_hard_case(tricky):
    db, _ = tricky
    got = {r["predicate"]: r for r in rows(db)}
    assert got["name"]["match"] == "normalised"
    assert "\r\n" in got["formula"]["span_text"]
    assert got["celebration"]["span_start"] == TEXT.index("🎉", TEXT.index("🎉") + 1)
    assert got["seating_capacity"]["note"].count("\r\n") == 1
    assert got["name"]["note"] == ""


@pytest.mark.parametrize("fmt, suffix", [("csv", "csv"), ("jsonl", "jsonl")])
def test_export_then_import_into_a_fresh_ledger_gives_the_same_claims(tricky, fmt, suffix):
    db, root = tricky
    out = root / f"claims.{suffix}"
    # exact cells for a round trip (the default neutralises formula cells)
    summary = export_csv(db, out, exact=True) if fmt == "csv" else export_jsonl(db, out)
    assert summary["claims"] == len(CLAIMS)
    other = fresh(root, "other")
    result = import_files(other, [out])
    assert result.added == len(CLAIMS)
    before, after = rows(db), rows(other)
    if fmt == "csv":
        # an empty CSV cell is "no value": the one empty note comes back as none
        for r in before:
            if r["note"] == "":
                r["note"] = None
    assert after == before
    # and importing the export again adds nothing
    assert import_files(other, [out]).added == 0


def test_csv_is_rfc4180_with_crlf_records_and_line_breaks_kept_inside_quotes(tricky):
    db, root = tricky
    export_csv(db, root / "c.csv", exact=True)
    data = (root / "c.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    header, _ = data.split(b"\r\n", 1)
    assert header.decode() == ",".join(COLUMNS)
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    notes = [r["note"] for r in parsed if r["predicate"] == "seating_capacity"]
    assert notes == [CLAIMS[0]["note"]]
    assert "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" in {r["subject"] for r in parsed}
    # the exact span, in code points
    spans = {r["predicate"]: (int(r["start"]), int(r["end"])) for r in parsed}
    s, e = spans["formula"]
    assert TEXT[s:e] == "🏟️.\r\nIt said"


def test_jsonl_is_one_object_per_line_with_unicode_unescaped(tricky):
    db, root = tricky
    export_jsonl(db, root / "c.jsonl")
    lines = (root / "c.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(CLAIMS) + 1
    objs = [json.loads(line) for line in lines[:-1]]
    assert all(set(o) <= set(COLUMNS) for o in objs)
    assert "🎉" in lines[0] + lines[1] + lines[2] + lines[3] and "\\ud83c" not in "".join(lines)
    assert {o["confidence"] for o in objs} == {0.1, 1.0, 0.3333333333333333, 0.95}


def test_cli_export_and_import_round_trip(tricky):
    db, root = tricky
    runner = CliRunner()
    r = runner.invoke(cli, ["export", "--db", str(root / "ledger.db"), "--format", "csv", "--exact-cells", "--out", "x.csv", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"format": "csv", "out": "x.csv", "claims": len(CLAIMS)}
    other = fresh(root, "other")
    other.close()
    r = runner.invoke(cli, ["import", "--db", str(root / "other" / "ledger.db"), "x.csv", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["added"] == len(CLAIMS)


def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


HEADER = "source,subject,predicate,value,quote,confidence\r\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ("source,subject,predicate,value,quote,confidence,colour\r\n", "bad.csv:1: unknown column `colour`"),
        ("source,subject,predicate,value,quote\r\n", "bad.csv:1: missing column(s) `confidence`"),
        ("source,subject,subject,predicate,value,quote,confidence\r\n", "column `subject` appears twice"),
        (HEADER + "tricky,A,b,1,60,000,0.5\r\n", "bad.csv:2: record has 7 cells, the header has 6"),
        (HEADER + 'tricky,A,b,"60,000","60,000",0.5\r\n' + 'tricky,"multi\r\nline",b,1,"60,000",high\r\n',
         # issue 14: a subject is one line, and the message shows it escaped
         "bad.csv:3: claim 2 (multi\\r\\nline / b): `subject` 'multi\\r\\nline' holds a carriage return (\\r) at character 5"),
        (HEADER + 'tricky,A,b,"60,000","60,000 places",0.5\r\n' + "tricky,A,b,2,nowhere to be found,0.5\r\n",
         "bad.csv:3: claim 2 (A / b): quote not found"),
    ],
)
def test_a_bad_csv_names_file_line_and_problem_and_writes_nothing(tricky, body, message):
    db, root = tricky
    before = rows(db)
    with pytest.raises(LedgerError) as e:
        import_files(db, [_csv(root, body)])
    assert message in str(e.value)
    assert rows(db) == before


def test_a_csv_with_a_good_and_a_bad_file_writes_nothing(tricky):
    db, root = tricky
    good = _csv(root, HEADER + 'tricky,A,b,"60,000","60,000 places",0.5\r\n', "good.csv")
    bad = _csv(root, HEADER + "tricky,A,b,1,missing quote,0.5\r\n")
    with pytest.raises(ImportFailed):
        import_files(db, [good, bad])
    assert db.execute("SELECT count(*) FROM claims WHERE subject = 'A'").fetchone()[0] == 0


def test_csv_written_by_a_spreadsheet_with_a_bom_and_lf_line_ends_imports(tricky):
    db, root = tricky
    p = root / "sheet.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER.replace("\r\n", "\n") + 'tricky,A,b,"60,000","60,000 places",0.5\n').encode())
    assert import_files(db, [p]).added == 1


text_cells = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1)


@settings(max_examples=200, deadline=None)
@given(
    value=text_cells,
    note=text_cells,
    quote=text_cells,
    start=st.integers(0, 10**6),
    confidence=st.floats(0, 1),
)
def test_any_cell_text_and_number_survive_the_csv_layer(value, note, quote, start, confidence):
    row = {"source": "s", "subject": "x", "predicate": "p", "value": value, "quote": quote, "note": note,
           "start": start, "end": start + 1, "confidence": confidence}
    buf = io.StringIO(newline="")
    write_csv(buf, [row], exact=True)
    path = io.BytesIO(buf.getvalue().encode("utf-8"))
    recs = list(_records_from_bytes(path.getvalue()))
    assert len(recs) == 1
    got = recs[0].data
    assert got == row


def _records_from_bytes(data: bytes):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.csv"
        p.write_bytes(data)
        yield from iter_csv_records(p, "x.csv")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "w3c", "claimreview"])
def test_exporting_a_file_format_to_a_directory_is_an_error_not_a_traceback(tricky, fmt):
    db, root = tricky
    (root / "out").mkdir()
    r = CliRunner().invoke(cli, ["export", "--db", str(root / "ledger.db"), "--format", fmt, "--out", "out"])
    assert r.exit_code == 1
    assert r.output.startswith("Error: out is a directory; --format ") and "give a file path" in r.output
