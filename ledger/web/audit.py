"""Pages for the five things an auditor does (issue 17): find a claim, see
conflicts, audit spans, read a source, check the history.

A second Datasette plugin module (its own ``datasette`` entry point in
``pyproject.toml``), so the hooks of ``ledger.web`` stay as they are:

- a **fact page** per fact group, ``/ledger/-/fact/<fact_key>``: every source
  side by side grouped by the value it gives, the fact's timeline, why each
  source counts (or not) as independent, and the reviewers' verdicts;
- ``extra_template_vars`` giving the home page its task links and the claim
  page its verdicts, its fact's timeline and a link to the fact page;
- ``render_cell`` showing the comparison's JSON columns (``values_json``,
  ``timeline_json``) and history bodies as readable lists;
- default columns for the claims table (what a person reads first), kept
  only when the visitor has not chosen columns.

The functions that read the database take a ``sqlite3.Connection`` so tests
can call them directly; stored text is escaped by the templates (autoescape)
or by ``markupsafe`` here.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ledger.web.pages import is_ledger
from ledger.web.render import passage_html, url_html

FACT_KEY_RE = re.compile(r"^f[0-9a-f]{16}$")
# What a person reads first on the claims table; every other column is one click away (the column menu)
CLAIMS_DEFAULT_COLUMNS = ("subject", "predicate", "value", "span_text", "source_id", "confidence", "status", "as_of")
# fetched with them so the span cell can show its context (ledger.web.render_cell), and not shown as columns
CLAIMS_CONTEXT_COLUMNS = ("prefix", "suffix")
DEFAULT_COLUMNS_FLAG = "_ledger_default_columns"
# a sources row one line tall: the text is on the source's page
SOURCES_DEFAULT_COLUMNS = ("slug", "title", "publisher", "published", "language", "length", "url")
JSON_COLUMNS = {"values_json", "timeline_json"}
# Context shown around each span on the fact page (the claim page shows more)
FACT_CONTEXT_CHARS = 160


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _has(conn: sqlite3.Connection, *names: str) -> bool:
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    return set(names) <= have


# ---------------------------------------------------------------- data


def verdicts(conn: sqlite3.Connection, subject: str, predicate: str, values: list[str] | None = None) -> list[dict]:
    """Reviews of a fact (subject and predicate ignoring case; one of
    ``values`` when given), newest first."""
    if not _has(conn, "reviews"):
        return []
    rows = _rows(
        conn,
        "SELECT * FROM reviews WHERE subject = ? COLLATE NOCASE AND predicate = ? COLLATE NOCASE "
        "ORDER BY date DESC, recorded_at DESC",
        [subject, predicate],
    )
    if values is not None:
        wanted = {v.casefold() for v in values}
        rows = [r for r in rows if (r["value"] or "").casefold() in wanted]
    return rows


def fact_page(conn: sqlite3.Connection, fact_key: str) -> dict | None:
    """Everything the fact page shows: the fact, its claims grouped by value
    (each with its source and its span in context), the timeline of the
    topic, the independence reasoning and the verdicts. None if no such fact."""
    if not FACT_KEY_RE.match(fact_key or "") or not is_ledger(conn) or not _has(conn, "facts", "claim_values"):
        return None
    found = _rows(conn, f"SELECT * FROM {_fact_rows(conn)} WHERE fact_key = ?", [fact_key])
    if not found:
        return None
    fact = found[0]
    members = _rows(
        conn,
        "SELECT v.claim_id, v.value_norm, v.value_group, v.counted, v.independence_note, v.time_start, v.time_end, v.time_basis, "
        "c.value, c.confidence, c.span_start, c.span_end, c.span_text, c.note, c.as_of, c.valid_from, c.valid_to, "
        "s.id AS source_id, s.slug, s.title, s.publisher, s.published, s.date_basis, s.url, s.text, "
        "i.independence_key, i.duplicate_of "
        "FROM claim_values v JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id "
        "LEFT JOIN source_independence i ON i.source_id = s.id "
        "WHERE v.fact_key = ? ORDER BY v.value_group, s.published, s.slug, c.span_start",
        [fact_key],
    )
    groups: dict[str, dict] = {}
    for m in members:
        text = m.pop("text") or ""
        ok = 0 <= m["span_start"] <= m["span_end"] <= len(text) and text[m["span_start"] : m["span_end"]] == m["span_text"]
        m["passage"] = passage_html(text, m["span_start"], m["span_end"], FACT_CONTEXT_CHARS) if ok else None
        # the comparison's value groups: values that agree (a month and a day inside it) share one column
        g = groups.setdefault(m["value_group"], {"value_norm": m["value_norm"], "raw": [], "claims": [], "independent": 0})
        if m["value"] not in g["raw"]:
            g["raw"].append(m["value"])
        g["claims"].append(m)
        g["independent"] += 1 if m["counted"] else 0
    values = json.loads(fact["values_json"] or "[]")
    timeline = json.loads(fact["timeline_json"]) if fact.get("timeline_json") else []
    # the other fact groups of the same topic, for the timeline's links
    topic = _rows(
        conn,
        "SELECT fact_key, status, value, value_norm, time_start, time_end FROM facts WHERE topic = ? "
        "ORDER BY time_start, fact_key",
        [fact["topic"]],
    )
    raw_values = [v for g in groups.values() for v in g["raw"]]
    return {
        "fact": fact,
        "groups": list(groups.values()),
        "values": values,
        "timeline": timeline,
        "topic": topic,
        "verdicts": verdicts(conn, fact["subject"], fact["predicate"], raw_values),
        "retracted": _withdrawn_on_topic(conn, fact),
    }


def _fact_rows(conn: sqlite3.Connection) -> str:
    """Where a fact's every column is read: the view fact_details, which writes the values, timeline and rule
    the facts table holds once per predicate or topic (m142), or the facts table of a ledger made before it."""
    return "fact_details" if _has(conn, "fact_details") else "facts"


def _withdrawn_on_topic(conn: sqlite3.Connection, fact: dict) -> list[dict]:
    """Claims on the same subject and predicate that were superseded or
    retracted: left out of the comparison, listed so the page says so."""
    if not _has(conn, "claim_status"):
        return []
    return _rows(
        conn,
        "SELECT st.claim_id, st.value, st.status, st.reason, s.slug, s.publisher FROM claim_status st "
        "JOIN sources s ON s.id = st.source_id "
        "WHERE st.subject = ? AND st.predicate = ? AND st.status IN ('superseded', 'retracted') ORDER BY s.published",
        [fact["subject"], fact["predicate"]],
    )


def claim_extras(conn: sqlite3.Connection, claim_id: str) -> dict | None:
    """What the claim page adds for an auditor: the fact its claim is in (with
    a link), that fact topic's timeline, and the verdicts on the fact."""
    if not is_ledger(conn):
        return None
    found = _rows(conn, "SELECT subject, predicate, value FROM claims WHERE id = ?", [claim_id])
    if not found:
        return None
    claim = found[0]
    out = {"fact": None, "topic": [], "verdicts": verdicts(conn, claim["subject"], claim["predicate"], [claim["value"]])}
    if _has(conn, "facts", "claim_values"):
        fk = conn.execute("SELECT fact_key FROM claim_values WHERE claim_id = ?", [claim_id]).fetchone()
        if fk and fk[0]:
            facts = _rows(conn, f"SELECT * FROM {_fact_rows(conn)} WHERE fact_key = ?", [fk[0]])
            if facts:
                out["fact"] = facts[0]
                out["topic"] = _rows(
                    conn,
                    "SELECT fact_key, status, value, value_norm, time_start, time_end, independent_count FROM facts "
                    "WHERE topic = ? ORDER BY time_start, fact_key",
                    [facts[0]["topic"]],
                )
    return out


