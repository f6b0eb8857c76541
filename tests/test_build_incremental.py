"""`ledger build` skips source files it has already read, byte for byte (issue 7)."""

import pytest

from ledger.services import files as replay_files
from ledger.store.db import open_db
from ledger.services.ingest import ImportFailed, build


def count_reads(monkeypatch):
    reads = []
    real = replay_files.read_source

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(replay_files, "read_source", counting)
    return reads


def test_second_build_parses_no_unchanged_source(workdir, monkeypatch):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    held = db.execute("SELECT name FROM source_files ORDER BY name").fetchall()
    assert [r[0] for r in held] == sorted(p.name for p in (workdir / "sources").glob("*.txt"))
    reads = count_reads(monkeypatch)
    result = build(db, workdir / "sources", workdir / "claims")
    assert reads == []
    assert result.sources_added == 0 and result.added == 0


def test_a_changed_sidecar_is_read_again_and_its_error_reported(workdir, monkeypatch):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    meta = workdir / "sources" / "sokhonn-plans-china-trip.yml"
    meta.write_text(meta.read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    reads = count_reads(monkeypatch)
    with pytest.raises(ImportFailed) as e:
        build(db, workdir / "sources", workdir / "claims")
    assert reads == ["sokhonn-plans-china-trip.txt"]
    assert "unknown field(s) ['colour']" in str(e.value)


def test_an_edited_text_is_still_refused(workdir):
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    txt = workdir / "sources" / "hun-sen-meets-xi.txt"
    txt.write_bytes(txt.read_bytes() + b"\nA sentence added later.\n")
    with pytest.raises(ImportFailed) as e:
        build(db, workdir / "sources", workdir / "claims")
    assert "hun-sen-meets-xi" in str(e.value)
    # nothing of the failed build was recorded: the next build reads the file again
    row = db.execute("SELECT text_sha256 FROM source_files WHERE name = 'hun-sen-meets-xi.txt'").fetchone()
    assert row[0] == db.execute("SELECT id FROM sources WHERE slug = 'hun-sen-meets-xi'").fetchone()[0]
