"""Claim files' YAML read as YAML 1.2, every scalar kept as the text written (issue 14).

ruamel.yaml parses (YAML 1.2, its safe pure-Python parser); this module only
builds mappings, lists and strings from the parser's events. No scalar is
typed: ``value: 10:30`` is the text ``10:30`` (YAML 1.1 made it 630), ``012``
stays ``012``, ``3.10`` stays ``3.10``, ``yes`` stays ``yes``. Each field is
then checked by its own rule (``ledger.formats.claimfile.validate``): confidence is
read as a number there, dates as dates. An empty plain scalar (``note:``) is
None, an absent field.

Refused, each naming the line: aliases and anchors (no alias bombs, and a
value is written out where it is used), explicit tags (``!!python/...``,
``!!int``), duplicate keys, keys that are not plain text, and a second
document in the file.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ledger.core.errors import InvalidClaimFile


class _Bad(Exception):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


def load(text: str, path: str) -> tuple[Any, dict[int, int]]:
    """The document in ``text`` as dicts, lists and strings, and the line
    (1-based) of each dict and list by ``id()`` and of each list item by
    ``(id(list), index)``; InvalidClaimFile names
    ``path`` and the line of anything refused or malformed."""
    _check_depth(text, path)
    try:
        return _build(YAML(typ="safe", pure=True).parse(text))
    except _Bad as e:
        raise InvalidClaimFile(f"{path}:{e.line}: {e.message}") from None
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = e.problem or e.context or "not valid YAML"
        if e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
            # e.g. an unclosed bracket: the error is found at the end, the cause is where it opened
            problem += f" ({e.context} at line {e.context_mark.line + 1})"
        raise InvalidClaimFile(f"{path}{line}: malformed YAML: {problem}") from None
    except YAMLError as e:
        # the reader's refusal of a control character names its position
        position = getattr(e, "position", None)
        line = f":{text[:position].count(chr(10)) + 1}" if isinstance(position, int) else ""
        char = getattr(e, "character", None)
        if char is not None:
            char = f"U+{ord(char) if isinstance(char, str) else char:04X}"
            raise InvalidClaimFile(
                f"{path}{line}: malformed YAML: the control character {char} is not allowed in YAML; remove it"
            ) from None
        raise InvalidClaimFile(f"{path}{line}: malformed YAML: {e}") from None
    except RecursionError:
        raise InvalidClaimFile(f"{path}: malformed YAML: nested too deeply (a claim is a flat mapping of fields)") from None


MAX_DEPTH = 64


def _check_depth(text: str, path: str) -> None:
    """Refuse flow collections nested past MAX_DEPTH before parsing: a claim
    is a flat mapping, and the pure-Python scanner slows to a crawl on
    ``[[[[...`` (brackets inside quoted text count too; no real claim nests so)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidClaimFile(
                    f"{path}: malformed YAML: nested too deeply (a claim is a flat mapping of fields)"
                )
        elif ch in "]}" and depth:
            depth -= 1


def _build(events) -> tuple[Any, dict[int, int]]:
    lines: dict[int, int] = {}
    stack: list[list] = []  # [container, pending key, key lines] frames
    root: list = []
    documents = 0

    def put(obj, line):
        if not stack:
            root.append(obj)
            return
        frame = stack[-1]
        container = frame[0]
        if isinstance(container, list):
            lines[(id(container), len(container))] = line  # the line of each item, scalars too
            container.append(obj)
        elif frame[1] is _NO_KEY:
            if not isinstance(obj, str):
                raise _Bad(line, "a mapping key must be plain text, not a list or mapping")
            if obj in frame[2]:
                raise _Bad(
                    line,
                    f"duplicate key {obj!r} (first at line {frame[2][obj]}); each key may appear once per mapping",
                )
            frame[1] = obj
            frame[2][obj] = line
        else:
            container[frame[1]] = obj
            frame[1] = _NO_KEY

    for event in events:
        line = event.start_mark.line + 1
        if isinstance(event, ev.AliasEvent):
            raise _Bad(line, "YAML aliases (*name) are not allowed in the ledger's YAML files; write the value out in full")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Bad(
                line, f"YAML anchors (&{anchor}) are not allowed in the ledger's YAML files; write the value out in full"
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ("!", "tag:yaml.org,2002:str"):
            raise _Bad(
                line,
                f"malformed YAML: the tag {tag!r} is not allowed (the ledger's YAML files hold plain text, lists and "
                "mappings; every field is read as the text written and checked by its own rule)",
            )
        if isinstance(event, ev.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Bad(line, "malformed YAML: a claims file holds one YAML document; remove the second `---`")
        elif isinstance(event, ev.ScalarEvent):
            value = event.value
            if value == "" and event.style is None and (tag is None):
                value = None  # `note:` with nothing after it: absent
            put(value, line)
        elif isinstance(event, ev.MappingStartEvent):
            m: dict = {}
            lines[id(m)] = line
            put(m, line)
            stack.append([m, _NO_KEY, {}])
        elif isinstance(event, ev.SequenceStartEvent):
            s: list = []
            lines[id(s)] = line
            put(s, line)
            stack.append([s, None, None])
        elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            stack.pop()
    return (root[0] if root else None), lines


_NO_KEY = object()
