"""A history entry's canonical form and hash, the entry open on a connection, the clock, the actor and the checkpoint file (issue 19: split from
``ledger/store/history.py``, which still names everything here; the form is described in its docstring)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from ledger.core import ids
from ledger.core.errors import HistoryError, LedgerError

TYPE_TAG = "ledger.history/1"


def canonical_json(obj) -> str:
    """Sorted keys, compact separators, UTF-8 kept; integers only as numbers."""
    return ids.canonical_json(obj, integers_only=True)


#: ``sha256:`` and 64 hex digits (``ledger.core.ids``)
sha256_tagged = ids.tagged_sha256


def entry_leaf(id: int, kind: str, at, actor, reason, body: dict, prev) -> bytes:
    """An entry's canonical form (UTF-8): what its hash covers, and its Merkle leaf data."""
    doc = {"type": TYPE_TAG, "id": id, "kind": kind, "at": at, "actor": actor, "reason": reason, "body": body, "prev": prev}
    return canonical_json(doc).encode("utf-8")


def _json_scalar(v) -> str | None:
    """``v`` as canonical_json writes it, for a string, an integer or None; else None."""
    if v is None:
        return "null"
    if type(v) is str:
        return json.encoder.encode_basestring(v)  # what json.dumps(ensure_ascii=False) writes for a str
    if type(v) is int:
        return str(v)
    return None


def entry_leaf_spliced(id, kind, at, actor, reason, body_text, prev) -> bytes | None:
    """``entry_leaf`` of an entry whose stored body text is already the
    canonical JSON of its body: the text spliced into the entry's canonical
    form (its keys in sorted order) instead of parsed and written again,
    several times faster over a long history. None when a field is of a
    type canonical_json would not write as a string, integer or null (the
    caller takes the slow path, which says what is wrong). The caller must
    know the body text is canonical (``read_chain`` checks it) or check the
    result against the entry's recorded hash (``tlog.leaves``)."""
    fields = [_json_scalar(v) for v in (actor, at, id, kind, prev, reason)]
    if None in fields or type(body_text) is not str:
        return None
    a, t, i, k, p, r = fields
    return f'{{"actor":{a},"at":{t},"body":{body_text},"id":{i},"kind":{k},"prev":{p},"reason":{r},"type":"{TYPE_TAG}"}}'.encode("utf-8")


def _no_float(text):
    raise ValueError(f"history bodies hold integers only, not {text}")


def entry_hash(id: int, kind: str, at, actor, reason, body: dict, prev) -> str:
    """The hash of one entry: its canonical form with the type tag and the previous hash."""
    return sha256_tagged(entry_leaf(id, kind, at, actor, reason, body, prev))


@dataclass
class OpenEntry:
    """An entry being written: rows added now carry ``id`` in ``entry_id``."""

    id: int
    kind: str
    actor: str | None = None
    at: str | None = None
    reason: str | None = None
    extra: dict = field(default_factory=dict)
    marks: dict = field(default_factory=dict)  # table -> max rowid before the entry
    auto: bool = False  # opened by write_transaction, not yet described
    always: bool = False  # record the entry even if it adds no rows
    sealed: dict | None = None


def current_entry(db: Database) -> OpenEntry:
    """The entry rows written now belong to; raises if none is open."""
    e = getattr(db, "_ledger_entry", None)
    if e is None:
        raise LedgerError(
            "internal error: a ledger row was written outside a history entry "
            "(write inside `write_transaction` or `history.entry`)"
        )
    return e


def current_entry_id(db: Database) -> int:
    return current_entry(db).id


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def default_actor() -> str | None:
    """Who is writing: $LEDGER_RECORDED_BY, else the login name."""
    who = os.environ.get("LEDGER_RECORDED_BY")
    if who:
        from ledger.core.fields import InvalidField, one_line

        try:
            return one_line(who, "LEDGER_RECORDED_BY")  # issue 14: a newline here would forge `ledger log` lines
        except InvalidField as e:
            raise HistoryError(str(e)) from None
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None


def read_checkpoint(path) -> str:
    """The head hash in a checkpoint file written by `ledger head --out`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        h = data["ledger_head"]["hash"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise LedgerError(f"{path}: not a ledger checkpoint ({e}); write one with `ledger head --out FILE`") from None
    if not isinstance(h, str):
        raise LedgerError(f"{path}: the checkpoint holds no head hash (the ledger was empty when it was made)")
    return h


def _normal_hash(h: str) -> str:
    h = h.strip()
    return h if h.startswith("sha256:") else "sha256:" + h.lower()