def home_page(conn: sqlite3.Connection) -> dict:
    """Figures and example links for the home page's five tasks."""
    if not is_ledger(conn):
        return {}
    out = {
        "sources": conn.execute("SELECT count(*) FROM sources").fetchone()[0],
        "claims": conn.execute("SELECT count(*) FROM claims").fetchone()[0],
        "conflict": None,
        "source": None,
        "statuses": {},
    }
    if _has(conn, "facts"):
        out["statuses"] = dict(conn.execute("SELECT status, count(*) FROM facts GROUP BY status").fetchall())
        row = _rows(conn, "SELECT fact_key, subject, predicate FROM facts WHERE status = 'conflicting' ORDER BY subject, predicate LIMIT 1")
        out["conflict"] = row[0] if row else None
    row = _rows(conn, "SELECT id, slug, title FROM sources ORDER BY published DESC, slug LIMIT 1")
    out["source"] = row[0] if row else None
    return out


# ---------------------------------------------------------------- rendering


def json_list_html(value) -> Markup | None:
    """A JSON list from the comparison (values_json, timeline_json) or a
    history body as a readable list; None if it is not such JSON."""
    if not isinstance(value, str) or not value.startswith(("[", "{")):
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return _list_html(data)


def _item_html(item) -> Markup:
    if isinstance(item, dict):
        if "from" in item and "values" in item:  # a timeline step
            return Markup("{} to {}: {}").format(item.get("from") or "?", item.get("to") or "?", ", ".join(map(str, item["values"])))
        if "value" in item and "sources" in item:  # a value of a fact
            return Markup("<strong>{}</strong>: {} of {} source(s) independent, {} claim(s)").format(
                item["value"], item.get("independent_sources", "?"), item["sources"], item.get("claims", "?")
            )
        return Markup(", ").join(Markup("{}: {}").format(k, _item_html(v) if isinstance(v, (dict, list)) else v) for k, v in item.items())
    if isinstance(item, list):
        return Markup(", ").join(_item_html(v) for v in item)
    return escape(item)


