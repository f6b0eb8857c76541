"""`ledger package`: the Docker build directory for a read-only public copy,
made with Datasette's own tooling (issue 17). No Docker or network here: the
test checks what the image would be built from."""

from __future__ import annotations

import zipfile
from pathlib import Path

from _cli import q, run

ROOT = Path(__file__).resolve().parent.parent


def test_package_writes_a_datasette_build_directory_with_the_plugin_and_a_verified_snapshot(seed_db, tmp_path):
    out = tmp_path / "site"
    result = run("package", str(out), "--db", str(seed_db), "-m", str(ROOT / "metadata.yml"))
    assert f"wrote {out}" in result.output
    dockerfile = (out / "Dockerfile").read_text()
    [wheel] = (out / "wheels").glob("*.whl")
    lines = dockerfile.splitlines()
    assert f"RUN pip install -U datasette wheels/{wheel.name}" in lines
    assert "RUN datasette inspect ledger.db --inspect-file inspect-data.json" in lines
    cmd = next(line for line in lines if line.startswith("CMD "))
    # immutable, with the metadata and the ledger's limits; no CORS, no secret baked in
    assert " -i ledger.db " in cmd and "--metadata metadata.json" in cmd
    for setting in ("sql_time_limit_ms 1000", "max_returned_rows 1000", "allow_download on"):
        assert f"--setting {setting}" in cmd
    assert "--cors" not in dockerfile and "DATASETTE_SECRET" not in dockerfile
    assert "--crossdb" not in cmd and "--root" not in cmd
    # the plugin and its templates are in the wheel the image installs
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert {"ledger/web/templates/row-ledger-claims.html", "ledger/web/templates/ledger-fact.html",
            "ledger/web/audit.py"} <= names
    assert "ledger = ledger.web" in entry_points and "ledger_audit = ledger.web.audit" in entry_points
    # the snapshot holds the same rows, is read-only on disk, and verifies
    snap = out / "ledger.db"
    assert not (snap.stat().st_mode & 0o222)
    assert q(snap, "SELECT count(*) FROM claims") == q(seed_db, "SELECT count(*) FROM claims")
    # verified on a copy: `ledger verify` on main still writes to the file it checks (issue 13 makes it read-only)
    copy = tmp_path / "copy.db"
    copy.write_bytes(snap.read_bytes())
    copy.chmod(0o644)
    assert "all hold" in run("verify", "--db", str(copy)).output


def test_package_never_overwrites_a_directory(seed_db, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("package", str(out), "--db", str(seed_db), "-m", str(ROOT / "metadata.yml"), ok=False)
    assert result.exit_code == 1
    assert f"Error: {out} already exists: give a new directory (nothing is overwritten)" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
