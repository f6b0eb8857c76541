"""The ledger's schema is exactly what docs/schema.md says, made by frozen
migrations applied in a stated order (issue 19), as llm's tests/test_migrate.py
asserts its exact schema: any change to a table, column, index, trigger or view
shows in review as a change to docs/schema.md."""

import ast
import hashlib
import inspect
import json
import re
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from ledger.store import migrations as migrations_module
from ledger.store.db import open_db, write_transaction
from ledger.store.migrations import ORDER, migrations
from ledger.store.schema_check import expected_schema, fresh_schema_markdown, read_schema
from ledger.store.shape import ensure_shape

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "schema.md"

# The AST of each migration's function as it shipped (formatting aside). An
# applied migration is never edited: a change to the schema is a new migration
# at the end of ORDER, whose digest is added here.
FROZEN = {
    "m001_create_sources": "715cc2c4f6cb3312",
    "m002_create_claims": "e88ba645c6956692",
    "m003_create_claim_files": "fb53130a100374a0",
    "m040_full_text_search": "5671aeb90d5eda26",
    "m041_claims_fact_nocase_index": "0d257cf2159a0b93",
    "m030_source_snapshots": "c093398adc772170",
    "m031_create_reviews": "abc8ab8f78e1692e",
    "m010_history": "73aadad67b44d748",
    "m020_comparison_tables": "5c6bfa5894cabe02",
    "m032_reviews_append_only": "7a0e82cfcbb0a4e3",
    "m050_source_files": "5c955ef090d24e78",
    "m051_claims_status_confidence_indexes": "6148d16d5f01db18",
    "m011_claims_supersedes": "9e2574cc5dcc959d",
    "m052_facet_counts": "6b17ef3b7b04e6fd",
    "m053_claims_supersedes_index": "0f2bf6f3886ee493",
    "m054_sources_page_indexes": "1a5bb28c7f0f575e",
    "m055_claims_predicate_page_index": "6b105c4bded74f00",
    "m060_view_facet_counts": "6bcf9840560aef2d",
    "m061_drop_span_audit_view": "8771cf20428f0e54",
    "m062_claims_predicate_facet_indexes": "48575b35f5df3d16",
    "m063_view_facet_counts_without_tidying": "733c543783233140",
    "m070_claims_support": "8147292cc12f23f9",
    "m080_reviews_in_history": "98372d0706a8d862",
    "m081_checkpoints": "d8841c0fe8aa0db0",
    "m120_fact_model_scope_and_containment": "d63bf58b99ec5a0a",
    "m110_create_captures": "7b12e1a3f8cd681f",
    "m111_create_source_field_origins": "689a0402c041560b",
    "m140_derived_state_in_bulk": "ea81c11688374409",
    "m141_source_shingles_by_rowid": "45bf1de8ab669e08",
    "m142_facts_hold_only_their_own": "13a2b00da8cdc164",
    "m143_claims_indexes_narrowed": "f2d983ce9de25e97",
    # m060 and m063 build their triggers' SQL with these
    "(m060 helpers)": "df9bc89ba90eb208",
}


def _digest(node: ast.AST) -> str:
    if isinstance(node, ast.FunctionDef):
        node = ast.FunctionDef(node.name, node.args, node.body, [], node.returns, node.type_comment)
    return hashlib.sha256(ast.dump(node, annotate_fields=False).encode()).hexdigest()[:16]


def migration_digests() -> dict[str, str]:
    tree = ast.parse(inspect.getsource(migrations_module))
    out, helpers = {}, []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in ORDER:
            out[node.name] = _digest(node)
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("_m060"):
            helpers.append(_digest(node))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "").startswith("_M060") for t in node.targets):
            helpers.append(_digest(node))
    out["(m060 helpers)"] = hashlib.sha256("".join(helpers).encode()).hexdigest()[:16]
    return out


def documented_schema() -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"\]\]\] -->\n(.*)<!-- \[\[\[end\]\]\] -->", text, re.S)
    assert m, "docs/schema.md lost its cog block"
    return m.group(1)


def test_a_fresh_ledger_has_exactly_the_documented_schema():
    assert fresh_schema_markdown() == documented_schema(), (
        "the schema of a new ledger differs from docs/schema.md: if the change is meant, run "
        "`.venv/bin/cog -r docs/schema.md` and commit the page (and the migration that made the change)"
    )


