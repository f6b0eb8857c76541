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

import datetime as dt
import difflib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ledger.core import codec
from ledger.core.codec import decode, load_yaml  # noqa: F401 (read here by name: formats.tabular, tests)
from ledger.core.errors import InvalidClaim, InvalidClaimFile
from ledger.core.fields import InvalidField, escaped, one_line
from ledger.core.states import ENTRY_STATES, LATER_STATES, LEGACY

SUFFIXES = {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# issue 9: CSV claim files (ledger/tabular.py); W3C Web Annotation JSON-LD is
# recognised by its @context in any JSON file (ledger/annotations.py)
SUFFIXES.update({".csv": "csv", ".jsonld": "json"})
# YAML is parsed whole and in pure Python: past this size use JSON Lines,
# which streams.
MAX_YAML_BYTES = 20 * 1024 * 1024
MAX_JSON_BYTES = 200 * 1024 * 1024

REQUIRED = ("source", "subject", "predicate", "value", "quote", "confidence")
OPTIONAL = (
    "id",
    "occurrence",
    "prefix",
    "suffix",
    "start",
    "end",
    "speaker",
    "as_of",
    "valid_from",
    "valid_to",
    "note",
    "recorded_by",
    "recorded_at",
    "status",
    "origin",
    "supersedes",  # the claim this one corrects (ledger claim supersede)
    "paraphrase",  # issue 14: the note declaring that the span says the value in other words
)
FILE_DEFAULTS = ("source", "recorded_by")
# issue 14: the state a claim enters the ledger with (ledger/states.py); the
# words used before it (recorded, machine-extracted) are read as current
STATUSES = ("current", "candidate", "recorded", "machine-extracted")
PREDICATE_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# a decimal number as written, an exponent allowed (no hex, no underscores, no .inf/.nan)
CONFIDENCE_RE = re.compile(r"^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass
class ClaimInput:
    """One validated claim as read from a file or the command line."""

    source: str
    subject: str
    predicate: str
    value: str
    quote: str
    confidence: float
    occurrence: int | None = None
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None
    end: int | None = None
    speaker: str | None = None
    as_of: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    note: str | None = None
    recorded_by: str | None = None
    recorded_at: str | None = None
    status: str | None = None
    origin: str | None = None
    supersedes: str | None = None
    paraphrase: str | None = None
    id: str | None = None
    # where it came from, for error messages
    path: str = "<input>"
    line: int | None = None
    index: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return describe(self.path, self.line, self.index, self.subject, self.predicate)


def describe(path, line, index, subject=None, predicate=None) -> str:
    """``claims/x.yml:12: claim 3 (Prak Sokhonn / title)``: the prefix of every error."""
    loc = f"{path}:{line}" if line else str(path)
    what = f"claim {index}"
    if subject or predicate:
        # issue 14: user text in a message is shown escaped (a newline would forge a line)
        what += f" ({escaped(subject) or '?'} / {escaped(predicate) or '?'})"
    return f"{loc}: {what}"


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


@dataclass
class Record:
    """A raw claim mapping with where it came from."""

    data: Any
    path: str
    line: int | None
    index: int


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

    text: str

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text
        return obj

    def __str__(self) -> str:
        return self.text


def _no_duplicates(pairs):
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
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates, parse_float=JsonNumber)
    except RecursionError:
        raise ValueError("nested too deeply (a claim is a flat mapping of fields)") from None


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
            if not raw.strip():
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


# ---------------------------------------------------------------- validation


def validate(rec: Record) -> ClaimInput:
    """Check one raw claim and return it as a ClaimInput; raise InvalidClaim."""
    data = rec.data
    if not isinstance(data, dict):
        raise InvalidClaim(
            f"{describe(rec.path, rec.line, rec.index)}: a claim must be a mapping of fields, "
            f"not {type(data).__name__}"
        )
    subject = data.get("subject") if isinstance(data.get("subject"), str) else None
    predicate = data.get("predicate") if isinstance(data.get("predicate"), str) else None
    where = describe(rec.path, rec.line, rec.index, subject, predicate)

    def fail(msg):
        raise InvalidClaim(f"{where}: {msg}")

    keys = [k for k in data if not isinstance(k, str)]
    if keys:
        fail(f"field names must be strings, found {keys[0]!r}")
    unknown = [k for k in data if k not in REQUIRED and k not in OPTIONAL]
    if unknown:
        k = unknown[0]
        close = difflib.get_close_matches(k, REQUIRED + OPTIONAL, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; known fields: {', '.join(REQUIRED + OPTIONAL)}"
        fail(f"unknown field `{k}`{hint}")
    missing = [k for k in REQUIRED if data.get(k) is None]
    if missing:
        fail(f"missing required field{'s' if len(missing) > 1 else ''} {', '.join(f'`{m}`' for m in missing)}")

    out: dict[str, Any] = {}
    for k in ("source", "subject", "quote"):
        out[k] = _text(data[k], k, fail)
    for k in ("source", "subject"):
        if not out[k].strip():
            fail(f"`{k}` is empty")
    _one_line(out["subject"], "subject", fail)
    out["predicate"] = _text(data["predicate"], "predicate", fail)
    if not PREDICATE_RE.match(out["predicate"]):
        suggestion = re.sub(r"[^a-z0-9]+", "_", out["predicate"].lower()).strip("_")
        fail(
            f"predicate {out['predicate']!r} is not lower_snake_case"
            + (f"; write it as {suggestion!r}" if suggestion else "")
        )
    value = data["value"]
    if isinstance(value, bool):
        fail("`value` is a boolean; write it as a string (\"true\") if you mean the text")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            fail(f"`value` {value!r} is not a finite number")
        value = str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    out["value"] = _text(value, "value", fail)
    if not out["value"].strip():
        fail("`value` is empty")
    if not out["quote"].strip():
        fail("`quote` is empty or only whitespace; quote the passage of the source the claim rests on")

    conf = data["confidence"]
    if isinstance(conf, str) and CONFIDENCE_RE.match(conf.strip()):
        conf = float(conf)  # the one number in a claim
    if isinstance(conf, bool) or not isinstance(conf, (int, float)):
        fail(f"`confidence` must be a number between 0 and 1, not {conf!r}")
    if not (math.isfinite(conf) and 0 <= conf <= 1):
        fail(f"`confidence` {conf!r} is outside 0..1; use a number between 0 and 1")
    out["confidence"] = float(conf)

    for k in ("occurrence", "start", "end"):
        v = data.get(k)
        if isinstance(v, str) and re.fullmatch(r"[0-9]{1,18}", v.strip()):
            v = int(v.strip())  # a count, written in decimal digits
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, int):
                fail(f"`{k}` must be a whole number, not {v!r}")
            if k == "occurrence" and v < 1:
                fail("`occurrence` counts from 1 (the first match)")
            if v < 0:
                fail(f"`{k}` must not be negative")
            out[k] = v
    if (out.get("start") is None) != (out.get("end") is None):
        fail("`start` and `end` go together: give both or neither")
    if out.get("start") is not None and out["end"] < out["start"]:
        fail(f"`end` {out['end']} is before `start` {out['start']}")

    for k in ("prefix", "suffix", "speaker", "note", "recorded_by", "origin", "id", "supersedes", "paraphrase"):
        v = data.get(k)
        if v is not None:
            out[k] = _text(v, k, fail)
    for k in ("speaker", "recorded_by"):
        if k in out:
            _one_line(out[k], k, fail)
    if "paraphrase" in out and not out["paraphrase"].strip():
        fail("`paraphrase` is empty; say how the span gives the value in other words, or remove it")
    for k in ("as_of", "valid_from", "valid_to"):
        v = data.get(k)
        if v is not None:
            out[k] = _date(v, k, fail)
    if out.get("as_of") and (out.get("valid_from") or out.get("valid_to")):
        fail("give either `as_of` or `valid_from`/`valid_to`, not both")
    if out.get("valid_from") and out.get("valid_to") and _date_start(out["valid_to"]) < _date_start(out["valid_from"]):
        fail(f"`valid_to` {out['valid_to']} is before `valid_from` {out['valid_from']}")
    v = data.get("recorded_at")
    if v is not None:
        out["recorded_at"] = _timestamp(v, fail)
    v = data.get("status")
    if v is not None:
        if v in LATER_STATES:
            # an export's row (csv, jsonl) says the state the claim had in the ledger it came from
            fail(
                f"`status` {v!r} is a state a claim reaches after it is recorded (by `ledger claim supersede`, "
                f"`claim retract` or `reanchor`), not one it can enter with; its correction or retraction is not "
                "in this file: leave the claim out, or set `status: current` to record it again as current "
                "(`ledger export --format files` carries the events with the claims)"
            )
        if v not in STATUSES:
            fail(f"`status` {v!r} is not one of {', '.join(ENTRY_STATES)} (a claim enters the ledger as one of these)")
        out["status"] = LEGACY.get(v, v)
    return ClaimInput(path=rec.path, line=rec.line, index=rec.index, **out)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _text(v, name, fail) -> str:
    if isinstance(v, str):
        bad = _SURROGATE_RE.search(v)
        if bad:
            fail(
                f"`{name}` holds a lone surrogate \\u{ord(bad.group()):04x} at character {bad.start()}, "
                "which is not a Unicode character (an escape like \"\\ud800\" in JSON or YAML, or a "
                "mis-decoded file); remove it or write the character itself"
            )
        return v
    fail(f"`{name}` must be text, not {type(v).__name__} {v!r}")


def _one_line(v: str, name: str, fail) -> None:
    try:
        one_line(v, name)
    except InvalidField as e:
        fail(str(e))


def _date(v, name, fail) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
        return str(v)
    if isinstance(v, str):
        m = DATE_RE.match(v.strip())
        if m:
            y, mo, d = m.groups()
            try:
                dt.date(int(y), int(mo or 1), int(d or 1))
                return v.strip()
            except ValueError:
                pass
    fail(f"`{name}` {v!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")


def _date_start(s: str) -> str:
    return (s + "-01-01")[:10] if len(s) == 4 else (s + "-01")[:10] if len(s) == 7 else s


def iso_timestamp(v) -> str | None:
    """An ISO 8601 time as text (a naive datetime taken as UTC), or None if
    ``v`` is not one; shared by claim files and source sidecars."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        try:
            dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return v
        except ValueError:
            pass
    return None


def _timestamp(v, fail) -> str:
    return iso_timestamp(v) or fail(
        f"`recorded_at` {v!r} is not an ISO 8601 timestamp (e.g. 2026-11-29T10:00:00+00:00)"
    )


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
