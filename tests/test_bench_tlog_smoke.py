"""Issue 15's scale benchmarks work at toy scale: the assembled ledger
(bench.assemble) verifies, its proofs have ceil(log2 n) hashes, and the
synthetic histories (bench.tlog_entries) are valid chains. Timings are not
checked here: they live in bench/ and BENCHMARKS.md."""

import math

from bench.assemble import assemble
from bench.corpus import write_corpus
from bench.tlog_entries import make_history
from bench.tlog_scale import one_ledger
from ledger.store import history
from ledger.store import tlog
from ledger.services import verify as v
from ledger.store.db import open_db
from ledger.services.ingest import build


def test_an_assembled_ledger_verifies_and_proves(tmp_path):
    write_corpus(tmp_path / "corpus", 120, 12, 4)
    src = tmp_path / "src.db"
    db = open_db(src)
    build(db, tmp_path / "corpus" / "sources", tmp_path / "corpus" / "claims")
    db.close()
    out = tmp_path / "x3.db"
    counts = assemble(str(src), str(out), 3)
    assert counts["claims"] == 360 and counts["sources"] == 36
    db = open_db(out, create=False)
    report = v.verify(db)
    assert report["ok"], report["failures"][:3]
    assert report["checked"]["claims"] == 360
    db.close()
    r = one_ledger(str(out), 1, 1)
    assert r["verify_ok"] and r["verify_checkpoint"]["ok"]
    assert r["proofs"][0]["row_path_hashes"] == math.ceil(math.log2(360))


def test_an_assembled_ledger_with_a_changed_copy_fails(tmp_path):
    """The assembly re-seals the history over the copies: a copy changed after it is caught like any row."""
    write_corpus(tmp_path / "corpus", 60, 6, 2)
    src = tmp_path / "src.db"
    db = open_db(src)
    build(db, tmp_path / "corpus" / "sources", tmp_path / "corpus" / "claims")
    db.close()
    out = tmp_path / "x2.db"
    assemble(str(src), str(out), 2)
    from test_verify import tamper

    tamper(out, ("UPDATE claims SET value = value || '!' WHERE rowid = (SELECT max(rowid) FROM claims)", []))
    db = open_db(out, create=False)
    assert not v.verify(db)["ok"]


def test_synthetic_histories_are_valid_chains(tmp_path):
    path = tmp_path / "h.db"
    make_history(path, 50)
    db = open_db(path, create=False)
    breaks, bodies, entries = history.read_chain(db)
    assert breaks == [] and len(entries) == 50
    assert len(tlog.leaves(db)) == 50
    assert all(b["claims"]["count"] == 1 for b in bodies.values())


def test_verify_cost_measures_verify_beside_the_scan_before_and_after(tmp_path):
    """bench.verify_cost runs its worker in a process per side (here this
    tree on both sides, as --before would run an older one) and reports
    verify's CPU over the scan's with the parts."""
    import json
    from pathlib import Path

    from bench.verify_cost import main

    write_corpus(tmp_path / "corpus", 60, 6, 2)
    path = tmp_path / "l.db"
    db = open_db(path)
    build(db, tmp_path / "corpus" / "sources", tmp_path / "corpus" / "claims")
    db.close()
    out = tmp_path / "cost.json"
    main([str(path), "--repeat", "1", "--before", str(Path(__file__).resolve().parent.parent), "--json", str(out)])
    r = json.loads(out.read_text())
    for side in ("after", "before"):
        assert r[side]["claims"] == 60 and r[side]["ok"]
        assert r[side]["verify_cpu"] > 0 and r[side]["ratio_cpu_of_medians"] > 0
        assert "support (issue 14)" in r[side]["parts_cpu_last_round"]
