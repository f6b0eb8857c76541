"""Read claim files (YAML, JSON, JSON Lines) into validated claim records.

A file is either a list of claims, or a mapping with a ``claims`` list and
defaults that apply to every claim in it (``source``, ``recorded_by``). JSON
Lines holds one claim object per line. Every record keeps the file and line
it came from, so an error can say exactly where to look.

YAML is read with a safe loader that also refuses anchors/aliases (no alias
bombs), duplicate keys (never silently overwritten) and any tag outside the
YAML core schema (``!!python/...`` is rejected, never executed).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Iterator

from ledger.core import codec
from ledger.core.codec import decode, load_yaml  # noqa: F401 (read here by name: formats.tabular, tests)
from ledger.core.errors import InvalidClaimFile
# the claim's fields, Record, ClaimInput and validate are core/claim.py's (issue 19), still named here
from ledger.core.claim import (  # noqa: F401
    CONFIDENCE_RE,
    DATE_RE,
    FILE_DEFAULTS,
    OPTIONAL,
    PREDICATE_RE,
    REQUIRED,
    STATUSES,
    ClaimInput,
    Record,
    describe,
    iso_timestamp,
    validate,
)

SUFFIXES = {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# issue 9: CSV claim files (ledger/tabular.py); W3C Web Annotation JSON-LD is
# recognised by its @context in any JSON file (ledger/annotations.py)
SUFFIXES.update({".csv": "csv", ".jsonld": "json"})
# YAML is parsed whole and in pure Python: past this size use JSON Lines,
# which streams.
MAX_YAML_BYTES = 20 * 1024 * 1024
MAX_JSON_BYTES = 200 * 1024 * 1024

# ---------------------------------------------------------------- reading files


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidClaimFile(
            f"{path}: unknown claim file type {suffix!r}; use .yml/.yaml, .json, .jsonl, .csv "
            "or W3C annotations (.json/.jsonld)"
        )
    return SUFFIXES[suffix]


def read_claims(path: str | Path, *, display: str | None = None) -> Iterator[ClaimInput]:
    """Yield the validated claims of one file; raise on the first bad one.

    Use :func:`iter_records` plus :func:`validate` to collect every error.
    """
    for rec in iter_records(path, display=display):
        yield validate(rec)


def iter_records(path: str | Path, *, display: str | None = None) -> Iterator[Record]:
    """Yield the raw claim mappings of a file with file defaults applied."""
    shown = display or str(path)
    fmt = file_format(path)
    try:
        size = Path(path).stat().st_size
    except OSError as e:
        raise InvalidClaimFile(f"{shown}: cannot read: {e.strerror}") from None
    if fmt == "jsonl":
        yield from _iter_jsonl(path, shown)
        return
    limit = MAX_YAML_BYTES if fmt == "yaml" else MAX_JSON_BYTES
    if size > limit:
        raise InvalidClaimFile(
            f"{shown}: file is {size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB limit for {fmt.upper()} "
            "claim files; split it, or use JSON Lines (.jsonl), which is read a line at a time"
        )
    if fmt == "csv":
        from ledger.formats.tabular import iter_csv_records

        yield from iter_csv_records(path, shown)
        return
    text = decode(Path(path).read_bytes(), shown)
    if fmt == "yaml":
        data, lines = codec.load(text, shown)
    else:
        try:
            data = _json_loads(text)
        except json.JSONDecodeError as e:
            raise InvalidClaimFile(f"{shown}:{e.lineno}: malformed JSON: {e.msg} (column {e.colno})") from None
        except ValueError as e:
            raise InvalidClaimFile(f"{shown}: malformed JSON: {e}") from None
        lines = {}
        from ledger.formats.annotations import annotation_records, is_annotation_document

        if is_annotation_document(data):
            yield from annotation_records(data, shown)
            return
        from ledger.formats.hypothesis import is_hypothesis_document, records

        if is_hypothesis_document(data):
            yield from records(data, shown)
            return
    yield from _records_from(data, shown, lines)


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


class JsonNumber(float):
    """A JSON number with a fraction or exponent, kept with the text written
    (``3.10`` is not ``3.1``): a claim's value is stored as written."""

    # a slot, not a __dict__: made for every claim's confidence, and a float with a __dict__ costs
    # twice as much to make (issue 19)
    __slots__ = ("text",)

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text
        return obj

    def __str__(self) -> str:
        return self.text


def _no_duplicates(pairs):
    out = dict(pairs)  # in C; a key given twice leaves fewer entries than pairs
    if len(out) == len(pairs):
        return out
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r} in an object; each key may appear once per object")
        out[k] = v
    return out


def _json_loads(text: str):
    """``json.loads`` that refuses NaN/Infinity and duplicate keys (as the
    YAML reader does), keeps each fractional number's text, and turns too-deep
    nesting (which would blow the stack) into a ValueError like any other bad JSON."""
    if text.startswith("\ufeff"):  # what json.loads says of a str that starts with a byte order mark
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    # _DECODER.decode(text) inlined (its raw_decode too): the same steps and errors, two calls fewer a line
    try:
        obj, end = _SCAN(text, _WHITESPACE(text, 0).end())
    except StopIteration as err:
        raise json.JSONDecodeError("Expecting value", text, err.value) from None
    except RecursionError:
        raise ValueError("nested too deeply (a claim is a flat mapping of fields)") from None
    end = _WHITESPACE(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return obj


# json.loads with these arguments builds a new decoder (and its scanner) for every call: half of a JSON
# Lines claim's parsing time (issue 19)
_DECODER = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_no_duplicates, parse_float=JsonNumber)
_SCAN = _DECODER.scan_once
_WHITESPACE = json.decoder.WHITESPACE.match  # what JSONDecoder.decode skips before and after the value


