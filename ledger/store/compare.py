"""Cross-source comparison: which facts independent sources agree on, which
they contradict, which changed over time, and which rest on one source.

What it keeps, and keeps current after every write (``refresh`` runs from
``ensure_shape``, which every writer calls inside its transaction):

* ``entities`` / ``entity_aliases``: the entity table read from
  ``entities.yml`` (reloaded when the file changes);
* ``claim_values``: one row per claim with its value normalised by kind
  (date, quantity, title, entity, text) beside the raw value, the time the
  fact is about (``time_start``/``time_end``, from ``valid_from``/``valid_to``
  or ``as_of``, else the source's publication date, with ``time_basis``
  saying which), and the fact group it falls in;
* ``source_independence``: which sources count as one (same publisher, or a
  near-duplicate text, i.e. a syndicated copy);
* ``facts``: one row per fact group with its classification.

Grouping. A claim's *topic* is (subject entity, predicate). Predicates have
a profile (``PROFILES``): its value kind, whether a subject has one value at
a time (``one``: seating_capacity) or many (``many``: title, meeting, said),
and whether the fact is a lasting ``state`` or an ``event``.

* ``one``: the topic's claims are split into time clusters (claims whose
  times overlap); a cluster is a fact group. Two values in one cluster are a
  **conflict**; different values in clusters that do not overlap are a
  **change over time**.
* ``many``: each distinct value is its own fact group (a second title is not
  a contradiction); a state value whose time overlaps none of the topic's
  other values' is a **change over time** (Prime Minister in 2021, President
  of the Senate in 2024).

A ``state`` claim dated by a single day or month (its ``as_of``, or its
source's publication date) is taken to hold for ``STATE_WINDOW_DAYS`` either
side: a stadium's capacity reported on 2021-12-01 and on 2022-03-10 is the
same fact, a title held in 2021-09 and another in 2024-12 are not.

Values agree when their normalised forms are equal; numbers when
``|a - b| <= tolerance * max(|a|, |b|)`` and their units (where both say
one) are equal; a month- or year-precision date agrees with a day inside it.

Independence. Sources with the same publisher, or whose texts are
near-duplicates (sampled 5-word shingles: at least ``DUPLICATE_CONTAINMENT``
of the shorter text's shingles found in the other), form one independence
group and count once. A fact group is **corroborated** when at least two
independence groups state its value, and **single-source** otherwise; every
claim says whether it was counted and, if not, why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zlib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from sqlite_utils import Database

from ledger.core.entities import Entities, default_path
from ledger.core.localized import normalize_date_in, normalize_quantity_in
from ledger.core.normalize import fold_name, fold_text, normalize_date, normalize_title
from ledger.core import originators
from ledger.core import predicates
from ledger.core.predicates import Profile
from ledger.store import facet_counts

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
        post, org = predicates.split_title(raw, profiles(), entities.key)
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


# ------------------------------------------------------------------ independence of sources


def shingles(text: str) -> set[int]:
    """Sampled hashes of the text's 5-word shingles (all of them for short texts)."""
    words = re.findall(r"\w+", fold_text(text).casefold())
    if len(words) < SHINGLE_WORDS:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    hashes = {zlib.crc32(" ".join(words[i : i + SHINGLE_WORDS]).encode()) for i in range(len(words) - SHINGLE_WORDS + 1)}
    if len(hashes) >= 80:
        hashes = {h for h in hashes if h % SHINGLE_SAMPLE == 0}
    return hashes


_QUOTED = re.compile(r"[“\"][^”\"\n]{0,2000}[”\"]")


def narration_shingles(text: str) -> set[str]:
    """The text's 5-word runs of its own narration: outside quotation marks (two outlets quoting one
    speaker are not copies of each other) and with at most two capitalised words (official titles and
    names, which independent reports spell out alike, are left out)."""
    words = re.findall(r"\w+|\|", _QUOTED.sub(" | ", fold_text(text)))
    out = set()
    for i in range(len(words) - SHINGLE_WORDS + 1):
        run = words[i : i + SHINGLE_WORDS]
        if "|" in run or sum(w[0].isupper() for w in run) > 2:
            continue
        out.add(" ".join(w.casefold() for w in run))
    return out


def _publisher_key(publisher: str | None, entities: _EntityIndex) -> str | None:
    if not publisher or not publisher.strip():
        return None
    e = entities.get(publisher)
    return e[0] if e else fold_name(publisher)


def _originator(text: str, entities: _EntityIndex) -> tuple[str | None, str | None]:
    """(key, note) of where a text came from (ledger/originators.py)."""
    got = originators.detect(text, entities.agency, fold_name)
    if got is None:
        return None, None
    key, name, how = got
    return key, f"{name}, from its {how}"


