"""Bytes to text and YAML to values, and back: the one home of decoding and of YAML (issue 19).

- Strict UTF-8: :func:`decode` for the ledger's files (a BOM dropped), :func:`decode_source_text` for source
  texts (a NUL refused: SQLite's substr() stops counting at it); invalid bytes are named by line.
- Claim files are read by :func:`load` as YAML 1.2, every scalar the text written (below).
- Source sidecars are read by :func:`load_yaml`, PyYAML's safe loader without aliases, anchors, duplicate keys
  or yes/no booleans; the entities and predicates tables by :func:`load_unique_keys`.
- Every YAML file the ledger writes is written by :func:`dump_yaml` (claim files) or :func:`dump_sidecar`
  (sidecars): files, source ids and history heads depend on their bytes.

Claim files' YAML is read as YAML 1.2, every scalar kept as the text written (issue 14).

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

import re
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError as _RuamelError

from ledger.core.errors import InvalidClaimFile, InvalidSource


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
    except _RuamelError as e:
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


# ---------------------------------------------------------------- strict UTF-8


def decode(data: bytes, path: str) -> str:
    """Strict UTF-8, a leading BOM dropped; invalid bytes named by line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return _strict_utf8(data, path, InvalidClaimFile, "save the file as UTF-8")


def decode_source_text(data: bytes, where: str) -> str:
    """Strict UTF-8; a NUL character is refused because SQLite's substr()
    stops counting at it, which would break the span invariant."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InvalidSource(f"{where}:{line}: the text contains a NUL character (U+0000); remove it before adding")
    return _strict_utf8(data, where, InvalidSource, "convert the text to UTF-8 before adding it")


def _strict_utf8(data: bytes, where: str, error: type[Exception], advice: str) -> str:
    """``data`` decoded as UTF-8, or ``error`` naming the line and byte of the first invalid sequence."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise error(f"{where}:{line}: not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); {advice}") from None


# ---------------------------------------------------------------- YAML 1.1 (PyYAML): source sidecars


class _StrictConstruction(yaml.constructor.SafeConstructor):
    """How the strict loaders build values: no duplicate keys; a date that is none kept as text."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise InvalidClaimFile(
                    f"line {key_node.start_mark.line + 1}: duplicate key {key!r} "
                    f"(first at line {seen[key] + 1}); each key may appear once per mapping"
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        # 2023-05-75 looks like a date to YAML but is none: keep the text, so
        # the field's own check names it ("`as_of` '2023-05-75' is not a date")
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


class _StrictLoader(_StrictConstruction, yaml.SafeLoader):
    """SafeLoader without aliases and without duplicate keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise InvalidClaimFile(
                f"line {event.start_mark.line + 1}: YAML aliases (*name) are not allowed in the ledger's YAML files; "
                "write the value out in full"
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise InvalidClaimFile(
                f"line {event.start_mark.line + 1}: YAML anchors (&{anchor}) are not allowed in the ledger's YAML files; "
                "write the value out in full"
            )
        return super().compose_node(parent, index)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictConstruction.construct_yaml_timestamp)

