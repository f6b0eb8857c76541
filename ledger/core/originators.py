"""Where a source's text came from: a wire service or an official news
service whose copy other outlets carry (issue 16).

Sources that share an originator count once in the comparison, however many
publishers carry the story. The originator is detected from the text:

* a dateline credit: "BEIJING, Dec. 3 (Xinhua) --", "PREK TAKEO, Cambodia (AP) —";
* a credit line: "Source: Agency Kampuchea Press";
* "according to Agence Kampuchea Presse", "Xinhua reported", "state broadcaster
  CCTV said", where the name is an entity of type ``agency`` in entities.yml
  (so that "according to the ministry" does not make the ministry the
  originator of a report that adds its own reporting).

A dateline credit counts even when the agency is not in the entity table;
its key is then the credit as written, folded ("~xinhua").
"""

from __future__ import annotations

import re

_DATELINE = re.compile(
    r"(?m)^[A-Z][A-Za-z0-9 .,'’-]{1,60}?\((?P<credit>[A-Z][A-Za-z.]{1,24}(?: [A-Z][A-Za-z.]+){0,3})\)\s*(?:--|—|–|-)"
)
_CREDIT_LINE = re.compile(r"(?m)^\s*(?:Source|Sources|Via|Credit)\s*:\s*(?P<credit>[^\n]{2,60}?)\s*$")
_NAME = r"(?P<credit>[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|of|de|du|la))*)"
_MENTIONS = [
    re.compile(r"\b[Aa]ccording to (?:the )?" + _NAME),
    re.compile(r"\b(?:state (?:broadcaster|news agency|media)\s+)?" + _NAME + r",?\s+(?:said|reported|quoted)\b"),
]


def detect(text: str, resolve_agency, fold) -> tuple[str, str, str] | None:
    """(key, name, how) of the text's originator, or None.

    ``resolve_agency(name)`` gives (key, canonical name) for a name that is an
    agency in the entity table, else None; ``fold`` folds a name into a key."""
    head = text[:400]
    m = _DATELINE.search(head)
    if m:
        credit = m.group("credit").strip()
        got = resolve_agency(credit)
        if got:
            return got[0], got[1], f'dateline credit "({credit})"'
        return "~" + fold(credit), credit, f'dateline credit "({credit})"'
    for m in _CREDIT_LINE.finditer(text):
        credit = m.group("credit").strip().rstrip(".")
        got = resolve_agency(credit)
        if got:
            return got[0], got[1], f'credit line "{m.group(0).strip()}"'
    for pattern in _MENTIONS:
        for m in pattern.finditer(text):
            words = m.group("credit").split()
            # the longest leading run of words that names an agency: "Agence Kampuchea Presse, during ..."
            for n in range(len(words), 0, -1):
                name = " ".join(words[:n]).rstrip(",.")
                got = resolve_agency(name)
                if got:
                    return got[0], got[1], f'"{m.group(0).strip()}"'
    return None
