"""The bad-input battery (issue 8): hostile and broken claim files.

Every case that must FAIL is checked the same way (``assert_rejected``): a
one-line ``Error:`` naming the file (and the claim, where there is one), a
non-zero exit, no traceback, and the ledger exactly as it was (row counts of
every table, the history head when there is one, and a hash of the whole SQL
dump: ``_reliability.ledger_state``).

Some inputs people fear are in fact fine and must SUCCEED with correct
anchoring (a UTF-8 BOM, CRLF line ends, NFD text, zero-width and bidi
characters, characters outside the BMP): those are the ``test_accepts_*``
tests at the end, and RELIABILITY.md lists which is which.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from _reliability import ledger_state
from ledger.cli import cli

SRC = "sokhonn-plans-china-trip"
XI = "hun-sen-meets-xi"
LEDGER_BIN = Path(sys.executable).parent / "ledger"


def good(**over) -> dict:
    """A valid claim not yet in the seed ledger, with fields overridden."""
    claim = {
        "source": SRC,
        "subject": "Prak Sokhonn",
        "predicate": "visit_destination",
        "value": "Hangzhou City",
        "quote": "an official visit to Hangzhou City",
        "confidence": 0.9,
    }
    claim.update(over)
    return {k: v for k, v in claim.items() if v is not ...}


FIVE_QUOTES = [
    "an official visit to Hangzhou City",
    "from December 3-5",
    "at the invitation of Chinese State Councilor",
    "paid a two-day visit to Cambodia",
    "a fully modern facility",
]


def five_claims(bad_index: int | None = None, bad=None) -> list[dict]:
    # issue 14: each value is what its span says (the quote's own words)
    claims = [good(predicate=f"fact_{i}", value=q, quote=q) for i, q in enumerate(FIVE_QUOTES, 1)]
    if bad_index is not None:
        claims[bad_index - 1].update(bad)
    return claims


def write(workdir: Path, name: str, content) -> Path:
    path = workdir / "in" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def yaml_claims(claims: list[dict]) -> str:
    """Claims as YAML flow mappings via JSON (YAML is a superset), one per line."""
    return "".join(f"- {json.dumps(c, ensure_ascii=False)}\n" for c in claims)


def jsonl(claims) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in claims)


def run_import(db: Path, *paths: Path):
    return CliRunner().invoke(cli, ["import", "--db", str(db), "--silent", *map(str, paths)])


def assert_rejected(db: Path, path: Path, *fragments: str, claim: int | None = None, line: int | None = None):
    """Import ``path``: it must fail cleanly, say where and what, and change nothing."""
    before = ledger_state(db)
    result = run_import(db, path)
    out = result.output
    assert result.exit_code != 0, out
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert out.startswith("Error: "), out
    assert "Traceback" not in out
    assert f"in/{path.name}" in out, out
    if claim is not None:
        assert f"claim {claim}" in out, out
    if line is not None:
        assert f"in/{path.name}:{line}" in out, out
    for fragment in fragments:
        assert fragment in out, out
    assert "nothing was written" in out, out
    assert ledger_state(db) == before
    return out


def claim_rows(db: Path, where: str = "1", params=()) -> list[dict]:
    conn = sqlite3.connect(str(db))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM claims WHERE {where}", params)]
    finally:
        conn.close()


def span_holds(db: Path, claim_id: str) -> bool:
    """SQLite's own substr() over the stored offsets gives the stored span text."""
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute(
            "SELECT substr(s.text, c.span_start + 1, c.span_end - c.span_start) = c.span_text "
            "FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
            [claim_id],
        ).fetchone()[0] == 1
    finally:
        conn.close()


