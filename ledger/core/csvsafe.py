"""CSV cells a spreadsheet will not run as formulas (issue 18).

Excel, LibreOffice and Google Sheets treat a cell whose text starts with
``=``, ``+``, ``-`` or ``@`` (and, in some of them, a tab or carriage
return) as a formula, so a stored value such as ``=HYPERLINK(...)`` or
``@SUM(...)`` runs when a reader opens an export. OWASP's advice is followed:
such a cell is written with a leading apostrophe (``'=1+1``), which every
spreadsheet shows as the text itself. A cell that is a plain number (``-5``,
``+1.5e3``, at most 64 characters) is left alone: it cannot be a formula.

Neutralising changes the text, so it is the default for people and can be
turned off for round trips (``ledger export --format csv --exact-cells``,
``?_exact_cells=1`` on the served ledger's CSV), which keep every cell exact.

:func:`neutralise` does one cell; :class:`StreamNeutraliser` does a CSV
byte stream as it is written (Datasette's CSV responses are streamed), one
byte at a time through a small state machine, so a chunk may end anywhere.
"""

from __future__ import annotations

import re

# first characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# the longest cell held back to check whether it is a number; a longer one
# starting with a formula character is neutralised without looking further
NUMBER_MAX = 64


def is_formula(cell: str) -> bool:
    """True when a spreadsheet would run ``cell`` as a formula."""
    if not cell or not cell.startswith(FORMULA_START):
        return False
    return len(cell.encode("utf-8")) > NUMBER_MAX or not NUMBER_RE.fullmatch(cell)


def neutralise(cell: str) -> str:
    """``cell`` with a leading apostrophe if a spreadsheet would run it, else unchanged."""
    return "'" + cell if is_formula(cell) else cell


_START = frozenset(c.encode()[0] for c in FORMULA_START if c != "\r")
QUOTE, COMMA, CR, LF = b'"'[0], b","[0], b"\r"[0], b"\n"[0]
ENDS = (COMMA, CR, LF)
# states of the stream's state machine: at a cell's start, inside an unquoted
# cell, just after a cell's opening quote, inside a quoted cell, just after a
# quote inside a quoted cell; and holding back the start of a cell that
# begins with a formula character (unquoted, quoted, quoted after a quote)
FIELD, UNQUOTED, QUOTED_START, QUOTED, QUOTED_QUOTE, HELD, HELD_Q, HELD_QQ = range(8)


class StreamNeutraliser:
    """Neutralises formula cells in a CSV byte stream (RFC 4180 quoting, as
    Python's ``csv`` module writes it): ``feed(chunk)`` returns the bytes to
    send on, ``close()`` what is left. A cell starting with a formula
    character is held back until it ends (or is longer than a number can
    be) to tell a formula from a negative number. Structure bytes are all
    ASCII, so UTF-8 text passes through untouched."""

    def __init__(self):
        self.state = FIELD
        self.held = bytearray()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            self._byte(b, out)
        return bytes(out)

    def close(self) -> bytes:
        out = bytearray()
        if self.state in (HELD, HELD_Q, HELD_QQ):
            self._release(out, quoted=self.state != HELD)
            if self.state == HELD_QQ:
                out.append(QUOTE)
        self.state = FIELD
        return bytes(out)

    def _byte(self, b: int, out: bytearray) -> None:
        s = self.state
        if s == FIELD:
            if b == QUOTE:
                self.state = QUOTED_START
            elif b in _START:
                self._hold(b, HELD)
                return
            elif b not in ENDS:
                self.state = UNQUOTED
            out.append(b)
        elif s == UNQUOTED:
            out.append(b)
            if b in ENDS:
                self.state = FIELD
        elif s == QUOTED_START:
            if b in _START or b == CR:
                self._hold(b, HELD_Q)
                return
            out.append(b)
            self.state = QUOTED_QUOTE if b == QUOTE else QUOTED
        elif s == QUOTED:
            out.append(b)
            if b == QUOTE:
                self.state = QUOTED_QUOTE
        elif s == QUOTED_QUOTE:
            out.append(b)
            if b == QUOTE:
                self.state = QUOTED  # an escaped quote
            elif b in ENDS:
                self.state = FIELD
            else:
                self.state = UNQUOTED  # not RFC 4180: passed on as it is
        elif s == HELD:
            if b in ENDS:
                self._release(out, quoted=False)
                out.append(b)
                self.state = FIELD
            else:
                self._add(b, out, UNQUOTED)
        elif s == HELD_Q:
            if b == QUOTE:
                self.state = HELD_QQ
            else:
                self._add(b, out, QUOTED)
        elif s == HELD_QQ:
            if b == QUOTE:  # an escaped quote inside the held cell
                self.held += b'""'
                self.state = HELD_Q
                if len(self.held) > NUMBER_MAX:
                    self._release(out, quoted=True)
                    self.state = QUOTED
            else:  # the closing quote: the cell is whole
                self._release(out, quoted=True)
                out.append(QUOTE)
                self.state = QUOTED_QUOTE
                self._byte(b, out)

    def _hold(self, b: int, state: int) -> None:
        self.held = bytearray((b,))
        self.state = state

    def _add(self, b: int, out: bytearray, then: int) -> None:
        self.held.append(b)
        if len(self.held) > NUMBER_MAX:
            self._release(out, quoted=then == QUOTED)
            self.state = then

    def _release(self, out: bytearray, quoted: bool) -> None:
        cell = bytes(self.held).replace(b'""', b'"') if quoted else bytes(self.held)
        if len(self.held) > NUMBER_MAX or not NUMBER_RE.fullmatch(cell.decode("utf-8", "replace")):
            out.append(ord("'"))
        out += self.held
        self.held = bytearray()
