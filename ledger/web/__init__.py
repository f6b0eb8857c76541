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
import unicodedata
import urllib.parse
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from markupsafe import Markup, escape
from sqlite_utils import Database

# Characters that change how text displays without being seen: zero-width
# and bidi controls. Shown as a visible code point, kept in the text.
INVISIBLE_RE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CLAIM_ID_RE = re.compile(r"^c[0-9a-f]{16}$")
SOURCE_ID_RE = re.compile(r"^[0-9a-f]{64}$")
HASH_RE = re.compile(r"^([a-z0-9-]+:)?[0-9a-f]{40,}$")

# How much of the source around a span the claim page shows at most
CONTEXT_CHARS = 400
# Columns of status/history rows that repeat the claim the page is about
REPEATED_COLUMNS = {"claim_id", "source_id", "subject", "predicate", "value"}
# Columns that hold a claim id wherever they appear (tables other than
# claims, views, query results), so they link to the claim page
CLAIM_ID_COLUMNS = {"claim_id", "other_claim_id", "replaced_by", "supersedes"}
# Views whose `id` column is a claim id, so it links to the claim page
CLAIM_VIEWS = {"claim_spans", "claim_provenance"}
SOURCE_VIEWS = {"source_summary"}


# ---------------------------------------------------------------- HTML pieces