def add_source(workdir: Path, db: Path, slug: str, data: bytes):
    path = workdir / f"{slug}.input"
    path.write_bytes(data)
    result = CliRunner().invoke(
        cli, ["source", "add", "--db", str(db), str(path), "--slug", slug, "--title", slug, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ================================================================ syntax


def test_malformed_yaml_unclosed_flow_mapping(seed_db, workdir):
    path = write(workdir, "unclosed.yml", yaml_claims([good()]) + "- {source: x, subject: [y\n")
    assert_rejected(seed_db, path, "malformed YAML", "(while parsing a flow sequence at line 2)", line=3)


def test_malformed_yaml_bad_indentation(seed_db, workdir):
    text = "claims:\n  - source: sokhonn-plans-china-trip\n     subject: Prak Sokhonn\n"
    path = write(workdir, "indent.yml", text)
    assert_rejected(seed_db, path, "malformed YAML")


def test_malformed_json_trailing_comma(seed_db, workdir):
    path = write(workdir, "comma.json", json.dumps([good()])[:-1] + ",]")
    assert_rejected(seed_db, path, "malformed JSON", line=1)


def test_malformed_jsonl_line(seed_db, workdir):
    text = jsonl([good(), good(predicate="other")]) + '{"source": "x", "subject": \n'
    path = write(workdir, "bad.jsonl", text)
    assert_rejected(seed_db, path, "malformed JSON", line=3)


def test_json_top_level_must_be_list_or_mapping(seed_db, workdir):
    path = write(workdir, "scalar.json", "42")
    assert_rejected(seed_db, path, "must be a list of claims, not int")


def test_claim_that_is_not_a_mapping(seed_db, workdir):
    path = write(workdir, "scalar-claim.yml", yaml_claims([good()]) + "- just a sentence\n")
    assert_rejected(seed_db, path, "a claim must be a mapping of fields, not str", claim=2, line=2)


def test_duplicate_key_is_refused_not_overwritten(seed_db, workdir):
    text = "- source: sokhonn-plans-china-trip\n  subject: A\n  subject: B\n"
    path = write(workdir, "dup.yml", text)
    assert_rejected(seed_db, path, "duplicate key 'subject'", line=3)


def test_unknown_top_level_key(seed_db, workdir):
    path = write(workdir, "top.yml", "source: sokhonn-plans-china-trip\nclaimz: []\nclaims: []\n")
    assert_rejected(seed_db, path, "unknown top-level key(s) ['claimz']")


def test_unknown_file_type(seed_db, workdir):
    path = write(workdir, "claims.txt", yaml_claims([good()]))
    assert_rejected(seed_db, path, "unknown claim file type '.txt'")


def test_deeply_nested_json_is_an_error_not_a_recursion_crash(seed_db, workdir):
    path = write(workdir, "deep.json", "[" * 200_000 + "]" * 200_000)
    assert_rejected(seed_db, path, "malformed JSON: nested too deeply")


def test_deeply_nested_yaml_is_an_error_not_a_recursion_crash(seed_db, workdir):
    path = write(workdir, "deep.yml", "[" * 100_000 + "]" * 100_000)
    assert_rejected(seed_db, path, "malformed YAML: nested too deeply")


def test_control_character_in_yaml(seed_db, workdir):
    # PyYAML's reader refuses it while the loader is built (a traceback before issue 8)
    path = write(workdir, "nul.yml", yaml_claims([good(), good(predicate="other")]).replace("other", "oth\x00er"))
    assert_rejected(seed_db, path, "the control character U+0000 is not allowed in YAML", line=2)


# ================================================================ fields and types


def test_wrong_type_confidence_as_text(seed_db, workdir):
    path = write(workdir, "conf-text.yml", yaml_claims([good(confidence="high")]))
    assert_rejected(seed_db, path, "`confidence` must be a number between 0 and 1, not 'high'", claim=1, line=1)


def test_wrong_type_subject_as_list(seed_db, workdir):
    path = write(workdir, "subject-list.json", json.dumps([good(subject=["a", "b"])]))
    assert_rejected(seed_db, path, "`subject` must be text, not list", claim=1)


def test_yaml_boolean_value(seed_db, workdir):
    # issue 14: YAML 1.2, every scalar the text written: `true` is the text "true", which the span does not say
    path = write(workdir, "bool.yml", yaml_claims([good()]).replace('"Hangzhou City"', "true"))
    assert_rejected(seed_db, path, "the value 'true' is not supported by its span 'an official visit to Hangzhou City'", claim=1)


def test_missing_required_field(seed_db, workdir):
    path = write(workdir, "missing.yml", yaml_claims([good(), good(quote=...)]))
    assert_rejected(seed_db, path, "missing required field `quote`", claim=2, line=2)


def test_missing_several_required_fields(seed_db, workdir):
    path = write(workdir, "missing2.jsonl", jsonl([good(value=..., confidence=...)]))
    assert_rejected(seed_db, path, "missing required fields `value`, `confidence`", claim=1, line=1)


def test_unknown_field_suggests_the_right_one(seed_db, workdir):
    claim = good()
    claim["qoute"] = claim.pop("quote")
    path = write(workdir, "typo.yml", yaml_claims([claim]))
    assert_rejected(seed_db, path, "unknown field `qoute`; did you mean `quote`?", claim=1)


def test_confidence_above_one(seed_db, workdir):
    path = write(workdir, "conf-high.yml", yaml_claims([good(confidence=1.5)]))
    assert_rejected(seed_db, path, "`confidence` 1.5 is outside 0..1", claim=1)


def test_confidence_negative(seed_db, workdir):
    path = write(workdir, "conf-neg.jsonl", jsonl([good(confidence=-0.1)]))
    assert_rejected(seed_db, path, "`confidence` -0.1 is outside 0..1", claim=1)


def test_confidence_yaml_nan(seed_db, workdir):
    path = write(workdir, "conf-nan.yml", yaml_claims([good()]).replace("0.9", ".nan"))
    assert_rejected(seed_db, path, "`confidence` must be a number between 0 and 1, not '.nan'", claim=1)


def test_json_nan_and_infinity_are_not_json(seed_db, workdir):
    path = write(workdir, "nan.jsonl", jsonl([good()]).replace("0.9", "NaN"))
    assert_rejected(seed_db, path, "NaN is not a number JSON allows", line=1)


def test_json_overflowing_number(seed_db, workdir):
    path = write(workdir, "huge.json", json.dumps([good()]).replace("0.9", "1e400"))
    assert_rejected(seed_db, path, "`confidence` inf is outside 0..1", claim=1)


def test_json_integer_with_too_many_digits(seed_db, workdir):
    path = write(workdir, "digits.json", json.dumps([good()]).replace("0.9", "9" * 5000))
    assert_rejected(seed_db, path, "malformed JSON")


def test_unknown_source(seed_db, workdir):
    path = write(workdir, "nosource.yml", yaml_claims([good(source="no-such-source")]))
    assert_rejected(seed_db, path, "unknown source 'no-such-source'", "ledger source add", claim=1)


def test_predicate_not_snake_case(seed_db, workdir):
    path = write(workdir, "pred.yml", yaml_claims([good(predicate="Seating Capacity!")]))
    assert_rejected(seed_db, path, "predicate 'Seating Capacity!' is not lower_snake_case", "'seating_capacity'", claim=1)


def test_start_without_end(seed_db, workdir):
    path = write(workdir, "start.yml", yaml_claims([good(start=10)]))
    assert_rejected(seed_db, path, "`start` and `end` go together", claim=1)


def test_date_that_is_not_a_date(seed_db, workdir):
    path = write(workdir, "date.yml", yaml_claims([good(as_of="2024-02-30")]))
    assert_rejected(seed_db, path, "`as_of` '2024-02-30' is not a date", claim=1)


def test_lone_surrogate_escape_in_quote(seed_db, workdir):
    # JSON and YAML both let "\ud800" through as a str that cannot be encoded
    # (it crashed the claim-id hash with UnicodeEncodeError before issue 8)
    path = write(workdir, "surrogate.jsonl", jsonl([good()]).replace('"Prak Sokhonn"', '"Prak \\ud800"'))
    assert_rejected(seed_db, path, "`subject` holds a lone surrogate \\ud800", claim=1, line=1)


def test_lone_surrogate_escape_in_yaml(seed_db, workdir):
    path = write(workdir, "surrogate.yml", yaml_claims([good(quote="visit \\udc80 to")]).replace("\\\\", "\\"))
    assert_rejected(seed_db, path, "`quote` holds a lone surrogate \\udc80", claim=1)


# ================================================================ quotes


def test_empty_quote(seed_db, workdir):
    path = write(workdir, "empty.yml", yaml_claims([good(quote="")]))
    assert_rejected(seed_db, path, "`quote` is empty or only whitespace", claim=1)


def test_whitespace_only_quote(seed_db, workdir):
    path = write(workdir, "blank.yml", yaml_claims([good(quote=" \t\n\u00a0\u3000 ")]))
    assert_rejected(seed_db, path, "`quote` is empty or only whitespace", claim=1)


def test_quote_of_only_invisible_characters(seed_db, workdir):
    path = write(workdir, "invisible.yml", yaml_claims([good(quote="\u200b\u200d\u2060\u202e")]))
    assert_rejected(seed_db, path, "the quote is empty or only whitespace", claim=1)


def test_quote_not_found_shows_the_closest_passage(seed_db, workdir):
    path = write(workdir, "notfound.yml", yaml_claims([good(quote="an official visit to Hangzou Town")]))
    out = assert_rejected(seed_db, path, "quote not found in the source text", "closest passage", claim=1, line=1)
    assert "official visit to Hangzhou" in out


def test_ambiguous_quote(seed_db, workdir):
    path = write(workdir, "ambiguous.yml", yaml_claims([good(source=XI, subject="Hun Sen", quote="Hun Sen")]))
    assert_rejected(seed_db, path, "quote occurs", "times in the source", "add `occurrence: N`", claim=1)


def test_occurrence_past_the_last_match(seed_db, workdir):
    path = write(workdir, "occ.yml", yaml_claims([good(source=XI, subject="Hun Sen", quote="Hun Sen", occurrence=99)]))
    assert_rejected(seed_db, path, "occurrence 99 asked for", claim=1)


def test_quote_longer_than_its_source(seed_db, workdir):
    source_len = len((workdir / "sources" / f"{SRC}.txt").read_text(encoding="utf-8"))
    path = write(workdir, "long.yml", yaml_claims([good(quote="an official visit " * 1000)]))
    assert_rejected(seed_db, path, f"is longer than its source ({source_len})", claim=1)


def test_claim_conflicting_with_a_recorded_one(seed_db, workdir):
    # the same claim as recorded from claims/, with another confidence: never edited in place
    row = claim_rows(seed_db, "claims_file LIKE ?", ["claims/sokhonn%"])[0]
    claim = {k: row[k] for k in ("subject", "predicate", "value", "quote", "as_of", "valid_from", "valid_to", "speaker")}
    claim = {k: v for k, v in claim.items() if v is not None}
    claim.update(source=SRC, confidence=0.01 if row["confidence"] != 0.01 else 0.02)
    if row["occurrence"]:
        claim["occurrence"] = row["occurrence"]
    path = write(workdir, "conflict.yml", yaml_claims([claim]))
    assert_rejected(seed_db, path, f"claim {row['id']} is already recorded with confidence", "ledger claim supersede")


# ================================================================ encodings


def test_invalid_utf8_in_yaml(seed_db, workdir):
    data = yaml_claims([good(), good(predicate="other", quote="from December 3-5")]).encode()
    data = data.replace(b"December", b"Dec\xffember")
    path = write(workdir, "latin.yml", data)
    assert_rejected(seed_db, path, "not valid UTF-8 (byte 0xff", line=2)


def test_invalid_utf8_in_jsonl(seed_db, workdir):
    data = jsonl([good(), good(predicate="other")]).encode().replace(b"Prak", b"Pr\xc3\x28k", 1)
    path = write(workdir, "latin.jsonl", data)
    assert_rejected(seed_db, path, "not valid UTF-8 (byte 0xc3)", line=1)


# ================================================================ size and hostility


def test_50_mb_yaml_file_is_refused_before_parsing(seed_db, workdir):
    claim = yaml_claims([good()])
    path = write(workdir, "big.yml", claim * (50 * 1024 * 1024 // len(claim) + 1))
    assert path.stat().st_size > 50 * 1024 * 1024
    t0 = time.monotonic()
    assert_rejected(seed_db, path, "file is 52 MB, over the 21 MB limit", "JSON Lines")
    assert time.monotonic() - t0 < 10


def test_50_mb_jsonl_claim_is_refused_quickly(seed_db, workdir):
    # a single 50 MB line: read, validated and refused without anchoring it
    path = write(workdir, "big.jsonl", jsonl([good(), good(predicate="other", quote="visit " * (9 * 1024 * 1024))]))
    assert path.stat().st_size > 50 * 1024 * 1024
    t0 = time.monotonic()
    assert_rejected(seed_db, path, "is longer than its source", claim=2, line=2)
    assert time.monotonic() - t0 < 30


def test_yaml_alias_bomb_is_refused_fast(seed_db, workdir):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("claims: [*j]")
    path = write(workdir, "bomb.yml", "\n".join(lines) + "\n")
    t0 = time.monotonic()
    assert_rejected(seed_db, path, "YAML anchors (&a) are not allowed", line=1)
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/apply:subprocess.check_call",
        "!!python/object/new:subprocess.Popen",
        "!!python/object/apply:builtins.exec",
    ],
)
def test_python_tags_are_rejected_and_never_executed(seed_db, workdir, tag):
    marker = workdir / "pwned"
    if tag.endswith("exec"):
        payload = f"[\"open({str(marker)!r}, 'w').write('x')\"]"
    elif tag.endswith("system"):
        payload = f'["touch {marker}"]'
    else:
        payload = f'[["touch", "{marker}"]]'
    text = f"- source: {SRC}\n  subject: {tag} {payload}\n  predicate: p\n  value: v\n  quote: q\n  confidence: 1\n"
    path = write(workdir, "tag.yml", text)
    assert_rejected(seed_db, path, "malformed YAML: the tag 'tag:yaml.org,2002:python/", "is not allowed", line=2)
    assert not marker.exists()


def test_third_of_five_claims_bad_writes_none(seed_db, workdir):
    path = write(workdir, "five.yml", yaml_claims(five_claims(3, {"quote": "a passage that is not there"})))
    assert_rejected(seed_db, path, "quote not found", claim=3, line=3)
    # and the four good ones are fine on their own: the refusal was all-or-nothing, not partial
    ok = write(workdir, "four.yml", yaml_claims([c for i, c in enumerate(five_claims(), 1) if i != 3]))
    assert run_import(seed_db, ok).exit_code == 0


def test_third_of_five_claims_bad_in_jsonl_writes_none(seed_db, workdir):
    path = write(workdir, "five.jsonl", jsonl(five_claims(3, {"confidence": 7})))
    assert_rejected(seed_db, path, "`confidence` 7 is outside 0..1", claim=3, line=3)


def test_every_problem_is_listed_at_once(seed_db, workdir):
    claims = five_claims(2, {"confidence": 2})
    claims[3]["predicate"] = "Not Snake"
    path = write(workdir, "two-bad.yml", yaml_claims(claims))
    out = assert_rejected(seed_db, path, "2 problems; nothing was written")
    assert "in/two-bad.yml:2: claim 2" in out and "in/two-bad.yml:4: claim 4" in out


def test_bad_second_file_keeps_the_good_first_file_out(seed_db, workdir):
    first = write(workdir, "first.yml", yaml_claims(five_claims()))
    second = write(workdir, "second.yml", yaml_claims([good(source="nowhere")]))
    before = ledger_state(seed_db)
    result = run_import(seed_db, first, second)
    assert result.exit_code == 1
    assert "in/second.yml:1: claim 1" in result.output and "nothing was written" in result.output
    assert ledger_state(seed_db) == before


# ================================================================ source sidecars (ledger build)


def assert_build_rejected(db: Path, workdir: Path, sidecar: bytes, *fragments: str):
    """A new source whose sidecar is hostile: `ledger build` refuses it, fast, and changes nothing."""
    (workdir / "sources" / "hostile.txt").write_bytes(b"A perfectly ordinary source text.\n")
    (workdir / "sources" / "hostile.yml").write_bytes(sidecar)
    before = ledger_state(db)
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["build", "--db", str(db), "--silent"])
    assert time.monotonic() - t0 < 10
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: sources/hostile.txt: sources/hostile.yml:"), result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert "nothing was written" in result.output
    assert ledger_state(db) == before


def test_alias_bomb_in_a_source_sidecar(seed_db, workdir):
    # before issue 8 the sidecar was read with yaml.safe_load: `ledger build` hung expanding it
    lines = ["authors:", '- &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"- &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    assert_build_rejected(seed_db, workdir, ("\n".join(lines) + "\n").encode(), "YAML anchors (&a) are not allowed")


def test_python_tag_in_a_source_sidecar(seed_db, workdir):
    marker = workdir / "pwned-sidecar"
    sidecar = f'title: !!python/object/apply:os.system ["touch {marker}"]\n'.encode()
    assert_build_rejected(seed_db, workdir, sidecar, "could not determine a constructor")
    assert not marker.exists()


def test_invalid_utf8_in_a_source_sidecar(seed_db, workdir):
    assert_build_rejected(seed_db, workdir, b"title: ok\npublisher: caf\xe9\n", "hostile.yml:2: not valid UTF-8 (byte 0xe9")


def test_duplicate_key_in_a_source_sidecar(seed_db, workdir):
    assert_build_rejected(seed_db, workdir, b"title: One\ntitle: Two\n", "hostile.yml:2: duplicate key 'title'")


# ================================================================ real processes


def _ledger(*args, cwd):
    return subprocess.run([str(LEDGER_BIN), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_subprocess_bad_file_exit_code_and_stderr(seed_db, workdir):
    path = write(workdir, "five.yml", yaml_claims(five_claims(3, {"source": "nowhere"})))
    before = ledger_state(seed_db)
    proc = _ledger("import", "--db", str(seed_db), str(path), cwd=workdir)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: in/five.yml:3: claim 3 (Prak Sokhonn / fact_3): unknown source 'nowhere'")
    assert "Traceback" not in proc.stderr
    assert ledger_state(seed_db) == before


def test_subprocess_python_tag_never_runs(seed_db, workdir):
    marker = workdir / "pwned-subprocess"
    path = write(workdir, "evil.yml", f'!!python/object/apply:os.system ["touch {marker}"]\n')
    before = ledger_state(seed_db)
    proc = _ledger("import", "--db", str(seed_db), str(path), cwd=workdir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "in/evil.yml:1: malformed YAML" in proc.stderr
    assert not marker.exists()
    assert ledger_state(seed_db) == before


def test_subprocess_invalid_utf8_jsonl(seed_db, workdir):
    path = write(workdir, "bytes.jsonl", jsonl(five_claims()).encode().replace(b"Cambodia", b"Camb\x80dia"))
    before = ledger_state(seed_db)
    proc = _ledger("import", "--db", str(seed_db), str(path), cwd=workdir)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: in/bytes.jsonl:4: not valid UTF-8 (byte 0x80)")
    assert ledger_state(seed_db) == before


# ================================================================ inputs that must SUCCEED


def test_accepts_utf8_bom_in_yaml(seed_db, workdir):
    path = write(workdir, "bom.yml", b"\xef\xbb\xbf" + yaml_claims(five_claims()).encode())
    result = run_import(seed_db, path)
    assert result.exit_code == 0, result.output
    assert "5 claim(s) in 1 file(s): added 5" in result.output


def test_accepts_utf8_bom_in_jsonl(seed_db, workdir):
    path = write(workdir, "bom.jsonl", b"\xef\xbb\xbf" + jsonl(five_claims()).encode())
    result = run_import(seed_db, path)
    assert result.exit_code == 0, result.output
    assert "added 5" in result.output


def test_accepts_crlf_claims_file_and_keeps_line_numbers(seed_db, workdir):
    text = yaml_claims(five_claims()).replace("\n", "\r\n")
    ok = write(workdir, "crlf.yml", text)
    result = run_import(seed_db, ok)
    assert result.exit_code == 0, result.output
    assert "added 5" in result.output
    bad = write(workdir, "crlf-bad.yml", yaml_claims(five_claims(4, {"confidence": 3})).replace("\n", "\r\n"))
    assert_rejected(seed_db, bad, claim=4, line=4)


def test_accepts_crlf_source_with_exact_offsets(seed_db, workdir):
    data = "First line of the report.\r\nThe stadium seats\r\n60,000 people.\r\nLast line.\r\n".encode()
    src = add_source(workdir, seed_db, "crlf-report", data)
    assert src["length"] == len(data.decode())  # stored byte-exact: \r kept
    claims = [
        good(source="crlf-report", subject="stadium", predicate="capacity", value="60,000",
             quote="The stadium seats\n60,000 people"),  # typed with \n across the CRLF
        good(source="crlf-report", subject="report", predicate="last", value="Last line", quote="Last line."),
    ]
    result = run_import(seed_db, write(workdir, "crlf-src.yml", yaml_claims(claims)))
    assert result.exit_code == 0, result.output
    text = data.decode()
    rows = {r["predicate"]: r for r in claim_rows(seed_db, "source_id = ?", [src["id"]])}
    cap = rows["capacity"]
    assert cap["span_text"] == "The stadium seats\r\n60,000 people"
    assert (cap["span_start"], cap["span_end"]) == (text.index("The stadium"), text.index(" people") + 7)
    assert rows["last"]["span_start"] == text.index("Last line.")
    assert all(span_holds(seed_db, r["id"]) for r in rows.values())
    assert CliRunner().invoke(cli, ["verify", "--db", str(seed_db)]).exit_code == 0


def test_accepts_nfd_source_with_nfc_quote(seed_db, workdir):
    text = unicodedata.normalize("NFD", "Le café de la Bibliothèque a été fermé en décembre.\n")
    src = add_source(workdir, seed_db, "nfd-text", text.encode())
    claim = good(source="nfd-text", subject="café", predicate="status", value="fermé",
                 quote="Bibliothèque a été fermé")  # typed NFC
    result = run_import(seed_db, write(workdir, "nfd.yml", yaml_claims([claim])))
    assert result.exit_code == 0, result.output
    (row,) = claim_rows(seed_db, "source_id = ?", [src["id"]])
    assert row["span_text"] == unicodedata.normalize("NFD", "Bibliothèque a été fermé")  # the source's own form
    assert row["quote"] == "Bibliothèque a été fermé"  # as typed
    assert row["match"] == "normalised"
    assert span_holds(seed_db, row["id"])


def test_accepts_zero_width_in_source_and_flags_it(seed_db, workdir):
    text = "The Morodok Te\u200bcho stadium seats 60,000.\n"
    src = add_source(workdir, seed_db, "zwsp-text", text.encode())
    claim = good(source="zwsp-text", subject="Morodok Techo", predicate="name", value="Morodok Techo stadium",
                 quote="Morodok Techo stadium")
    result = run_import(seed_db, write(workdir, "zw.yml", yaml_claims([claim])))
    assert result.exit_code == 0, result.output
    (row,) = claim_rows(seed_db, "source_id = ?", [src["id"]])
    assert row["span_text"] == "Morodok Te\u200bcho stadium"
    assert row["flags"] == "zero-width"
    assert span_holds(seed_db, row["id"])


def test_accepts_bidi_control_in_quote_stored_verbatim_and_flagged(seed_db, workdir):
    text = "The account was paid to \u202eCBA-987\u202c on Monday.\n"
    src = add_source(workdir, seed_db, "bidi-text", text.encode())
    quote = "paid to \u202eCBA-987\u202c on Monday"
    claim = good(source="bidi-text", subject="payment", predicate="payee", value="CBA-987", quote=quote)
    result = run_import(seed_db, write(workdir, "bidi.yml", yaml_claims([claim])))
    assert result.exit_code == 0, result.output
    (row,) = claim_rows(seed_db, "source_id = ?", [src["id"]])
    assert row["quote"] == quote and row["span_text"] == quote  # verbatim, controls kept
    assert row["match"] == "exact"
    assert row["flags"] == "bidi-control"
    assert span_holds(seed_db, row["id"])


def test_accepts_non_bmp_characters_with_code_point_offsets(seed_db, workdir):
    text = "🇰🇭😀 𝐁𝐨𝐥𝐝 Cambodia’s stadium seats 60,000.\n"
    src = add_source(workdir, seed_db, "emoji-text", text.encode())
    claim = good(source="emoji-text", subject="stadium", predicate="capacity", value="60,000",
                 quote="Cambodia's stadium seats 60,000")
    result = run_import(seed_db, write(workdir, "emoji.yml", yaml_claims([claim])))
    assert result.exit_code == 0, result.output
    (row,) = claim_rows(seed_db, "source_id = ?", [src["id"]])
    assert row["span_start"] == text.index("Cambodia") == 9  # code points, not UTF-16 units (13) or bytes
    assert row["span_text"] == "Cambodia’s stadium seats 60,000"
    assert span_holds(seed_db, row["id"])
