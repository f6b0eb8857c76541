"""The HTML pieces of the ledger's pages (issue 19: split from ``ledger/web/__init__.py``): a text with its
invisible characters shown, safe links, a passage with its span marked, a source with every claim numbered.

Every piece of stored text goes through ``markupsafe.escape`` (``Markup`` formatting escapes its arguments)
before it is joined into HTML; a URL is a link only when it is http(s).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field

from markupsafe import Markup, escape

# Characters that change how text displays without being seen: zero-width
# and bidi controls. Shown as a visible code point, kept in the text.
INVISIBLE_RE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# How much of the source around a span the claim page shows at most
CONTEXT_CHARS = 400


def text_html(text: str) -> Markup:
    """Escape ``text``; zero-width and bidi control characters are kept but
    wrapped so they show as their code point and cannot reorder the page."""
    if not text:
        return Markup("")
    out = []
    pos = 0
    for m in INVISIBLE_RE.finditer(text):
        out.append(escape(text[pos : m.start()]))
        ch = m.group()
        name = unicodedata.name(ch, "control character")
        out.append(
            Markup('<span class="ledger-invisible" title="{}" data-codepoint="U+{:04X}">{}</span>').format(
                name, ord(ch), ch
            )
        )
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def safe_url(url) -> str | None:
    """``url`` if it is an absolute http(s) URL a browser can follow as is, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def url_html(url) -> Markup:
    """A link for an http(s) URL; any other value as plain escaped text."""
    if url is None or url == "":
        return Markup('<span class="ledger-missing">not recorded</span>')
    good = safe_url(url)
    if good:
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(good, good)
    return Markup('{} <span class="ledger-missing">(not an http(s) address, so not linked)</span>').format(
        text_html(str(url))
    )


def passage_bounds(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The paragraph around ``text[start:end]``, clipped to ``context``
    characters either side at a sentence or word boundary."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi == -1 else hi
    if start - lo > context:
        window = text[start - context : start]
        cut = max(window.find(". "), window.find("\u201d "), window.find('" '))
        if cut == -1:
            cut = window.find(" ")
        lo = start - context + (cut + 2 if cut != -1 else 0)
        lo = min(lo, start)
    if hi - end > context:
        window = text[end : end + context]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        if cut == -1:
            cut = window.rfind(" ")
        hi = end + (cut + 1 if cut != -1 else context)
    return lo, hi


def passage_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> Markup:
    """The passage around a span with the span in ``<mark>``: the mark's text
    is exactly ``text[start:end]``."""
    lo, hi = passage_bounds(text, start, end, context)
    return Markup('{}{}<mark class="ledger-span" id="span">{}</mark>{}{}').format(
        "\u2026 " if lo > 0 and text[lo - 1] != "\n" else "",
        text_html(text[lo:start]),
        text_html(text[start:end]),
        text_html(text[end:hi]),
        " \u2026" if hi < len(text) and text[hi] != "\n" else "",
    )


@dataclass
class Numbered:
    number: int
    id: str
    start: int
    end: int
    subject: str
    predicate: str
    value: str
    span_text: str
    extra: dict = field(default_factory=dict)


def annotated_html(text: str, claims: list[Numbered], claim_url=lambda c: f"#claim-{c.number}") -> Markup:
    """The whole text with every claim's span in ``<mark>`` and its number at
    its start. Overlapping spans split into segments; a segment covered by
    several claims is marked once, darker, listing them all. One sweep over
    the span boundaries, so a source with thousands of claims stays fast."""
    spans = sorted((c for c in claims if 0 <= c.start < c.end <= len(text)), key=lambda c: (c.start, c.end, c.number))
    starts: dict[int, list[Numbered]] = {}
    ends: dict[int, list[Numbered]] = {}
    for c in spans:
        starts.setdefault(c.start, []).append(c)
        ends.setdefault(c.end, []).append(c)
    points = sorted({0, len(text), *starts, *ends})
    active: dict[int, Numbered] = {}
    out = []
    for a, b in zip(points, points[1:]):
        for c in ends.get(a, []):
            active.pop(c.number, None)
        for c in starts.get(a, []):
            active[c.number] = c
            out.append(
                Markup('<a class="ledger-claim-no" id="at-claim-{}" href="{}" title="claim {}: {} \u00b7 {}">{}</a>').format(
                    c.number, claim_url(c), c.number, c.subject, c.predicate, c.number
                )
            )
        piece = text_html(text[a:b])
        if active:
            numbers = " ".join(str(n) for n in sorted(active))
            out.append(
                Markup('<mark class="ledger-span depth-{}" data-claims="{}" title="claims {}">{}</mark>').format(
                    min(len(active), 3), numbers, numbers, piece
                )
            )
        else:
            out.append(piece)
    return Markup("").join(out)
