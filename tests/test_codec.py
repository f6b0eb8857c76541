"""ledger.core.codec, the one home of strict UTF-8 and of YAML (issue 19)."""

import datetime as dt

import pytest
import yaml

from ledger.core import codec
from ledger.core.errors import InvalidClaimFile, InvalidSource
from ledger.formats.claimfile import dump_yaml as dump_claims
from ledger.formats.sources import Source, sidecar_bytes


def test_sidecars_are_written_byte_for_byte_as_before():
    """A sidecar's bytes are digested (source_files.meta_sha256): the one dumper keeps PyYAML's safe_dump form."""
    src = Source(text="Morodok Techo – 60 000 places", slug="stadium", title="Le stade « national »",
                 url="https://example.org/a", authors=["Ána Pérez", "B"], published="2024-01-02")
    before = yaml.safe_dump(src.metadata(), sort_keys=False, allow_unicode=True, width=100).encode("utf-8")
    assert sidecar_bytes(src) == before


def test_claim_files_keep_line_breaks_in_quotes_double_quoted():
    text = dump_claims([{"subject": "A", "quote": "one\u2028two\x85three"}], source="s")
    assert '"one\\Ltwo\\Nthree"' in text
    data, _ = codec.load(text, "x.yml")
    assert data["claims"][0]["quote"] == "one\u2028two\x85three"


def test_the_two_decoders_name_the_line_of_a_bad_byte():
    with pytest.raises(InvalidClaimFile, match=r"^f.yml:2: not valid UTF-8 \(byte 0xff at offset 2\)"):
        codec.decode(b"a\n\xff", "f.yml")
    with pytest.raises(InvalidSource, match=r"^s.txt:3: not valid UTF-8"):
        codec.decode_source_text(b"a\nb\n\xfe", "s.txt")
    with pytest.raises(InvalidSource, match=r"^s.txt:2: the text contains a NUL"):
        codec.decode_source_text(b"a\nb\x00", "s.txt")
    assert codec.decode(b"\xef\xbb\xbfhello", "f.yml") == "hello"
    assert codec.decode_source_text(b"\xef\xbb\xbfhello", "s.txt") == "\ufeffhello"


def test_tables_refuse_a_repeated_key_by_line():
    with pytest.raises(codec.DuplicateKey, match=r"^line 3: duplicate key 'a'"):
        codec.load_unique_keys("a: 1\nb: 2\na: 3\n")
    with pytest.raises(codec.YAMLError):
        codec.load_unique_keys("a: [1\n")
    assert codec.load_unique_keys("a: yes\n") == {"a": True}


def test_sidecars_refuse_aliases_and_duplicate_keys_naming_file_and_line():
    with pytest.raises(InvalidClaimFile, match=r"^s.yml:1: YAML anchors \(&x\)"):
        codec.load_yaml("a: &x 1\nb: *x\n", "s.yml")
    with pytest.raises(InvalidClaimFile, match=r"^s.yml:2: duplicate key 'a'"):
        codec.load_yaml("a: 1\na: 2\n", "s.yml")
    assert codec.load_yaml("published: 2024-01-02\nok: yes\n", "s.yml") == {"published": dt.date(2024, 1, 2), "ok": "yes"}
