"""A fact-checking provenance ledger."""

from .anchor import Span, locate
from .db import open_db
from .errors import LedgerError

__all__ = ["LedgerError", "Span", "locate", "open_db"]
