"""Issue 13 (part 1): nothing lost or overwritten, verify read-only, only plain files, slugs for every script.

Each test is a case the issue lists, reproduced on the landed main before the change. The kill -9 and
full-disk runs of every writing command are in tests/test_crash_writers.py.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from _cli import q, run

LEDGER_BIN = Path(sys.executable).parent / "ledger"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def add(path, *args, ok=True, env=None):
    return run("source", "add", path, *args, ok=ok, env=env)


# ---------------------------------------------------------------- 4. nothing overwritten without asking


def test_source_add_of_a_held_text_leaves_its_sidecar_alone(seed_db, workdir):
    sidecar = workdir / "sources" / "hun-sen-meets-xi.yml"
    before = sidecar.read_bytes()
    r = add(workdir / "sources" / "hun-sen-meets-xi.txt", "--slug", "hun-sen-meets-xi")
    assert r.output.startswith("already held: hun-sen-meets-xi ")
    assert sidecar.read_bytes() == before  # main rewrote it with null publisher, url, title and a new retrieved


def test_source_add_of_a_held_text_with_different_provenance_lists_the_differences(seed_db, workdir):
    sidecar = workdir / "sources" / "hun-sen-meets-xi.yml"
    before, held = sidecar.read_bytes(), yaml.safe_load(sidecar.read_bytes())
    r = add(
        workdir / "sources" / "hun-sen-meets-xi.txt", "--publisher", "Someone Else", "--url", "https://example.org/x",
        ok=False,
    )
    assert r.exit_code == 1
    assert "this text is already held as hun-sen-meets-xi" in r.output
    assert f"  publisher: held {held['publisher']!r}, given 'Someone Else'" in r.output
    assert f"  url: held {held['url']!r}, given 'https://example.org/x'" in r.output
    assert "nothing was changed" in r.output
    assert sidecar.read_bytes() == before
    assert q(seed_db, "SELECT publisher FROM sources WHERE slug = 'hun-sen-meets-xi'") == [(held["publisher"],)]


def test_source_add_of_a_held_revision_named_by_its_document_leaves_its_sidecar_alone(seed_db, workdir):
    (workdir / "v2.txt").write_text("The second version of the visit.\n")
    add(workdir / "v2.txt", "--slug", "hun-sen-meets-xi", "--title", "Revised", "--db", seed_db)
    sidecar = workdir / "sources" / "hun-sen-meets-xi@2.yml"
    before = sidecar.read_bytes()
    r = add(workdir / "v2.txt", "--slug", "hun-sen-meets-xi", "--db", seed_db)
    assert r.output.startswith("already held: hun-sen-meets-xi@2 ")
    assert sidecar.read_bytes() == before


def test_export_refuses_a_non_empty_target_unless_forced(seed_db, workdir):
    # main: `export --format files --out .` overwrote claims/*.yml, losing an unbuilt claim and the comments
    claims = workdir / "claims" / "hun-sen-meets-xi.yml"
    claims.write_bytes(b"# a comment to keep\n" + claims.read_bytes())
    before = claims.read_bytes()
    r = run("export", "--db", seed_db, "--format", "files", "--out", ".", ok=False)
    assert r.exit_code == 1
    assert "Error: . is not empty: an export never overwrites silently" in r.output
    assert "--force" in r.output
    assert claims.read_bytes() == before
    # an existing file target too (the one-file formats)
    (workdir / "out.json").write_text("[1]\n")
    r = run("export", "--db", seed_db, "--format", "claimreview", "--out", "out.json", ok=False)
    assert r.exit_code == 1 and (workdir / "out.json").read_text() == "[1]\n"
    # a new or empty directory needs no --force; --force writes over
    run("export", "--db", seed_db, "--format", "files", "--out", "backup")
    (workdir / "empty").mkdir()
    run("export", "--db", seed_db, "--format", "files", "--out", "empty")
    run("export", "--db", seed_db, "--format", "files", "--out", "backup", "--force")
    assert sorted(p.name for p in (workdir / "backup" / "sources").iterdir()) == sorted(
        p.name for p in (workdir / "sources").iterdir()
    )
    assert not list((workdir / "backup").rglob(".*.tmp"))


# ---------------------------------------------------------------- 3. crash-safe writes (the parts without a kill)


def test_a_source_add_killed_between_sidecar_and_text_is_not_recorded(seed_db, workdir):
    # source add writes the sidecar, then the text; a kill between leaves a sidecar alone, which build ignores
    (workdir / "sources" / "orphan.yml").write_text("title: half added\nsha256: " + "0" * 64 + "\n")
    r = run("build", "--db", seed_db, "--json")
    assert '"sources_added": 0' in r.output
    assert q(seed_db, "SELECT count(*) FROM sources WHERE slug = 'orphan'") == [(0,)]


def test_build_refuses_a_text_whose_sidecar_hash_does_not_match(seed_db, workdir):
    (workdir / "sources" / "cut.txt").write_text("A truncated text.\n")
    (workdir / "sources" / "cut.yml").write_text("title: Cut\nsha256: " + hashlib.sha256(b"A truncated text, longer.\n").hexdigest() + "\n")
    r = run("build", "--db", seed_db, ok=False)
    assert r.exit_code == 1
    assert "sources/cut.txt: text does not match the sha256 in cut.yml" in r.output
    assert q(seed_db, "SELECT count(*) FROM sources WHERE slug = 'cut'") == [(0,)]


def test_the_claims_file_is_replaced_whole_never_rewritten_in_place(seed_db, workdir):
    # the claims commands append to claims/<slug>/<author>.yml (the repository is the ledger): the first claim
    # makes the file, the second must replace it whole
    path = workdir / "claims" / "hun-sen-meets-xi" / "ana.yml"
    run(
        "claim", "add", "hun-sen-meets-xi", "--db", seed_db, "--subject", "Hun Sen", "--predicate", "met_with",
        "--value", "Xi Jinping", "--confidence", "0.9", "--quote", "Xi Jinping", "--recorded-by", "ana",
    )
    inode = path.stat().st_ino
    run(
        "claim", "add", "hun-sen-meets-xi", "--db", seed_db, "--subject", "Xi Jinping", "--predicate", "met_with",
        "--value", "Hun Sen", "--confidence", "0.9", "--quote", "Hun Sen", "--occurrence", "1", "--recorded-by", "ana",
    )
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_writers_take_the_one_lock_beside_the_database(seed_db, workdir):
    import fcntl
    import threading
    import time

    from ledger.core.atomic import writer_lock

    done = []
    with writer_lock(workdir):
        t = threading.Thread(target=lambda: done.append(subprocess.run(
            [str(LEDGER_BIN), "claim", "add", "hun-sen-meets-xi", "--db", str(seed_db), "--subject", "Hun Sen",
             "--predicate", "met_with", "--value", "Xi", "--confidence", "0.9", "--quote", "Xi Jinping"],
            cwd=workdir, capture_output=True, text=True,
        )))
        t.start()
        time.sleep(3)
        assert not done  # waiting for the lock we hold
        fd = os.open(workdir / ".ledger.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    t.join(120)
    assert done and done[0].returncode == 0, done


# ---------------------------------------------------------------- 5. verify is read-only


def _verify_subprocess(path, cwd):
    return subprocess.run([str(LEDGER_BIN), "verify", "--db", str(path)], cwd=cwd, capture_output=True, text=True)


def test_verify_of_an_empty_file_changes_nothing_and_says_it_is_not_a_ledger(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    r = _verify_subprocess(empty, tmp_path)
    assert r.returncode == 9, r.stdout + r.stderr
    assert "empty.db: not a ledger: an empty file" in r.stderr
    assert "Traceback" not in r.stderr
    assert empty.read_bytes() == b""  # main wrote a 348 KB schema into it and said "all hold"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_verify_of_another_sqlite_file_leaves_it_byte_identical(tmp_path):
    other = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = sha(other)
    r = _verify_subprocess(other, tmp_path)
    assert r.returncode == 9
    assert "not a ledger: a SQLite database without the ledger's _sqlite_migrations, sources, claims table(s)" in r.stderr
    assert sha(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]


def test_verify_of_a_downloaded_snapshot_keeps_its_journal_mode_and_sha256(seed_db, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("download")
    snap = tmp_path / "snapshot.db"
    conn = sqlite3.connect(seed_db)
    conn.execute("VACUUM INTO ?", [str(snap)])  # a snapshot as `ledger serve` offers it: rollback journal
    conn.close()
    conn = sqlite3.connect(snap)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()
    before = sha(snap)
    r = _verify_subprocess(snap, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all hold" in r.stdout
    assert sha(snap) == before  # main switched it to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot.db"]


@pytest.mark.parametrize(
    "args",
    [
        ["build"],
        ["verify"],
        ["source", "list"],
        ["source", "add", "sources/hun-sen-meets-xi.txt"],
        ["import", "claims/hun-sen-meets-xi.yml"],
        ["export", "--out", "backup"],
        ["head"],
        ["log"],
        ["compare"],
        ["review", "list"],
        ["serve"],
    ],
)
def test_db_that_is_a_text_file_is_a_clear_error_for_every_command(workdir, args):
    notes = workdir / "notes.txt"
    notes.write_text("my notes, not a database\n" * 10)
    before = notes.read_bytes()
    r = run(*args, "--db", notes, ok=False)  # catch_exceptions=False: a traceback fails the test
    assert r.exit_code == 9, r.output
    assert "Error: " in r.output and "notes.txt: not a ledger" in r.output and "Traceback" not in r.output
    assert notes.read_bytes() == before


def test_db_that_is_another_sqlite_database_is_not_migrated_by_a_writer(workdir):
    other = workdir / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = sha(other)
    r = run("build", "--db", other, ok=False)
    assert r.exit_code == 9 and "not a ledger" in r.output
    assert sha(other) == before


# ---------------------------------------------------------------- 6. only plain files


def test_source_add_refuses_a_device_without_reading_it(workdir):
    r = add("/dev/zero", "--slug", "zero", ok=False)  # main read until memory ran out
    assert r.exit_code == 1
    assert "Error: /dev/zero: is a character device, not a plain file" in r.output
    assert not (workdir / "sources" / "zero.txt").exists()


def test_source_add_refuses_a_fifo_without_hanging(workdir):
    fifo = workdir / "pipe.txt"
    os.mkfifo(fifo)
    r = subprocess.run(
        [str(LEDGER_BIN), "source", "add", str(fifo), "--db", "ledger.db"], cwd=workdir, capture_output=True,
        text=True, timeout=60,  # main hung here forever
    )
    assert r.returncode == 1
    assert "pipe.txt: is a FIFO (named pipe), not a plain file" in r.stderr


def test_build_refuses_a_symlink_leaving_the_repository(workdir, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "secret.txt"
    secret.write_text("root:x:0:0:the secret\n")
    (workdir / "sources" / "leak.txt").symlink_to(secret)
    r = run("build", "--db", "ledger.db", ok=False)
    assert r.exit_code == 1
    assert f"sources/leak.txt: is a symlink to {secret}, outside the repository" in r.output
    assert q(workdir / "ledger.db", "SELECT count(*) FROM sources WHERE text LIKE '%secret%'") == [(0,)]


def test_build_accepts_a_symlink_inside_the_repository(workdir):
    (workdir / "texts").mkdir()
    (workdir / "texts" / "inside.txt").write_text("A text kept elsewhere in the repository.\n")
    (workdir / "sources" / "inside.txt").symlink_to(workdir / "texts" / "inside.txt")
    run("build", "--db", "ledger.db")
    assert q(workdir / "ledger.db", "SELECT count(*) FROM sources WHERE slug = 'inside'") == [(1,)]


def test_build_refuses_a_fifo_in_sources(workdir):
    os.mkfifo(workdir / "sources" / "pipe.txt")
    r = subprocess.run([str(LEDGER_BIN), "build", "--db", "ledger.db"], cwd=workdir, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "sources/pipe.txt: is a FIFO (named pipe), not a plain file" in r.stderr


def test_build_refuses_an_empty_text_as_source_add_does(workdir):
    (workdir / "sources" / "blank.txt").write_text("  \n")
    r = run("build", "--db", "ledger.db", ok=False)
    assert r.exit_code == 1
    assert "sources/blank.txt: the text is empty" in r.output
    assert not (workdir / "ledger.db").exists() or q(workdir / "ledger.db", "SELECT count(*) FROM sources") == [(0,)]


def test_source_size_limit_is_checked_before_reading(workdir, monkeypatch):
    big = workdir / "big.txt"
    big.write_bytes(b"word " * 300_000)  # 1.5 MB
    r = add(big, "--max-bytes", "1M", ok=False)
    assert r.exit_code == 1
    assert "big.txt: 1,500,000 bytes is over the limit of 1,048,576 bytes for a source" in r.output
    r = add(big, ok=False, env={"LEDGER_MAX_SOURCE_BYTES": "1M"})
    assert "over the limit of 1,048,576 bytes" in r.output
    r = add(big, ok=False, env={"LEDGER_MAX_SOURCE_BYTES": "lots"})
    assert "LEDGER_MAX_SOURCE_BYTES: 'lots' is not a size" in r.output
    add(big)  # the default (100 MB) lets it in
    (workdir / "sources" / "big2.txt").write_bytes(b"other " * 300_000)
    r = run("build", "--db", "ledger.db", ok=False, env={"LEDGER_MAX_SOURCE_BYTES": "1M"})
    assert "sources/big2.txt: 1,800,000 bytes is over the limit" in r.output


# ---------------------------------------------------------------- 7. slugs for every script


TITLES = {
    "zh": ("北京举行新闻发布会", "beijing"),
    "ko": ("서울 시장 선거 결과", "seoul"),
    "ar": ("الانتخابات في مصر", "lntkhbt"),
    "ru": ("Выборы в Москве 2018", "vybory-v-moskve-2018"),
}


def test_titles_in_every_script_get_distinct_readable_slugs(workdir):
    slugs = {}
    for lang, (title, expect) in TITLES.items():
        f = workdir / f"{lang}.txt"
        f.write_text(f"An article in {lang}: {title}\n", encoding="utf-8")
        r = add(f, "--title", title, "--json")
        import json

        slugs[lang] = json.loads(r.stdout)["slug"]
        assert expect in slugs[lang], slugs
        assert "revision_of" not in json.loads(r.stdout)
    assert len(set(slugs.values())) == len(TITLES)  # main: 'source', 'source@2', 'source@3', '53-2018'-like
    assert q("ledger.db", "SELECT count(*) FROM sources WHERE revision > 1") == [(0,)]


def test_a_new_document_whose_title_slugs_alike_is_never_filed_as_a_revision(workdir):
    (workdir / "a.txt").write_text("The first article.\n")
    (workdir / "b.txt").write_text("A different article with the same headline.\n")
    add(workdir / "a.txt", "--title", "Floods in the north")
    r = add(workdir / "b.txt", "--title", "Floods in the north", "--json")
    import json

    out = json.loads(r.stdout)
    b_id = hashlib.sha256(b"A different article with the same headline.\n").hexdigest()
    assert out["slug"] == f"floods-in-the-north-{b_id[:8]}"
    assert "revision_of" not in out
    # naming the slug, or the same URL, is how a revision is recorded
    (workdir / "a2.txt").write_text("The first article, edited.\n")
    out = json.loads(add(workdir / "a2.txt", "--slug", "floods-in-the-north", "--json").stdout)
    assert out["slug"] == "floods-in-the-north@2" and out["revision_of"] == "floods-in-the-north"


def test_same_url_is_still_a_revision(workdir):
    import json

    (workdir / "a.txt").write_text("Version one.\n")
    (workdir / "b.txt").write_text("Version two.\n")
    add(workdir / "a.txt", "--title", "Story", "--url", "https://example.com/story")
    out = json.loads(add(workdir / "b.txt", "--title", "Story, updated", "--url", "https://example.com/story", "--json").stdout)
    assert out["slug"] == "story@2" and out["revision_of"] == "story"


def test_ascii_titles_keep_the_slugs_they_always_had():
    from ledger.formats.sources import slugify

    assert slugify("Hun Sen meets Xi Jinping in Beijing") == "hun-sen-meets-xi-jinping-in-beijing"
    assert slugify("sokhonn-plans-china-trip") == "sokhonn-plans-china-trip"
    assert slugify("x" * 200) == "x" * 80
    assert slugify("!!!").startswith("source-") and len(slugify("!!!")) == len("source-") + 8
