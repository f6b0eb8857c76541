"""Strict field rules shared by claims, sources and history (issue 14).

* one-line fields (subject, predicate, speaker, publisher, title,
  recorded_by, an entry's actor) hold no line break and no control
  character: a newline or an ANSI escape in a name would forge lines in
  ``ledger log`` and in every listing;
* a date is a real calendar date, month or year (``2024-13`` is none);
* a URL is one line, http or https, with a host;
* ``shown(text)`` is how user text is printed to a terminal: control and
  invisible formatting characters escaped (``\\n``, ``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit

from ledger.core.errors import LedgerError

DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# line breaks YAML and Python's splitlines() honour beyond the C0 controls
_LINE_BREAKS = "\u0085\u2028\u2029"


class InvalidField(LedgerError):
    """A field holds what its rule refuses (a line break in a name, a date that is none, a URL that is not http(s))."""


def bad_character(text: str) -> tuple[int, str] | None:
    """(position, character) of the first line break or control character in ``text``, or None."""
    if text.isprintable():  # no line break or control character is printable: the common case, in C
        return None
    for i, ch in enumerate(text):
        if ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc":
            return i, ch
    return None


def one_line(value: str, name: str) -> str:
    """``value`` if it holds no line break or control character; else InvalidField naming the field."""
    bad = bad_character(value)
    if bad is not None:
        i, ch = bad
        raise InvalidField(
            f"`{name}` {shown(value)!s} holds {_char_name(ch)} at character {i}; `{name}` is one line of text: "
            "remove the line break or control character"
        )
    return value


def _char_name(ch: str) -> str:
    if ch == "\n":
        return "a line break (\\n)"
    if ch == "\r":
        return "a carriage return (\\r)"
    if ch == "\x1b":
        return "an escape character (\\x1b, terminal control)"
    return f"the control character U+{ord(ch):04X}"


def calendar_date(value: str) -> str | None:
    """``value`` stripped if it is a real YYYY, YYYY-MM or YYYY-MM-DD, else None."""
    m = DATE_RE.match(value.strip())
    if not m:
        return None
    y, mo, d = m.groups()
    try:
        dt.date(int(y), int(mo or 1), int(d or 1))
    except ValueError:
        return None
    return value.strip()


def http_url(value: str, name: str = "url") -> str:
    """``value`` if it is a one-line http(s) URL with a host; else InvalidField."""
    if bad_character(value) is not None or any(c.isspace() for c in value):
        raise InvalidField(
            f"`{name}` {shown(value)} holds a space, line break or control character; a URL is one line with no "
            "spaces (write a space as %20)"
        )
    try:
        parts = urlsplit(value)
    except ValueError as e:
        raise InvalidField(f"`{name}` {shown(value)} is not a URL: {e}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidField(f"`{name}` {shown(value)} must be an http(s) URL with a host, e.g. https://example.com/page")
    return value


def shown(text) -> str:
    """``text`` quoted for a terminal, control, line-break and invisible
    formatting characters (bidi overrides, zero-width) escaped."""
    text = str(text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in _LINE_BREAKS or cat in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        elif ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def escaped(text) -> str:
    """``text`` for a terminal line without quotes: control, line-break and
    invisible formatting characters escaped, the rest as written."""
    if text is None:
        return ""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if ch in _LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        else ch
        for ch in text
    )
