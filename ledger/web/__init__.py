"""The ledger's Datasette plugin: claim and source pages built for auditing.

Registered through the ``datasette`` entry point in ``pyproject.toml``, so
``ledger serve`` and a plain ``datasette ledger.db -m metadata.yml`` both
load it. It uses documented hooks only:

- ``extra_template_vars`` gives the row templates ``row-ledger-claims.html``
  and ``row-ledger-sources.html`` (in ``ledger/plugin/templates/``: the
  plugin is a package because Datasette finds a plugin's templates beside its
  module only for packages on Python 3.11) what they show:
  the passage with the span in ``<mark>``, the source's provenance, the other
  sources on the same fact, and the claim's status and history when the
  ledger has them; on a source page, its whole text with every claim
  highlighted and numbered.
- ``render_cell`` shows a claim's span in its context in tables, links claim
  ids in views and query results, and shortens source texts in tables.

- ``prepare_connection`` bounds the work of every query on a ledger
  connection and closes SQL's ways to change the connection or see file
  paths (``guard.py``); ``asgi_wrapper`` lets only a few visitors' own
  queries run at once (``heavy.py``) and neutralises formula cells in CSV
  (``ledger/csvsafe.py``), issue 18.
- on import, Datasette's rich tracebacks (with locals) for every answered
  exception are turned off for the whole server, this one setting beside
  the ledger's databases included (``_plain_error_logs``).

Only the ledger's own databases (those with ``claims`` and ``sources``
tables) are touched: another database served beside it keeps Datasette's
own behaviour.

Every piece of stored text goes through ``markupsafe.escape`` (``Markup``
formatting escapes its arguments) before it is joined into HTML; a URL is a
link only when it is http(s). The functions that read the database take a
``sqlite3.Connection`` so tests can call them directly.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.parse
import weakref
from pathlib import Path

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from markupsafe import Markup

# the pages' data (pages.py) and HTML pieces (render.py), named here too: the plugin's functions as before
from ledger.web.pages import claim_page, is_ledger, source_page
from ledger.web.render import INVISIBLE_RE, text_html, url_html
from ledger.web.render import Numbered as Numbered, annotated_html as annotated_html, passage_html as passage_html

CLAIM_ID_RE = re.compile(r"^c[0-9a-f]{16}$")
SOURCE_ID_RE = re.compile(r"^[0-9a-f]{64}$")
HASH_RE = re.compile(r"^([a-z0-9-]+:)?[0-9a-f]{40,}$")

# Columns that hold a claim id wherever they appear (tables other than
# claims, views, query results), so they link to the claim page
CLAIM_ID_COLUMNS = {"claim_id", "other_claim_id", "replaced_by", "supersedes"}
# Views whose `id` column is a claim id, so it links to the claim page
CLAIM_VIEWS = {"claim_spans", "claim_provenance"}
SOURCE_VIEWS = {"source_summary"}


# ---------------------------------------------------------------- which databases are the ledger's

# per Datasette app: database name -> whether it is a ledger
_LEDGER_DATABASES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def ledger_database(datasette, name: str | None) -> bool:
    """Whether Datasette's database ``name`` is a ledger (has the ``claims``
    and ``sources`` tables); decided once per database, read-only."""
    if name is None:
        return False
    known = _LEDGER_DATABASES.setdefault(datasette, {})
    if name not in known:
        known[name] = _is_ledger_file(datasette.databases.get(name))
    return known[name]


def _is_ledger_file(db) -> bool:
    if db is None or not getattr(db, "path", None):
        return False
    mode = "mode=ro" if db.is_mutable else "immutable=1"
    try:
        conn = sqlite3.connect(f"{Path(db.path).resolve().as_uri()}?{mode}", uri=True)
    except sqlite3.Error:
        return False
    try:
        return is_ledger(conn)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


# ---------------------------------------------------------------- hooks


def _plain_error_logs() -> None:
    """Datasette prints every exception it answers, a visitor's invalid SQL or a 404 included, as a rich
    traceback with its local variables whenever the ``rich`` package is installed (import-linter brings it):
    about 0.9 s of CPU for each bad request, the request's details in the server's log, and a server whose
    output goes to an undrained pipe stops answering after a few of them. The ledger's server keeps
    Datasette's own fallback instead: nothing printed for a 4xx, a plain traceback for a server error."""
    from datasette import handle_exception

    handle_exception.rich = None


_plain_error_logs()


@hookimpl
def prepare_connection(conn, database, datasette):
    # issue 18: bounded work per statement and no connection state from SQL
    if ledger_database(datasette, database):
        from ledger.web.guard import guard_connection

        guard_connection(conn, datasette.setting("sql_time_limit_ms"))


