"""Reading and validating claim files."""

import json

import pytest

from ledger.formats.claimfile import iter_records, read_claims, validate
from ledger.core.errors import InvalidClaim, InvalidClaimFile

GOOD = {
    "source": "s",
    "subject": "Stadium",
    "predicate": "seating_capacity",
    "value": "60,000",
    "quote": "a seating capacity of 60,000",
    "confidence": 0.9,
}


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_yaml_mapping_with_defaults_and_line_numbers(tmp_path):
    p = write(
        tmp_path,
        "c.yml",
        "source: s\nrecorded_by: me\nclaims:\n- subject: A\n  predicate: p\n  value: v\n  quote: q\n  confidence: 1\n"
        "- subject: B\n  predicate: p\n  value: 2021-12-01\n  quote: q\n  confidence: 0\n  as_of: 2021-12-01\n",
    )
    claims = list(read_claims(p))
    assert [(c.subject, c.source, c.recorded_by, c.line, c.index) for c in claims] == [
        ("A", "s", "me", 4, 1),
        ("B", "s", "me", 9, 2),
    ]
    assert claims[1].value == "2021-12-01" and claims[1].as_of == "2021-12-01"


def test_json_and_jsonl_accept_the_same_fields(tmp_path):
    j = write(tmp_path, "c.json", json.dumps([GOOD]))
    jl = write(tmp_path, "c.jsonl", json.dumps(GOOD) + "\n\n" + json.dumps({**GOOD, "subject": "Other"}) + "\n")
    assert [c.subject for c in read_claims(j)] == ["Stadium"]
    assert [(c.subject, c.line) for c in read_claims(jl)] == [("Stadium", 1), ("Other", 3)]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"confidence": 1.5}, "`confidence` 1.5 is outside 0..1"),
        ({"confidence": "high"}, "`confidence` must be a number between 0 and 1, not 'high'"),
        ({"confidence": True}, "`confidence` must be a number"),
        ({"predicate": "Seating Capacity"}, "predicate 'Seating Capacity' is not lower_snake_case; write it as 'seating_capacity'"),
        ({"quote": "   "}, "`quote` is empty or only whitespace"),
        ({"value": True}, "`value` is a boolean"),
        ({"subject": 12}, "`subject` must be text, not int 12"),
        ({"occurrence": 0}, "`occurrence` counts from 1"),
        ({"as_of": "December 3"}, "`as_of` 'December 3' is not a date"),
        ({"valid_from": "2021-12-05", "valid_to": "2021-12-03"}, "`valid_to` 2021-12-03 is before `valid_from` 2021-12-05"),
        ({"confidance": 0.5}, "unknown field `confidance`; did you mean `confidence`?"),
        ({"start": 3}, "`start` and `end` go together"),
        ({"status": "final"}, "`status` 'final' is not one of"),
    ],
)
def test_invalid_fields_are_named(tmp_path, change, message):
    p = write(tmp_path, "c.jsonl", json.dumps({**GOOD, **change}))
    with pytest.raises(InvalidClaim) as e:
        list(read_claims(p))
    assert str(e.value).startswith(f"{p}:1: claim 1 (")
    assert message in str(e.value)


@pytest.mark.parametrize("field", ["source", "subject", "predicate", "value", "quote", "confidence"])
def test_missing_required_field(tmp_path, field):
    data = {k: v for k, v in GOOD.items() if k != field}
    p = write(tmp_path, "c.json", json.dumps([data]))
    with pytest.raises(InvalidClaim, match=f"missing required field `{field}`"):
        list(read_claims(p))


def test_malformed_yaml_names_the_line(tmp_path):
    p = write(tmp_path, "c.yml", "claims:\n- subject: A\n  predicate: [unclosed\n  value: v\n")
    with pytest.raises(InvalidClaimFile, match=r"c.yml:\d+: malformed YAML"):
        list(read_claims(p))


def test_malformed_json_names_the_line(tmp_path):
    p = write(tmp_path, "c.json", '[\n{"subject": "A",\n "value": }\n]')
    with pytest.raises(InvalidClaimFile, match=r"c.json:3: malformed JSON"):
        list(read_claims(p))


def test_invalid_utf8_names_the_line(tmp_path):
    p = write(tmp_path, "c.yml", b"claims:\n- subject: caf\xe9\n")
    with pytest.raises(InvalidClaimFile, match=r"c.yml:2: not valid UTF-8 \(byte 0xe9"):
        list(read_claims(p))


