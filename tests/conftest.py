import shutil
from pathlib import Path

import pytest

from ledger.db import open_db
from ledger.ingest import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A copy of the repository's sources/ and claims/ in a temporary directory, as cwd."""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    shutil.copytree(ROOT / "claims", tmp_path / "claims")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def seed_db(workdir):
    """The seed ledger built from the repository's files; returns its path."""
    path = workdir / "ledger.db"
    db = open_db(path)
    build(db, workdir / "sources", workdir / "claims")
    db.close()
    return path
