"""Issue 14: a scalar in a claim file is the text the person wrote (YAML 1.2,
no implicit typing), each field then checked by its own rule; duplicate keys
are refused in JSON as in YAML."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.formats.claimfile import parse_string, read_claims
from ledger.core.errors import InvalidClaim, InvalidClaimFile

from _cli import q, run

SEED = "sokhonn-plans-china-trip"
CLAIM = "- source: s\n  subject: x\n  predicate: p\n  value: {value}\n  quote: q\n  confidence: {confidence}\n"


def value_of(written: str) -> str:
    return parse_string(CLAIM.format(value=written, confidence="0.5"))[0].value


# each was changed by YAML 1.1 implicit typing before it was stored
@pytest.mark.parametrize(
    "written", ["10:30", "12:30:00", "012", "0x1F", "007", "1_000", "3.10", "yes", "off", "1e3", ".inf", "2024-12-04"]
)
def test_a_plain_scalar_is_kept_as_written(written):
    assert value_of(written) == written


def test_values_are_stored_as_written_through_import(seed_db, tmp_path):
    f = tmp_path / "times.yml"
    f.write_text(
        f"source: {SEED}\nclaims:\n"
        "- subject: Morodok Techo National Stadium\n  predicate: seating_capacity\n  value: 60,000\n"
        "  quote: a seating capacity of 60,000\n  confidence: 0.90\n  occurrence: 1\n  as_of: 2021\n",
        encoding="utf-8",
    )
    run("import", "--db", seed_db, f)
    rows = q(seed_db, "SELECT value, confidence, occurrence, as_of FROM claims WHERE claims_file LIKE '%times.yml'")
    assert rows == [("60,000", 0.9, 1, "2021")]


def test_confidence_is_the_one_number():
    assert parse_string(CLAIM.format(value="v", confidence="0.95"))[0].confidence == 0.95
    assert parse_string(CLAIM.format(value="v", confidence="1"))[0].confidence == 1.0
    for bad in ("high", "0x1", "1_0", ".inf", "95%"):
        with pytest.raises(InvalidClaim, match="`confidence` must be a number between 0 and 1"):
            parse_string(CLAIM.format(value="v", confidence=bad))


def test_occurrence_is_a_whole_number_written_in_digits():
    text = CLAIM.format(value="v", confidence="0.5") + "  occurrence: 0x2\n"
    with pytest.raises(InvalidClaim, match="`occurrence` must be a whole number, not '0x2'"):
        parse_string(text)


def test_yaml_tags_are_refused_naming_the_line():
    with pytest.raises(InvalidClaimFile, match=r"^c.yml:4: malformed YAML: the tag 'tag:yaml.org,2002:int' is not allowed"):
        parse_string(CLAIM.format(value="!!int 012", confidence="0.5"), path="c.yml")


def test_yaml_duplicate_keys_are_refused_naming_both_lines():
    text = CLAIM.format(value="v", confidence="0.5") + "  value: w\n"
    with pytest.raises(InvalidClaimFile, match=r"^c.yml:7: duplicate key 'value' \(first at line 4\)"):
        parse_string(text, path="c.yml")


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_duplicate_keys_are_refused_as_in_yaml(tmp_path, suffix):
    body = '{"source": "s", "subject": "x", "predicate": "p", "value": "60,000", "value": "70,000", "quote": "q", "confidence": 0.5}'
    f = tmp_path / f"c{suffix}"
    f.write_text(body if suffix == ".jsonl" else f"[{body}]", encoding="utf-8")
    with pytest.raises(InvalidClaimFile, match="duplicate key 'value' in an object; each key may appear once per object"):
        list(read_claims(f))


def test_a_json_number_value_keeps_its_text(tmp_path):
    f = tmp_path / "c.json"
    f.write_text('[{"source": "s", "subject": "x", "predicate": "p", "value": 3.10, "quote": "q", "confidence": 0.5}]')
    assert [c.value for c in read_claims(f)] == ["3.10"]


# ---------------------------------------------------------------- the property


def double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar, every non-printable character escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() and ch not in "\u2028\u2029\u0085\ufeff":
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


# scalars YAML 1.1 (and some 1.2 schemas) would type: numbers, times, dates, booleans, nulls
LOOKS_TYPED = st.one_of(
    st.from_regex(r"[+-]?[0-9][0-9_]{0,6}([.:][0-9_]{1,4}){0,3}([eE][+-]?[0-9]{1,2})?", fullmatch=True),
    st.from_regex(r"0[xXoObB][0-9a-fA-F_]{1,6}", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?", fullmatch=True),
    st.sampled_from(["yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~", ".inf", "-.Inf", ".NaN", "=", "<<"]),
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written=LOOKS_TYPED)
def test_any_plain_scalar_is_read_as_exactly_its_characters(written):
    assert value_of(written) == written


@settings(max_examples=150, deadline=None)
@given(text=TEXT.filter(lambda t: t.strip()))
def test_any_quoted_scalar_is_read_as_exactly_its_characters(text):
    assert value_of(double_quoted(text)) == text


def test_json_and_yaml_read_the_same_text():
    text = "10:30 \u2014 \u201cquoted\u201d \\ \t tab"
    assert value_of(double_quoted(text)) == text == json.loads(json.dumps(text))


# ---------------------------------------------------------------- stored, not only read


@pytest.fixture(scope="module")
def stored_ledger(tmp_path_factory):
    """The seed ledger (built once for the property below) and a folder for its claim files."""
    from pathlib import Path

    from ledger.store.db import open_db
    from ledger.services.ingest import build

    root = Path(__file__).resolve().parent.parent
    work = tmp_path_factory.mktemp("stored")
    for d in ("sources", "claims"):
        (work / d).mkdir()
    for ext in ("txt", "yml"):
        (work / "sources" / f"{SEED}.{ext}").write_bytes((root / "sources" / f"{SEED}.{ext}").read_bytes())
    db = open_db(work / "ledger.db")
    build(db, work / "sources", work / "claims")
    yield db, work
    db.close()


def _import_value(db, work, scalar: str) -> None:
    """Import a claim file whose value is written as ``scalar`` (on the seed's stadium span)."""
    from ledger.services.ingest import import_files

    f = work / "one.yml"
    f.write_text(
        f"source: {SEED}\nclaims:\n- subject: Morodok Techo National Stadium\n  predicate: p\n  value: {scalar}\n"
        "  quote: a seating capacity of 60,000\n  confidence: 0.5\n"
        "  paraphrase: a test value, declared so that any text can be recorded on this span\n",
        encoding="utf-8",
    )
    import_files(db, [f])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(written=LOOKS_TYPED)
def test_any_plain_scalar_in_a_claim_file_is_stored_as_exactly_its_characters(stored_ledger, written):
    """Issue 14's property, end to end: the text written in the file is the text in claims.value."""
    db, work = stored_ledger
    _import_value(db, work, written)
    assert db.execute("SELECT count(*) FROM claims WHERE predicate = 'p' AND value = ?", [written]).fetchone()[0] == 1


@pytest.mark.parametrize("text", ["0 ", " 0", "a\u00a0", "x\u2028", "\t60,000\t"])
def test_a_value_with_spaces_around_it_is_stored_with_them(stored_ledger, text):
    """Found by the property below (value '0 '): the store stripped values, so '0 ' was stored as '0' and
    '0\u00a0' was then taken for the already held '0'."""
    db, work = stored_ledger
    _import_value(db, work, double_quoted(text))
    assert db.execute("SELECT count(*) FROM claims WHERE predicate = 'p' AND value = ?", [text]).fetchone()[0] == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(lambda t: t.strip()))
def test_any_quoted_scalar_in_a_claim_file_is_stored_as_exactly_its_characters(stored_ledger, text):
    db, work = stored_ledger
    _import_value(db, work, double_quoted(text))
    assert db.execute("SELECT count(*) FROM claims WHERE predicate = 'p' AND value = ?", [text]).fetchone()[0] == 1
