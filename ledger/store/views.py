"""SQL views that make verification one query away.

Each view recomputes or joins what a reader needs to check a claim, so an
auditor can run one ``SELECT`` in Datasette instead of writing the join.
Their columns are described in ``metadata.yml``.
"""

from ledger.store.shape import view

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
