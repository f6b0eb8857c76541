"""Re-check everything the ledger asserts about itself.

Each check yields failures as ``Failure(kind, item, message)``. The exit code
says what kind of failure was found first in the order below (the most
fundamental first), so a script can tell them apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from sqlite_utils import Database

EXIT_CODES = {"database": 6, "hashes": 4, "chain": 5, "spans": 3}
# A claim row edited behind the ledger's back breaks its history entry too;
# when the edit moved a span off its text, "spans" (3) is the more telling
# code, so spans come before chain: an edited value, note or history entry
# gives 5, an edited span 3, an edited source text 4.
ORDER = ("database", "hashes", "spans", "chain")

# Recomputes every span, and its prefix and suffix, from the source text in
# SQL. substr() counts code points, as Python indexing does.
SPAN_AUDIT_SQL = """
SELECT c.id, c.source_id, c.span_start, c.span_end, c.span_text,
       substr(s.text, c.span_start + 1, c.span_end - c.span_start) AS recomputed,
       s.id IS NULL AS missing_source,
       substr(s.text, c.span_start - length(c.prefix) + 1, length(c.prefix)) = c.prefix AS prefix_ok,
       substr(s.text, c.span_end + 1, length(c.suffix)) = c.suffix AS suffix_ok,
       c.span_end <= s.length AS in_range
FROM claims c LEFT JOIN sources s ON s.id = c.source_id
WHERE s.id IS NULL
   OR substr(s.text, c.span_start + 1, c.span_end - c.span_start) IS NOT c.span_text
   OR substr(s.text, c.span_start - length(c.prefix) + 1, length(c.prefix)) IS NOT c.prefix
   OR substr(s.text, c.span_end + 1, length(c.suffix)) IS NOT c.suffix
   OR c.span_end > s.length
"""


@dataclass
class Failure:
    kind: str  # database | hashes | chain | spans
    item: str  # the claim id, source id or entry that failed
    message: str

    def line(self) -> str:
        return f"{self.kind}: {self.item}: {self.message}"


def check_database(db: Database):
    rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        for r in rows:
            yield Failure("database", "integrity_check", r)
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall():
        yield Failure("database", f"{table} rowid {rowid}", f"refers to a missing row in {parent}")


def check_hashes(db: Database):
    for sid, slug, text, length in db.execute("SELECT id, slug, text, length FROM sources ORDER BY slug"):
        actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if actual != sid:
            yield Failure(
                "hashes", sid, f"source {slug!r}: text hashes to {actual}, expected {sid} (the text was altered)"
            )
        elif length != len(text):
            yield Failure("hashes", sid, f"source {slug!r}: length is {length}, the text has {len(text)} code points")


def check_spans(db: Database):
    """Recompute every span, and its prefix and suffix, from its source text.

    The same checks as SPAN_AUDIT_SQL, done in Python: claims are read in
    storage order and each source text is fetched once for the run of claims
    on it (claims are written a source at a time). SQL's substr() re-reads a
    4 KB text from its overflow pages for every claim, which made this check
    several times slower than one bare substr() scan.
    """
    texts: dict = {}
    fetch = db.conn.execute
    for cid, sid, start, end, span_text, prefix, suffix in db.conn.execute(
        "SELECT id, source_id, span_start, span_end, span_text, prefix, suffix FROM claims"
    ):
        held = texts.get(sid, _UNSEEN)
        if held is _UNSEEN:
            if len(texts) >= 64:
                texts.clear()
            held = texts[sid] = fetch("SELECT text, length FROM sources WHERE id = ?", [sid]).fetchone()
        if held is None:
            msg = f"source {sid} is not in the ledger"
        else:
            text, length = held
            if end > length:
                msg = f"span [{start}:{end}] runs past the end of the source"
            elif text[start:end] != span_text:
                msg = f"span [{start}:{end}] holds {text[start:end]!r} in the source, the claim stores {span_text!r}"
            elif len(prefix) > start or text[start - len(prefix) : start] != prefix:
                msg = f"the stored prefix does not match the text before [{start}:{end}]"
            elif text[end : end + len(suffix)] != suffix:
                msg = f"the stored suffix does not match the text after [{start}:{end}]"
            else:
                continue
        yield Failure("spans", cid, msg)


_UNSEEN = object()


def check_chain(db: Database, head: str | None = None):
    """The history's hash chain, every row against its entry, claim statuses,
    and (given one) a published head (ledger/history.py)."""
    from .history import check_chain as chain_breaks

    for item, message in chain_breaks(db, head):
        yield Failure("chain", item, message)


CHECKS = {"database": check_database, "hashes": check_hashes, "chain": check_chain, "spans": check_spans}


def verify(db: Database, head: str | None = None) -> dict:
    """Run every check; return counts, failures and the exit code they mean.
    ``head``: a head hash published earlier, which must still be in the chain."""
    failures: list[Failure] = []
    for kind in ORDER:
        check = CHECKS.get(kind)
        if check:
            failures.extend(check(db, head) if kind == "chain" else check(db))
    counts = {
        "sources": db.execute("SELECT count(*) FROM sources").fetchone()[0],
        "claims": db.execute("SELECT count(*) FROM claims").fetchone()[0],
        "entries": db.execute("SELECT count(*) FROM history").fetchone()[0],
    }
    from .history import head as history_head

    counts["head"] = (history_head(db) or {}).get("hash")
    first = next((k for k in ORDER if any(f.kind == k for f in failures)), None)
    return {
        "ok": not failures,
        "exit_code": EXIT_CODES[first] if first else 0,
        "checked": counts,
        "failures": [asdict(f) for f in failures],
    }