def _records_from(data, shown, lines):
    defaults = {}
    if data is None:
        return
    if isinstance(data, dict):
        unknown = set(data) - {"claims", *FILE_DEFAULTS}
        if "claims" not in data:
            raise InvalidClaimFile(
                f"{shown}: a claims file is a list of claims or a mapping with a `claims:` list; "
                f"found a mapping with keys {sorted(map(str, data))}"
            )
        if unknown:
            raise InvalidClaimFile(
                f"{shown}: unknown top-level key(s) {sorted(map(str, unknown))}; "
                f"allowed: claims, {', '.join(FILE_DEFAULTS)}"
            )
        defaults = {k: data[k] for k in FILE_DEFAULTS if k in data}
        items = data["claims"]
        if items is None:
            return
    else:
        items = data
    if not isinstance(items, list):
        raise InvalidClaimFile(f"{shown}: `claims` must be a list of claims, not {type(items).__name__}")
    for i, item in enumerate(items, 1):
        line = lines.get((id(items), i - 1)) or lines.get(id(item))
        if isinstance(item, dict):
            item = {**defaults, **item}
        yield Record(item, shown, line, i)


def _iter_jsonl(path, shown):
    with open(path, "rb") as f:
        index = 0
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw or raw.isspace():  # a blank line: what `not raw.strip()` found, with no copy of the line
                continue
            index += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InvalidClaimFile(
                    f"{shown}:{lineno}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); save the file as UTF-8"
                ) from None
            try:
                item = _json_loads(text)
            except json.JSONDecodeError as e:
                raise InvalidClaimFile(f"{shown}:{lineno}: malformed JSON: {e.msg} (column {e.colno})") from None
            except ValueError as e:
                raise InvalidClaimFile(f"{shown}:{lineno}: malformed JSON: {e}") from None
            yield Record(item, shown, lineno, index)


def dump_yaml(claims: list[dict], source: str | None = None) -> str:
    """A claims file in the import format (block style, Unicode kept)."""
    doc = {"source": source, "claims": claims} if source else claims
    return codec.dump_yaml(doc)


def parse_string(text: str, fmt: str = "yaml", path: str = "<string>") -> list[ClaimInput]:
    """Parse claims from a string (tests and tools that build files in memory)."""
    if fmt == "yaml":
        data, lines = codec.load(text, path)
        return [validate(r) for r in _records_from(data, path, lines)]
    buf = io.StringIO(text)
    return [validate(Record(json.loads(line), path, n, n)) for n, line in enumerate(buf, 1) if line.strip()]


# ---------------------------------------------------------------- appending to a command's claims file

# a line after the header that may not start at column 0: anything but an item (`- `), a comment or a blank
_NOT_AN_ITEM_LINE = re.compile(rb"\n(?!\Z|[ \n#]|-[ \n])")


def append_header(slug: str) -> bytes:
    """The first lines of a claims file a command writes for ``slug`` (``source: SLUG`` then ``claims:``)."""
    full = dump_yaml([{"subject": "x"}], source=slug)
    return full[: full.index("\nclaims:\n") + len("\nclaims:\n")].encode("utf-8")


def appendable(data: bytes, slug: str) -> bool:
    """Whether claims dumped after ``data`` (a whole claims file that parses) are, whatever ``data`` holds,
    new items of its ``claims:`` list: the file starts with :func:`append_header`, its list is a block list at
    column 0, and no line after the header starts at column 0 with anything but an item, a comment or a blank
    line. (Then at its end the parser is inside that list, so a line starting with ``- `` adds an item.)
    A file written by hand in another layout is simply not appendable: it is read whole instead."""
    header = append_header(slug)
    if not data.startswith(header) or not data.endswith(b"\n") or len(data) > MAX_YAML_BYTES:
        return False
    rest = data[len(header):]
    if rest and not rest.startswith((b"- ", b"-\n", b"#")):
        return False
    return _NOT_AN_ITEM_LINE.search(data, len(header) - 1) is None


def iter_appended_records(path, offset: int, before: int, slug: str, *, display: str | None = None,
                          data: bytes | None = None) -> Iterator[Record]:
    """The records of the claims appended at byte ``offset`` of a file whose first ``offset`` bytes hold
    ``before`` records (and are :func:`appendable`): only the appended part is parsed, with the file's header
    for its defaults; lines and claim numbers are those of the whole file."""
    shown = display or str(path)
    if data is None:
        data = Path(path).read_bytes()
    if len(data) > MAX_YAML_BYTES:  # what iter_records would refuse
        yield from iter_records(path, display=display)
        return
    header = append_header(slug)
    text = decode(header + data[offset:], shown)
    parsed, lines = codec.load(text, shown)
    shift = data.count(b"\n", 0, offset) - header.count(b"\n")
    for rec in _records_from(parsed, shown, lines):
        yield Record(rec.data, shown, rec.line + shift if rec.line else None, rec.index + before)
