"""A fact-checking provenance ledger."""

from ledger.core.anchor import Span, locate
from ledger.store.db import open_db
from ledger.core.errors import LedgerError

__all__ = ["LedgerError", "Span", "locate", "open_db"]
