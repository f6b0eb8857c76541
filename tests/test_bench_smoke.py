"""The benchmark harness works at toy scale (issue 7). Timings are not checked
here: the speed targets live in bench/ and BENCHMARKS.md."""

import json
import random


from bench.anchoring import bench_tolerant, edit, sample
from bench.corpus import Generator, typed, write_corpus
from bench.timing import run_worker
from ledger.core.anchor import locate


def test_corpus_files_hold_every_claim_and_sidecars_match_their_texts(tmp_path):
    import hashlib

    import yaml

    counts = write_corpus(tmp_path, 200, 20, 5)
    txts = sorted((tmp_path / "sources").glob("*.txt"))
    assert len(txts) == 20
    for txt in txts[:5]:
        meta = yaml.safe_load(txt.with_suffix(".yml").read_text(encoding="utf-8"))
        assert meta["sha256"] == hashlib.sha256(txt.read_bytes()).hexdigest()
    lines = [json.loads(line) for f in sorted((tmp_path / "claims").glob("*.jsonl")) for line in f.open(encoding="utf-8")]
    assert len(lines) == counts["claims"] == 200
    assert len(list((tmp_path / "claims").glob("*.jsonl"))) == 5


def test_the_corpus_is_deterministic():
    a, b = Generator(100, 10).article(3), Generator(100, 10).article(3)
    assert a.text == b.text and [c.quote for c in a.claims] == [c.quote for c in b.claims]


def test_typed_quotes_differ_as_people_type_and_still_anchor_on_the_true_span():
    cases = sample(300)
    assert any(c.quote != c.exact for c in cases)
    assert any("\u201c" in c.exact and '"' in c.quote for c in cases)
    for c in cases:
        span = locate(c.text, c.quote)
        assert (span.start, span.end) == (c.start, c.end)


def test_typed_turns_curly_quotes_and_dashes_straight():
    t = typed("\u201cYes,\u201d she said \u2014 it\u2019s\nover", random.Random(3))
    assert set(t) <= set("\"Yes, shaid-it'ovr ")


def test_edit_maps_old_offsets_to_new():
    rng = random.Random(1)
    text = "The stadium seats sixty thousand people, officials said."
    new, where = edit(text, 0.0, rng)
    assert new == text and where == list(range(len(text) + 1))
    new, where = edit(text, 0.3, rng)
    assert where[0] >= 0 and where[-1] == len(new)
    assert all(a <= b for a, b in zip(where, where[1:]))


def test_tolerant_benchmark_reports_every_quote_correct():
    r = bench_tolerant(200, repeat=1)
    assert r["quotes"] == 200 and r["correct"] == 1.0
    assert 0 < r["typed_found_by_plain_find"] < 1


def test_import_worker_and_baseline_worker_run(tmp_path):
    write_corpus(tmp_path / "c", 100, 10, 2)
    template = tmp_path / "t.db"
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_worker("build", str(template), str(tmp_path / "c" / "sources"), str(empty))
    assert r["sources_added"] == 10
    import shutil

    shutil.copyfile(template, tmp_path / "i.db")
    files = [str(p) for p in sorted((tmp_path / "c" / "claims").glob("*.jsonl"))]
    r = run_worker("import-ledger", str(tmp_path / "i.db"), *files)
    assert r["added"] == 100 and r["maxrss_mb"] > 0
    shutil.copyfile(template, tmp_path / "b.db")
    b = run_worker("insert-baseline", str(tmp_path / "b.db"), str(tmp_path / "i.db"))
    assert b["tables"]["claims"] == 100
    v = run_worker("verify", str(tmp_path / "i.db"), "1")
    assert v["ok"] and v["baseline_bad"] == 0
