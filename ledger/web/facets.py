"""Facet counts kept current on every write, for the claims page and the views at scale.

Datasette computes each facet of a table page with ``GROUP BY`` over the whole
table; at a million claims each facet is a full index scan that runs into the
facet time limit. ``facet_counts`` holds the count of each value of the
faceted columns of the claims table and of the views, brought up to date at
the end of every write by set-based SQL (``ledger.store.facet_counts``, run by
``ledger.store.derived.refresh``). The ``counted`` facet type reads those
counts for an unfiltered table page and falls back to Datasette's own column
facet as soon as the page is filtered (a filtered page only counts the
matching rows). A count that fell to 0 is kept and read as absent;
tests/test_facet_counts.py compares every count with a fresh GROUP BY.

In metadata.yml: ``facets: [{counted: predicate}, ...]``.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.parse

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

# table or view -> the columns whose value counts facet_counts holds; their
# upkeep and check live in ledger.store.facet_counts
from ledger.services.pages import COUNTED

_WHERE_RE = re.compile(r"\bwhere\b", re.IGNORECASE)


class CountedFacet(ColumnFacet):
    """A column facet answered from facet_counts when the page is unfiltered."""

    type = "counted"

    def _precomputed(self, column: str) -> bool:
        return (
            column in COUNTED.get(self.table or "", ())
            and not self.params
            and not _WHERE_RE.search(self.sql)
        )

    async def facet_results(self):
        facet_results = []
        facets_timed_out = []
        qs_pairs = self.get_querystring_pairs()
        facet_size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            source = source_and_config["source"]
            column = config.get("column") or config["simple"]
            live_sql = (
                f"select {escape_sqlite(column)} as value, count(*) as count from ({self.sql}) "
                f"where {escape_sqlite(column)} is not null "
                f"group by {escape_sqlite(column)} order by count desc, value limit {facet_size + 1}"
            )
            rows_results = None
            try:
                if self._precomputed(column):
                    try:
                        rows_results = await self.ds.execute(
                            self.database,
                            "select value, count from facet_counts where tbl = :tbl and col = :col and count > 0 "
                            f"order by count desc, value limit {facet_size + 1}",
                            {"tbl": self.table, "col": column},
                            truncate=False,
                        )
                    except sqlite3.OperationalError:  # a ledger not migrated yet: count live
                        rows_results = None
                    if rows_results is not None and not rows_results.rows:
                        # none kept (a ledger from before m060, or nothing to count): count live
                        rows_results = None
                if rows_results is None:
                    rows_results = await self.ds.execute(
                        self.database,
                        live_sql,
                        self.params,
                        truncate=False,
                        custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                    )
            except QueryInterrupted:  # the facet time limit, reported as Datasette does
                facets_timed_out.append(column)
                continue
            values = []
            facet_results.append(
                {
                    "name": column,
                    "type": "column",  # shown exactly like Datasette's own column facet
                    "hideable": source != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                    "results": values,
                    "truncated": len(rows_results) > facet_size,
                }
            )
            rows = rows_results.rows[:facet_size]
            expanded = {}
            if self.table:
                expanded = await self.ds.expand_foreign_keys(
                    self.database, self.table, column, [r["value"] for r in rows]
                )
            for row in rows:
                column_qs = f"{column}__exact" if column.startswith("_") else column
                selected = (column_qs, str(row["value"])) in qs_pairs
                if selected:
                    toggle_path = path_with_removed_args(self.request, {column_qs: str(row["value"])})
                else:
                    toggle_path = path_with_added_args(self.request, {column_qs: row["value"]})
                values.append(
                    {
                        "value": row["value"],
                        "label": expanded.get((column, row["value"]), row["value"]),
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle_path)),
                        "selected": selected,
                    }
                )
        return facet_results, facets_timed_out


def page_query(path: str, query_string: str, *, database: str, views, counted: dict[str, set[str]]) -> str:
    """The query string Datasette should answer for ``path``, so no page of the
    ledger counts or groups every row of a large view or table live.

    - a table page of a view gets ``_nocount=1`` (unless it asks for
      ``_nocount`` itself): Datasette counts a view's rows by running the whole
      view (``select count(*) from view``), a second or more at a million claims;
      the page then shows its rows without a total (``select count(*)`` in SQL
      still gives it);
    - ``_facet=COL`` on a table whose metadata already shows COL as a ``counted``
      facet is dropped: the page shows that facet once, from the kept counts,
      instead of a second, live ``GROUP BY`` beside it.

    Every other path and argument is returned unchanged.
    """
    prefix = f"/{database}/"
    if not path.startswith(prefix):
        return query_string
    name = path[len(prefix):]
    if "/" in name:  # a row page, or /-/...
        return query_string
    if name.endswith(".json"):
        name = name[: -len(".json")]
    # latin-1 both ways: percent-escapes (of UTF-8 or not) go back out byte for byte
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True, encoding="latin-1")
    changed = False
    if name in counted:
        kept = [(k, v) for k, v in pairs if not (k == "_facet" and v in counted[name])]
        changed = len(kept) != len(pairs)
        pairs = kept
    if name in views and not any(k == "_nocount" for k, _ in pairs):
        pairs.append(("_nocount", "1"))
        changed = True
    return urllib.parse.urlencode(pairs, encoding="latin-1") if changed else query_string


def metadata_counted(metadata: dict) -> dict[str, set[str]]:
    """table -> the columns its metadata lists as ``counted`` facets."""
    out: dict[str, set[str]] = {}
    for table, meta in ((metadata or {}).get("tables") or {}).items():
        for facet in (meta or {}).get("facets") or []:
            if isinstance(facet, dict) and "counted" in facet:
                col = facet["counted"]
                out.setdefault(table, set()).add(col if isinstance(col, str) else col.get("column"))
    return out
