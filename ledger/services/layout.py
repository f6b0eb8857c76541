"""The repository's layout: where each file of the ledger goes, the recording times acts carry and the names
that hold them, and reading the reviews and status-event files (``ledger.services.repository`` replays them).

Files (laid out so that two people's work merges in git without conflicts):

- ``sources/<slug>.txt`` + ``sources/<slug>.yml``: one pair per source or revision (``recorded_at``,
  ``recorded_by`` in the sidecar say when and by whom it was added);
- ``claims/**/*.yml|json|jsonl|csv``: claims; commands append to ``claims/<slug>/<author>.yml`` (one file per
  source and author), each claim with its ``recorded_at``; an imported file from outside ``claims/`` is copied,
  byte for byte, to ``claims/imported/<time>--<original name>`` (the time it was recorded, then its name);
- ``history/events/<author>.jsonl`` (and the older ``history/events.jsonl``): status events (superseded,
  retracted, orphaned), one JSON line each;
- ``reviews/<author>.jsonl``: reviews, one JSON line each.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from sqlite_utils import Database

from ledger.core.errors import LedgerError
from ledger.core.atomic import write_atomic

REVIEWS_DIR = "reviews"
EVENTS_DIR = "events"  # under history/
IMPORTED_DIR = "imported"  # under claims/
_STAMP_RE = re.compile(r"^(\d{8})T(\d{6})\.(\d{6})Z--")


class RepositoryError(LedgerError):
    """A file of the repository cannot be replayed into the ledger."""


# ---------------------------------------------------------------- times and names


def _parse(at: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc)


def format_time(t: dt.datetime) -> str:
    """UTC, always with microseconds: ``2026-12-07T02:45:12.123456+00:00``."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def time_key(at: str | None):
    """Sort key of a recording time: no time first, then by instant, then by the text."""
    if at is None:
        return (0, dt.datetime.min.replace(tzinfo=dt.timezone.utc), "")
    try:
        return (1, _parse(at), at)
    except ValueError:
        return (1, dt.datetime.max.replace(tzinfo=dt.timezone.utc), at)


def record_time(db: Database) -> str:
    """The time to record an act at: now, but always later than every entry the ledger holds, so that the
    order in which acts were made is their order by time (what a fresh build replays)."""
    t = dt.datetime.now(dt.timezone.utc)
    latest = latest_time(db)
    if latest is not None and latest[1] >= t:
        t = latest[1] + dt.timedelta(microseconds=1)
    return format_time(t)


def latest_time(db: Database):
    """The sort key of the latest recorded time in the ledger's history (None if none has a time). Times are
    written in UTC ISO 8601, whose text order is their order, so SQLite's max() finds it."""
    if not db["history"].exists():
        return None
    row = db.execute("SELECT max(at) FROM history WHERE at IS NOT NULL").fetchone()
    return time_key(row[0]) if row and row[0] else None


def author_name(actor: str | None) -> str:
    """A file name for who records: lower-case letters, digits and dashes (``anonymous`` when unknown)."""
    name = re.sub(r"[^\w]+", "-", (actor or "").strip().lower(), flags=re.UNICODE).strip("-")
    return name[:80] or "anonymous"


def claims_path(claims_dir, slug: str, actor: str | None) -> Path:
    """Where a command appends the claims an author records on a source."""
    return Path(claims_dir) / slug / f"{author_name(actor)}.yml"


def events_path(history_dir, actor: str | None) -> Path:
    return Path(history_dir) / EVENTS_DIR / f"{author_name(actor)}.jsonl"


def reviews_path(reviews_dir, actor: str | None) -> Path:
    return Path(reviews_dir) / f"{author_name(actor)}.jsonl"


def imported_name(original: Path, at: str) -> str:
    """``<time>--<original name>``: the recording time (UTC) and the file's own name, kept as provenance."""
    return f"{_parse(at).strftime('%Y%m%dT%H%M%S.%fZ')}--{original.name}"


def time_from_name(path: Path) -> str | None:
    """The recording time an imported file's name carries, or None."""
    m = _STAMP_RE.match(path.name)
    if not m:
        return None
    d, t, us = m.groups()
    return f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}.{us}+00:00"


def copy_in(original: Path, claims_dir, at: str) -> tuple[Path, bool]:
    """Copy a claims file from outside ``claims/`` into ``claims/imported/``, byte for byte.
    Returns (the copy, True if written); the same bytes already imported under the same name are reused."""
    data = Path(original).read_bytes()
    directory = Path(claims_dir) / IMPORTED_DIR
    if directory.exists():
        for p in sorted(directory.glob(f"*--{original.name}")):
            if time_from_name(p) and p.read_bytes() == data:
                return p, False
    target = directory / imported_name(original, at)
    write_atomic(target, data)
    return target, True


def inside(path: Path, directory) -> bool:
    try:
        Path(path).resolve().relative_to(Path(directory).resolve())
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- reading reviews and events


def review_files(reviews_dir) -> list[Path]:
    d = Path(reviews_dir)
    return sorted(p for p in d.glob("*.jsonl") if p.is_file()) if d.exists() else []


def event_files(history_dir) -> list[Path]:
    from ledger.store.history import EVENTS_FILE

    d = Path(history_dir)
    legacy = [d / EVENTS_FILE] if (d / EVENTS_FILE).is_file() else []
    sub = d / EVENTS_DIR
    return legacy + (sorted(p for p in sub.glob("*.jsonl") if p.is_file()) if sub.exists() else [])


def read_reviews(path: Path):
    """Yield (line number, review) from a reviews file; errors name the line."""
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise RepositoryError(f"{path}:{n}: not a JSON review ({e}); fix or remove the line") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                raise RepositoryError(f"{path}:{n}: a review is a JSON object with its `id` and fields")
            yield n, obj
