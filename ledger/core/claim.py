"""A claim as the ledger takes it in, whatever the file or command it came from (issue 19: one list of
claim fields, split from ``ledger/formats/claimfile.py``, which still names everything here): the fields,
``Record`` (a raw mapping and where it came from), ``validate`` (each field checked by its own rule) and
``ClaimInput`` (what the store writes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ledger.core.errors import InvalidClaim
from ledger.core.fields import InvalidField, escaped, one_line
from ledger.core.states import ENTRY_STATES, LATER_STATES, LEGACY

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
_KNOWN = frozenset(REQUIRED + OPTIONAL)
FILE_DEFAULTS = ("source", "recorded_by")
# claim columns written back to claim files, in the order a person reads them
FILE_FIELDS = (
    "subject", "predicate", "value", "quote", "confidence", "occurrence", "prefix", "suffix", "speaker",
    "as_of", "valid_from", "valid_to", "note", "paraphrase", "recorded_by", "recorded_at", "status", "origin", "supersedes",
)
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


@dataclass
class Record:
    """A raw claim mapping with where it came from."""

    data: Any
    path: str
    line: int | None
    index: int


# ---------------------------------------------------------------- validation


def validate(rec: Record) -> ClaimInput:
    """Check one raw claim and return it as a ClaimInput; raise InvalidClaim."""
    data = rec.data
    if not isinstance(data, dict):
        raise InvalidClaim(
            f"{describe(rec.path, rec.line, rec.index)}: a claim must be a mapping of fields, "
            f"not {type(data).__name__}"
        )
    get = data.get
    subject = get("subject")
    if not isinstance(subject, str):
        subject = None
    predicate = get("predicate")
    if not isinstance(predicate, str):
        predicate = None

    def fail(msg):
        raise InvalidClaim(f"{describe(rec.path, rec.line, rec.index, subject, predicate)}: {msg}")

    if not _KNOWN.issuperset(data):  # a field name that is not one of ours (or not a string)
        keys = [k for k in data if not isinstance(k, str)]
        if keys:
            fail(f"field names must be strings, found {keys[0]!r}")
        unknown = [k for k in data if k not in _KNOWN]
        k = unknown[0]
        close = difflib.get_close_matches(k, REQUIRED + OPTIONAL, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; known fields: {', '.join(REQUIRED + OPTIONAL)}"
        fail(f"unknown field `{k}`{hint}")
    if None in map(get, REQUIRED):
        missing = [k for k in REQUIRED if get(k) is None]
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
    if value.__class__ is not str:
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

    if len(data) > _COMMON_WIDTH or not _COMMON.issuperset(data):  # fields beyond the usual few
        _optional(data, out, fail)
    else:  # only speaker, recorded_by and recorded_at can be here: what _optional does with them
        for k in ("speaker", "recorded_by"):
            v = get(k)
            if v is not None:
                out[k] = _text(v, k, fail)
        for k in ("speaker", "recorded_by"):
            if k in out:
                _one_line(out[k], k, fail)
        v = get("recorded_at")
        if v is not None:
            out["recorded_at"] = _timestamp(v, fail)
    claim = _new_claim(ClaimInput)
    claim.__dict__ = {**_CLAIM_FIELDS, **out, "path": rec.path, "line": rec.line, "index": rec.index, "extra": {}}
    return claim


# the fields nearly every claim file holds: the rest are checked by _optional only when present
_COMMON = frozenset(REQUIRED + ("speaker", "recorded_by", "recorded_at"))
_COMMON_WIDTH = len(_COMMON)
_COUNT_RE = re.compile(r"[0-9]{1,18}")
# ClaimInput's fields in order, with their defaults (what its __init__ sets): a claim is made by filling
# these in, a third of validate's time through the dataclass's __init__ with 27 keyword arguments
_CLAIM_FIELDS = {
    f.name: (None if f.default is dataclasses.MISSING else f.default) for f in dataclasses.fields(ClaimInput)
}
# a field made by a factory (a fresh list or dict per claim) must be filled in by validate itself, as `extra` is
_FACTORY_FIELDS = {f.name for f in dataclasses.fields(ClaimInput) if f.default_factory is not dataclasses.MISSING}
if _FACTORY_FIELDS != {"extra"}:  # pragma: no cover (a change to ClaimInput that validate must follow)
    raise ImportError(f"ClaimInput's factory fields changed ({sorted(_FACTORY_FIELDS)}): fill them in validate()")
_new_claim = object.__new__


def _optional(data: dict, out: dict, fail) -> None:
    """Check the optional fields of a claim into ``out`` (after its required ones)."""
    for k in ("occurrence", "start", "end"):
        v = data.get(k)
        if isinstance(v, str) and _COUNT_RE.fullmatch(v.strip()):
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


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _text(v, name, fail) -> str:
    if v.__class__ is str and v.isascii():  # no surrogate in ASCII: the common case, without the regex
        return v
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
