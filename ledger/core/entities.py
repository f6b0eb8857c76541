"""People, organisations and places, and the names sources use for them.

The entity table lives in ``entities.yml`` at the top of the repository, a
file meant to be reviewed like code: each entry has a canonical ``name``, a
``type`` (person | organisation | place), optional ``country``/``note``, and
``aliases``. Names are matched after ``ledger.core.normalize.fold_name`` (case,
punctuation, a leading "the" and honorifics such as "H.E." do not matter),
so "PRAK Sokhonn", "H.E. PRAK Sokhonn" and "Prak Sokhonn" are one alias.

An alias may name only one entity: a name that could mean two (plain
"Wang" for Wang Yi and Wang Huning) must not be listed, and ``load`` says
so if it is. Context-dependent aliases ("the foreign ministry") carry the
assumption in the entry's ``note``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ledger.core.codec import DuplicateKey, YAMLError, load_unique_keys
from ledger.core.errors import LedgerError
from ledger.core.ids import tagged_sha256
from ledger.core.normalize import fold_name

ENTITY_TYPES = ("person", "organisation", "place", "event", "thing", "agency")  # agency: a wire service or news service others carry (issue 16)
ENV_VAR = "LEDGER_ENTITIES"
FILE_NAME = "entities.yml"
MAX_BYTES = 5 * 1024 * 1024


class InvalidEntities(LedgerError):
    """The entities file cannot be read, or an entry in it is malformed."""


@dataclass
class Entity:
    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    country: str | None = None
    note: str | None = None
    part_of: str | None = None  # the entity this one lies inside (a town in a province), by name

    def row(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type, "country": self.country, "note": self.note,
                "part_of": self.part_of}


def entity_id(name: str) -> str:
    return fold_name(name).replace(" ", "-")


class Entities:
    """The entity table: ``resolve(name)`` gives the canonical name or None."""

    def __init__(self, entities: list[Entity] | None = None, digest: str | None = None, path: str | None = None):
        self.entities: dict[str, Entity] = {}
        self.by_key: dict[str, Entity] = {}
        self.digest = digest
        self.path = path
        for e in entities or []:
            self.add(e)

    def add(self, entity: Entity, where: str = "") -> None:
        if entity.id in self.entities:
            raise InvalidEntities(f"{where}entity {entity.name!r} is listed twice")
        self.entities[entity.id] = entity
        for alias in [entity.name, *entity.aliases]:
            key = fold_name(alias)
            if not key:
                continue
            other = self.by_key.get(key)
            if other is not None and other.id != entity.id:
                raise InvalidEntities(
                    f"{where}alias {alias!r} names both {other.name!r} and {entity.name!r}; "
                    "an alias must name one entity: remove it from one of them"
                )
            self.by_key[key] = entity

    @classmethod
    def load(cls, path: str | Path) -> "Entities":
        """Read an entities file; errors name the file, entry and field."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InvalidEntities(f"{path}: cannot read the entities file: {e.strerror}") from None
        if len(data) > MAX_BYTES:
            raise InvalidEntities(f"{path}: the entities file is larger than {MAX_BYTES} bytes")
        try:
            doc = load_unique_keys(data.decode("utf-8"))
        except DuplicateKey as e:
            raise InvalidEntities(f"{path}: {e}") from None
        except (YAMLError, UnicodeDecodeError) as e:
            raise InvalidEntities(f"{path}: not valid YAML: {e}") from None
        items = doc.get("entities") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise InvalidEntities(f"{path}: expected a mapping with an `entities:` list")
        out = cls(digest=tagged_sha256(data), path=str(path))
        for i, item in enumerate(items, 1):
            where = f"{path}: entity {i}: "
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
                raise InvalidEntities(f"{where}each entity needs a `name` (text)")
            etype = item.get("type")
            if etype not in ENTITY_TYPES:
                raise InvalidEntities(f"{where}`type` must be one of {', '.join(ENTITY_TYPES)}, not {etype!r}")
            aliases = item.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise InvalidEntities(f"{where}`aliases` must be a list of names")
            unknown = set(item) - {"name", "type", "aliases", "country", "note", "id", "part_of"}
            if unknown:
                raise InvalidEntities(f"{where}unknown field(s) {', '.join(sorted(unknown))}")
            name = item["name"].strip()
            out.add(
                Entity(
                    id=str(item.get("id") or entity_id(name)),
                    name=name,
                    type=etype,
                    aliases=[a.strip() for a in aliases],
                    country=item.get("country"),
                    note=item.get("note"),
                    part_of=item.get("part_of"),
                ),
                where,
            )
        for e in out.entities.values():
            if e.part_of is None:
                continue
            parent = out.get(str(e.part_of))
            if parent is None:
                raise InvalidEntities(f"{path}: entity {e.name!r}: `part_of` {e.part_of!r} names no entity in this file")
            e.part_of = parent.id
            seen = {e.id}
            while parent is not None and parent.part_of:
                if parent.id in seen:
                    raise InvalidEntities(f"{path}: entity {e.name!r}: `part_of` goes round in a circle")
                seen.add(parent.id)
                parent = out.entities.get(parent.part_of) or out.get(str(parent.part_of))
        return out

    def get(self, name: str) -> Entity | None:
        return self.by_key.get(fold_name(name)) if name else None

    def resolve(self, name: str) -> str | None:
        """The canonical name for ``name``, or None if no entity has it."""
        e = self.get(name)
        return e.name if e else None

    def alias_rows(self) -> list[dict]:
        rows = []
        for e in self.entities.values():
            seen = set()
            for alias in [e.name, *e.aliases]:
                key = fold_name(alias)
                if key and key not in seen:
                    seen.add(key)
                    rows.append({"alias_key": key, "alias": alias, "entity_id": e.id})
        return rows

    def __len__(self) -> int:
        return len(self.entities)


def default_path(cwd: str | Path | None = None) -> Path | None:
    """Where the entities file is: $LEDGER_ENTITIES, else ./entities.yml, else
    the one at the top of the repository this package was installed from."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path(cwd or Path.cwd()) / FILE_NAME
    if here.exists():
        return here
    repo = Path(__file__).resolve().parents[2] / FILE_NAME
    return repo if repo.exists() else None
