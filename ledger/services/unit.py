"""The write unit of a command: the files first, then the database built from them.

Every command that changes the ledger runs as one act under the repository's writer lock:

1. it checks and anchors what it will record, writing nothing (a trial, :func:`trial`, when the check needs
   the database's own writers);
2. it writes its files crash-safely (``ledger.core.atomic``: a new file renamed over the old);
3. it replays those files into the database (``repository.replay``) inside the database's write unit
   (``ledger.store.db.write``): one transaction holding the act's history entry and the refresh of the
   derived state, committed together.

:func:`commit` is steps 2 and 3: if the replay fails, the files are put back as they were, so the files and the
database never disagree about an act that failed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterable

from ledger.core.atomic import writer_lock
from ledger.services import repository
from ledger.store.db import write


def act(root: str | Path = "."):
    """Hold the writer lock of the repository rooted at ``root`` for the whole act (check, files, database),
    so a second command waits instead of recording at the same time."""
    return writer_lock(Path(root))


def commit(
    db,
    write_files: Callable[[], None],
    *,
    sources: Iterable[Path] = (),
    claims: Iterable[Path] = (),
    events: Iterable[Path] = (),
    reviews: Iterable[Path] = (),
    also: Iterable[Path] = (),
    **dirs,
):
    """Run ``write_files()`` (which writes the files named), then replay the files it wrote into the database
    (one transaction: history entry per act, derived state refreshed). All or nothing: on any error every file
    named (and those in ``also``) is put back as it was before. ``write_files`` may return a dict naming
    which of them to replay (e.g. ``{"claims": []}`` when it appended no claim after all). Returns the
    replay's ``ImportResult``."""
    sources, claims, events, reviews = list(sources), list(claims), list(events), list(reviews)
    touched = [*sources, *(Path(s).with_suffix(".yml") for s in sources), *claims, *events, *reviews, *also]
    with repository.changing(touched):
        wrote = dict(sources=sources, claims=claims, events=events, reviews=reviews)
        written = write_files()
        if isinstance(written, dict):
            wrote.update(written)
        return repository.replay_files(db, **wrote, **dirs)


class _Rollback(Exception):
    pass


def trial(db, fn):
    """Run ``fn`` in a write that is rolled back: what a change would be, with every check made and nothing
    written (the change itself is then written to the files and replayed from them)."""
    out = None
    with contextlib.suppress(_Rollback):
        with write(db):
            out = fn()
            raise _Rollback
    return out
