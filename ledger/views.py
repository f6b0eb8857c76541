"""SQL views that make verification one query away."""

from .shape import view

view(
    "claim_spans",
    """
SELECT c.id, c.source_id, s.slug AS source, c.subject, c.predicate, c.value,
       c.span_start, c.span_end, c.span_text,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) AS recomputed_span,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) = c.span_text AS span_matches
FROM claims c JOIN sources s ON s.id = c.source_id
""",
)

view(
    "span_audit",
    """
SELECT id, source_id, source, span_start, span_end, span_text, recomputed_span
FROM claim_spans WHERE span_matches IS NOT 1
""",
)