def test_bom_and_crlf_are_read(tmp_path):
    text = "\ufeffsource: s\r\nclaims:\r\n- subject: A\r\n  predicate: p\r\n  value: v\r\n  quote: q\r\n  confidence: 1\r\n"
    p = write(tmp_path, "c.yml", text)
    assert [c.subject for c in read_claims(p)] == ["A"]


def test_jsonl_blank_lines_bom_and_numbers(tmp_path):
    """What the JSON Lines reader's fast paths (issue 19) must keep: a file of only a BOM, or of blank lines
    (any ASCII whitespace, CRLF), holds no claim; a fraction keeps its text; the errors name the line."""
    for data in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\n \t\r\n\x0b\x0c\n", b""):
        assert list(iter_records(write(tmp_path, "c.jsonl", data))) == []
    rest = {k: v for k, v in GOOD.items() if k != "value"}
    line = (json.dumps(rest)[:-1] + ', "value": 3.10}').encode()
    p = write(tmp_path, "c.jsonl", b"\xef\xbb\xbf\r\n \n" + line + b"\r\n")
    [rec] = iter_records(p)
    assert (rec.line, rec.index, str(rec.data["value"]), rec.data["confidence"]) == (3, 1, "3.10", 0.9)
    assert validate(rec).value == "3.10"
    for bad, message in (
        (b'{"a": 1} x', "c.jsonl:2: malformed JSON: Extra data (column 10)"),
        (b"  ", None),
        (b"\xc2\xa0{}", "c.jsonl:2: malformed JSON: Expecting value (column 1)"),
        (b'{"a": 1, "a": 2}', "c.jsonl:2: malformed JSON: duplicate key 'a' in an object; each key may appear once per object"),
        (b'{"a": NaN}', "c.jsonl:2: malformed JSON: NaN is not a number JSON allows"),
        (b"[" * 100_000, "c.jsonl:2: malformed JSON: nested too deeply (a claim is a flat mapping of fields)"),
        (b"\xef\xbb\xbf{}", "c.jsonl:2: malformed JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) (column 1)"),
    ):
        p = write(tmp_path, "c.jsonl", line + b"\n" + bad + b"\n")
        if message is None:
            assert len(list(iter_records(p))) == 1
            continue
        with pytest.raises(InvalidClaimFile) as e:
            list(iter_records(p, display="c.jsonl"))
        assert str(e.value) == message


def test_yaml_aliases_are_refused(tmp_path):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    p = write(tmp_path, "c.yml", bomb)
    with pytest.raises(InvalidClaimFile, match="anchors .* are not allowed"):
        list(read_claims(p))


def test_python_tags_are_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    p = write(
        tmp_path,
        "c.yml",
        f"- !!python/object/apply:os.system ['touch {marker}']\n",
    )
    with pytest.raises(InvalidClaimFile, match="malformed YAML"):
        list(read_claims(p))
    assert not marker.exists()


def test_duplicate_keys_are_refused(tmp_path):
    p = write(tmp_path, "c.yml", "- subject: A\n  subject: B\n")
    with pytest.raises(InvalidClaimFile, match="duplicate key 'subject'"):
        list(read_claims(p))


def test_yes_and_no_stay_text(tmp_path):
    p = write(tmp_path, "c.yml", "- {source: s, subject: A, predicate: p, value: no, quote: q, confidence: 1}\n")
    assert next(read_claims(p)).value == "no"


def test_unknown_file_type(tmp_path):
    p = write(tmp_path, "c.txt", "x")
    with pytest.raises(InvalidClaimFile, match="unknown claim file type '.txt'"):
        list(iter_records(p))


def test_a_claim_must_be_a_mapping(tmp_path):
    p = write(tmp_path, "c.yml", "- just a string\n")
    rec = next(iter_records(p))
    with pytest.raises(InvalidClaim, match="a claim must be a mapping"):
        validate(rec)


def test_an_impossible_yaml_date_is_named_not_a_traceback(tmp_path):
    # found by atheris: PyYAML's timestamp constructor raised ValueError
    p = write(tmp_path, "c.yml", "- {source: s, subject: A, predicate: p, value: v, quote: q, confidence: 1, as_of: 2023-05-75}\n")
    with pytest.raises(InvalidClaim, match="`as_of` '2023-05-75' is not a date"):
        list(read_claims(p))
    p = write(tmp_path, "d.yml", "- !!timestamp 2023-02-30\n")
    with pytest.raises(InvalidClaimFile, match="the tag 'tag:yaml.org,2002:timestamp' is not allowed"):
        list(read_claims(p))