def _list_html(data) -> Markup:
    items = data if isinstance(data, list) else [{k: v} for k, v in data.items()] if isinstance(data, dict) else [data]
    return Markup('<ul class="ledger-json">{}</ul>').format(Markup("").join(Markup("<li>{}</li>").format(_item_html(i)) for i in items))


# ---------------------------------------------------------------- hooks


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if request is None:
        return None
    if template == "index.html":
        async def home():
            from ledger.services.publish import DATABASE_NAME

            if DATABASE_NAME not in datasette.databases:
                return {}
            db = datasette.get_database(DATABASE_NAME)
            data = await db.execute_fn(home_page)
            base = datasette.urls.database(DATABASE_NAME)
            data["links"] = {
                "find": base + "/find_claim",
                "conflicts": base + "/conflicting_facts?subject=",
                "spans": base + "/span_audit_report?source=*",
                "sources": datasette.urls.table(DATABASE_NAME, "sources"),
                "history": datasette.urls.table(DATABASE_NAME, "history") + "?_sort_desc=id",
                "facts": datasette.urls.table(DATABASE_NAME, "fact_groups"),
                "claims": datasette.urls.table(DATABASE_NAME, "claims"),
                "database": base,
            }
            if data.get("conflict"):
                data["links"]["conflict"] = fact_url(datasette, DATABASE_NAME, data["conflict"]["fact_key"])
            if data.get("source"):
                data["links"]["source"] = datasette.urls.table(DATABASE_NAME, "sources") + "/" + tilde_encode(data["source"]["id"])
            return {"ledger_home": data}

        return home
    if view_name == "row" and table == "claims":
        pks = (request.url_vars or {}).get("pks")
        if not pks:
            return None

        async def claim():
            from datasette.utils import tilde_decode

            claim_id = tilde_decode(pks)
            extras = await datasette.get_database(database).execute_fn(lambda conn: claim_extras(conn, claim_id))
            if not extras:
                return {}
            if extras["fact"]:
                extras["fact_url"] = fact_url(datasette, database, extras["fact"]["fact_key"])
                for t in extras["topic"]:
                    t["url"] = fact_url(datasette, database, t["fact_key"])
            return {"ledger_audit": extras}

        return claim
    return None


