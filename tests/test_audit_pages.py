"""The auditor's pages on the demo ledger (issue 17): the home page's five
tasks, fact pages, verdicts and the fact's timeline on the claim page, canned
queries on current claims by default, readable JSON, a span audit that says
what it checked; then a real browser (headless Chromium) walking the five tasks
and checking what the first viewport shows.

Set LEDGER_SCREENSHOTS=docs/ to rewrite the README's screenshots
(docs/home-page.png, docs/fact-page.png, docs/claim-page-audit.png).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from ledger.store.db import open_db
from ledger.services.ingest import build
from ledger.web import audit
from test_browser import CHROMIUM_ARGS, _chromium, _free_port

ROOT = Path(__file__).resolve().parent.parent
STADIUM = "Morodok Techo National Stadium"
REVIEW = [
    "--subject", STADIUM, "--predicate", "inaugurated", "--value", "2021-12-18",
    "--rating", "Mostly true", "--explanation",
    "The September 2021 event was the handover; the official inauguration was on 18 December 2021.",
    "--reviewer", "Demo Fact Check", "--url", "https://factcheck.example.org/morodok-techo-inauguration",
    "--date", "2026-12-07",
]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """The demo ledger built from a copy of the repository's files, with one
    reviewer's verdict on the conflicting fact (recorded with the CLI)."""
    work = tmp_path_factory.mktemp("demo")
    for d in ("sources", "claims", "history"):
        shutil.copytree(ROOT / d, work / d)
    shutil.copy(ROOT / "entities.yml", work / "entities.yml")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        db = open_db(work / "ledger.db")
        build(db, work / "sources", work / "claims")
        db.close()
    subprocess.run([sys.executable, "-m", "ledger", "review", "add", "--db", str(work / "ledger.db"), *REVIEW],
                   check=True, cwd=work, capture_output=True)
    return work


@pytest.fixture(scope="module")
def demo(demo_dir):
    conn = sqlite3.connect(demo_dir / "ledger.db")
    yield conn
    conn.close()


def one(conn, sql, params=()):
    return conn.execute(sql, params).fetchone()


def get(db_path: Path, path: str):
    async def go():
        ds = Datasette([str(db_path)], immutables=[], metadata=yaml.safe_load((ROOT / "metadata.yml").read_text()))
        return await ds.client.get(path)

    return asyncio.run(go())


# ---------------------------------------------------------------- library


def test_fact_page_groups_sources_by_value_with_independence_and_verdict(demo):
    (fk,) = one(demo, "SELECT fact_key FROM facts WHERE subject = ? AND predicate = 'inaugurated'", [STADIUM])
    page = audit.fact_page(demo, fk)
    assert page["fact"]["status"] == "conflicting"
    columns = {tuple(g["raw"]): g for g in page["groups"]}
    # a month and a day inside it agree: one column; September is the other
    assert set(columns) == {("2021-09",), ("2021-12-18", "2021-12")}
    sept = columns[("2021-09",)]
    assert [m["slug"] for m in sept["claims"]] == ["pm-chinas-wang-open-stadium", "sokhonn-plans-china-trip"]
    assert sept["independent"] == 1
    assert "same publisher" in sept["claims"][1]["independence_note"]
    assert all(m["passage"] and "<mark" in m["passage"] for g in page["groups"] for m in g["claims"])
    assert [v["rating"] for v in page["verdicts"]] == ["Mostly true"]


def test_fact_page_lists_what_was_retracted_on_the_topic(demo):
    (fk,) = one(demo, "SELECT fact_key FROM facts WHERE subject = ? AND predicate = 'seating_capacity'", [STADIUM])
    page = audit.fact_page(demo, fk)
    assert [(r["slug"], r["status"]) for r in page["retracted"]] == [("insidethegames-stadium-complete-by-may", "retracted")]
    assert all(m["slug"] != "insidethegames-stadium-complete-by-may" for g in page["groups"] for m in g["claims"])


def test_no_fact_page_for_an_unknown_or_malformed_key(demo):
    assert audit.fact_page(demo, "f0000000000000000") is None
    assert audit.fact_page(demo, "'; drop table facts; --") is None


def test_claim_extras_give_the_topic_timeline_and_verdicts(demo):
    (cid,) = one(demo, "SELECT id FROM claims WHERE subject = 'Hun Sen' AND predicate = 'title' AND value = 'Prime Minister' LIMIT 1")
    extras = audit.claim_extras(demo, cid)
    assert extras["fact"]["status"] == "change-over-time"
    steps = [(t["time_start"][:4], t["value_norm"]) for t in extras["topic"]]
    assert ("2021", "prime minister") in steps and ("2024", "president of senate") in steps
    assert extras["verdicts"] == []


