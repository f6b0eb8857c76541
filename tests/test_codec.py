"""ledger.core.codec, the one home of strict UTF-8 and of YAML (issue 19)."""

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# sidecar-like documents, plain and odd: values of every kind YAML 1.1 resolves, the strict loader's own
# refusals (duplicate keys, tags, aliases, control characters) and malformed YAML
_SIDECARS = [
    "title: plain\nok: yes\nflag: true\nn: 12\nf: 1.5\ne: 1e3\nnull1: ~\nnull2: null\nd: 2024-01-02\n"
    "ts: 2024-01-02T10:00:00Z\nbad: 2023-05-75\nmonth: 2021-12\n",
    'title: "esc \\u00e9 \\n \\t \\x41 \\" q"\nsingle: \'it\'\'s\'\n',
    "multi: this is\n  folded over\n  lines\nblock: |\n  keep\n   lines\nfold: >\n  a\n  b\n\n  c\n",
    "authors:\n  - A. One\n  - B. Two\nnested: {a: 1, b: [x, y]}\nlist: [1, 2.0, '3']\n",
    "---\ntitle: doc start\n...\n", "", "# only a comment\n", "just a string", "- a\n- b\n",
    "a: 1\na: 2\n", "a: [1, 2\n", "a: b: c\n", "key: 'unterminated\n", "\ufefftitle: bom\n",
    "title: Ünïcödé – “quotes” — 日本語 😀\npublished: 2021-12\nlanguage: km\n",
    "x: 0o17\ny: 0x1F\nz: 017\nw: 1_000\nv: .inf\nu: -.nan\nt: 190:20:30\ns: +12\n",
    "k: !!str 12\n", "k: !!python/object:os.system x\n", "k: !custom x\n", "? complex\n: value\n",
    "a:\n\tb: 1\n", "a: 1 # c\nb: 'x' # c\n", "%YAML 1.1\n---\na: 1\n", "a: -\nb: - x\n", "a: @x\n",
    "k: No\nj: off\ni: On\nh: TRUE\ng: False\n", "k: 2001-12-14 21:59:43.10 -5\n", "a: \x07bell\n",
    "a: &x 1\nb: *x\n", "title: 5 * 3 & more\n",
    # found by differential fuzzing (audit5): where libyaml and PyYAML's own scanner read a text differently
    "a:\tb\n", "a: b\t#c\n", "a: x\n  \ty\n", "title:\t'x'\n",  # a tab libyaml takes, PyYAML refuses
    "\ufeff\ufeffa: 1\n", "a: [x,\n\ufeffy]\n", "authors:\n\ufeff- x\n",  # a BOM libyaml drops
    "a: [\n\ufeff!!binary aGk=]\n", "a: !\n", "- !\n",  # an empty value under the non-specific tag: None, not ''
    "a: |#\n  x\n", "a: >-#\n  x\n",  # a block scalar's header with a comment against it
    "a: [x?]\n", "{a ? b}\n", "authors: [A?, B]\n",  # a ? inside a flow collection
    "a: " + "[" * 400 + "]" * 400 + "\n", "- " * 400 + "x\n",  # deeper than the strict loader goes
]


def _outcome(load, text):
    try:
        value = load(text)
    except Exception as e:  # the error, word for word
        return type(e).__name__, str(e)
    return "ok", repr(value)


@pytest.mark.parametrize("text", _SIDECARS)
def test_sidecars_read_through_libyaml_as_through_the_strict_loader(text):
    """issue 19: load_yaml parses with libyaml where it can; values and errors are the strict loader's."""
    strict = _outcome(lambda t: codec._load_yaml(t, "s.yml")[0], text)
    assert _outcome(lambda t: codec.load_yaml(t, "s.yml"), text) == strict
    if codec._CStrictLoader is not None and strict[0] == "ok" and not codec._libyaml_may_differ(text):
        # the fast loader on its own gives the same values (so the comparison above compared two loaders)
        loader = codec._CStrictLoader(text)
        try:
            assert repr(loader.get_single_data()) == strict[1]
        finally:
            loader.dispose()


