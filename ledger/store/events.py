"""The status events file, ``history/events.jsonl`` (issue 19: split from ``ledger/store/history.py``, which
still names everything here): one JSON object per line, sorted keys, so that `ledger build` from the files
reproduces every claim's status."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.core.errors import HistoryError
from ledger.core.states import LATER_STATES
from ledger.core.atomic import append_atomic

EVENTS_FILE = "events.jsonl"
EVENT_KEYS = ("claim", "status", "replaced_by", "method", "score", "reason", "actor", "at")


def event_line(ev: dict) -> str:
    """One line of history/events.jsonl: sorted keys, compact, UTF-8."""
    return json.dumps({k: ev.get(k) for k in EVENT_KEYS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append_events(path, events: list[dict]) -> None:
    """Append status events to ``history/events.jsonl`` so `ledger build`
    from the files reproduces every claim's status."""
    if not events:
        return
    path = Path(path)
    # a new file renamed over the old: a crash never leaves half a line
    append_atomic(path, "".join(event_line(e) + "\n" for e in events).encode("utf-8"), separator=b"\n")


def read_events(path):
    """Yield (line number, event) from an events file; errors name the line."""
    path = Path(path)
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                ev = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise HistoryError(f"{path}:{n}: not a JSON event ({e})") from None
            if not isinstance(ev, dict) or set(ev) - set(EVENT_KEYS) or not isinstance(ev.get("claim"), str):
                raise HistoryError(
                    f"{path}:{n}: an event is a JSON object with `claim`, `status` and optionally "
                    f"{', '.join(k for k in EVENT_KEYS[2:])}"
                )
            if ev.get("status") not in LATER_STATES:
                raise HistoryError(f"{path}:{n}: `status` {ev.get('status')!r} is not one of {', '.join(LATER_STATES)}")
            yield n, ev