def test_json_columns_read_as_lists():
    html = audit.json_list_html('[{"value": "2021-09", "raw": ["2021-09"], "claims": 2, "sources": 2, "independent_sources": 1}]')
    assert str(html) == '<ul class="ledger-json"><li><strong>2021-09</strong>: 1 of 2 source(s) independent, 2 claim(s)</li></ul>'
    html = audit.json_list_html('[{"from": "2021-09-01", "to": "2021-12-21", "values": ["prime minister"]}]')
    assert str(html) == '<ul class="ledger-json"><li>2021-09-01 to 2021-12-21: prime minister</li></ul>'
    assert "&lt;script&gt;" in str(audit.json_list_html('["<script>alert(1)</script>"]'))
    assert audit.json_list_html("not json") is None and audit.json_list_html("[broken") is None


def test_claims_table_gets_default_columns_only_when_none_are_chosen():
    q = audit.default_columns("/ledger/claims", "", "ledger")
    assert q.count("_col=") == len(audit.CLAIMS_DEFAULT_COLUMNS) + 2 and "_col=confidence" in q and "_col=prefix" in q
    assert audit.default_columns("/ledger/claims", "_col=value", "ledger") == "_col=value"
    assert audit.default_columns("/ledger/claims.json", "", "ledger") == ""
    assert "_col=publisher" in audit.default_columns("/ledger/sources", "", "ledger")
    assert audit.default_columns("/ledger/facts", "", "ledger") == ""


# ---------------------------------------------------------------- Datasette


def test_canned_queries_show_current_claims_unless_all_states_asked(demo_dir):
    db = demo_dir / "ledger.db"
    base = "/ledger/fact_side_by_side.json?_shape=array&subject=Morodok+Techo+National+Stadium&predicate=seating_capacity"
    current = get(db, base + "&states=").json()
    everything = get(db, base + "&states=all").json()
    assert len(everything) == len(current) + 1
    assert {r["state"] for r in current} == {"current"}
    assert [r["source"] for r in everything if r["state"] == "retracted"] == ["insidethegames-stadium-complete-by-may"]


def test_claims_about_subject_honours_aliases(demo_dir):
    rows = get(demo_dir / "ledger.db", "/ledger/claims_about_subject.json?_shape=array&subject=Sokhonn&states=").json()
    assert rows and {r["subject"] for r in rows} == {"Prak Sokhonn"}


def test_span_audit_says_what_it_checked(demo_dir):
    rows = get(demo_dir / "ledger.db", "/ledger/span_audit_report.json?_shape=array&source=*").json()
    n = one(sqlite3.connect(demo_dir / "ledger.db"), "SELECT count(*) FROM claims")[0]
    assert [r["problem"] for r in rows] == [f"{n} span(s) in 8 source(s) checked: all match their source text"]


def test_span_audit_still_lists_a_broken_span(demo_dir, tmp_path):
    db = tmp_path / "ledger.db"
    shutil.copy(demo_dir / "ledger.db", db)
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'claims'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE claims SET span_text = 'tampered' WHERE rowid = 1")
    conn.commit()
    conn.close()
    rows = get(db, "/ledger/span_audit_report.json?_shape=array&source=*").json()
    assert [r["problem"] for r in rows] == ["span text differs from the source"]


def test_internal_tables_are_hidden_and_queries_hide_their_sql(demo_dir):
    home = get(demo_dir / "ledger.db", "/ledger").text
    for internal in ("source_shingles", "facet_counts", "_sqlite_migrations", "compare_dirty"):
        assert f'/ledger/{internal}"' not in home
    page = get(demo_dir / "ledger.db", "/ledger/conflicting_facts?subject=").text
    assert "CROSS JOIN claim_values" not in page.split("<h1")[1]  # no SQL above the form
    assert "fact_key opens the fact" in page


def test_table_page_shows_rows_before_column_notes(demo_dir):
    page = get(demo_dir / "ledger.db", "/ledger/claims").text
    assert page.index('class="rows-and-columns"') < page.index('id="column-notes"')
    assert '<details class="ledger-column-notes"' in page


def test_claims_table_names_sources_by_slug(demo_dir, demo):
    (sid,) = one(demo, "SELECT id FROM sources WHERE slug = 'vns-hun-sen-senate-president'")
    page = get(demo_dir / "ledger.db", "/ledger/claims?subject=Hun+Sen&predicate=title").text
    assert f'<a href="/ledger/sources/{sid}">vns-hun-sen-senate-president</a>' in page
    assert f"<em>{sid}</em>" not in page


def test_a_single_source_fact_still_says_it_rests_on_one_source(demo_dir, demo):
    (cid,) = one(demo, "SELECT id FROM claims WHERE predicate = 'title' AND value = 'Deputy Prime Minister'")
    page = get(demo_dir / "ledger.db", f"/ledger/claims/{cid}").text
    assert "rests on this source alone" in page  # a single-source fact still says so



