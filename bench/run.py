"""Run the benchmarks and print each figure beside its baseline, measured in the same run.

    python -m bench.run --scale small          # make bench: 10k claims, under a minute
    python -m bench.run --scale 1m --out DIR   # make bench-full: 1M claims over 100k sources

Every ratio divides the ledger's time by a baseline timed on the same
machine in the same run, so a busy or slow machine moves both alike. The
corpus is generated once per scale under ``--out`` and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.timing import ROOT, percentile, run_worker

SCALES = {
    # claims, sources, claim files, anchoring quotes, fuzzy quotes, datasette requests per URL
    "toy": (1_000, 100, 100, 1_000, 20, 3),
    "small": (10_000, 1_000, 1_000, 10_000, 200, 5),
    "100k": (100_000, 10_000, 1_000, 50_000, 500, 20),
    "1m": (1_000_000, 100_000, 1_000, 100_000, 1_000, 20),
}
TARGETS = {
    "anchor": 3.0,
    "fuzzy": 1.0,
    "import": 2.0,
    "verify": 1.5,
    "incremental": 0.05,
    "compare": 10.0,
    # issue 19 (the layered core): import claims/s against a bare insert_all of the
    # claim rows alone, the file's bytes per claim beyond the source text, and the
    # CPU seconds of a full build of 1M claims
    "import_claims": 5.0,
    "bytes_per_claim": 1500,
    "build_1m_cpu": 300,
}
RESULTS: list[dict] = []


def say(msg: str = ""):
    print(msg, flush=True)


def row(name: str, figure, baseline, unit: str, target: float | None, note: str = "", lower=True):
    """Print one figure beside its baseline and record it.

    ``figure`` and ``baseline`` are CPU seconds, or worker results holding
    ``cpu`` and ``seconds`` (wall clock): the ratio is of CPU times, and the
    wall-clock ratio is printed beside it.
    """
    wall = None
    if isinstance(figure, dict):
        wall = (figure["seconds"], baseline["seconds"])
        figure, baseline = figure["cpu"], baseline["cpu"]
    ratio = figure / baseline if baseline else float("inf")
    met = None if target is None else (ratio <= target if lower else ratio >= target)
    mark = "" if met is None else ("MET" if met else "MISSED")
    tgt = "" if target is None else f"<= {target:g}x"
    say(f"  {name:44} {figure:9.3f} {unit:5} | baseline {baseline:9.3f} {unit:5} | {ratio:7.3f}x {tgt:8} {mark}")
    if wall:
        say(f"      wall clock: {wall[0]:.3f}s vs {wall[1]:.3f}s = {wall[0] / wall[1] if wall[1] else float('inf'):.3f}x")
    if note:
        say(f"      {note}")
    RESULTS.append(
        {"name": name, "figure": figure, "baseline": baseline, "unit": unit, "ratio": ratio, "target": target,
         "met": met, "note": note, "wall": wall}
    )


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
        info["load"] = os.getloadavg()
    except OSError:
        pass
    try:
        import datasette
        import sqlite_utils

        info["sqlite_utils"] = sqlite_utils.__version__ if hasattr(sqlite_utils, "__version__") else "?"
        info["datasette"] = datasette.__version__
    except Exception:
        pass
    return info


# ---------------------------------------------------------------- corpus


def corpus(out: Path, n_claims: int, n_sources: int, n_files: int) -> Path:
    from bench.corpus import write_corpus

    d = out / f"corpus-{n_claims}"
    marker = d / "DONE.json"
    if marker.exists():
        return d
    if d.exists():
        shutil.rmtree(d)
    t = time.perf_counter()
    counts = write_corpus(d, n_claims, n_sources, n_files)
    counts["seconds"] = round(time.perf_counter() - t, 1)
    marker.write_text(json.dumps(counts))
    say(f"  corpus: {counts}")
    return d


# ---------------------------------------------------------------- sections


def bench_anchor(n_quotes: int, n_fuzzy: int):
    from bench.anchoring import bench_fuzzy, bench_tolerant

    say("anchoring")
    r = bench_tolerant(n_quotes)
    row(
        f"tolerant locate(), {r['quotes']} typed quotes",
        r["seconds"],
        r["baseline_seconds"],
        "s cpu",
        TARGETS["anchor"],
        f"{r['correct']:.1%} on the true span; plain find of the typed quote locates {r['typed_found_by_plain_find']:.1%}; "
        f"{r['per_s']:,.0f} vs {r['baseline_per_s']:,.0f} quotes/s (baseline: exact str.find + second-occurrence check)",
    )
    for rate in (0.05, 0.25):
        f = bench_fuzzy(n_fuzzy, rate)
        row(
            f"re-anchor after {rate:.0%} edits, {f['quotes']} quotes",
            f["seconds"],
            f["baseline_seconds"],
            "s cpu",
            TARGETS["fuzzy"] if rate == 0.05 else None,
            f"ledger relocate() {f['correct']:.1%} correct ({f['per_s']:,.0f}/s); diff-match-patch match_main "
            f"{f['baseline_correct']:.1%} correct ({f['baseline_per_s']:,.0f}/s)"
            + ("; target also needs >= 95% correct: " + ("met" if f["correct"] >= 0.95 else "MISSED") if rate == 0.05 else ""),
        )


def sources_only_db(work: Path, corpus_dir: Path) -> Path:
    """A ledger holding the corpus's sources and no claims: the starting point of the import runs."""
    path = work / "template.db"
    if path.exists():
        return path
    empty = work / "no-claims"
    empty.mkdir(parents=True, exist_ok=True)
    r = run_worker("build", str(path), str(corpus_dir / "sources"), str(empty))
    say(f"  sources loaded into the template ledger in {r['seconds']:.1f}s ({r['sources_added']} sources)")
    return path