def _fingerprint_new_sources(db: Database, since_rowid: int, entities: _EntityIndex | None = None) -> tuple[int, bool]:
    """Shingle the sources added since ``since_rowid`` and record the
    near-duplicate pairs they form; returns (new high-water rowid, any added).

    Streams: texts are read a few hundred at a time and their shingles go
    straight into ``source_shingles`` (and a temporary table of the new
    ones); the pairs sharing shingles are then counted by SQLite. A 100k-source
    build held every text and every shingle in memory before (2 GB)."""
    # shingles name their source by its rowid (sources are append-only, so it
    # is stable): 12 bytes a row where the 64-character id took 80 (m141)
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS compare_new_shingles "
        "(hash INTEGER NOT NULL, source INTEGER NOT NULL, PRIMARY KEY (hash, source)) WITHOUT ROWID"
    )
    db.execute("DELETE FROM temp.compare_new_shingles")
    last = since_rowid
    cur = db.conn.execute("SELECT rowid, id, text FROM sources WHERE rowid > ? ORDER BY rowid", [since_rowid])
    while True:
        batch = cur.fetchmany(256)
        if not batch:
            break
        pairs, sizes = [], []
        for rowid, sid, text in batch:
            hs = shingles(text)
            pairs.extend((h, rowid) for h in hs)
            sizes.append((sid, len(hs), *(_originator(text, entities) if entities is not None else (None, None))))
            last = rowid
        db.conn.executemany("INSERT OR IGNORE INTO source_shingles (hash, source) VALUES (?, ?)", pairs)
        db.conn.executemany("INSERT OR IGNORE INTO temp.compare_new_shingles (hash, source) VALUES (?, ?)", pairs)
        db.conn.executemany(
            "INSERT OR REPLACE INTO source_fingerprints (source_id, shingles, originator, originator_note) VALUES (?, ?, ?, ?)",
            sizes,
        )
    if last == since_rowid:
        return since_rowid, False
    # each new source against every other source sharing at least two of its
    # shingles, leaving out boilerplate (a shingle in more than
    # COMMON_SHINGLE_SOURCES sources); a pair is a near-duplicate when the
    # shared shingles are at least DUPLICATE_CONTAINMENT of the smaller text's
    found = db.execute(
        """
        WITH common AS (
          SELECT h.hash FROM (SELECT DISTINCT hash FROM temp.compare_new_shingles) h
          WHERE (SELECT count(*) FROM (SELECT 1 FROM source_shingles s WHERE s.hash = h.hash LIMIT :limit + 1)) > :limit
        ),
        shared AS (
          SELECT sa.id AS a, sb.id AS b, x.n
          FROM (
            SELECT n.source AS a, s.source AS b, count(*) AS n
            FROM temp.compare_new_shingles n JOIN source_shingles s ON s.hash = n.hash AND s.source != n.source
            WHERE n.hash NOT IN (SELECT hash FROM common)
            GROUP BY n.source, s.source HAVING count(*) >= 2
          ) x JOIN sources sa ON sa.rowid = x.a JOIN sources sb ON sb.rowid = x.b
        )
        SELECT min(a, b), max(a, b), n, min(fa.shingles, fb.shingles) AS smaller
        FROM shared JOIN source_fingerprints fa ON fa.source_id = a JOIN source_fingerprints fb ON fb.source_id = b
        WHERE min(fa.shingles, fb.shingles) > 0
          AND (n >= :containment * min(fa.shingles, fb.shingles) OR n >= :rewrite)
        """,
        {"limit": COMMON_SHINGLE_SOURCES, "containment": DUPLICATE_CONTAINMENT, "rewrite": REWRITE_CANDIDATE_SHINGLES},
    ).fetchall()
    dups = set()
    for a, b, n, smaller in found:
        if n >= DUPLICATE_CONTAINMENT * smaller:
            dups.add((a, b, round(n / smaller, 3)))
            continue
        # a light rewrite keeps long runs of the story's own narration word for word (issue 16): it is a copy
        ta, tb = (db.execute("SELECT text FROM sources WHERE id = ?", [x]).fetchone()[0] for x in (a, b))
        if len(narration_shingles(ta) & narration_shingles(tb)) >= REWRITE_NARRATION_SHINGLES:
            dups.add((a, b, round(n / smaller, 3)))
    db.conn.executemany(
        "INSERT OR REPLACE INTO source_duplicates (source_a, source_b, containment) VALUES (?, ?, ?)",
        sorted(dups),
    )
    db.execute("DELETE FROM temp.compare_new_shingles")
    return last, True


def _recompute_independence(db: Database, entities: _EntityIndex) -> set[str]:
    """Union sources by publisher and by near-duplicate text; store each
    source's group; return the ids of sources whose group changed."""
    rows = db.execute(
        "SELECT s.id, s.slug, s.publisher, s.published, f.originator, f.originator_note "
        "FROM sources s LEFT JOIN source_fingerprints f ON f.source_id = s.id ORDER BY s.published, s.slug"
    ).fetchall()
    parent = {r[0]: r[0] for r in rows}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    by_pub: dict[str, str] = {}
    pub_of = {}
    orig_of = {}
    for sid, slug, publisher, _, originator, originator_note in rows:
        pub_of[sid] = _publisher_key(publisher, entities)
        orig_of[sid] = (originator, originator_note)
        # a story counts once per originator (a wire service, an official readout) whoever carries it;
        # a source with none counts once per publisher
        key = ("originator:" + originator) if originator else pub_of[sid]
        if key is not None:
            if key in by_pub:
                union(by_pub[key], sid)
            else:
                by_pub[key] = sid
    dup_of: dict[str, tuple[str, float]] = {}
    order = {r[0]: i for i, r in enumerate(rows)}
    for a, b, c in db.execute("SELECT source_a, source_b, containment FROM source_duplicates"):
        if a in parent and b in parent:
            union(a, b)
            first, second = (a, b) if order[a] <= order[b] else (b, a)
            if second not in dup_of or order[dup_of[second][0]] > order[first]:
                dup_of[second] = (first, c)
    slug_of = {r[0]: r[1] for r in rows}
    members: dict[str, list[str]] = defaultdict(list)
    for sid in parent:
        members[find(sid)].append(sid)
    new_rows = []
    for root, sids in members.items():
        pubs = sorted({("originator:" + orig_of[s][0]) if orig_of[s][0] else pub_of[s] for s in sids} - {None})
        key = "+".join(pubs) if pubs else "source:" + min(slug_of[s] for s in sids)
        for s in sids:
            d = dup_of.get(s)
            new_rows.append((s, slug_of[s], pub_of[s], key, d[0] if d else None, d[1] if d else None, *orig_of[s]))
    held = {r[0]: r[3] for r in db.execute("SELECT source_id, slug, publisher_key, independence_key FROM source_independence")}
    changed = {r[0] for r in new_rows if held.get(r[0]) != r[3]}
    db.execute("DELETE FROM source_independence")
    db.conn.executemany(
        "INSERT INTO source_independence (source_id, slug, publisher_key, independence_key, duplicate_of, containment, "
        "originator, originator_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        new_rows,
    )
    return changed


