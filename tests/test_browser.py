"""A real browser on a real server: `ledger serve` on the seed ledger, headless
Chromium from the system's packages driven by Playwright.

Runs wherever Chromium is installed (`apt-get install -y chromium`, as .ci/run
does); in CI (CI or LEDGER_REQUIRE_BROWSER set, as .ci/run sets it) a missing
browser is a failure, not a skip.
Set LEDGER_SCREENSHOT=path/to.png to keep a screenshot of the top of the claim
page (the README's docs/claim-page.png is made this way).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]


def _chromium() -> str:
    path = os.environ.get("LEDGER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    reason = None
    if not Path(path).exists():
        reason = "Chromium is not installed (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI") or os.environ.get("LEDGER_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}: the browser test must run in CI (.ci/run installs it)")
        pytest.skip(reason)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(seed_db):
    """`ledger serve` on the seed ledger, on a free port; yields its base URL."""
    port = _free_port()
    scratch = seed_db.parent / "serve-tmp"  # where the snapshot goes (TMPDIR), to check it is removed
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger", "serve", "--db", str(seed_db), "--port", str(port), "-m", str(ROOT / "metadata.yml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so datasette goes with it
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
                out = proc.stdout.read().decode(errors="replace")
                pytest.fail(f"ledger serve did not start on {base}:\n{out}")
            time.sleep(0.2)
    try:
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # ledger serve only: it must stop its datasette itself
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        leftover = proc.poll() is None
        time.sleep(0.5)
        try:
            os.killpg(proc.pid, 0)  # is anything of the group (its datasette) still running?
            orphaned = True
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            orphaned = False
        proc.wait()
    assert not leftover, "ledger serve did not stop on SIGTERM"
    assert not orphaned, "ledger serve left its datasette running"
    assert list(scratch.iterdir()) == [], "ledger serve left its snapshot behind"


def _stadium(db: Path) -> tuple[str, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT id, span_text FROM claims WHERE subject = 'Morodok Techo National Stadium' AND predicate = 'seating_capacity'"
        ).fetchone()
    finally:
        conn.close()


def test_claim_page_in_a_real_browser_shows_the_highlighted_span(seed_db, server, tmp_path):
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    claim_id, span_text = _stadium(seed_db)
    assert span_text == "a seating capacity of 60,000"
    shot = tmp_path / "claim-page.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            response = page.goto(f"{server}/ledger/claims/{claim_id}")
            assert response.status == 200
            mark = page.locator("mark#span")
            assert mark.count() == 1
            assert mark.inner_text() == span_text
            assert mark.is_visible()
            # it is highlighted: the browser paints it with a background colour
            background = mark.evaluate("el => getComputedStyle(el).backgroundColor")
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")
            # in its sentence, with the source's provenance and a working link to the source
            passage = page.locator("blockquote.ledger-passage").inner_text()
            assert "The new national stadium is a fully modern facility with a seating capacity of 60,000" in passage
            assert "The Phnom Penh Post" in page.locator("#provenance").inner_text()
            href = page.locator("#provenance a[rel~=noopener]").get_attribute("href")
            assert href == "https://phnompenhpost.com/national-politics/sokhonn-plans-china-trip"
            page.screenshot(path=str(shot), full_page=True)
            keep = os.environ.get("LEDGER_SCREENSHOT")
            if keep:  # the README's picture: the top of the page, where the audit happens
                page.set_viewport_size({"width": 1000, "height": 1180})
                page.screenshot(path=keep)
            page.locator("#provenance a", has_text="Cambodian Foreign Minister").click()
            page.wait_for_load_state()
            assert "/ledger/sources/" in page.url
            numbered = page.locator(".ledger-source-text mark.ledger-span")
            assert numbered.count() >= 20
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_served_ledger_is_read_only_and_downloadable(server):
    sql = "DELETE FROM claims"
    try:
        urllib.request.urlopen(f"{server}/ledger.json?" + urllib.parse.urlencode({"sql": sql}), timeout=10)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 400
    data = urllib.request.urlopen(f"{server}/ledger.db", timeout=10).read()
    assert data[:16] == b"SQLite format 3\x00"
    count = urllib.request.urlopen(f"{server}/ledger.json?sql=select+count(*)+from+claims&_shape=array", timeout=10).read()
    assert b"40" in count