def fact_url(datasette, database: str, fact_key: str) -> str:
    return datasette.urls.database(database) + "/-/fact/" + urllib.parse.quote(fact_key)


async def fact_view(datasette, request):
    database = request.url_vars["database"]
    fact_key = request.url_vars["fact_key"]
    if database not in datasette.databases:
        return Response.html("No such database", status=404)
    db = datasette.get_database(database)
    page = await db.execute_fn(lambda conn: fact_page(conn, fact_key))
    if page is None:
        return Response.html(str(escape(f"No fact {fact_key} in this ledger")), status=404)
    claims_url = datasette.urls.table(database, "claims")
    sources_url = datasette.urls.table(database, "sources")
    for g in page["groups"]:
        for m in g["claims"]:
            m["claim_url"] = f"{claims_url}/{tilde_encode(m['claim_id'])}"
            m["source_url"] = f"{sources_url}/{tilde_encode(m['source_id'])}"
    for t in page["topic"]:
        t["url"] = fact_url(datasette, database, t["fact_key"])
    for r in page["retracted"]:
        r["claim_url"] = f"{claims_url}/{tilde_encode(r['claim_id'])}"
    return Response.html(
        await datasette.render_template(
            "ledger-fact.html",
            {"ledger_fact": page, "database": database, "ledger_url": url_html,
             "fact_groups_url": datasette.urls.table(database, "fact_groups")},
            request=request,
        )
    )


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/-/fact/(?P<fact_key>[^/]+)$", fact_view)]


SOURCE_ID_RE = re.compile(r"^[0-9a-f]{64}$")


@hookimpl
def render_cell(value, column, table, database, datasette):
    if column in JSON_COLUMNS or (table == "history" and column == "body"):
        return json_list_html(value)
    if table == "claims" and column == "source_id" and isinstance(value, dict) and "label" in value:
        # Datasette's expanded foreign key: the source by its slug, without its SHA-256 beside it
        sid = str(value.get("value"))
        href = datasette.urls.table(database, "sources") + "/" + tilde_encode(sid)
        return Markup('<a href="{}">{}</a>').format(href, value["label"] or sid)
    if table == "claims" and column == "source_id" and isinstance(value, str) and SOURCE_ID_RE.match(value):
        # the source by its slug, not its SHA-256
        async def label():
            row = (await datasette.get_database(database).execute("SELECT slug FROM sources WHERE id = ?", [value])).first()
            href = datasette.urls.table(database, "sources") + "/" + tilde_encode(value)
            return Markup('<a href="{}">{}</a>').format(href, row[0] if row else value[:12] + "\u2026")

        return label
    return None


def default_columns(path: str, query: str, database: str) -> str:
    """The claims or sources table's query string with the default columns
    added when the visitor chose none (no ``_col``/``_nocol``), else unchanged."""
    table = path.rstrip("/").removeprefix(f"/{database}/")
    if table not in ("claims", "sources"):
        return query
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if any(k in ("_col", "_nocol") for k, _ in params):
        return query
    cols = CLAIMS_DEFAULT_COLUMNS + CLAIMS_CONTEXT_COLUMNS if table == "claims" else SOURCES_DEFAULT_COLUMNS
    return urllib.parse.urlencode(params + [("_col", c) for c in cols] + [(DEFAULT_COLUMNS_FLAG, "1")])


@hookimpl
def asgi_wrapper(datasette):
    from ledger.services.publish import DATABASE_NAME

    def wrap(app):
        async def claims_columns(scope, receive, send):
            if scope.get("type") == "http":
                query = scope.get("query_string", b"").decode("latin-1")
                new = default_columns(scope.get("path", ""), query, DATABASE_NAME)
                if new != query:
                    scope = dict(scope, query_string=new.encode("latin-1"))
            await app(scope, receive, send)

        return claims_columns

    return wrap
