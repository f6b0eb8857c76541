"""Every foreign key into a bulk-written table has an index on its child
columns (issue 7). While a write's foreign-key check is deferred to commit,
each row inserted into a parent table makes SQLite look up the rows that
reference it; without an index that is a scan per inserted row, and an import
becomes quadratic in the ledger's size."""

from ledger.store.db import open_db

BULK_WRITTEN = {"claims", "sources"}


def test_foreign_keys_into_claims_and_sources_have_child_indexes(tmp_path):
    db = open_db(tmp_path / "ledger.db")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    missing = []
    for table in tables:
        for fk in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
            parent, child_col = fk[2], fk[3]
            if parent not in BULK_WRITTEN:
                continue
            plan = " ".join(
                r[3] for r in db.execute(f"EXPLAIN QUERY PLAN SELECT 1 FROM [{table}] WHERE [{child_col}] = ?", ["x"])
            )
            if "USING" not in plan:  # SCAN without an index
                missing.append(f"{table}.{child_col} -> {parent}: {plan}")
    assert missing == []


def test_claims_page_filtered_by_predicate_gets_its_facets_grouped_by_index(tmp_path):
    """The status and source_id facets of /ledger/claims?predicate=X (m062): Datasette's facet SQL over the
    filtered page reads an index that gives the rows grouped, with no temporary B-tree for the GROUP BY."""
    db = open_db(tmp_path / "ledger.db")
    for col in ("status", "source_id"):
        sql = (
            f"select {col} as value, count(*) as count from (select * from claims where \"predicate\" = :p0) "
            f"where {col} is not null group by {col} order by count desc, value limit 31"
        )
        plan = " | ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", {"p0": "title"}))
        assert "COVERING INDEX idx_claims_predicate_" in plan and "FOR GROUP BY" not in plan, plan


def test_claims_pages_by_subject_read_an_index_in_their_order(tmp_path):
    """m143 (issue 19): the claims page (sorted by subject, then rowid, as Datasette pages it), its
    ?subject= and ?predicate= filters, and the claim page's same-subject-ignoring-case lookup each read an
    index that gives their rows in order, with no scan and no temporary B-tree, though the claims indexes no
    longer carry the value and the 64-character source id."""
    db = open_db(tmp_path / "ledger.db")
    queries = {
        "select rowid, * from claims order by subject, rowid limit 101": {},
        "select rowid, * from claims where (subject > :s or (subject = :s and rowid > :r)) order by subject, rowid limit 101": {"s": "x", "r": 1},
        "select rowid, * from claims where subject = :s order by subject, rowid limit 101": {"s": "x"},
        "select rowid, * from claims where predicate = :p order by subject, rowid limit 101": {"p": "title"},
        "select rowid, * from claims where subject = :s and predicate = :p order by subject, rowid limit 101": {"s": "x", "p": "title"},
        "select id from claims c where c.subject = :s COLLATE NOCASE and c.predicate = :p COLLATE NOCASE": {"s": "x", "p": "title"},
    }
    for sql, params in queries.items():
        plan = " | ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "USING INDEX idx_claims_" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    sizes = {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'claims'")}
    assert not [n for n, sql in sizes.items() if sql and "source_id" in sql and "value" in sql]