def copy_db(src: Path, dst: Path):
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(dst) + suffix)
        if p.exists():
            p.unlink()
    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(src, dst)


def bench_import(work: Path, corpus_dir: Path, profile: bool):
    say("import")
    template = sources_only_db(work, corpus_dir)
    files = sorted(str(p) for p in (corpus_dir / "claims").glob("*.jsonl"))
    cand = work / "import.db"
    copy_db(template, cand)
    args = ["import-ledger", str(cand), *files]
    if profile:
        args = ["--profile", str(work / "profile-import.html"), *args]
    r = run_worker(*args)
    base = work / "baseline.db"
    copy_db(template, base)
    b = run_worker("insert-baseline", str(base), str(cand))
    copy_db(template, base)
    b2 = run_worker("insert-baseline", str(base), str(cand), "no-indexes")
    base.unlink()
    row(
        f"ledger import, {r['added']:,} claims ({len(files)} JSONL files)",
        r,
        b,
        "s cpu",
        TARGETS["import"],
        f"baseline: sqlite-utils insert_all of the same final rows ({', '.join(f'{t} {n:,}' for t, n in b['tables'].items())}) "
        f"into the same schema in one db.atomic(); without the claims table's secondary indexes it takes {b2['cpu']:.2f}s cpu "
        f"(import is {r['cpu'] / b2['cpu']:.2f}x that)",
    )
    # issue 19: against the claim rows alone (../shared/BASELINES.md states it exactly)
    c_runs = []
    fresh = work / "claims-baseline.db"
    for _ in range(3 if r["added"] <= 100_000 else 1):
        for suffix in ("", "-wal", "-shm"):
            Path(str(fresh) + suffix).unlink(missing_ok=True)
        c_runs.append(run_worker("insert-claims-baseline", str(fresh), str(cand)))
    fresh.unlink()
    cb = sorted(c_runs, key=lambda x: x["cpu"])[len(c_runs) // 2]
    row(
        f"ledger import vs insert_all of the claim rows alone ({cb['rows']:,})",
        r,
        cb,
        "s cpu",
        TARGETS["import_claims"],
        f"claims/s: ledger {r['added'] / r['cpu']:,.0f} vs bare insert_all {cb['rows'] / cb['cpu']:,.0f} (CPU); "
        "baseline: id, source, subject, predicate, value, quote, span_start, span_end, confidence into a fresh "
        "sqlite-utils table with 3 indexes (source; subject, predicate; value), insert_all(batch_size=1000) in one "
        f"db.atomic(), median of {len(c_runs)}; its file: {cb['file_bytes'] / cb['rows']:,.0f} bytes per claim",
    )
    RESULTS[-1]["claims_per_s"] = {"ledger": r["added"] / r["cpu"], "baseline": cb["rows"] / cb["cpu"]}
    bench_size(cand, r["added"])
    mem_ok = r["maxrss_mb"] < 500
    say(f"  peak memory of the import process: {r['maxrss_mb']:.0f} MB (target < 500 MB: {'MET' if mem_ok else 'MISSED'})")
    RESULTS.append({"name": "import peak memory MB", "figure": r["maxrss_mb"], "target": 500, "met": mem_ok})
    return cand


def bench_size(db: Path, added: int):
    s = run_worker("size", str(db))
    per = s["bytes_per_claim_beyond_text"]
    met = per <= TARGETS["bytes_per_claim"]
    say(
        f"  ledger file: {s['file_bytes'] / 1e6:,.1f} MB for {s['claims']:,} claims, source text {s['source_text_bytes'] / 1e6:,.1f} MB: "
        f"{per:,.0f} bytes per claim beyond the source text (target <= {TARGETS['bytes_per_claim']:,}: {'MET' if met else 'MISSED'})"
    )
    by_table: dict[str, int] = {}
    for name, o in s["objects"].items():
        by_table[o["table"]] = by_table.get(o["table"], 0) + o["bytes"]
    top = sorted(s["objects"].items(), key=lambda kv: -kv[1]["bytes"])[:16]
    say("    largest objects (bytes per claim): " + ", ".join(f"{n} {o['bytes'] / s['claims']:,.0f}" for n, o in top))
    say("    by table, indexes and FTS shadow tables included: " + ", ".join(
        f"{t} {b / s['claims']:,.0f}" for t, b in sorted(by_table.items(), key=lambda kv: -kv[1])[:12]
    ))
    RESULTS.append({"name": "bytes per claim beyond the source text", "figure": per, "target": TARGETS["bytes_per_claim"],
                    "met": met, "size": s, "by_table": by_table})


def bench_verify(db: Path, repeat: int):
    say("verify")
    r = run_worker("verify", str(db), str(max(repeat, 5) if repeat > 1 else repeat))
    parts = ", ".join(f"{k} {v:.2f}s" for k, v in r["parts"].items())
    # the figure held to the target is the wall clock: verify computes the row
    # digests on a second core, so its CPU time (both threads) is printed too
    row(
        f"ledger verify, {r['claims']:,} claims (wall)",
        r["seconds"],
        r["baseline_seconds"],
        "s wall",
        TARGETS["verify"],
        "verify uses two cores (the row digests on a second connection in a thread), the bare scan one; "
        f"CPU time: {r['cpu']:.3f}s vs {r['baseline_cpu']:.3f}s = {r['cpu'] / r['baseline_cpu']:.2f}x (both threads); "
        f"CPU on the longer thread's path: {r['critical_path_cpu']:.3f}s = {r['critical_path_cpu'] / r['baseline_cpu']:.2f}x "
        "the scan's CPU (the wall clock on two free cores); "
        f"on one thread (LEDGER_VERIFY_THREADS=1): {r['one_thread_seconds']:.3f}s wall, {r['one_thread_cpu']:.3f}s cpu; "
        f"medians of {len(r['runs']['verify'])} runs; ok={r['ok']}, same report on one thread: {r['same_as_one_thread']}; "
        f"by check (CPU): {parts}; baseline: one SQL scan recomputing every span with substr()",
    )
    RESULTS[-1].update(
        cpu={"figure": r["cpu"], "baseline": r["baseline_cpu"], "ratio": r["cpu"] / r["baseline_cpu"]},
        critical_path_cpu=r["critical_path_cpu"],
        one_thread={"seconds": r["one_thread_seconds"], "cpu": r["one_thread_cpu"]},
        runs=r["runs"],
    )


def edit_one_claims_file(corpus_dir: Path) -> tuple[Path, bytes]:
    """Append one new claim to one claims file (of 1,000); return the file and its old bytes."""
    files = sorted((corpus_dir / "claims").glob("*.jsonl"))
    path = files[len(files) // 2]
    before = path.read_bytes()
    last = json.loads(before.decode("utf-8").strip().splitlines()[-1])
    last["subject"] = last["subject"] + " (benchmark edit)"
    last["note"] = "added by the incremental-build benchmark"
    path.write_bytes(before + (json.dumps(last, ensure_ascii=False) + "\n").encode("utf-8"))
    return path, before


def bench_build(work: Path, corpus_dir: Path, profile: bool) -> Path:
    say("build")
    db = work / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()
    src, claims = str(corpus_dir / "sources"), str(corpus_dir / "claims")
    args = ["build", str(db), src, claims]
    full = run_worker(*(["--profile", str(work / "profile-build.html")] if profile else []), *args)
    noop = run_worker(*args)
    path, before = edit_one_claims_file(corpus_dir)
    try:
        args2 = ["--profile", str(work / "profile-incremental.html"), *args] if profile else args
        inc = run_worker(*args2)
    finally:
        path.write_bytes(before)
    n_files = len(list((corpus_dir / "claims").glob("*.jsonl")))
    row(
        f"incremental build, 1 of {n_files} claims files changed",
        inc,
        full,
        "s cpu",
        TARGETS["incremental"],
        f"baseline: the full build ({full['added']:,} claims, {full['sources_added']:,} sources); the incremental one "
        f"added {inc['added']} claim and skipped {inc['skipped_files']} files; a no-change rebuild took {noop['cpu']:.2f}s cpu",
    )
    if full["added"] >= 1_000_000:
        ok = full["cpu"] <= TARGETS["build_1m_cpu"]
        say(f"  full build of {full['added']:,} claims: {full['cpu']:.1f}s CPU ({full['seconds']:.1f}s wall; "
            f"target <= {TARGETS['build_1m_cpu']}s CPU: {'MET' if ok else 'MISSED'})")
        RESULTS.append({"name": "full build CPU s", "figure": full["cpu"], "target": TARGETS["build_1m_cpu"], "met": ok})
    else:
        say(f"  full build of {full['added']:,} claims: {full['cpu']:.1f}s CPU ({full['seconds']:.1f}s wall)")
        RESULTS.append({"name": "full build CPU s", "figure": full["cpu"], "seconds": full["seconds"]})
    return db


def bench_compare(db: Path, repeat: int):
    say("compare")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    r = run_worker("compare", str(db), str(repeat))
    row(
        f"compare: classify every fact group ({r['groups']:,})",
        {"cpu": r["read_cpu"], "seconds": r["read_seconds"]},
        {"cpu": r["baseline_cpu"], "seconds": r["baseline_seconds"]},
        "s cpu",
        TARGETS["compare"],
        f"ledger compare --summary (status, value or conflicting values, claims, sources, independent sources of "
        f"each group); baseline: GROUP BY subject, predicate with count(*), count(DISTINCT value), "
        f"count(DISTINCT source_id) over {r['claims']:,} claims ({r['baseline_groups']:,} groups)",
    )
    row(
        f"compare: every group with every claim ({r['members']:,})",
        {"cpu": r["full_cpu"], "seconds": r["full_seconds"]},
        {"cpu": r["baseline_cpu"], "seconds": r["baseline_seconds"]},
        "s cpu",
        None,
        "ledger compare --json: each claim's value, normalised value, source, publisher, date, span and "
        "independence (no target: it returns far more than the GROUP BY does)",
    )
    row(
        "compare: recompute every comparison (--rebuild)",
        {"cpu": r["refresh_cpu"], "seconds": r["refresh_seconds"]},
        {"cpu": r["baseline_cpu"], "seconds": r["baseline_seconds"]},
        "s cpu",
        None,
        "ledger compare --rebuild: normalise every value, re-derive source independence, classify every group "
        "(no target: the comparison is kept current inside every import, whose own target covers that work)",
    )
    say(f"  peak memory of the compare process: {r['maxrss_mb']:.0f} MB")


# ---------------------------------------------------------------- datasette


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30) -> tuple[int, float, bytes]:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        body = e.read()
        code = e.code
    return code, time.perf_counter() - t, body


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (ledger serve runs datasette as a child)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (all their threads)."""
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def canned_queries() -> dict[str, str]:
    import yaml

    meta = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8")) or {}
    return (meta.get("databases", {}).get("ledger", {}) or {}).get("queries", {}) or {}


def sample_params(conn: sqlite3.Connection) -> dict[str, str]:
    """Values for canned-query parameters, taken from the busiest fact group."""
    subject, predicate = conn.execute(
        "SELECT subject, predicate FROM claims WHERE predicate = 'seating_capacity' LIMIT 1"
    ).fetchone() or conn.execute("SELECT subject, predicate FROM claims LIMIT 1").fetchone()
    slug, sid = conn.execute("SELECT slug, id FROM sources ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM sources)").fetchone()
    cid = conn.execute("SELECT id FROM claims ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM claims)").fetchone()[0]
    speaker = (conn.execute("SELECT speaker FROM claims WHERE speaker IS NOT NULL LIMIT 1").fetchone() or [subject])[0]
    return {
        "speaker": speaker,
        "below": "0.6",
        "subject": subject,
        "predicate": predicate,
        "source": slug,
        "slug": slug,
        "source_id": sid,
        "claim": cid,
        "claim_id": cid,
        "id": cid,
        "q": "stadium",
        "search": "stadium",
        "value": "60,000",
        "publisher": "Metro Wire",
    }


def datasette_urls(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    p = sample_params(conn)
    views = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")]
    conn.close()
    urls = [
        ("claims table page", "/ledger/claims"),
        ("claims table page, JSON", "/ledger/claims.json"),
        ("claims ?_facet=predicate", "/ledger/claims?_facet=predicate"),
        ("claims ?_facet=status", "/ledger/claims?_facet=status"),
        ("claims ?_facet=source_id", "/ledger/claims?_facet=source_id"),
        ("claims ?subject=", "/ledger/claims?" + urllib.parse.urlencode({"subject": p["subject"]})),
        ("claims ?predicate=", "/ledger/claims?" + urllib.parse.urlencode({"predicate": p["predicate"]})),
        ("a claim page", f"/ledger/claims/{p['claim']}"),
        ("a source page", f"/ledger/sources/{p['source_id']}"),
        ("sources table page", "/ledger/sources"),
    ]
    for name, q in canned_queries().items():
        sql = q.get("sql", "") if isinstance(q, dict) else str(q)
        params = sorted(set(re.findall(r"(?<!:):([a-zA-Z_]\w*)", sql)))
        if params:  # the page a visitor lands on (every parameter empty), then one with values
            urls.append((f"canned query {name} (empty form)", f"/ledger/{name}?" + urllib.parse.urlencode({k: "" for k in params})))
        qs = urllib.parse.urlencode({k: p.get(k, p["subject"]) for k in params})
        urls.append((f"canned query {name}", f"/ledger/{name}" + (f"?{qs}" if qs else "")))
    for v in views:
        urls.append((f"view {v}", f"/ledger/{v}"))
    return urls


def bench_datasette(db: Path, n: int):
    say("datasette")
    port = free_port()
    env = {**os.environ, "DATASETTE_SECRET": "bench"}
    log = open(db.parent / "serve.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "ledger"), "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        t = time.perf_counter()
        while True:
            try:
                if get(base + "/-/versions.json", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() - t > 900:
                raise RuntimeError(f"ledger serve did not start: see {db.parent / 'serve.log'}")
            time.sleep(0.5)
        say(f"  ledger serve answered after {time.perf_counter() - t:.1f}s (snapshot + start); load average {os.getloadavg()}")
        worst = 0.0
        pids = process_tree(proc.pid)
        for name, path in datasette_urls(db):
            times, codes, limit_hit = [], set(), False
            for i in range(n + 2):
                if i == 2:
                    cpu0 = cpu_seconds(pids)
                code, secs, body = get(base + path)
                codes.add(code)
                # a SQL time limit ("took too long") or a facet time limit ("These facets timed out")
                limit_hit = limit_hit or b"took too long" in body or b"timed out" in body
                if i >= 2:  # two warm-up requests
                    times.append(secs * 1000)
            cpu_ms = (cpu_seconds(pids) - cpu0) / len(times) * 1000
            p95 = percentile(times, 0.95)
            ok = codes == {200} and not limit_hit and p95 < 300
            worst = max(worst, p95)
            say(
                f"  {name:44} p95 {p95:7.1f} ms  median {percentile(times, 0.5):7.1f} ms  cpu/req {cpu_ms:6.1f} ms  "
                f"HTTP {','.join(map(str, sorted(codes)))}{'  TIME LIMIT HIT' if limit_hit else ''}  {'MET' if ok else 'MISSED'}"
            )
            RESULTS.append(
                {"name": f"datasette {name}", "figure": p95, "median": percentile(times, 0.5), "cpu_ms": cpu_ms,
                 "unit": "ms p95", "target": 300, "met": ok, "path": path, "limit_hit": limit_hit, "codes": sorted(codes)}
            )
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()


# ---------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--out", default="/tmp/ledger-bench", help="Working directory (corpus and databases)")
    ap.add_argument("--only", help="Comma-separated sections: anchor,import,verify,build,compare,datasette")
    ap.add_argument("--profile", action="store_true", help="Write pyinstrument profiles of import and build")
    ap.add_argument("--json", dest="json_out", help="Also write the results to this JSON file")
    ap.add_argument("--requests", type=int, help="Timed requests per Datasette URL (default: by scale)")
    a = ap.parse_args(argv)
    n_claims, n_sources, n_files, n_quotes, n_fuzzy, n_requests = SCALES[a.scale]
    n_requests = a.requests or n_requests
    only = set(a.only.split(",")) if a.only else {"anchor", "import", "verify", "build", "compare", "datasette"}
    out = Path(a.out)
    work = out / a.scale
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    info = machine()
    say(f"scale {a.scale}: {n_claims:,} claims over {n_sources:,} sources in {n_files:,} claims files")
    say(f"machine: {json.dumps(info)}")
    say("  figure | baseline measured in this run | ratio | target")
    if "anchor" in only:
        bench_anchor(n_quotes, n_fuzzy)
    corpus_dir = corpus(out, n_claims, n_sources, n_files) if only - {"anchor"} else None
    repeat = 3 if n_claims <= 100_000 else 1
    if "import" in only:
        bench_import(work, corpus_dir, a.profile)
    ledger_db = work / "ledger.db"
    if "build" in only or not ledger_db.exists() and only & {"verify", "compare", "datasette"}:
        ledger_db = bench_build(work, corpus_dir, a.profile)
    if "verify" in only:
        bench_verify(ledger_db, repeat)
    if "compare" in only:
        bench_compare(ledger_db, repeat)
    if "datasette" in only:
        bench_datasette(ledger_db, n_requests)
    total = time.perf_counter() - started
    missed = [r["name"] for r in RESULTS if r.get("met") is False]
    say(f"done in {total:.0f}s; {sum(1 for r in RESULTS if r.get('met'))} target(s) met, {len(missed)} missed")
    for m in missed:
        say(f"  missed: {m}")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"scale": a.scale, "machine": info, "seconds": total, "results": RESULTS}, indent=2))


if __name__ == "__main__":
    main()
