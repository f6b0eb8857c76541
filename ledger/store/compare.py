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

import json
import operator
from collections import defaultdict
from pathlib import Path

from sqlite_utils import Database

from ledger.core.ids import tagged_sha256
from ledger.core.entities import Entities, default_path
from ledger.core.normalize import fold_name
from ledger.core import predicates
from ledger.store import compare_values, facet_counts
from ledger.store.compare_values import (
    REFRESH_BATCH, STATUSES, _EntityIndex, _get_state, _set_state, claim_value_row, load_entities_into,
)
from ledger.store.independence import _fingerprint_new_sources, _recompute_independence
from ledger.store.classify import classify_topic
from ledger.store.views import fact_rule_sql, fact_timeline_sql, fact_values_sql

# ------------------------------------------------------------------ keeping it current


_CV_COLUMNS = (
    "claim_id", "topic", "subject_key", "subject_entity", "predicate", "kind", "value_raw", "value_norm", "value_num",
    "unit", "counts", "date_start", "date_end", "date_precision", "time_start", "time_end", "time_basis",
    "time_precision", "flags", "active", "scope", "fact_key", "value_group", "counted", "independence_note",
)
_CV_HELD = 21  # the columns up to "scope": what a claim's row holds before it is classified
_FACT_COLUMNS = (
    "fact_key", "topic", "subject_key", "subject", "predicate", "kind", "cardinality", "time_start", "time_end", "status",
    "support", "value", "value_norm", "value_count", "claim_count", "source_count", "independent_count", "values_json",
    "timeline",
)
_fact_values = operator.itemgetter(*_FACT_COLUMNS)  # a fact's row as the tuple the INSERT binds
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
        digest = tagged_sha256(path.read_bytes())
        if digest != _get_state(db, "entities_digest"):
            load_entities_into(db, Entities.load(path))
            stats["entities_reloaded"] = True
            full = True
    compare_values._PROFILES = profs = predicates.current()  # the profiles in force for this run
    if profs.digest != _get_state(db, "profiles_digest"):
        _set_state(db, "profiles_digest", profs.digest)
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
        db.execute("DELETE FROM fact_timelines")
        db.execute("DELETE FROM fact_rules")
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
    # 2. the table is read back in topic order (one sort: cheaper than keeping an
    #    index on topic through the inserts), and the topics classified once each,
    #    in runs of whole topics of at least REFRESH_BATCH new rows, with the rows
    #    the ledger already holds for them.
    cols = _CV_COLUMNS[:_CV_HELD] + ("source_id", "subject_raw")
    db.execute(f"CREATE TEMP TABLE IF NOT EXISTS compare_new_values ({', '.join(cols)})")
    db.execute("DROP INDEX IF EXISTS temp.compare_new_values_topic")
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
            rows.append(tuple(map(row.get, cols)))
        db.conn.executemany(insert_new, rows)
        stats["claims"] += len(rows)
    topic_at = cols.index("topic")
    run_topics: set[str] = set()
    new_rows: list[dict] = []
    topic = None
    row_cur = db.conn.execute(f"SELECT {', '.join(cols)} FROM temp.compare_new_values ORDER BY topic, rowid")
    while True:
        got = row_cur.fetchmany(1000)
        for r in got:
            if r[topic_at] != topic:
                topic = r[topic_at]
                if len(new_rows) >= REFRESH_BATCH:
                    stats["topics"] += len(run_topics)
                    _reclassify(db, run_topics, new_rows, src_cache)
                    run_topics, new_rows = set(), []
                run_topics.add(topic)
            new_rows.append(dict(zip(cols, r)))
        if not got:
            break
    if new_rows:
        stats["topics"] += len(run_topics)
        _reclassify(db, run_topics, new_rows, src_cache)
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
    # the facts and claim values about to go, as the comparison's views' counts see them (fact_view_counts)
    old_facts: list[tuple] = []
    old_members: list[tuple] = []
    held_any = db.execute("SELECT 1 FROM claim_values LIMIT 1").fetchone() is not None
    if held_any:
        tl = sorted(topics)
        cols = ", ".join(f"v.{c}" for c in _CV_COLUMNS[:_CV_HELD])
        names = _CV_COLUMNS[:_CV_HELD] + ("source_id", "subject_raw")
        for i in range(0, len(tl), 500):
            chunk = tl[i : i + 500]
            marks = ",".join("?" * len(chunk))
            q = (f"SELECT {cols}, c.source_id, c.subject, v.fact_key FROM claim_values v JOIN claims c ON c.id = v.claim_id "
                 f"WHERE v.topic IN ({marks})")
            held = False
            for r in db.execute(q, chunk):
                held = True
                row = dict(zip(names, r))
                if r[-1] is not None:
                    old_members.append((r[-1], row["source_id"]))
                if row["claim_id"] not in new_ids:
                    by_topic[row["topic"]].append(row)
            if not held:
                # topics new to the ledger (a large import's later runs): a topic's facts are made from its
                # claim_values rows, so with none there is nothing to count out or delete (issue 19)
                continue
            old_facts.extend(db.execute(f"SELECT fact_key, status, predicate FROM facts WHERE topic IN ({marks})", chunk))
            db.execute(f"DELETE FROM claim_values WHERE topic IN ({marks})", chunk)
            db.execute(f"DELETE FROM facts WHERE topic IN ({marks})", chunk)
            db.execute(f"DELETE FROM fact_timelines WHERE topic IN ({marks})", chunk)
    src = _source_info(db, {m["source_id"] for ms in by_topic.values() for m in ms} | {m[1] for m in old_members}, src_cache)
    fact_rows: list[tuple] = []
    value_rows: list[tuple] = []
    new_facts: list[tuple] = []
    new_members: list[tuple] = []
    rules: dict[str, str] = {}  # predicate -> its rule in words (m142: held once per predicate)
    timelines: dict[str, str] = {}  # topic -> its timeline (held once per topic)
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
            for f in facts:
                rules[f["predicate"]] = f["rule"]
                if f["timeline_json"] is not None:
                    timelines[topic] = f["timeline_json"]
                    f["timeline"] = 1
                else:
                    f["timeline"] = None
                new_facts.append((f["fact_key"], f["status"], f["predicate"]))
            fact_rows.extend(map(_fact_values, facts))
        for m in members:
            value_rows.append(tuple(map(m.get, _CV_COLUMNS)))
            if m["fact_key"] is not None:
                new_members.append((m["fact_key"], m["source_id"]))
    db.conn.executemany(
        f"INSERT INTO claim_values ({', '.join(_CV_COLUMNS)}) VALUES ({', '.join('?' * len(_CV_COLUMNS))})", value_rows
    )
    db.conn.executemany(
        f"INSERT INTO facts ({', '.join(_FACT_COLUMNS)}) VALUES ({', '.join('?' * len(_FACT_COLUMNS))})", fact_rows
    )
    db.conn.executemany("INSERT INTO fact_timelines (topic, timeline_json) VALUES (?, ?)", timelines.items())
    db.conn.executemany(
        "INSERT INTO fact_rules (predicate, rule) VALUES (?, ?) ON CONFLICT (predicate) DO UPDATE SET rule = excluded.rule "
        "WHERE rule != excluded.rule",
        rules.items(),
    )
    publisher = {sid: s["publisher"] for sid, s in src.items()}
    facet_counts.add_counts(
        db,
        facet_counts.fact_view_counts(new_facts, new_members, publisher),
        facet_counts.fact_view_counts(old_facts, old_members, publisher),
    )


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
  'value', f.value, 'normalized', f.value_norm, 'values', json(""" + fact_values_sql() + """),
  'claims', f.claim_count, 'sources', f.source_count, 'independent_sources', f.independent_count,
  'timeline', json(""" + fact_timeline_sql() + """), 'rule', """ + fact_rule_sql() + """,
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