def _row_id(request) -> str | None:
    pks = (request.url_vars or {}).get("pks") if request is not None else None
    if not pks:
        return None
    return tilde_decode(pks)


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "row" or table not in ("claims", "sources") or request is None:
        return None

    async def inner():
        row_id = _row_id(request)
        if row_id is None:
            return {}
        db = datasette.get_database(database)
        if table == "claims":
            page = await db.execute_fn(lambda conn: claim_page(conn, row_id))
            if page is None:
                return {}
            return {"ledger_claim": page, "ledger_links": _claim_links(datasette, database, page), "ledger_url": url_html}
        page = await db.execute_fn(lambda conn: source_page(conn, row_id))
        if page is None:
            return {}
        claims_url = datasette.urls.table(database, "claims")
        for c in page["claims"]:
            c.extra["url"] = f"{claims_url}/{tilde_encode(c.id)}"
        links = {"claims_table": claims_url + "?" + urllib.parse.urlencode({"source_id": page["source"]["id"]})}
        return {"ledger_source": page, "ledger_links": links, "ledger_url": url_html}

    return inner


def _claim_links(datasette, database: str, page: dict) -> dict:
    claim = page["claim"]
    claims_url = datasette.urls.table(database, "claims")
    replaced_by = page["status_note"].get("replaced_by")
    page["status_note"]["replaced_by_url"] = f"{claims_url}/{tilde_encode(replaced_by)}" if replaced_by else None
    for name in ("claim_status", "claim_history"):
        if page[name]:
            cols, rows = page[name]
            page[name] = (cols, [{c: _cell(datasette, database, r.get(c)) for c in cols} for r in rows])
    sql = (
        "SELECT c.id, c.span_text,\n"
        "       substr(s.text, c.span_start + 1, c.span_end - c.span_start) AS recomputed,\n"
        "       substr(s.text, c.span_start + 1, c.span_end - c.span_start) = c.span_text AS matches\n"
        "FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = :id"
    )
    links = {
        "source": datasette.urls.table(database, "sources") + "/" + tilde_encode(claim["source_id"]),
        "check_sql": datasette.urls.database(database) + "?" + urllib.parse.urlencode({"sql": sql, "id": claim["id"]}),
        "claims_url": claims_url,
        "same_subject": claims_url + "?" + urllib.parse.urlencode({"subject": claim["subject"]}),
        "json": datasette.urls.table(database, "claims") + "/" + tilde_encode(claim["id"]) + ".json",
    }
    for other in page["same_fact"]["rows"]:
        other["url"] = f"{claims_url}/{tilde_encode(other['id'])}"
    return links


def _cell(datasette, database: str, value):
    """A status or history value: claim ids link to their claim, the rest is escaped text."""
    if value is None:
        return ""
    if isinstance(value, str) and CLAIM_ID_RE.match(value):
        href = datasette.urls.table(database, "claims") + "/" + tilde_encode(value)
        return Markup('<a href="{}">{}</a>').format(href, value)
    if isinstance(value, str) and HASH_RE.match(value):
        # a long hash, shortened; the whole of it on hover and in the JSON
        return Markup('<code title="{}">{}\u2026</code>').format(value, value[: value.find(":") + 17])
    return text_html(str(value))


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None or not ledger_database(datasette, database):
        return None
    if table == "claims" and column == "span_text" and isinstance(value, str):
        keys = row.keys() if hasattr(row, "keys") else []
        prefix = row["prefix"] if "prefix" in keys else ""
        suffix = row["suffix"] if "suffix" in keys else ""
        return Markup('<span class="ledger-context">{}</span><mark class="ledger-span">{}</mark><span class="ledger-context">{}</span>').format(
            text_html(("\u2026" + prefix[-30:]) if prefix else ""),
            text_html(value),
            text_html((suffix[:30] + "\u2026") if suffix else ""),
        )
    if table == "sources" and column == "text" and isinstance(value, str):
        if len(value) <= 240:
            return text_html(value)
        return Markup('{}\u2026 <span class="ledger-missing">({:,} characters: the whole text, annotated, is on the source\'s page)</span>').format(
            text_html(value[:240]), len(value)
        )
    if table in ("claims", "current_claims") and column == "status" and value in ("recorded", "machine-extracted"):
        from ledger.core.states import LEGACY

        return LEGACY[value]  # issue 14: a word stored before the one vocabulary, shown in it
    if table in ("claims", "sources") and column == "url":
        return url_html(value)
    is_claim_link = isinstance(value, str) and CLAIM_ID_RE.match(value) and (
        column in CLAIM_ID_COLUMNS or (column == "id" and table in CLAIM_VIEWS)
    )
    if is_claim_link:
        href = datasette.urls.table(database, "claims") + "/" + tilde_encode(value)
        return Markup('<a href="{}">{}</a>').format(href, value)
    is_source_link = isinstance(value, str) and SOURCE_ID_RE.match(value) and (
        (column == "source_id" and table != "claims") or (column == "id" and table in SOURCE_VIEWS)
    )
    if is_source_link:
        href = datasette.urls.table(database, "sources") + "/" + tilde_encode(value)
        return Markup('<a href="{}">{}</a>').format(href, value[:12] + "\u2026")
    if column == "url" and isinstance(value, str):
        return url_html(value)
    if column == "match_snippet" and table is None and isinstance(value, str):
        return snippet_html(value)
    if isinstance(value, str) and INVISIBLE_RE.search(value):
        # zero-width and bidi controls anywhere: shown, and unable to reorder the page
        return text_html(value)
    return None