# ------------------------------------------------------------------ classification


def _d(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _window(m: dict, prof: Profile) -> tuple[dt.date, dt.date]:
    lo, hi = dt.date.min, dt.date.max
    s, e = _d(m["time_start"]), _d(m["time_end"])
    if s is None and e is None:
        return lo, hi
    s, e = s or lo, e or hi
    if prof.stability == "stable" and m["time_basis"] in ("as_of", "published"):
        return lo, hi  # the same at every date, unless a claim dates it (valid_from / valid_to)
    if prof.stability == "event" and m["time_basis"] == "published":
        return lo, hi  # a report's date is not its event's: the event's time is unknown
    if prof.temporal == "state" and m["time_basis"] in ("as_of", "published") and m["time_precision"] in ("day", "month"):
        w = dt.timedelta(days=prof.window_days)
        s = s - w if s > lo + w else lo
        e = e + w if e < hi - w else hi
    return s, e


def _clusters(members: list[dict], prof: Profile) -> list[list[dict]]:
    """Members split into groups whose (windowed) times overlap."""
    items = sorted(((m.get("_w") or _window(m, prof), m) for m in members), key=lambda t: (t[0][0], t[0][1], t[1]["claim_id"]))
    out: list[list[dict]] = []
    cur_end = None
    for (s, e), m in items:
        if out and s <= cur_end:
            out[-1].append(m)
            cur_end = max(cur_end, e)
        else:
            out.append([m])
            cur_end = e
    return out


def _value_groups(members: list[dict], prof: Profile) -> list[list[dict]]:
    """Members split by value: equal normalised values; numbers within the
    tolerance; a coarser date joined to the single finer date inside it."""
    if prof.kind == "quantity":
        nums = sorted((m for m in members if m["value_num"] is not None), key=lambda m: (m["unit"] or "", m["value_num"]))
        groups: list[list[dict]] = []
        for m in nums:
            g = groups[-1] if groups else None
            if g is not None:
                first = g[0]
                same_unit = not first["unit"] or not m["unit"] or first["unit"] == m["unit"]
                close = abs(m["value_num"] - first["value_num"]) <= _tolerance(prof, g + [m]) * max(abs(m["value_num"]), abs(first["value_num"]))
                if same_unit and close:
                    g.append(m)
                    continue
            groups.append([m])
        # a value without a unit joins the group of the same number with one
        merged: list[list[dict]] = []
        for g in groups:
            target = next(
                (h for h in merged if abs(h[0]["value_num"] - g[0]["value_num"]) <= _tolerance(prof, h + g) * max(abs(h[0]["value_num"]), abs(g[0]["value_num"]))
                 and (not h[0]["unit"] or not g[0]["unit"])),
                None,
            )
            if target is not None:
                target.extend(g)
            else:
                merged.append(g)
        rest = [m for m in members if m["value_num"] is None]
        by_text: dict[str, list[dict]] = defaultdict(list)
        for m in rest:
            by_text[m["value_norm"]].append(m)
        return merged + list(by_text.values())
    by_norm: dict[str, list[dict]] = defaultdict(list)
    for m in members:
        by_norm[m["value_norm"]].append(m)
    groups = list(by_norm.values())
    if prof.kind == "entity" and len(groups) > 1:
        groups = _containment_groups(groups)
    if prof.kind == "date" and len(groups) > 1:
        rank = {"day": 0, "month": 1, "year": 2, None: 3}

        def width(g):  # days a date covers: a range ("the week of June 9", "June 2-4") is wider than a day in it
            d0, d1 = g[0]["date_start"], g[0]["date_end"]
            return (dt.date.fromisoformat(d1[:10]) - dt.date.fromisoformat(d0[:10])).days if d0 and d1 else 0

        groups.sort(key=lambda g: (rank[g[0]["date_precision"]], width(g)))
        kept: list[list[dict]] = []
        for g in groups:
            g0 = g[0]
            inside = [
                h for h in kept
                if g0["date_start"] and h[0]["date_start"]
                and (rank[g0["date_precision"]] > rank[h[0]["date_precision"]] or width(g) > width(h))
                and g0["date_start"] <= h[0]["date_start"] and h[0]["date_end"] <= g0["date_end"]
            ]
            if len(inside) == 1:
                inside[0].extend(g)
            else:
                kept.append(g)
        groups = kept
    return groups


def _tolerance(prof: Profile, ms: list[dict]) -> float:
    """The profile's tolerance, or its wider one when a figure is rounded ("about", "some")."""
    if any("approximate" in (m.get("flags") or "") for m in ms):
        return prof.approximate_tolerance
    return prof.tolerance


def _containment_groups(groups: list[list[dict]]) -> list[list[dict]]:
    """Places that lie inside one another agree: a commune joins its
    district's group when the district's is the only group it lies in."""
    def chain(g):
        return next((m.get("scope") for m in g if m.get("scope")), None)

    groups = sorted(groups, key=lambda g: (len((chain(g) or "").split(">")), _display_value(g)))
    kept: list[list[dict]] = []
    for g in groups:
        c = chain(g)
        if c:
            around = [h for h in kept if chain(h) and (c + ">").startswith(chain(h) + ">")]
            if len(around) == 1:
                around[0].extend(g)
                continue
        kept.append(g)
    return kept


def _display_value(g: list[dict]) -> str:
    return g[0]["value_norm"]


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _earliest_first(g: list[dict], src: dict) -> list[dict]:
    return sorted(g, key=lambda m: (src[m["source_id"]]["published"] or "", src[m["source_id"]]["slug"], m["claim_id"]))


def _fact_key(topic: str, discriminator: str) -> str:
    return "f" + hashlib.sha256(f"{topic}\x1f{discriminator}".encode()).hexdigest()[:16]


def _count_independent(group: list[dict], src: dict) -> int:
    """Mark which claims of a value group count (first per independence
    group, earliest source first); returns the number that count."""
    seen: dict[str, dict] = {}
    for m in sorted(group, key=lambda m: (src[m["source_id"]]["published"] or "", src[m["source_id"]]["slug"], m["claim_id"])):
        s = src[m["source_id"]]
        key = s["independence_key"] or "source:" + s["slug"]
        first = seen.get(key)
        if first is None:
            seen[key] = m
            m["counted"], m["independence_note"] = 1, None
            continue
        m["counted"] = 0
        f = src[first["source_id"]]
        if first["source_id"] == m["source_id"]:
            m["independence_note"] = f"same source as claim {first['claim_id']}"
        elif s.get("originator") and s["originator"] == f.get("originator"):
            m["independence_note"] = f"same originator as {f['slug']} ({s['originator_note']}): counted once"
        elif s["duplicate_of"] == first["source_id"] or f["duplicate_of"] == m["source_id"] or (
            s["duplicate_of"] and s["publisher_key"] != f["publisher_key"]
        ):
            dup = src.get(s["duplicate_of"]) if s["duplicate_of"] else f
            m["independence_note"] = (
                f"near-duplicate text of {dup['slug'] if dup else f['slug']} (syndicated copy; "
                f"{(s['containment'] or f['containment'] or 0):.0%} of shingles shared): counted once"
            )
        elif s["publisher_key"] and s["publisher_key"] == f["publisher_key"]:
            m["independence_note"] = f"same publisher as {f['slug']} ({s['publisher'] or s['publisher_key']}): counted once"
        else:
            m["independence_note"] = f"in one independence group with {f['slug']} ({key}): counted once"
    return len(seen)


def _title_units(members: list[dict], prof: Profile) -> list[tuple[str, list[dict], list[list[dict]]]]:
    """A person's titles, per organisation: the posts of one rank ladder
    (predicates.yml `titles`) form one unit, split by time, whose different
    posts conflict; any other post is its own unit. A title naming no
    organisation joins the one organisation where the person holds that post."""
    profs = profiles()
    parsed = []
    for m in members:
        org, _, post = (m.get("scope") or "|").partition("|")
        parsed.append((org or None, post or m["value_norm"], m))
    orgs_of_post: dict[str, set] = defaultdict(set)
    for org, post, _ in parsed:
        if org:
            orgs_of_post[post].add(org)
    buckets: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for org, post, m in parsed:
        if org is None and len(orgs_of_post.get(post, ())) == 1:
            org = next(iter(orgs_of_post[post]))
        ladder = profs.ladders.get(post)
        key = (org or "", f"ladder:{ladder}" if ladder is not None and org else f"post:{post}")
        m["_post"] = post
        buckets[key].append(m)
    units = []
    for (org, what), ms in sorted(buckets.items()):
        clusters: list[list[dict]] = []
        for cluster in _clusters(ms, prof):
            # the same post reported again later, with no other post between: still held
            if clusters and {m["_post"] for m in clusters[-1]} == {m["_post"] for m in cluster}:
                clusters[-1].extend(cluster)
            else:
                clusters.append(cluster)
        for cluster in clusters:
            by_post: dict[str, list[dict]] = defaultdict(list)
            for m in cluster:
                by_post[m["_post"]].append(m)
            s0, e0 = min(m["_w"][0] for m in cluster), max(m["_w"][1] for m in cluster)
            units.append((f"{org}|{what}@{s0}..{e0}", cluster, list(by_post.values())))
    return units


def classify_topic(topic: str, members: list[dict], src: dict) -> tuple[list[dict], list[dict]]:
    """Classify one topic's active claims; returns (fact rows, member
    updates). ``src`` maps source id -> its slug, publisher, published and
    independence group."""
    prof = profile(members[0]["predicate"])
    for m in members:
        m["_w"] = _window(m, prof)
    facts: list[dict] = []
    units: list[tuple[str, list[dict], list[list[dict]]]] = []  # (discriminator, members, value groups)
    scoped = prof.kind == "title" and any(m.get("scope") for m in members)
    if scoped:
        units = _title_units(members, prof)
    elif prof.cardinality == "one":
        for cluster in _clusters(members, prof):
            disc = f"{min(m['_w'][0] for m in cluster)}..{max(m['_w'][1] for m in cluster)}"
            units.append((disc, cluster, _value_groups(cluster, prof)))
    else:
        for g in _value_groups(members, prof):
            if prof.stability == "event" and prof.kind != "date":
                # the same place or person at times that do not overlap is another event
                for cluster in _clusters(g, prof):
                    s0, e0 = min(m["_w"][0] for m in cluster), max(m["_w"][1] for m in cluster)
                    disc = "value:" + _display_value(g) + ("" if (s0, e0) == (dt.date.min, dt.date.max) else f"@{s0}..{e0}")
                    units.append((disc, cluster, [cluster]))
            else:
                units.append(("value:" + _display_value(g), g, [g]))
    # change over time: values that differ between units whose times do not overlap
    spans = []
    for _, ms, groups in units:
        vals = {m["_post"] for m in ms} if scoped else {_display_value(g) for g in groups}
        spans.append((min(m["_w"][0] for m in ms), max(m["_w"][1] for m in ms), vals))
    # a title changes within its organisation and rank ladder only
    min_end = min(sp[1] for sp in spans)
    max_start = max(sp[0] for sp in spans)
    subject = members[0]["subject_entity"] or members[0]["subject_raw"]
    for i, (disc, ms, groups) in enumerate(units):
        key = _fact_key(topic, disc)
        s0, e0, vals = spans[i]
        changed = False
        if prof.temporal == "state" and (min_end < s0 or max_start > e0):
            # some unit lies wholly before or after this one: a change if its values differ
            changed = any(
                (e < s0 or s > e0) and other != vals for j, (s, e, other) in enumerate(spans)
            )
        values = []
        for gi, g in enumerate(sorted(groups, key=lambda g: (-len(g), _display_value(g)))):
            n_ind = _count_independent(g, src)
            for m in g:
                m["fact_key"], m["value_group"] = key, gi
            values.append(
                {
                    "value": _display_value(g),
                    "raw": [m["value_raw"] for m in _earliest_first(g, src)][:1]
                    + sorted({m["value_raw"] for m in g} - {_earliest_first(g, src)[0]["value_raw"]}),
                    "claims": len(g),
                    "sources": len({m["source_id"] for m in g}),
                    "independent_sources": n_ind,
                }
            )
        if len(groups) > 1:
            status, support = "conflicting", None
        else:
            support = "corroborated" if values[0]["independent_sources"] >= 2 else "single-source"
            status = "change-over-time" if changed else support
        times = [(m["time_start"], m["time_end"]) for m in ms]
        starts = [t[0] for t in times if t[0]]
        ends = [t[1] for t in times if t[1]]
        timeline = None
        if changed:
            # as the claims date them (the comparison window is wider for states)
            timeline = []
            for (_, ums, _), (ws, _, v) in sorted(zip(units, spans), key=lambda t: (t[1][0], sorted(t[1][2]))):
                ts = [m["time_start"] for m in ums if m["time_start"]]
                te = [m["time_end"] for m in ums if m["time_end"]]
                timeline.append({"from": min(ts) if ts else None, "to": max(te) if te else None, "values": sorted(v)})
        indep_keys = {src[m["source_id"]]["independence_key"] for m in ms}
        facts.append(
            {
                "fact_key": key,
                "topic": topic,
                "subject_key": members[0]["subject_key"],
                "subject": subject,
                "predicate": members[0]["predicate"],
                "kind": prof.kind,
                "cardinality": prof.cardinality,
                "time_start": min(starts) if starts else None,
                "time_end": max(ends) if ends else None,
                "status": status,
                "support": support,
                "value": values[0]["raw"][0] if len(groups) == 1 else None,
                "value_norm": values[0]["value"] if len(groups) == 1 else None,
                "value_count": len(groups),
                "claim_count": len(ms),
                "source_count": len({m["source_id"] for m in ms}),
                "independent_count": len(indep_keys),
                "values_json": _JSON.encode(values),
                "timeline_json": _JSON.encode(timeline) if timeline else None,
                "rule": rule_text(prof),
            }
        )
    return facts, members


# ------------------------------------------------------------------ keeping it current


def _get_state(db: Database, key: str, default=None):
    row = db.execute("SELECT value FROM compare_state WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def _set_state(db: Database, key: str, value) -> None:
    db.execute("INSERT OR REPLACE INTO compare_state (key, value) VALUES (?, ?)", [key, str(value)])


_CV_COLUMNS = (
    "claim_id", "topic", "subject_key", "subject_entity", "predicate", "kind", "value_raw", "value_norm", "value_num",
    "unit", "counts", "date_start", "date_end", "date_precision", "time_start", "time_end", "time_basis",
    "time_precision", "flags", "active", "scope", "fact_key", "value_group", "counted", "independence_note",
)
_CV_HELD = 21  # the columns up to "scope": what a claim's row holds before it is classified
_FACT_COLUMNS = (
    "fact_key", "topic", "subject_key", "subject", "predicate", "kind", "cardinality", "time_start", "time_end", "status",
    "support", "value", "value_norm", "value_count", "claim_count", "source_count", "independent_count", "values_json",
    "timeline_json", "rule",
)
_CLAIM_SELECT = (
    "SELECT c.rowid, c.id, c.source_id, c.subject, c.predicate, c.value, c.as_of, c.valid_from, c.valid_to, c.status, "
    "s.published, s.language FROM claims c LEFT JOIN sources s ON s.id = c.source_id"
)


def _has_tables(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claim_values'").fetchone() is not None


def refresh(db: Database, *, entities_path: str | Path | None = None, full: bool = False) -> dict:
    """Bring the comparison tables up to date with the claims and sources;
    call inside the write transaction that changed them (``ensure_shape``
    does). Recomputes only the topics the new or changed claims touch,
    unless the entity file or source independence changed. Returns counts."""
    if not _has_tables(db):
        return {}
    stats = {"claims": 0, "topics": 0, "entities_reloaded": False}
    path = Path(entities_path) if entities_path else default_path()
    if path is not None and path.exists():
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != _get_state(db, "entities_digest"):
            load_entities_into(db, Entities.load(path))
            stats["entities_reloaded"] = True
            full = True
    global _PROFILES
    _PROFILES = predicates.current()
    if _PROFILES.digest != _get_state(db, "profiles_digest"):
        _set_state(db, "profiles_digest", _PROFILES.digest)
        full = True
    index = _EntityIndex(db)
    if stats["entities_reloaded"]:
        _set_state(db, "sources_rowid", 0)  # originators are names in the entity table: detect them again
        db.execute("DELETE FROM source_duplicates")
    src_rowid = int(_get_state(db, "sources_rowid", 0))
    new_src_rowid, sources_added = _fingerprint_new_sources(db, src_rowid, index)
    changed_sources: set[str] = set()
    if sources_added or full:
        changed_sources = _recompute_independence(db, index)
        _set_state(db, "sources_rowid", new_src_rowid)
    claims_rowid = 0 if full else int(_get_state(db, "claims_rowid", 0))
    # corrections recorded as events (issue 5's claim_events: superseded, retracted, ...)
    has_events = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claim_events'").fetchone()
    events_rowid = int(_get_state(db, "events_rowid", 0))
    event_status: dict[str, str] = {}
    if has_events:
        since = 0 if full else events_rowid
        for rowid, cid, st in db.execute(
            "SELECT rowid, claim_id, status FROM claim_events WHERE rowid > ? ORDER BY rowid", [since]
        ):
            event_status[cid] = st
            events_rowid = max(events_rowid, rowid)
    if full:
        db.execute("DELETE FROM claim_values")
        db.execute("DELETE FROM facts")
        facet_counts.forget_facts(db)
    names = ["rowid", "id", "source_id", "subject", "predicate", "value", "as_of", "valid_from", "valid_to", "status", "published", "language"]
    src_cache: dict[str, dict] = {}
    # claims with new events (claims are append-only: an event is the only
    # change an older claim sees): their rows are recomputed; claims added
    # since the last refresh follow
    dirty_ids = [] if full else sorted(event_status)
    changed_rows: list[dict] = []
    dirty_topics: set[str] = set()
    if dirty_ids:
        for i in range(0, len(dirty_ids), 500):
            chunk = dirty_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            # their old rows go with their topics' rows in _reclassify
            dirty_topics.update(r[0] for r in db.execute(f"SELECT topic FROM claim_values WHERE claim_id IN ({marks})", chunk))
            for r in db.execute(_CLAIM_SELECT + f" WHERE c.id IN ({marks}) AND c.rowid <= ?", [*chunk, claims_rowid]):
                c = dict(zip(names, r))
                if has_events:
                    latest = db.execute(
                        "SELECT status FROM claim_events WHERE claim_id = ? ORDER BY rowid DESC LIMIT 1", [c["id"]]
                    ).fetchone()
                    if latest:
                        c["status"] = latest[0]
                row = claim_value_row(c, c["published"], index)
                row["source_id"], row["subject_raw"] = c["source_id"], c["subject"]
                changed_rows.append(row)
                dirty_topics.add(row["topic"])
    if changed_sources and not full:
        ids = sorted(changed_sources)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT DISTINCT v.topic FROM claims c JOIN claim_values v ON v.claim_id = c.id WHERE c.source_id IN ({','.join('?' * len(chunk))})"
            dirty_topics.update(r[0] for r in db.execute(q, chunk))
    stats["claims"] = len(changed_rows)
    stats["topics"] = len(dirty_topics)
    if dirty_topics:
        _reclassify(db, dirty_topics, changed_rows, src_cache)
    # claims added since the last refresh, in two passes so that a million
    # new claims are neither held in memory nor any topic classified twice:
    # 1. each new claim's row goes into a temporary table, REFRESH_BATCH at a time;
    # 2. the topics they touch are classified once each, in runs of about
    #    REFRESH_BATCH new rows, with the rows the ledger already holds for them.
    cols = _CV_COLUMNS[:_CV_HELD] + ("source_id", "subject_raw")
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS compare_new_values ({', '.join(cols)})")
    db.execute("CREATE INDEX IF NOT EXISTS temp.compare_new_values_topic ON compare_new_values (topic)")
    db.execute("DELETE FROM temp.compare_new_values")
    insert_new = f"INSERT INTO temp.compare_new_values VALUES ({', '.join('?' * len(cols))})"
    max_rowid = claims_rowid
    cur = db.conn.execute(_CLAIM_SELECT + " WHERE c.rowid > ? ORDER BY c.rowid", [claims_rowid])
    while True:
        batch = cur.fetchmany(REFRESH_BATCH)
        if not batch:
            break
        max_rowid = batch[-1][0]
        rows = []
        for r in batch:
            c = dict(zip(names, r))
            if c["id"] in event_status:
                c["status"] = event_status[c["id"]]
            row = claim_value_row(c, c["published"], index)
            row["source_id"], row["subject_raw"] = c["source_id"], c["subject"]
            rows.append(tuple(row.get(k) for k in cols))
        db.conn.executemany(insert_new, rows)
        stats["claims"] += len(rows)
    run: list[str] = []
    size = 0
    topic_cur = db.conn.execute("SELECT topic, count(*) FROM temp.compare_new_values GROUP BY topic ORDER BY topic")
    while True:
        got = topic_cur.fetchmany(1000)
        for topic, n in got:
            run.append(topic)
            size += n
        if run and (size >= REFRESH_BATCH or not got):
            new_rows = []
            for i in range(0, len(run), 500):
                chunk = run[i : i + 500]
                q = f"SELECT * FROM temp.compare_new_values WHERE topic IN ({','.join('?' * len(chunk))})"
                new_rows.extend(dict(zip(cols, r)) for r in db.execute(q, chunk))
            stats["topics"] += len(run)
            _reclassify(db, set(run), new_rows, src_cache)
            run, size = [], 0
        if not got:
            break
    db.execute("DELETE FROM temp.compare_new_values")
    _set_state(db, "claims_rowid", max_rowid)
    _set_state(db, "events_rowid", events_rowid)
    return stats


_SOURCE_INFO = (
    "SELECT s.id, s.slug, s.publisher, s.published, i.publisher_key, i.independence_key, i.duplicate_of, i.containment, "
    "i.originator, i.originator_note "
    "FROM sources s LEFT JOIN source_independence i ON i.source_id = s.id"
)


def _source_info(db: Database, ids: set[str], cache: dict | None = None) -> dict:
    """Slug, publisher, date and independence group of the given sources
    (and of the sources they are near-duplicates of). ``cache``: a dict kept
    across calls within one refresh (sources do not change during it)."""
    out: dict[str, dict] = {} if cache is None else cache
    if len(out) > 50_000:
        out.clear()

    def load(wanted):
        wanted = sorted(w for w in wanted if w not in out)
        if not wanted:
            return
        for r in db.execute(_SOURCE_INFO + " WHERE s.id IN (SELECT value FROM json_each(?))", [json.dumps(wanted)]):
            out[r[0]] = {"slug": r[1], "publisher": r[2], "published": r[3], "publisher_key": r[4],
                         "independence_key": r[5], "duplicate_of": r[6], "containment": r[7], "originator": r[8],
                         "originator_note": r[9]}

    load(ids)
    more = {v["duplicate_of"] for v in out.values() if v["duplicate_of"] and v["duplicate_of"] not in out}
    if more:
        load(more)
    return out


def _reclassify(db: Database, topics: set[str], new_rows: list[dict], src_cache: dict | None = None) -> None:
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for r in new_rows:
        by_topic[r["topic"]].append(r)
    new_ids = {r["claim_id"] for r in new_rows}
    held_any = db.execute("SELECT 1 FROM claim_values LIMIT 1").fetchone() is not None
    if held_any:
        tl = sorted(topics)
        cols = ", ".join(f"v.{c}" for c in _CV_COLUMNS[:_CV_HELD])
        for i in range(0, len(tl), 500):
            chunk = tl[i : i + 500]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT {cols}, c.source_id, c.subject FROM claim_values v JOIN claims c ON c.id = v.claim_id WHERE v.topic IN ({marks})"
            for r in db.execute(q, chunk):
                row = dict(zip(_CV_COLUMNS[:_CV_HELD] + ("source_id", "subject_raw"), r))
                if row["claim_id"] not in new_ids:
                    by_topic[row["topic"]].append(row)
            facet_counts.count_topics(db, chunk, -1)  # the counts of the rows about to go
            db.execute(f"DELETE FROM claim_values WHERE topic IN ({marks})", chunk)
            db.execute(f"DELETE FROM facts WHERE topic IN ({marks})", chunk)
    src = _source_info(db, {m["source_id"] for ms in by_topic.values() for m in ms}, src_cache)
    fact_rows: list[tuple] = []
    value_rows: list[tuple] = []
    for topic, members in by_topic.items():
        active = [m for m in members if m["active"] and m["source_id"] in src]
        for m in members:
            m.setdefault("fact_key", None)
            m.setdefault("value_group", None)
            m.setdefault("counted", None)
            m.setdefault("independence_note", None)
            if not m["active"]:
                m["fact_key"] = m["value_group"] = m["counted"] = m["independence_note"] = None
        if active:
            facts, _ = classify_topic(topic, active, src)
            fact_rows.extend(tuple(f[c] for c in _FACT_COLUMNS) for f in facts)
        value_rows.extend(tuple(m.get(c) for c in _CV_COLUMNS) for m in members)
    db.conn.executemany(
        f"INSERT INTO claim_values ({', '.join(_CV_COLUMNS)}) VALUES ({', '.join('?' * len(_CV_COLUMNS))})", value_rows
    )
    db.conn.executemany(
        f"INSERT INTO facts ({', '.join(_FACT_COLUMNS)}) VALUES ({', '.join('?' * len(_FACT_COLUMNS))})", fact_rows
    )
    facet_counts.count_topics(db, set(topics) | set(by_topic), 1)


def is_stale(db: Database) -> bool:
    """True when claims or sources were written without the comparison
    tables being brought up to date (e.g. by a writer that skipped
    ``ensure_shape``)."""
    if not _has_tables(db):
        return False
    max_claim = db.execute("SELECT coalesce(max(rowid), 0) FROM claims").fetchone()[0]
    max_source = db.execute("SELECT coalesce(max(rowid), 0) FROM sources").fetchone()[0]
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claim_events'").fetchone():
        max_event = db.execute("SELECT coalesce(max(rowid), 0) FROM claim_events").fetchone()[0]
        if max_event > int(_get_state(db, "events_rowid", 0)):
            return True
    if predicates.current().digest != _get_state(db, "profiles_digest"):
        return True
    return (
        max_claim > int(_get_state(db, "claims_rowid", 0))
        or max_source > int(_get_state(db, "sources_rowid", 0))
    )


# ------------------------------------------------------------------ reading


def compare(
    db: Database,
    *,
    subject: str | None = None,
    predicate: str | None = None,
    status: str | None = None,
    claim_id: str | None = None,
) -> list[dict]:
    """The fact groups (filtered), each with every claim in it: its value,
    normalised value, span, source, publisher, date, and whether it counted
    as independent. ``subject`` may be any alias of an entity. A list of
    :func:`iter_compare`; use that to stream a large ledger."""
    return list(iter_compare(db, subject=subject, predicate=predicate, status=status, claim_id=claim_id))


# One fact group and its members as one JSON document, built by SQLite (in
# C) from the precomputed tables: reading every group of a million claims is
# then a walk of the facts index plus an index lookup per member, not Python
# work per column (it was 40x a GROUP BY of the claims; see BENCHMARKS.md).
_FACT_JSON_SQL = """
SELECT json_object(
  'fact_key', f.fact_key, 'subject', f.subject, 'predicate', f.predicate, 'status', f.status,
  'support', f.support, 'kind', f.kind, 'time', json_object('start', f.time_start, 'end', f.time_end),
  'value', f.value, 'normalized', f.value_norm, 'values', json(f.values_json),
  'claims', f.claim_count, 'sources', f.source_count, 'independent_sources', f.independent_count,
  'timeline', json(f.timeline_json), 'rule', f.rule,
  'members', (SELECT json_group_array(json(m)) FROM (
    SELECT json_object(
      'claim_id', v.claim_id, 'source', s.slug, 'publisher', s.publisher, 'published', s.published,
      'value', c.value, 'normalized', v.value_norm, 'unit', v.unit,
      'flags', CASE WHEN v.flags IS NULL OR v.flags = '' THEN json('[]')
                    ELSE json('["' || replace(v.flags, ',', '","') || '"]') END,
      'time', json_object('start', v.time_start, 'end', v.time_end, 'basis', v.time_basis),
      'span', json_object('start', c.span_start, 'end', c.span_end, 'text', c.span_text),
      'counted', json(iif(v.counted, 'true', 'false')),
      'independence', v.independence_note
    ) AS m
    FROM claim_values v JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id
    WHERE v.fact_key = f.fact_key))
) FROM facts f"""
_FACT_ORDER = " ORDER BY f.subject, f.predicate, f.time_start, f.fact_key"


def _member_order(m: dict):
    return (m["published"] or "", m["source"], m["span"]["start"], m["claim_id"])


_SUMMARY_SQL = (
    "SELECT f.fact_key, f.subject, f.predicate, f.status, f.support, f.kind, f.time_start, f.time_end, f.value, "
    "f.value_norm, f.value_count, f.claim_count, f.source_count, f.independent_count, "
    "CASE WHEN f.value_count > 1 THEN f.values_json END FROM facts f"
)


def _summary(row: tuple) -> dict:
    key, subject, predicate, status, support, kind, start, end, value, norm, n_values, n_claims, n_sources, n_ind, vj = row
    return {
        "fact_key": key,
        "subject": subject,
        "predicate": predicate,
        "status": status,
        "support": support,
        "kind": kind,
        "time": {"start": start, "end": end},
        "value": value,
        "normalized": norm,
        "values": [v["value"] for v in json.loads(vj)] if vj else [norm],
        "claims": n_claims,
        "sources": n_sources,
        "independent_sources": n_ind,
    }


def iter_compare(
    db: Database,
    *,
    subject: str | None = None,
    predicate: str | None = None,
    status: str | None = None,
    claim_id: str | None = None,
    members: bool = True,
):
    """Yield the fact groups of :func:`compare` one at a time, in the same
    order (subject, predicate, time), holding one group in memory.

    ``members=False`` yields each group's classification only (status, the
    value or the conflicting values, the counts of claims, sources and
    independent sources) from the ``facts`` table, without reading the
    claims: the summary of a whole ledger, at about the cost of a GROUP BY."""
    where, params = [], []
    if subject:
        e = _EntityIndex(db).get(subject)
        if e:
            where.append("f.subject_key = ?")
            params.append(e[0])
        else:
            where.append("(f.subject_key = ? OR f.subject = ? COLLATE NOCASE)")
            params += ["~" + fold_name(subject), subject]
    if predicate:
        where.append("f.predicate = ?")
        params.append(predicate)
    if status:
        if status not in STATUSES:
            from ledger.core.errors import LedgerError

            raise LedgerError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
        where.append("f.status = ?")
        params.append(status)
    if claim_id:
        where.append("f.fact_key = (SELECT fact_key FROM claim_values WHERE claim_id = ?)")
        params.append(claim_id)
    filters = (" WHERE " + " AND ".join(where) if where else "") + _FACT_ORDER
    if not members:
        yield from map(_summary, db.conn.execute(_SUMMARY_SQL + filters, params))
        return
    sql = _FACT_JSON_SQL + filters
    loads = json.loads
    for (doc,) in db.conn.execute(sql, params):
        fact = loads(doc)
        members = fact["members"]
        if len(members) > 1:
            members.sort(key=_member_order)
        yield fact


def _rows(db: Database, sql: str, params):
    cur = db.execute(sql, params)
    cols = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(cols, r))
