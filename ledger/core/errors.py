"""The errors the ledger library raises. The CLI turns each into a
``click.ClickException`` whose message is ``str(error)``."""

from __future__ import annotations


class LedgerError(Exception):
    """Something the user can fix; the message says what, where and how."""

    exit_code = 1


class HistoryError(LedgerError):
    """A change the history does not allow (retracting a retracted claim, …)."""


class EmptyQuote(LedgerError):
    """A claim's quote is empty or only whitespace."""


class QuoteNotFound(LedgerError):
    """A quote does not occur in its source text, even after folding."""

    def __init__(self, quote: str, closest=None):
        self.quote = quote
        self.closest = closest  # (start, end, text, score) or None
        msg = f"quote not found in the source text: {_short(quote)!r}"
        if closest:
            s, e, text, score = closest
            msg += f"; closest passage [{s}:{e}] ({score:.0f}% alike): {_short(text)!r}"
            msg += " - copy the passage from the source, or fix the claim's source"
        super().__init__(msg)


class AmbiguousQuote(LedgerError):
    """A quote occurs more than once and nothing says which occurrence is meant."""

    def __init__(self, quote: str, spans, reason: str | None = None):
        self.quote = quote
        self.spans = spans
        places = "; ".join(
            f"{i}: [{sp.start}:{sp.end}] …{sp.prefix[-20:]}[{sp.text}]{sp.suffix[:20]}…"
            for i, sp in enumerate(spans[:10], 1)
        )
        head = reason or f"quote occurs {len(spans)} times in the source"
        super().__init__(
            f"{head}: {_short(quote)!r} at {places} - add `occurrence: N` (1-based), "
            "a `prefix`/`suffix`, or quote more of the passage"
        )


class InvalidClaim(LedgerError):
    """A claim is missing a field or has a value of the wrong type or range."""


class InvalidClaimFile(LedgerError):
    """A claims file cannot be read or parsed."""


class InvalidSource(LedgerError):
    """A source file or its metadata is missing, malformed or inconsistent."""


class UnknownSource(LedgerError):
    """A claim names a source the ledger does not hold."""


class ClaimConflict(LedgerError):
    """A claim with the same id is already recorded with different details."""


class LedgerMissing(LedgerError):
    """A read-only command was pointed at a database file that does not exist."""


class NotALedger(LedgerError):
    """A --db file is not a SQLite database, or a SQLite database without the ledger's tables."""

    exit_code = 9


class NotPlainFile(LedgerError):
    """A source or claims file is a symlink leaving the repository, a FIFO, a device or a directory."""


class SourceTooLarge(LedgerError):
    """A source file is larger than the configured limit (checked before it is read)."""


class ProvenanceConflict(LedgerError):
    """A held text was added again with different provenance than its sidecar records."""


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def located(error: LedgerError, where: str) -> LedgerError:
    """A copy of ``error`` (same class) whose message starts with ``where``."""
    new = LedgerError.__new__(type(error))
    Exception.__init__(new, f"{where}: {error}")
    new.__dict__.update(error.__dict__)
    return new
