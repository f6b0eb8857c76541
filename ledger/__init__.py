"""A fact-checking provenance ledger.

The public library API: what the ``ledger`` command line, the Datasette plugin and the tests call. Every
function that changes the ledger writes the repository's files first and then the database, in one write
unit (``ledger.services.unit``, ``ledger.store.db.write``)::

    import ledger

    db = ledger.open_db("ledger.db")
    src = ledger.add_source(db, "article.txt", url="https://example.com/a", title="A visit")
    c = ledger.record_claim(db, src["slug"], subject="Stadium", predicate="seating_capacity",
                            value="60,000", quote="a seating capacity of 60,000", confidence=0.9)
    ledger.verify(db)["ok"]

Names are loaded on first use, so ``import ledger.core.anchor`` stays light.
"""

from __future__ import annotations

import importlib

_API = {
    # opening
    "open_db": ("ledger.store.db", "open_db"),
    "open_readonly": ("ledger.store.db", "open_readonly"),
    # recording (files first, then the database)
    "add_source": ("ledger.services.record", "add_source"),
    "record_claim": ("ledger.services.record", "record_claim"),
    "accept_candidates": ("ledger.services.record", "accept_candidates"),
    "import_files": ("ledger.services.record", "import_files"),
    "build": ("ledger.services.record", "build"),
    "add_review": ("ledger.services.reviews", "add_review"),
    # corrections
    "supersede": ("ledger.services.corrections", "supersede"),
    "retract": ("ledger.services.corrections", "retract"),
    "reanchor": ("ledger.services.corrections", "reanchor"),
    # reading and checking
    "verify": ("ledger.services.verify", "verify"),
    "compare": ("ledger.services.compare", "compare"),
    "export": ("ledger.services.export", "export"),
    "claim_history": ("ledger.services.log", "claim_history"),
    "locate": ("ledger.core.anchor", "locate"),
    "Span": ("ledger.core.anchor", "Span"),
    "LedgerError": ("ledger.core.errors", "LedgerError"),
}

__all__ = sorted(_API)


def __getattr__(name: str):
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'ledger' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
