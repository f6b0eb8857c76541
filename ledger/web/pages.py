"""What the claim and source pages show, read from a ledger connection (issue 19: split from
``ledger/web/__init__.py``). The functions take a ``sqlite3.Connection`` so tests can call them directly;
what lives in the store (the inclusion proof) comes through ``ledger.services.pages``.
"""

from __future__ import annotations

import sqlite3

from ledger.services.pages import claim_proof
from ledger.web.render import Numbered, annotated_html, passage_html

# Columns of status/history rows that repeat the claim the page is about
REPEATED_COLUMNS = {"claim_id", "source_id", "subject", "predicate", "value"}


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
            # the view fact_details writes the rule the facts table holds once per predicate (m142)
            facts = "fact_details" if "fact_details" in objects else "facts"
            fact_cols = _columns(conn, facts)
            wanted = [c for c in ("status", "support", "rule", "value_count", "independent_count", "time_start", "time_end") if c in fact_cols]
            fact = None
            if wanted:
                found = _rows(conn, f"SELECT {', '.join(map(_quote, wanted))} FROM {facts} WHERE fact_key = ?", [mine[0]])
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
    page["proof"] = claim_proof(conn, claim_id)
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