def test_a_change_over_time_on_one_source_is_not_called_resting_on_it_alone(seed_db):
    # the seed ledger: Prime Minister in 2021 and President of the Senate in 2024, one source each
    conn = sqlite3.connect(seed_db)
    (cid,) = one(conn, "SELECT c.id FROM claims c JOIN claim_values v ON v.claim_id = c.id JOIN facts f ON f.fact_key = v.fact_key "
                       "WHERE f.status = 'change-over-time' AND f.independent_count = 1 AND c.value = 'Prime Minister'")
    conn.close()
    page = get(seed_db, f"/ledger/claims/{cid}").text
    assert "rests on this source alone" not in page and "the value changed over time" in page


# ---------------------------------------------------------------- a real browser


@pytest.fixture(scope="module")
def demo_server(demo_dir):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger", "serve", "--db", str(demo_dir / "ledger.db"), "--port", str(port),
         "-m", str(ROOT / "metadata.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, cwd=demo_dir,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"ledger serve did not start:\n{proc.stdout.read().decode(errors='replace')}")
            time.sleep(0.2)
    yield base
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _above_the_fold(page, selector: str) -> bool:
    """Is the element's top inside the first viewport (no scrolling)?"""
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] < page.viewport_size["height"]


def _shot(page, name: str):
    keep = os.environ.get("LEDGER_SCREENSHOTS")
    if keep:
        page.screenshot(path=str(Path(keep) / name))


def test_an_auditor_walks_the_five_tasks_in_a_real_browser(demo_server, demo):
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            # the home page says what the ledger is and offers the five tasks, all in the first viewport
            assert page.goto(demo_server + "/").status == 200
            lead = page.locator(".ledger-lead").inner_text()
            assert "fact-checking ledger" in lead and "8 sources" in lead and "1 conflicting" in lead
            tasks = page.locator("#tasks h2").all_inner_texts()
            assert tasks == ["Find a claim", "See conflicts", "Audit spans", "Read a source", "Check the history"]
            assert _above_the_fold(page, "#task-history")
            _shot(page, "home-page.png")

            # 1. find a claim: by an alias, current claims with their state
            page.locator("#task-find h2 a").click()
            page.wait_for_load_state()
            page.fill("input[name=subject]", "Sokhonn")
            page.locator("form.sql input[type=submit]").click()
            page.wait_for_load_state()
            assert "subject=Sokhonn" in page.url
            assert page.locator("table.rows-and-columns tbody tr").count() >= 5
            assert _above_the_fold(page, "table.rows-and-columns")
            assert "current" in page.locator("table.rows-and-columns tbody tr").first.inner_text()

            # 2. see conflicts: the example on the home page opens the fact page, sources side by side
            page.goto(demo_server + "/")
            page.locator("#task-conflicts a", has_text="inaugurated").click()
            page.wait_for_load_state()
            assert "/-/fact/" in page.url
            assert page.locator("h1").inner_text() == f"{STADIUM} · inaugurated"
            assert "conflicting" in page.locator("#verdict-line").inner_text()
            cols = page.locator(".ledger-value-col")
            assert cols.count() == 2
            boxes = [cols.nth(i).bounding_box() for i in range(2)]
            assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"]  # side by side
            assert all(b["y"] < 800 for b in boxes)
            assert "Mostly true" in page.locator("#verdicts").inner_text()
            assert "same publisher" in page.locator("#independence").inner_text()
            _shot(page, "fact-page.png")

            # the claim page: its verdict and the fact's timeline before the passage
            (cid,) = one(demo, "SELECT id FROM claims WHERE predicate = 'inaugurated' AND value = '2021-12-18'")
            page.goto(f"{demo_server}/ledger/claims/{cid}")
            assert _above_the_fold(page, "#fact-verdict")
            assert "Mostly true" in page.locator("#fact-verdict").inner_text()
            assert page.locator("h1").inner_text().startswith(f"{STADIUM} · inaugurated")
            _shot(page, "claim-page-audit.png")

            # 3. audit spans: the result says what was checked
            page.goto(demo_server + "/")
            page.locator("#task-spans h2 a").click()
            page.wait_for_load_state()
            body = page.locator("table.rows-and-columns").inner_text()
            assert "span(s) in 8 source(s) checked: all match their source text" in body

            # 4. read a source: the whole text with its claims numbered
            page.goto(demo_server + "/")
            page.locator("#task-source p a").click()
            page.wait_for_load_state()
            assert "/ledger/sources/" in page.url
            assert page.locator(".ledger-source-text mark.ledger-span").count() >= 10

            # 5. check the history: entries newest first, bodies as lists, not raw JSON
            page.goto(demo_server + "/")
            page.locator("#task-history h2 a").click()
            page.wait_for_load_state()
            assert page.locator("table.rows-and-columns tbody tr").count() >= 1
            assert page.locator("td.col-body ul.ledger-json").count() >= 1
            assert '{"' not in page.locator("td.col-body").first.inner_text()
        finally:
            browser.close()