def text_html(text: str) -> Markup:
    """Escape ``text``; zero-width and bidi control characters are kept but
    wrapped so they show as their code point and cannot reorder the page."""
    if not text:
        return Markup("")
    out = []
    pos = 0
    for m in INVISIBLE_RE.finditer(text):
        out.append(escape(text[pos : m.start()]))
        ch = m.group()
        name = unicodedata.name(ch, "control character")
        out.append(
            Markup('<span class="ledger-invisible" title="{}" data-codepoint="U+{:04X}">{}</span>').format(
                name, ord(ch), ch
            )
        )
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def safe_url(url) -> str | None:
    """``url`` if it is an absolute http(s) URL a browser can follow as is, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def url_html(url) -> Markup:
    """A link for an http(s) URL; any other value as plain escaped text."""
    if url is None or url == "":
        return Markup('<span class="ledger-missing">not recorded</span>')
    good = safe_url(url)
    if good:
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(good, good)
    return Markup('{} <span class="ledger-missing">(not an http(s) address, so not linked)</span>').format(
        text_html(str(url))
    )


def passage_bounds(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The paragraph around ``text[start:end]``, clipped to ``context``
    characters either side at a sentence or word boundary."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi == -1 else hi
    if start - lo > context:
        window = text[start - context : start]
        cut = max(window.find(". "), window.find("\u201d "), window.find('" '))
        if cut == -1:
            cut = window.find(" ")
        lo = start - context + (cut + 2 if cut != -1 else 0)
        lo = min(lo, start)
    if hi - end > context:
        window = text[end : end + context]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        if cut == -1:
            cut = window.rfind(" ")
        hi = end + (cut + 1 if cut != -1 else context)
    return lo, hi


def passage_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> Markup:
    """The passage around a span with the span in ``<mark>``: the mark's text
    is exactly ``text[start:end]``."""
    lo, hi = passage_bounds(text, start, end, context)
    return Markup('{}{}<mark class="ledger-span" id="span">{}</mark>{}{}').format(
        "\u2026 " if lo > 0 and text[lo - 1] != "\n" else "",
        text_html(text[lo:start]),
        text_html(text[start:end]),
        text_html(text[end:hi]),
        " \u2026" if hi < len(text) and text[hi] != "\n" else "",
    )


@dataclass
class Numbered:
    number: int
    id: str
    start: int
    end: int
    subject: str
    predicate: str
    value: str
    span_text: str
    extra: dict = field(default_factory=dict)


def annotated_html(text: str, claims: list[Numbered], claim_url=lambda c: f"#claim-{c.number}") -> Markup:
    """The whole text with every claim's span in ``<mark>`` and its number at
    its start. Overlapping spans split into segments; a segment covered by
    several claims is marked once, darker, listing them all. One sweep over
    the span boundaries, so a source with thousands of claims stays fast."""
    spans = sorted((c for c in claims if 0 <= c.start < c.end <= len(text)), key=lambda c: (c.start, c.end, c.number))
    starts: dict[int, list[Numbered]] = {}
    ends: dict[int, list[Numbered]] = {}
    for c in spans:
        starts.setdefault(c.start, []).append(c)
        ends.setdefault(c.end, []).append(c)
    points = sorted({0, len(text), *starts, *ends})
    active: dict[int, Numbered] = {}
    out = []
    for a, b in zip(points, points[1:]):
        for c in ends.get(a, []):
            active.pop(c.number, None)
        for c in starts.get(a, []):
            active[c.number] = c
            out.append(
                Markup('<a class="ledger-claim-no" id="at-claim-{}" href="{}" title="claim {}: {} \u00b7 {}">{}</a>').format(
                    c.number, claim_url(c), c.number, c.subject, c.predicate, c.number
                )
            )
        piece = text_html(text[a:b])
        if active:
            numbers = " ".join(str(n) for n in sorted(active))
            out.append(
                Markup('<mark class="ledger-span depth-{}" data-claims="{}" title="claims {}">{}</mark>').format(
                    min(len(active), 3), numbers, numbers, piece
                )
            )
        else:
            out.append(piece)
    return Markup("").join(out)


# ---------------------------------------------------------------- reading the ledger


def _rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _objects(conn: sqlite3.Connection) -> dict[str, str]:
    return {name: type_ for name, type_ in conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')")}


def _columns(conn: sqlite3.Connection, name: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(name)})")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_ledger(conn: sqlite3.Connection) -> bool:
    objects = _objects(conn)
    return objects.get("claims") == "table" and objects.get("sources") == "table"


SAME_FACT_SELECT = (
    "SELECT c.id, c.subject, c.predicate, c.value, c.confidence, c.as_of, c.valid_from, c.valid_to, "
    "c.span_text, c.source_id, s.slug AS source, s.title, s.publisher, s.published, s.date_basis"
)


def same_fact_claims(conn: sqlite3.Connection, claim: dict) -> dict:
    """The claims from other sources on the same fact as ``claim``.

    When the comparison tables are there (``claim_values`` with a fact key per
    claim, ``facts`` with each fact's status and rule) they decide what the
    same fact is and whether values agree; otherwise the same subject and
    predicate ignoring case does, and values agree when equal ignoring case.
    Returns ``{"rows", "rule", "fact"}``; each row has ``same_value``.
    """
    objects = _objects(conn)
    order = " ORDER BY s.published, s.slug, c.span_start"
    if {"claim_values", "facts"} <= set(objects) and {"claim_id", "fact_key", "value_norm"} <= set(
        _columns(conn, "claim_values")
    ):
        mine = conn.execute("SELECT fact_key, value_norm FROM claim_values WHERE claim_id = ?", [claim["id"]]).fetchone()
        if mine and mine[0] is not None:
            fact_cols = _columns(conn, "facts")
            wanted = [c for c in ("status", "support", "rule", "value_count", "independent_count", "time_start", "time_end") if c in fact_cols]
            fact = None
            if wanted:
                found = _rows(conn, f"SELECT {', '.join(map(_quote, wanted))} FROM facts WHERE fact_key = ?", [mine[0]])
                fact = found[0] if found else None
            rows = _rows(
                conn,
                SAME_FACT_SELECT + ", b.value_norm, b.value_norm IS ? AS same_value"
                + (", b.independence_note" if "independence_note" in _columns(conn, "claim_values") else "")
                + " FROM claim_values b JOIN claims c ON c.id = b.claim_id JOIN sources s ON s.id = c.source_id"
                " WHERE b.fact_key = ? AND c.source_id != ?" + order,
                [mine[1], mine[0], claim["source_id"]],
            )
            return {"rows": rows, "rule": "the comparison's fact key (subject entity, predicate and time; see fact_groups)", "fact": fact}
    rows = _rows(
        conn,
        SAME_FACT_SELECT + ", lower(c.value) = lower(?) AS same_value FROM claims c JOIN sources s ON s.id = c.source_id "
        "WHERE c.subject = ? COLLATE NOCASE AND c.predicate = ? COLLATE NOCASE AND c.source_id != ?" + order,
        [claim["value"], claim["subject"], claim["predicate"], claim["source_id"]],
    )
    return {"rows": rows, "rule": "the same subject and predicate, ignoring case", "fact": None}


def related_rows(conn: sqlite3.Connection, name: str, claim_id: str) -> tuple[list[str], list[dict]] | None:
    """Rows of a status or history table/view about one claim, if the ledger
    has one: matched on its ``claim_id`` column (or ``id``)."""
    if name not in _objects(conn):
        return None
    cols = _columns(conn, name)
    key = "claim_id" if "claim_id" in cols else "id" if "id" in cols else None
    if key is None:
        return None
    order = next((c for c in ("seq", "entry_id", "recorded_at", "at", "created_at") if c in cols), None)
    sql = f"SELECT * FROM {_quote(name)} WHERE {_quote(key)} = ?"
    if order:
        sql += f" ORDER BY {_quote(order)}"
    rows = _rows(conn, sql + " LIMIT 200", [claim_id])
    # leave out what the page already shows, and columns empty in every row
    cols = [c for c in cols if c not in REPEATED_COLUMNS and any(r.get(c) not in (None, "") for r in rows)]
    return cols, rows


def claim_page(conn: sqlite3.Connection, claim_id: str) -> dict | None:
    """Everything a claim page shows besides the row itself."""
    if not is_ledger(conn):
        return None
    found = _rows(conn, "SELECT * FROM claims WHERE id = ?", [claim_id])
    if not found:
        return None
    claim = found[0]
    sources = _rows(conn, "SELECT * FROM sources WHERE id = ?", [claim["source_id"]])
    source = sources[0] if sources else None
    page = {"claim": claim, "source": source, "passage": None, "span_matches": False}
    if source is not None:
        text = source["text"] or ""
        start, end = claim["span_start"], claim["span_end"]
        page["span_matches"] = 0 <= start <= end <= len(text) and text[start:end] == claim["span_text"]
        if page["span_matches"]:
            page["passage"] = passage_html(text, start, end)
    page["support"] = claim_support(claim, source, conn)
    page["same_fact"] = same_fact_claims(conn, claim)
    for name in ("claim_status", "claim_history"):
        page[name] = related_rows(conn, name, claim_id)
    # the history feature's status (current, superseded, ...) when it is there
    status_rows = page["claim_status"][1] if page["claim_status"] else []
    latest = status_rows[0] if status_rows else {}
    from ledger.core.states import entry_state, state

    page["status"] = state(claim.get("status"), latest.get("status"))  # issue 14: one vocabulary
    page["entered_as"] = entry_state(claim.get("status"))  # never an older word (recorded, machine-extracted)
    page["withdrawn"] = page["status"] in ("superseded", "retracted", "orphaned")
    page["status_note"] = {k: latest.get(k) for k in ("replaced_by", "reason", "changed_at", "changed_by")}
    # issue 15: the claim's inclusion proof against the latest signed checkpoint that covers it
    from ledger.store import tlog

    page["proof"] = tlog.claim_proof(Database(conn), claim_id)
    return page


def claim_support(claim: dict, source: dict | None, conn=None) -> dict:
    """How the span supports the value, in words (issue 14): re-assessed from
    the span as the page is drawn, so the page never shows a tick over a
    value its span contradicts, whatever the row says."""
    from ledger.core.support import NameAliases, assess, describe

    got = assess(
        claim.get("value") or "", claim.get("span_text") or "", claim.get("predicate"),
        published=(source or {}).get("published"), paraphrase=claim.get("paraphrase"),
        source_text=(source or {}).get("text"), aliases=NameAliases.from_db(conn) if conn is not None else None,
    )
    recorded = claim.get("support")
    return {
        "level": got.level,
        "words": describe(got.level, got.detail),
        "ok": got.level in ("exact", "normalised", "quotation"),
        "recorded": recorded,
        "disagrees": recorded is not None and recorded != got.level,
    }


def source_page(conn: sqlite3.Connection, source_id: str) -> dict | None:
    """The source's text with every claim numbered and highlighted, and the list of them."""
    if not is_ledger(conn):
        return None
    found = _rows(conn, "SELECT * FROM sources WHERE id = ?", [source_id])
    if not found:
        return None
    source = found[0]
    claims = [
        Numbered(
            number=i,
            id=r["id"],
            start=r["span_start"],
            end=r["span_end"],
            subject=r["subject"],
            predicate=r["predicate"],
            value=r["value"],
            span_text=r["span_text"],
            extra={"confidence": r["confidence"], "speaker": r["speaker"]},
        )
        for i, r in enumerate(
            _rows(
                conn,
                "SELECT id, span_start, span_end, subject, predicate, value, span_text, confidence, speaker "
                "FROM claims WHERE source_id = ? ORDER BY span_start, span_end, id",
                [source_id],
            ),
            1,
        )
    ]
    text = source["text"] or ""
    mismatched = [c.number for c in claims if text[c.start : c.end] != c.span_text]
    objects = _objects(conn)
    # issue 20: where each metadata field came from, and the HTTP capture behind the source
    origins = (
        {r["field"]: r["origin"] for r in _rows(conn, "SELECT field, origin FROM source_field_origins WHERE source_id = ?", [source_id])}
        if objects.get("source_field_origins") == "table"
        else {}
    )
    captures = (
        _rows(conn, "SELECT target_uri, warc_date, http_status, payload_digest, digests_checked, warc_path, container "
              "FROM captures WHERE source_id = ? ORDER BY warc_date", [source_id])
        if objects.get("captures") == "table"
        else []
    )
    return {
        "source": source,
        "claims": claims,
        "annotated": annotated_html(text, claims),
        "mismatched": mismatched,
        "origins": origins,
        "captures": captures,
    }


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
    from ledger.services.publish import DATABASE_NAME
    from ledger.store.shape import VIEWS, _load_features
    from ledger.web.heavy import HeavyGate, is_heavy, query_params, request_parts

    _load_features()
    views = frozenset(VIEWS)
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
