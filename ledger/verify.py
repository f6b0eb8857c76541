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
ORDER = ("database", "hashes", "chain", "spans")

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
    for cid, sid, start, end, span_text, recomputed, missing, prefix_ok, suffix_ok, in_range in db.execute(
        SPAN_AUDIT_SQL
    ):
        if missing:
            msg = f"source {sid} is not in the ledger"
        elif not in_range:
            msg = f"span [{start}:{end}] runs past the end of the source"
        elif recomputed != span_text:
            msg = f"span [{start}:{end}] holds {recomputed!r} in the source, the claim stores {span_text!r}"
        elif not prefix_ok:
            msg = f"the stored prefix does not match the text before [{start}:{end}]"
        else:
            msg = f"the stored suffix does not match the text after [{start}:{end}]"
        yield Failure("spans", cid, msg)


CHECKS = {"database": check_database, "hashes": check_hashes, "spans": check_spans}


def verify(db: Database) -> dict:
    """Run every check; return counts, failures and the exit code they mean."""
    failures: list[Failure] = []
    for kind in ORDER:
        check = CHECKS.get(kind)
        if check:
            failures.extend(check(db))
    counts = {
        "sources": db.execute("SELECT count(*) FROM sources").fetchone()[0],
        "claims": db.execute("SELECT count(*) FROM claims").fetchone()[0],
    }
    first = next((k for k in ORDER if any(f.kind == k for f in failures)), None)
    return {
        "ok": not failures,
        "exit_code": EXIT_CODES[first] if first else 0,
        "checked": counts,
        "failures": [asdict(f) for f in failures],
    }