def snippet_html(snippet: str) -> Markup:
    """An FTS ``snippet()`` whose matches are between ⟦ and ⟧, with the matches in ``<mark>``."""
    out = []
    for i, part in enumerate(re.split("[⟦⟧]", snippet)):
        out.append(Markup("<mark>{}</mark>").format(text_html(part)) if i % 2 else text_html(part))
    return Markup("").join(out)


@hookimpl
def register_facet_classes():
    # the `counted` facet type: the claims page's facets from counts kept on
    # every write (ledger/facets.py, issue 7)
    from ledger.web.facets import CountedFacet

    return [CountedFacet]


@hookimpl
def asgi_wrapper(datasette):
    # issue 7: a view's table page is not counted row by row, and a facet the
    # metadata already keeps counts for is not grouped again live
    # (ledger.web.facets.page_query says why)
    # issue 18: visitors' own queries run a few at a time (heavy.py), and
    # CSV from a ledger database has its formula cells neutralised
    from ledger.web.facets import metadata_counted, page_query
    from ledger.services.pages import view_names
    from ledger.services.publish import DATABASE_NAME
    from ledger.web.heavy import HeavyGate, is_heavy, query_params, request_parts

    views = view_names()
    gate = HeavyGate()

    def wrap(app):
        async def ledger_pages(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if scope.get("path") in ("/-/databases", "/-/databases.json"):
                await app(scope, receive, _without_paths(send, _ledger_paths(datasette)))
                return
            database, second = request_parts(datasette, scope.get("path", ""))
            if not ledger_database(datasette, database):
                await app(scope, receive, send)
                return
            if database == DATABASE_NAME:
                query = scope.get("query_string", b"").decode("latin-1")
                counted = metadata_counted(datasette.metadata(database=DATABASE_NAME) or {})
                new = page_query(scope.get("path", ""), query, database=DATABASE_NAME, views=views, counted=counted)
                if new != query:
                    scope = dict(scope, query_string=new.encode("latin-1"))
            params = query_params(scope)
            if _is_csv(scope.get("path", ""), params) and not _exact_cells(params):
                send = _neutralising(send)
            if is_heavy(datasette, database, second, params):
                await gate.run(app, scope, receive, send)
            else:
                await app(scope, receive, send)

        return ledger_pages

    return wrap


def _is_csv(path: str, params: dict) -> bool:
    return path.endswith(".csv") or params.get("_format", [""])[-1] == "csv"


def _exact_cells(params: dict) -> bool:
    return params.get("_exact_cells", [""])[-1].lower() in ("1", "on", "true", "yes")


def _neutralising(send):
    """``send`` with formula cells of a CSV response neutralised
    (``ledger.core.csvsafe``); any other response passes through as it is."""
    from ledger.core.csvsafe import StreamNeutraliser

    state = {"csv": None}

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            ctype = dict((k.lower(), v) for k, v in message.get("headers", [])).get(b"content-type", b"")
            if message.get("status") == 200 and ctype.split(b";")[0].strip() in (b"text/csv", b"text/plain"):
                state["csv"] = StreamNeutraliser()
                message = dict(message, headers=headers)
        elif message["type"] == "http.response.body" and state["csv"] is not None:
            body = state["csv"].feed(message.get("body", b""))
            if not message.get("more_body", False):
                body += state["csv"].close()
            message = dict(message, body=body)
        await send(message)

    return wrapped


def _ledger_paths(datasette) -> dict[bytes, bytes]:
    """Each ledger database's file path, and the file name shown in its place."""
    paths = {}
    for name, db in datasette.databases.items():
        if getattr(db, "path", None) and ledger_database(datasette, name):
            paths[str(db.path).encode("utf-8")] = Path(db.path).name.encode("utf-8")
    return paths


def _without_paths(send, paths: dict[bytes, bytes]):
    """``send`` with the ledger files' paths replaced by their names in the
    response (``/-/databases``), so --live does not show where the ledger lives."""
    held = {"start": None, "body": []}

    async def wrapped(message):
        if not paths:
            await send(message)
        elif message["type"] == "http.response.start":
            held["start"] = message
        elif message["type"] == "http.response.body":
            held["body"].append(message.get("body", b""))
            if not message.get("more_body", False):
                body = b"".join(held["body"])
                for path, name in sorted(paths.items(), key=lambda kv: -len(kv[0])):
                    body = body.replace(path, name)
                start = held["start"]
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send(dict(start, headers=headers))
                await send({"type": "http.response.body", "body": body})
        else:
            await send(message)

    return wrapped
