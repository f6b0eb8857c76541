"""The comparison's settings and per-claim values: the predicate profiles in force, the rule printed
with a fact group, the entity table, and each claim's normalised value, time and topic."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlite_utils import Database

from ledger.core.entities import Entities
from ledger.core.localized import normalize_date_in, normalize_quantity_in
from ledger.core.normalize import fold_name, fold_text, normalize_date, normalize_title
from ledger.core import predicates
from ledger.core.predicates import Profile

STATE_WINDOW_DAYS = 180
DEFAULT_TOLERANCE = 0.01
DUPLICATE_CONTAINMENT = 0.5
SHINGLE_WORDS = 5
SHINGLE_SAMPLE = 8  # keep shingles whose hash is 0 mod 8 (texts of 80+ shingles)
COMMON_SHINGLE_SOURCES = 50  # a shingle in more sources than this is boilerplate
# a pair sharing this many (sampled) shingles is read in full; it is a copy when it shares at least
# REWRITE_NARRATION_SHINGLES runs of narration (about 20 words of the story's own prose, word for word)
REWRITE_CANDIDATE_SHINGLES = 3
REWRITE_NARRATION_SHINGLES = 15
# statuses whose claims are not compared: not yet reviewed, or withdrawn
REFRESH_BATCH = 10_000  # new claims read, and classified, per step of a refresh
EXCLUDED_STATUSES = ("candidate", "rejected", "superseded", "retracted", "withdrawn", "orphaned")
STATUSES = ("corroborated", "conflicting", "single-source", "change-over-time")


# Profiles live in ledger/predicates.yml (and a ledger's own predicates.yml):
# see ledger/predicates.py. ``refresh`` fixes the profiles in force for its run.
_PROFILES: predicates.Profiles | None = None


def profiles() -> predicates.Profiles:
    global _PROFILES
    if _PROFILES is None:
        _PROFILES = predicates.current()
    return _PROFILES


def profile(predicate: str) -> Profile:
    """The comparison profile of a predicate (ledger/predicates.yml)."""
    return profiles().profile(predicate)


@lru_cache(maxsize=256)
def rule_text(p: Profile) -> str:
    """The rule printed with a fact group: the profile's own sentence (predicates.yml), else one made from it,
    with the numbers the comparison uses."""
    if p.rule:
        parts = [p.rule]
    else:
        parts = [f"{p.kind} values, {'one value at a time' if p.cardinality == 'one' else 'several values may hold at once'}"]
        if p.stability == "stable":
            parts.append("stable: the same at every date unless a claim dates a change")
        elif p.temporal == "state":
            parts.append(f"a state dated by a day or month holds {p.window_days} days either side")
        else:
            parts.append("an event holds at its own time only")
    if p.kind == "quantity":
        parts.append(
            f"numbers agree within {p.tolerance:.0%} (|a-b| <= {p.tolerance} x max), rounded figures within "
            f"{p.approximate_tolerance:.0%}, and units match where both are given"
            + (f" ({', '.join(u for u, _ in p.units)} converted to {p.unit})" if len(p.units) > 1 else "")
        )
    if p.kind == "date" and not p.rule:
        parts.append("a month or year agrees with a day inside it")
    parts.append("the same publisher, one originator or a near-duplicate text counts once")
    return "; ".join(parts)


# ------------------------------------------------------------------ entity table in the database


def load_entities_into(db: Database, entities: Entities) -> None:
    db.execute("DELETE FROM entity_aliases")
    db.execute("DELETE FROM entities")
    db["entities"].insert_all((e.row() for e in entities.entities.values()), batch_size=1000)
    db["entity_aliases"].insert_all(entities.alias_rows(), batch_size=1000)
    _set_state(db, "entities_digest", entities.digest or "")
    _set_state(db, "entities_path", entities.path or "")


class _EntityIndex:
    """alias key -> (entity id, canonical name), and each entity's containing
    entity (``part_of``), read from the database."""

    def __init__(self, db: Database):
        self.by_key = {
            r[0]: (r[1], r[2])
            for r in db.execute(
                "SELECT a.alias_key, e.id, e.name FROM entity_aliases a JOIN entities e ON e.id = a.entity_id"
            )
        }
        self.parent = {r[0]: r[1] for r in db.execute("SELECT id, part_of FROM entities WHERE part_of IS NOT NULL")}
        self.agencies = {r[0] for r in db.execute("SELECT id FROM entities WHERE type = 'agency'")}
        self._title_profiles: predicates.Profiles | None = None
        self._titles: dict[str, tuple[str, str | None]] = {}

    def title(self, raw: str, profs: predicates.Profiles) -> tuple[str, str | None]:
        """``predicates.split_title`` against this table, once per distinct title (the table and the
        profiles hold still through a refresh; a title recurs across many claims)."""
        if profs is not self._title_profiles or len(self._titles) > 100_000:
            self._title_profiles, self._titles = profs, {}
        got = self._titles.get(raw)
        if got is None:
            got = self._titles[raw] = predicates.split_title(raw, profs, self.key)
        return got

    def agency(self, name: str):
        e = self.get(name)
        return e if e and e[0] in self.agencies else None

    def get(self, name: str):
        return self.by_key.get(fold_name(name)) if name else None

    def key(self, name: str) -> str | None:
        e = self.get(name)
        return e[0] if e else None

    def chain(self, entity_id: str) -> str:
        """The entity and the entities it lies in, outermost first: "cambodia>kandal>kien-svay"."""
        out, seen = [entity_id], {entity_id}
        while self.parent.get(out[-1]) and self.parent[out[-1]] not in seen:
            out.append(self.parent[out[-1]])
            seen.add(out[-1])
        return ">".join(reversed(out))


# ------------------------------------------------------------------ per-claim values


def _time_of(claim: dict, published: str | None) -> tuple[str | None, str | None, str, str | None]:
    """(start, end, basis, precision) of the time a claim is about."""
    return _time_of_cached(claim.get("valid_from"), claim.get("valid_to"), claim.get("as_of"), published)


@lru_cache(maxsize=65536)
def _time_of_cached(vf, vt, as_of, published):
    if vf or vt:
        a = normalize_date(vf) if vf else None
        b = normalize_date(vt) if vt else None
        start = a.start if a else None
        end = b.end if b else None
        prec = (a or b).precision if (a or b) else None
        return start, end, "valid_from/valid_to", prec
    if as_of:
        d = normalize_date(as_of)
        if d and d.start:
            return d.start, d.end, "as_of", d.precision
    if published:
        d = normalize_date(published)
        if d and d.start:
            return d.start, d.end, "published", d.precision
    return None, None, "unknown", None


def claim_value_row(claim: dict, published: str | None, entities: _EntityIndex) -> dict:
    """The ``claim_values`` row for one claim (without its fact group)."""
    predicate = claim["predicate"]
    prof = profile(predicate)
    subject = claim["subject"]
    ent = entities.get(subject)
    subject_key = ent[0] if ent else "~" + fold_name(subject)
    raw = claim["value"]
    row = {
        "claim_id": claim["id"],
        "topic": subject_key + "|" + predicate,
        "subject_key": subject_key,
        "subject_entity": ent[1] if ent else None,
        "predicate": predicate,
        "kind": prof.kind,
        "value_raw": raw,
        "value_norm": None,
        "value_num": None,
        "unit": None,
        "counts": None,
        "date_start": None,
        "date_end": None,
        "date_precision": None,
        "flags": None,
        "active": 0 if claim.get("status") in EXCLUDED_STATUSES else 1,
        "scope": None,
    }
    flags: tuple[str, ...] = ()
    if prof.kind == "date":
        d = normalize_date_in(raw, claim.get("language"), published)  # the source's language (issue 20)
        if d is not None and d.start is not None:
            row.update(value_norm=d.normalized, date_start=d.start, date_end=d.end, date_precision=d.precision)
            flags = d.flags
        elif d is not None:
            flags = d.flags
    elif prof.kind == "quantity":
        q = normalize_quantity_in(raw, claim.get("language"), prof.unit)
        if q is not None:
            value, unit, norm = q.value, q.unit, q.normalized
            factor = prof.factor(unit)
            if factor is not None and prof.unit and unit != prof.unit:
                # an equivalent unit for this predicate: compared in the profile's unit
                value, unit = value * factor, prof.unit
                norm = f"{value:g} {unit}"
            elif factor is not None:
                unit = prof.unit or unit
            row.update(value_norm=norm, value_num=value, unit=unit, counts=q.counts)
            flags = q.flags
    elif prof.kind == "title":
        row["value_norm"] = normalize_title(raw)
        post, org = entities.title(raw, profiles())
        row["scope"] = f"{org or ''}|{post}"
    elif prof.kind == "entity":
        e = entities.get(raw)
        row["value_norm"] = e[1] if e else fold_name(raw)
        if e:
            row["scope"] = entities.chain(e[0])
    if row["value_norm"] is None:
        if prof.kind in ("date", "quantity"):
            flags = flags + ("unparsed",)
        row["value_norm"] = _fold_value(raw)
    ts, te, basis, tprec = _time_of(claim, published)
    row.update(time_start=ts, time_end=te, time_basis=basis, time_precision=tprec)
    row["flags"] = ",".join(flags) or None
    return row


def _fold_value(raw: str) -> str:
    t = fold_text(raw).casefold()
    t = re.sub(r"[\"'.,;:!?]+$|^[\"']+", "", t)
    return t.strip()


def _get_state(db: Database, key: str, default=None):
    row = db.execute("SELECT value FROM compare_state WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def _set_state(db: Database, key: str, value) -> None:
    db.execute("INSERT OR REPLACE INTO compare_state (key, value) VALUES (?, ?)", [key, str(value)])
