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

An official readout is recognised by the formula governments open one with: a paragraph at the head of the
text that begins "On <month day, year>[ local time], <title> <Name> held talks / held a virtual meeting / met
with / had a phone call with ...". A full date with its year and no dateline is how a ministry dates its own
account, not how a news story opens. Its originator is the office of the official who held the talks
("~readout:wang yi"): the ministry's readouts, wherever they are republished, count once.
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


_READOUT = re.compile(
    r"(?m)^[ \t]*On\s+(?:[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})(?:\s+local\s+time)?,\s+"
    r"(?P<who>(?:[A-Z][\w’'\-]*\s+|(?:and|of|the|for)\s+){1,14}?)"
    r"(?:held\s+(?:talks|a\s+(?:virtual\s+|video\s+|phone\s+|telephone\s+)?(?:meeting|call|conversation))"
    r"|met|had\s+a\s+(?:phone|telephone|video)\s+(?:call|conversation)|spoke\s+(?:by|on\s+the)\s+(?:tele)?phone)"
    r"\s+with\b"
)


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
    m = _READOUT.search(text[:600])
    if m:
        words = m.group("who").split()
        name = " ".join(words[-2:]) if len(words) >= 2 else " ".join(words)
        opening = m.group(0).strip()
        return "~readout:" + fold(name), f"an official readout of {name}'s talks", f'opening "{opening}"'
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