def test_the_documented_schema_names_every_object_once():
    doc = documented_schema()
    conn = sqlite3.connect(":memory:")
    schema = expected_schema(tuple(ORDER))
    conn.close()
    for kind, name in schema:
        assert f"### {name}\n" in doc or f"- `{name}` (made by SQLite" in doc, (kind, name)
    # what issue 19 removed stays removed: dead triggers, row-trigger facet counts, the dirty table,
    # the redundant predicate index
    triggers = sorted(name for kind, name in schema if kind == "trigger")
    assert triggers == [
        "checkpoints_no_delete", "checkpoints_no_update",
        "claim_events_no_delete", "claim_events_no_update",
        "claims_ai", "claims_no_delete", "claims_no_update",
        "history_no_delete", "history_no_update",
        "reviews_no_delete", "reviews_no_update",
        "sources_ai", "sources_no_delete", "sources_no_update",
    ]
    assert ("table", "compare_dirty") not in schema
    assert ("index", "idx_claims_predicate") not in schema
    # m143: the claims indexes that carried columns no query reads from them
    for name in ("idx_claims_fact", "idx_claims_fact_nocase", "idx_claims_predicate_page"):
        assert ("index", name) not in schema


def test_verify_expects_the_schema_a_fresh_ledger_has(tmp_path):
    db = open_db(tmp_path / "ledger.db")
    with write_transaction(db):
        ensure_shape(db)
    assert read_schema(db.conn) == expected_schema(tuple(ORDER))
    db.close()


def test_migrations_are_applied_in_the_stated_order(tmp_path):
    assert [m.name for m in migrations._migrations] == list(ORDER)
    assert len(set(ORDER)) == len(ORDER)
    db = open_db(tmp_path / "ledger.db")
    applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'ledger' ORDER BY rowid")]
    assert applied == list(ORDER)
    # the stated order is not the order of the names: sorting them would run m010 before m040
    assert applied != sorted(applied)


def test_applied_migrations_are_frozen():
    got = migration_digests()
    assert list(got)[: len(ORDER)] == list(ORDER)
    changed = {name: (FROZEN.get(name), digest) for name, digest in got.items() if FROZEN.get(name) != digest}
    assert not changed, (
        "an applied migration was edited (or a new one lacks its digest here): never edit one that shipped, add a "
        f"new migration at the end of ORDER instead; (frozen, now): {changed}"
    )


def test_m140_keeps_the_counts_of_a_ledger_made_with_the_row_triggers(tmp_path, workdir, monkeypatch):
    """A ledger built while the row triggers kept facet_counts, then migrated
    by m140 and m141: its counts stand, the next write keeps them exact in
    bulk and fingerprints the sources again, and every derived table equals
    its recomputation (verify --deep's check)."""
    from ledger.services.ingest import build
    from ledger.store import derived
    from ledger.store.derived_check import check_derived
    from ledger.store.facet_counts import mismatches

    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(db, stop_before="m140_derived_state_in_bulk")
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 31
    # today's comparison writes the shingles m141 makes: the old ledger's rows go in with the triggers alone
    with monkeypatch.context() as m:
        m.setattr(derived, "refresh", lambda db, **kw: {})
        build(db, workdir / "sources", workdir / "claims")
    before = db.execute("SELECT * FROM facet_counts WHERE count != 0 AND tbl = 'claims' ORDER BY 1, 2, 3").fetchall()
    # the claims table's counts (the views build made are today's, over tables m142 makes: checked after it)
    for col in ("predicate", "status", "source_id"):
        live = db.execute(f"SELECT 'claims', '{col}', [{col}], count(*) FROM claims GROUP BY [{col}] ORDER BY 3").fetchall()
        assert live == [r for r in before if r[1] == col]
    db.close()
    db = open_db(path)  # applies m140 and m141
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 14
    assert db.execute("SELECT * FROM facet_counts WHERE count != 0 AND tbl = 'claims' ORDER BY 1, 2, 3").fetchall() == before
    assert mismatches(db) == []
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    assert db.execute("SELECT value FROM compare_state WHERE key = 'facet_claims_rowid'").fetchone() == (str(claims),)
    with write_transaction(db):
        ensure_shape(db)
    assert db.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM source_shingles").fetchone()[0] > 0
    assert mismatches(db) == []
    assert list(check_derived(db)) == []
    db.close()


