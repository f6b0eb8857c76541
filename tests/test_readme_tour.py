"""The README runs as written (issue 17): every command of its tour, in order,
on a fresh copy of the repository's files, exits 0 and prints what the README
says it prints; the pages its first screen sends a reader to exist."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def tour_steps(readme: str) -> list[tuple[str, list[str]]]:
    """(command, [expected output lines]) for every command in the tour's bash blocks."""
    tour = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```bash\n(.*?)```", tour, re.S):
        command = ""
        for line in block.splitlines():
            if line.startswith("# "):
                steps[-1][1].append(line[2:])
            elif command or line.strip():
                command += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
                if not line.endswith("\\"):
                    steps.append((command.strip(), []))
                    command = ""
    return steps


@pytest.fixture
def fresh_copy(tmp_path):
    for d in ("sources", "claims", "history", "examples"):
        shutil.copytree(ROOT / d, tmp_path / d)
    for f in ("entities.yml", "metadata.yml"):
        shutil.copy(ROOT / f, tmp_path / f)
    return tmp_path


def test_the_tour_has_the_steps_a_newcomer_needs():
    commands = [c.split()[1] + (" " + c.split()[2] if c.split()[1] in ("source", "claim", "review") else "")
                for c, _ in tour_steps(README)]
    for needed in ("source add", "claim add", "import", "compare", "claim supersede", "review add", "verify", "head"):
        assert needed in commands, needed
    # every file the tour names ships in examples/
    for path in re.findall(r"examples/[\w./-]+", README.split("## A short tour", 1)[1].split("\n## ", 1)[0]):
        if path.rstrip("/") != "examples":
            assert (ROOT / path).exists(), path


def test_every_readme_tour_command_runs_in_order_on_a_fresh_copy(fresh_copy):
    env = {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_ENTITIES")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    def sh(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], cwd=fresh_copy, env=env, capture_output=True, text=True, timeout=120)

    built = sh("ledger build")  # what `make build` runs before the tour
    assert built.returncode == 0, built.stderr
    for command, expected in tour_steps(README):
        done = sh(command)
        out = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\nexited {done.returncode}:\n{out}"
        for line in expected:
            assert line in out, f"{command}\nshould print: {line}\nprinted:\n{out}"


def test_the_first_screen_links_to_pages_the_demo_has(tmp_path):
    from ledger.store.db import open_db
    from ledger.services.ingest import build

    for d in ("sources", "claims", "history"):
        shutil.copytree(ROOT / d, tmp_path / d)
    shutil.copy(ROOT / "entities.yml", tmp_path / "entities.yml")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        db = open_db(tmp_path / "ledger.db")
        build(db, tmp_path / "sources", tmp_path / "claims")
        db.close()
    conn = sqlite3.connect(tmp_path / "ledger.db")
    [fact] = re.findall(r"/ledger/-/fact/(f[0-9a-f]{16})", README)
    assert conn.execute("SELECT status, predicate FROM facts WHERE fact_key = ?", [fact]).fetchone() == ("conflicting", "inaugurated")
    [claim] = re.findall(r"/ledger/claims/(c[0-9a-f]{16})", README)
    assert conn.execute("SELECT predicate FROM claims WHERE id = ?", [claim]).fetchone() == ("inaugurated",)
    [source] = re.findall(r"/ledger/sources/([0-9a-f]{64})", README)
    assert conn.execute("SELECT count(*) FROM sources WHERE id = ?", [source]).fetchone() == (1,)
    conn.close()


def test_readme_is_short_and_shows_its_screenshots():
    assert len(README.splitlines()) <= 300
    for png in re.findall(r"\]\((docs/[\w-]+\.png)\)", README):
        assert (ROOT / png).exists(), png
    assert {"docs/home-page.png", "docs/fact-page.png", "docs/claim-page-audit.png"} <= set(re.findall(r"docs/[\w-]+\.png", README))
