"""The one vocabulary of claim states (issue 14).

A claim is **candidate** (proposed, e.g. by `ledger extract`, not yet
reviewed) or **current** when recorded, and later **superseded** (by a
correction), **retracted** or **orphaned** (left behind by a re-anchoring,
for review). The same five words are used by the CLI, the database (the
``claim_status`` view's ``status``), the Datasette views and the claim page.

A claim file's or command's ``status`` says only how a claim enters the
ledger: ``candidate`` or ``current`` (the default). The words used before
issue 14 are still read: ``recorded`` and ``machine-extracted`` both mean
current (who or what proposed a claim is its ``origin``). What happens to a
claim after it is recorded is an event in ``claim_events``, never an edit of
its row; its state is the latest event's, else the state it entered with.
"""

from __future__ import annotations

STATES = ("candidate", "current", "superseded", "retracted", "orphaned")
# what a claim may enter the ledger as
ENTRY_STATES = ("candidate", "current")
# what only an event in claim_events makes of a recorded claim
LATER_STATES = ("superseded", "retracted", "orphaned")
# the claims.status words written before issue 14, and the state each means
LEGACY = {"recorded": "current", "machine-extracted": "current"}
# how a stored claims.status reads as a state, in SQL (for views)
ENTRY_STATE_SQL = "CASE WHEN {col} = 'candidate' THEN 'candidate' ELSE 'current' END"


def entry_state(stored: str | None) -> str:
    """The state a claim entered the ledger with, from its claims.status."""
    return "candidate" if stored == "candidate" else "current"


def state(stored: str | None, latest_event: str | None = None) -> str:
    """A claim's state: its latest event's, else the state it entered with."""
    return latest_event or entry_state(stored)