# pieces of sidecar-like text: YAML's indicators, the values YAML 1.1 types, and the characters two scanners
# may read differently (tabs, BOMs, line breaks of every kind, non-ASCII)
_PIECES = ["title", "authors", "a", "x y", ": ", ":", "- ", "-", "\n", "\n", " ", "  ", '"', "'", "#", " #", "[", "]",
           "{", "}", ", ", "? ", "?", "|", ">", "|-", ">+", "!", "!!str ", "!!binary ", "%", "@", "---", "...",
           "\r\n", "\r", "\\", "\\n", "é", "日本", "😀", "\xa0", "0x1F", "012", "10:30", "1_000", "3.10", "yes",
           "~", ".inf", "2001-12-14", "<<", "1e3", "true", "\t", "\ufeff", "\x85", "\u2028", "\u2029", "\u200b"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=24).map("".join))
def test_any_text_reads_through_load_yaml_as_through_the_strict_loader(text):
    """audit5: differential, load_yaml against the strict loader alone, value and type or error word for word."""
    strict = _outcome(lambda t: codec._load_yaml(t, "s.yml")[0], text)
    assert _outcome(lambda t: codec.load_yaml(t, "s.yml"), text) == strict


@pytest.mark.parametrize("side", [
    "title:\tHi\n", "title: !\nurl: https://example.org/a\n", "title: Hi\n\ufeffurl: https://example.org/a\n",
    "title: Hi\nauthors: [" + "[" * 400 + "A" + "]" * 400 + "]\n", "title: Hi\nauthors: [A?, B]\n",
])
def test_a_source_reads_the_same_with_libyaml_and_without(tmp_path, monkeypatch, side):
    """audit5: a sidecar is a source's metadata whether or not PyYAML was built with libyaml."""
    from ledger.formats.sources import read_source

    (tmp_path / "s.txt").write_text("hello world", encoding="utf-8")
    (tmp_path / "s.yml").write_text(side, encoding="utf-8")

    def outcome():
        try:
            s = read_source(tmp_path / "s.txt")
        except Exception as e:
            return type(e).__name__, str(e)
        return "ok", (s.title, s.url, s.authors)

    with_libyaml = outcome()
    monkeypatch.setattr(codec, "_CStrictLoader", None)  # the path taken where PyYAML has no libyaml
    assert with_libyaml == outcome()


@pytest.mark.parametrize("side, field", [
    ("language: 012\n", "language"),  # YAML 1.1: the octal 10
    ("recorded_by: 10:30\n", "recorded_by"),  # base 60: 630
    ("extractor_version: 1.10\n", "extractor_version"),  # the float 1.1
    ("date_basis: no\n", None),  # yes/no stay text in the strict loader: kept as written
    ("authors: [3.10, 0x1F]\n", "authors"),  # 3.1 and 31
    ("authors: 1_000\n", "authors"),
    ("recorded_at: 2024-01-02 10:00:00\n", "recorded_at"),  # a datetime, written back as '2024-01-02 10:00:00'
])
def test_a_sidecar_field_yaml_types_is_refused_not_changed(tmp_path, side, field):
    """audit5: a sidecar's text fields are stored as text; YAML 1.1 reads `012`, `10:30`, `1.10`, `0x1F`
    as numbers, which str() would store as 10, 630, 1.1, 31. Refused, naming the field, as title and url are."""
    from ledger.formats.sources import read_source

    (tmp_path / "s.txt").write_text("hello world", encoding="utf-8")
    (tmp_path / "s.yml").write_text("title: T\n" + side, encoding="utf-8")
    if field is None:
        assert read_source(tmp_path / "s.txt").date_basis == "no"
        return
    with pytest.raises(InvalidSource, match=rf"s\.yml: `{field}` must be text"):
        read_source(tmp_path / "s.txt")