# YAML 1.1 reads yes/no/on/off as booleans: in claim files only true/false are.
_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load_yaml(text: str, path: str) -> tuple[Any, dict[int, int]]:
    """Parse YAML; return the data and, for each claim mapping's id(), its line."""
    try:
        # the reader refuses control characters such as NUL as it is built
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        char = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise InvalidClaimFile(
            f"{path}:{line}: malformed YAML: the control character {char} is not allowed in YAML; remove it"
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except InvalidClaimFile as e:
        # the loader says "line N: ..."; name it path:N like every other error
        raise InvalidClaimFile(re.sub(r"^line (\d+): ", lambda m: f"{path}:{m.group(1)}: ", str(e))) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = e.problem or e.context or "not valid YAML"
        if isinstance(e, yaml.constructor.ConstructorError) and "tag" in str(problem):
            problem += " (the ledger's YAML files may only use plain YAML: strings, numbers, dates, lists and mappings)"
        elif e.context and e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line:
            # e.g. an unclosed bracket: the error is found at the end, the cause is where it opened
            problem += f" ({e.context} at line {e.context_mark.line + 1})"
        raise InvalidClaimFile(f"{path}{line}: malformed YAML: {problem}") from None
    except yaml.YAMLError as e:
        raise InvalidClaimFile(f"{path}: malformed YAML: {e}") from None
    except RecursionError:
        raise InvalidClaimFile(
            f"{path}: malformed YAML: nested too deeply (a claim is a flat mapping of fields)"
        ) from None
    except (ValueError, TypeError, OverflowError) as e:
        # a value PyYAML's constructors cannot build; never a traceback
        raise InvalidClaimFile(f"{path}: malformed YAML: {e}") from None
    finally:
        loader.dispose()
    lines = {}
    _claim_lines(node, data, lines)
    return data, lines


def load_yaml(text: str, path: str) -> Any:
    """Parse a YAML document with the strict loader (no aliases, duplicate
    keys or tags); raise InvalidClaimFile naming ``path`` and the line.

    For source sidecars; claim files are read by :func:`load` (YAML 1.2,
    every scalar the text written)."""
    if _CStrictLoader is not None and not _libyaml_may_differ(text):
        # issue 19: libyaml's parser, with the same constructors and resolvers, where it cannot meet what the
        # strict loader refuses as it parses, nor read a text otherwise than PyYAML's own scanner
        # (_libyaml_may_differ); anything it does not take goes to the strict loader, whose error is the one shown
        loader = _CStrictLoader(text)
        try:
            data = loader.get_single_data()
        except Exception:
            pass
        else:
            if _nested_within(data, _FAST_DEPTH):
                return data
        finally:
            loader.dispose()
    return _load_yaml(text, path)[0]


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
# Where libyaml reads a text otherwise than PyYAML's own scanner (found by differential fuzzing, audit5;
# tests/test_codec.py): & and * (an anchor or alias, refused by the strict loader); a tab (libyaml takes one
# after `key:` or before a comment, PyYAML refuses it); a BOM after the start (libyaml drops it at the start
# of any line, so it can turn a plain scalar into a tag or a list item); ! (an empty value under the
# non-specific tag `!` is '' to libyaml, None to PyYAML); a block scalar header with # against it (libyaml
# takes `|#`); a ? in a text with a flow collection (libyaml keeps `[x?]` a plain scalar, PyYAML refuses).
_DIFFERS = re.compile(r"[&*\t\ufeff!]|[|>][-+0-9]*#")
# libyaml nests to 1,000 levels, the strict loader to ~330 (Python's recursion limit): deeper goes to it
_FAST_DEPTH = 64


def _libyaml_may_differ(text: str) -> bool:
    return bool(_DIFFERS.search(text) or _NON_PRINTABLE.search(text)) or (
        "?" in text and ("[" in text or "{" in text)
    )


def _nested_within(data: Any, limit: int) -> bool:
    """Whether no list or mapping in ``data`` lies more than ``limit`` levels deep."""
    todo = [(data, 0)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            if depth >= limit:
                return False
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if depth >= limit:
                return False
            todo.extend((v, depth + 1) for v in value)
    return True


_CStrictLoader = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(yaml.cyaml.CParser, _StrictConstruction, yaml.resolver.Resolver):  # type: ignore[no-redef]
        """The strict loader's constructors and resolvers over libyaml's parser (a source sidecar in a
        tenth of the time: 100k of them in a 1M-claim build)."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            _StrictConstruction.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _CStrictLoader.yaml_constructors = _StrictLoader.yaml_constructors
    _CStrictLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers


def _claim_lines(node, data, lines):
    """Record the line of each mapping in the claims list (by object id)."""
    seq = None
    if isinstance(node, yaml.SequenceNode):
        seq, items = node, data
    elif isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for k, v in node.value:
            if k.value == "claims" and isinstance(v, yaml.SequenceNode):
                seq, items = v, data.get("claims")
    if seq is not None and isinstance(items, list):
        for n, item in zip(seq.value, items):
            lines[id(item)] = n.start_mark.line + 1


# ---------------------------------------------------------------- YAML 1.1 (PyYAML): entities and predicates

#: what PyYAML raises for a document it cannot read
YAMLError = yaml.YAMLError


class DuplicateKey(ValueError):
    """A key given twice in one mapping of an entities or predicates file ("line N: duplicate key 'x'")."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses duplicate keys instead of keeping the last."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKey(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_unique_keys(text: str) -> Any:
    """PyYAML's safe load, a duplicate key refused (DuplicateKey) instead of the last one kept."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


# ---------------------------------------------------------------- writing YAML


class _Dumper(yaml.SafeDumper):
    """SafeDumper that double-quotes (escapes) text holding a YAML line-break
    character: PyYAML writes U+0085 raw in single quotes and reads it back as
    a space, so a quote would not round-trip."""


def _represent_str(dumper, data):
    if any(ch in data for ch in "\x85\u2028\u2029"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return yaml.SafeDumper.represent_str(dumper, data)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(doc: Any) -> str:
    """A claims file's YAML: block style, Unicode kept, keys in the order given; line breaks escaped."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def safe_load(text: str) -> Any:
    """PyYAML's safe load (YAML 1.1), for the project's own data files (labelled sets, calibration records);
    claim files and sidecars are read by :func:`load` and :func:`load_yaml`."""
    return yaml.safe_load(text)


def safe_dump(doc: Any, **options) -> str:
    """PyYAML's safe dump, for the project's own data files (labelled sets, calibration records)."""
    return yaml.safe_dump(doc, **options)


def dump_sidecar(meta: dict) -> bytes:
    """A source sidecar's YAML (UTF-8): block style, Unicode kept, keys in the order given."""
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")
