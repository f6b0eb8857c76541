"""Issue 13: `ledger reanchor` is one write: its new claims appended to the claims file in one step, its status
events in one step, then one transaction holding one history entry."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from _cli import q, run
from test_revisions import HUN, edited


def test_reanchor_writes_each_file_once_and_records_one_entry(seed_db, workdir, monkeypatch):
    new = edited(workdir, HUN, ("will conclude on December 4", "will conclude on December 6"),
                 prepend="PHNOM PENH (Dec 2) - ")
    run("source", "add", new, "--db", seed_db, "--slug", HUN)
    entries = q(seed_db, "SELECT count(*) FROM history")[0][0]
    claims_before = q(seed_db, "SELECT count(*) FROM claims")[0][0]

    replaced = Counter()  # every file the command put in place (write_atomic's rename), and how often
    real_replace = os.replace

    def counting_replace(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        replaced[Path(dst).resolve().relative_to(workdir.resolve()).as_posix()] += 1

    monkeypatch.setattr(os, "replace", counting_replace)
    out = json.loads(run("reanchor", HUN, "--db", seed_db, "--json").stdout)
    monkeypatch.undo()

    moved = out["moved_exact"] + out["moved_fuzzy"]
    assert moved >= 5 and out["orphaned"] >= 1
    claims_files = [p for p in replaced if p.startswith(f"claims/{HUN}@2/")]
    events_files = [p for p in replaced if p.startswith("history/events/")]
    assert len(claims_files) == 1 and len(events_files) == 1, replaced
    assert set(replaced.values()) == {1}, f"a file was written more than once: {replaced}"
    # every moved claim is in that one file, and in the database
    assert (workdir / claims_files[0]).read_text(encoding="utf-8").count("- subject:") == moved
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] == claims_before + moved
    # one transaction, one history entry describing the whole act
    assert q(seed_db, "SELECT count(*) FROM history")[0][0] == entries + 1
    assert q(seed_db, "SELECT kind FROM history ORDER BY id DESC LIMIT 1") == [("reanchor",)]
    assert run("verify", "--db", seed_db).exit_code == 0