def test_m142_moves_the_facts_of_an_older_ledger_losslessly(tmp_path, monkeypatch):
    """issue 19: a ledger whose facts hold each rule, timeline and values list
    in every row (made before m142), migrated: fact_details reads every fact
    exactly as it was held, the rule and the timeline are held once, values
    lists that say no more than the row are not held, and verify --deep's
    recomputation agrees."""
    from ledger.services.ingest import build
    from ledger.store import compare, derived, views
    from ledger.store.derived_check import check_derived

    monkeypatch.chdir(ROOT)  # the demo's entities.yml
    new = open_db(tmp_path / "new.db")
    build(new, ROOT / "sources", ROOT / "claims")
    cols = [r[1] for r in new.execute("PRAGMA table_info(fact_details)")]
    # each fact as the comparison wrote it before m142, made here in Python from the row and the tables
    # that hold each rule and timeline once: every values list, timeline and rule in full
    rules = dict(new.execute("SELECT predicate, rule FROM fact_rules").fetchall())
    timelines = dict(new.execute("SELECT topic, timeline_json FROM fact_timelines").fetchall())
    held = []
    for row in new.execute("SELECT * FROM facts ORDER BY fact_key").fetchall():
        f = dict(zip([r[1] for r in new.execute("PRAGMA table_info(facts)")], row))
        one = [{"value": f["value_norm"], "raw": [f["value"]], "claims": f["claim_count"], "sources": f["source_count"],
                "independent_sources": f["independent_count"]}]
        f["values_json"] = f["values_json"] or json.dumps(one, ensure_ascii=False, separators=(", ", ": "))
        f["timeline_json"] = timelines[f["topic"]] if f["timeline"] else None
        f["rule"] = rules[f["predicate"]]
        held.append(tuple(f[c] for c in cols))
    assert new.execute("SELECT * FROM fact_details ORDER BY fact_key").fetchall() == held
    report = [g for g in compare.iter_compare(new)]
    assert any(r[cols.index("timeline_json")] for r in held) and any(r[cols.index("value_count")] > 1 for r in held)
    new.close()

    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(db, stop_before="m142_facts_hold_only_their_own")
    with monkeypatch.context() as m:  # the rows alone, then the comparison's tables as the older version wrote them
        m.setattr(derived, "refresh", lambda db, **kw: {})
        m.setattr(views, "create", lambda db: None)
        build(db, ROOT / "sources", ROOT / "claims")
    assert [r[1] for r in db.execute("PRAGMA table_info(facts)")] == cols
    db.execute("ATTACH ? AS new", [str(tmp_path / "new.db")])
    with db.conn:
        db.conn.executemany(f"INSERT INTO facts VALUES ({', '.join('?' * len(cols))})", held)
        for t in ("entities", "entity_aliases", "claim_values", "source_shingles", "source_fingerprints", "source_duplicates", "source_independence",
                  "compare_state", "facet_counts"):
            db.execute(f"DELETE FROM main.[{t}]")
            db.execute(f"INSERT INTO main.[{t}] SELECT * FROM new.[{t}]")
    db.execute("DETACH new")
    db.close()

    db = open_db(path)  # applies m142 and m143, and makes the views again
    assert db.execute("SELECT * FROM fact_details ORDER BY fact_key").fetchall() == held
    n_facts, n_lists, n_timelines = db.execute("SELECT count(*), count(values_json), count(timeline) FROM facts").fetchone()
    assert 0 < n_lists < n_facts and n_timelines > 0
    assert db.execute("SELECT count(*) FROM fact_timelines").fetchone()[0] < n_timelines
    assert db.execute("SELECT count(*) FROM fact_rules").fetchone()[0] == db.execute(
        "SELECT count(DISTINCT predicate) FROM facts"
    ).fetchone()[0]
    assert list(compare.iter_compare(db)) == report
    problems = list(check_derived(db))
    assert problems == [], [p[0] for p in problems]
    db.close()
