"""Every SQL view of the ledger, defined here and nowhere else (issue 19).

Each view recomputes or joins what a reader needs to check a claim, so an
auditor can run one ``SELECT`` in Datasette instead of writing the join.
Their columns are described in ``metadata.yml``. Views are not migrated:
``create`` (run by ``ledger.store.shape.ensure_shape`` in every write, and
by the schema check) drops and recreates a view whose definition changed.
"""

VIEWS: dict[str, str] = {}


def view(name: str, sql: str) -> str:
    """Add a view to VIEWS (the body after ``CREATE VIEW name AS``)."""
    VIEWS[name] = sql
    return name


def create(db) -> None:
    """Create every view of VIEWS that the file lacks, and drop and recreate
    one whose definition changed (inside the caller's transaction)."""
    existing = {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'")}
    for name, body in VIEWS.items():
        sql = f"CREATE VIEW {name} AS {body.strip()}"
        if existing.get(name) == sql:
            continue
        if name in existing:
            db.execute(f"DROP VIEW {name}")
        db.execute(sql)


# Every claim beside the span recomputed from its source's text. substr()
# counts code points, as Python indexing does; prefix/suffix are the context
# the claim was anchored with, checked the same way. A claim whose source is
# missing has NULL in every *_matches column.
view(
    "claim_spans",
    """
SELECT c.id, c.source_id, s.slug AS source, c.subject, c.predicate, c.value,
       c.span_start, c.span_end, c.span_text,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) AS recomputed_span,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) = c.span_text AS span_matches,
       substr(s.text, c.span_start - length(c.prefix) + 1, length(c.prefix)) = c.prefix AS prefix_matches,
       substr(s.text, c.span_end + 1, length(c.suffix)) = c.suffix AS suffix_matches,
       c.span_end <= s.length AS in_range
FROM claims c LEFT JOIN sources s ON s.id = c.source_id
""",
)

# The span audit is the canned query span_audit_report (metadata.yml), which
# audits one source, or the whole ledger with `*`: a view cannot take a
# source, and over a million claims it could only time out (m061 drops the
# span_audit view it replaced; `ledger verify` is the whole audit).

# Each claim with its source's provenance, a confidence band and its status
# (candidate or current, or its last correction: superseded, retracted,
# orphaned; ledger/states.py) to facet on.
view(
    "claim_provenance",
    """
SELECT c.id, c.subject, c.predicate, c.value, c.confidence,
       CASE
         WHEN c.confidence >= 0.9 THEN 'high (0.9-1)'
         WHEN c.confidence >= 0.7 THEN 'medium (0.7-0.9)'
         ELSE 'low (below 0.7)'
       END AS confidence_band,
       c.speaker, c.as_of, c.valid_from, c.valid_to,
       coalesce((SELECT e.status FROM claim_events e WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1),
                CASE WHEN c.status = 'candidate' THEN 'candidate' ELSE 'current' END)
         AS status,
       c.span_text,
       s.slug AS source, s.title, s.publisher, s.published, s.date_basis, s.url,
       c.source_id,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) = c.span_text AS span_matches
FROM claims c JOIN sources s ON s.id = c.source_id
""",
)

# Each source with how many claims rest on it.
view(
    "source_summary",
    """
SELECT s.id, s.slug, s.title, s.publisher, s.published, s.date_basis, s.url, s.length,
       (SELECT count(*) FROM claims c WHERE c.source_id = s.id) AS claims
FROM sources s
""",
)


# ---------------------------------------------------------------- the claims' history (issue 5)

view(
    "claim_status",
    """
SELECT c.id AS claim_id, c.source_id, c.subject, c.predicate, c.value,
       coalesce(e.status, CASE WHEN c.status = 'candidate' THEN 'candidate' ELSE 'current' END) AS status, e.replaced_by, e.method, e.score, e.reason,
       e.actor AS changed_by, e.at AS changed_at, coalesce(e.entry_id, c.entry_id) AS entry_id
FROM claims c
LEFT JOIN claim_events e ON e.id = (SELECT max(x.id) FROM claim_events x WHERE x.claim_id = c.id)
""",
)

view(
    "current_claims",
    """
SELECT c.* FROM claims c
WHERE NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = c.id)
""",
)

view(
    "claim_history",
    """
SELECT c.id AS claim_id, 'added' AS event, c.entry_id AS entry_id, h.kind AS entry_kind,
       coalesce(h.at, c.recorded_at) AS at, coalesce(h.actor, c.recorded_by) AS actor, h.reason AS reason,
       NULL AS replaced_by, NULL AS method, NULL AS score, h.hash AS entry_hash
FROM claims c LEFT JOIN history h ON h.id = c.entry_id
UNION ALL
SELECT e.claim_id, e.status, e.entry_id, h.kind, e.at, e.actor, e.reason,
       e.replaced_by, e.method, e.score, h.hash
FROM claim_events e LEFT JOIN history h ON h.id = e.entry_id
""",
)

view(
    "source_revisions",
    """
SELECT s.document, s.revision, s.slug, s.id AS sha256, s.url, s.retrieved, s.length, s.entry_id,
       (SELECT count(*) FROM claims c WHERE c.source_id = s.id) AS claims,
       (SELECT count(*) FROM current_claims c WHERE c.source_id = s.id) AS current_claims
FROM sources s
""",
)


# ---------------------------------------------------------------- the comparison (issue 4; ledger/store/compare.py)

# issue 19: a fact row holds only what it alone says (m142). Three of the
# columns it used to hold are written here when read, in one place:
# - values_json: held only when the fact has several values or its value is
#   worded several ways; otherwise it is one value, the row's own (value_norm,
#   worded as value, with the row's counts), written here as the comparison
#   wrote it (ledger/store/classify.py holds NULL only when the two are equal);
# - timeline_json: the same for every fact of a topic that changes over time,
#   held once per topic in fact_timelines (facts.timeline = 1 where it applies);
# - rule: the same for every fact of a predicate, held once in fact_rules.


def fact_values_sql(f: str = "f") -> str:
    """The fact's values as JSON (facts ``f``), as the comparison wrote them."""
    return (
        f"coalesce({f}.values_json, '[{{\"value\": ' || json_quote({f}.value_norm) || ', \"raw\": [' || "
        f"json_quote({f}.value) || '], \"claims\": ' || {f}.claim_count || ', \"sources\": ' || {f}.source_count || "
        f"', \"independent_sources\": ' || {f}.independent_count || '}}]')"
    )


def fact_timeline_sql(f: str = "f") -> str:
    """The timeline of the fact's topic as JSON, where it changes over time (facts ``f``), else NULL."""
    return f"CASE WHEN {f}.timeline THEN (SELECT t.timeline_json FROM fact_timelines t WHERE t.topic = {f}.topic) END"


def fact_rule_sql(f: str = "f") -> str:
    """The comparison rule of the fact's predicate, in words (facts ``f``)."""
    return f"(SELECT r.rule FROM fact_rules r WHERE r.predicate = {f}.predicate)"


# Every fact with every column, as the comparison wrote it: the facts table's
# columns and the three written when read (above), in the order the table had
# them before m142. The fact page and the claim page read it.
view(
    "fact_details",
    f"""
SELECT f.fact_key, f.topic, f.subject_key, f.subject, f.predicate, f.kind, f.cardinality, f.time_start, f.time_end,
       f.status, f.support, f.value, f.value_norm, f.value_count, f.claim_count, f.source_count, f.independent_count,
       {fact_values_sql()} AS values_json,
       {fact_timeline_sql()} AS timeline_json,
       {fact_rule_sql()} AS rule
FROM facts f
""",
)

view(
    "fact_claims",
    """
SELECT v.fact_key, f.status, f.subject, f.predicate, v.claim_id, s.slug AS source, s.publisher, s.published,
       c.value, v.value_norm, v.value_num, v.unit, v.flags, v.value_group, v.counted, v.independence_note,
       v.time_start, v.time_end, v.time_basis, c.span_start, c.span_end, c.span_text, c.source_id
FROM claim_values v
JOIN facts f ON f.fact_key = v.fact_key
JOIN claims c ON c.id = v.claim_id
JOIN sources s ON s.id = c.source_id
""",
)

view(
    "fact_groups",
    """
SELECT fact_key, subject, predicate, status, support, value, value_norm, value_count, claim_count, source_count,
       independent_count, time_start, time_end, kind, values_json, timeline_json, rule
FROM fact_details
""",
)

view(
    "fact_members",
    """
SELECT a.claim_id, a.fact_key, f.status, f.subject, f.predicate,
       b.claim_id AS other_claim_id, s.slug AS other_source, s.publisher AS other_publisher,
       s.published AS other_published, c.value AS other_value, b.value_norm AS other_value_norm,
       b.value_norm = a.value_norm AS same_value, b.counted AS other_counted,
       b.independence_note AS other_independence_note,
       c.span_start AS other_span_start, c.span_end AS other_span_end, c.span_text AS other_span_text
FROM claim_values a
JOIN facts f ON f.fact_key = a.fact_key
JOIN claim_values b ON b.fact_key = a.fact_key AND b.claim_id != a.claim_id
JOIN claims c ON c.id = b.claim_id
JOIN sources s ON s.id = c.source_id
""",
)

view(
    "conflicts",
    f"""
SELECT fc.fact_key, fc.subject, fc.predicate, fc.value, fc.value_norm, fc.source, fc.publisher, fc.published,
       fc.span_start, fc.span_end, fc.span_text, fc.claim_id, fc.counted, fc.independence_note,
       f.value_count, {fact_rule_sql()} AS rule
FROM fact_claims fc JOIN facts f ON f.fact_key = fc.fact_key
WHERE f.status = 'conflicting'
""",
)

view(
    "single_source_facts",
    """
SELECT f.fact_key, f.subject, f.predicate, f.value, f.claim_count, f.source_count, f.time_start, f.time_end,
       (SELECT group_concat(DISTINCT s.slug) FROM claim_values v JOIN claims c ON c.id = v.claim_id
        JOIN sources s ON s.id = c.source_id WHERE v.fact_key = f.fact_key) AS sources
FROM facts f WHERE f.status = 'single-source'
""",
)

view(
    "corroborated_facts",
    """
SELECT fact_key, subject, predicate, value, independent_count, source_count, claim_count, time_start, time_end
FROM facts WHERE status = 'corroborated'
""",
)

view(
    "changes_over_time",
    f"""
SELECT f.fact_key, f.subject, f.predicate, f.value, f.support, f.time_start, f.time_end,
       {fact_timeline_sql()} AS timeline_json
FROM facts f WHERE f.status = 'change-over-time'
""",
)
