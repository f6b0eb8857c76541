import shutil
from pathlib import Path

import pytest

from ledger.store.db import open_db
from ledger.services.ingest import build

ROOT = Path(__file__).resolve().parent.parent


# The two seed articles the project started from; the other files in sources/ and claims/ are the demo's
# reports from other outlets (tests/test_demo_data.py), left out so these tests keep their seed-only figures.
SEED_SLUGS = ("hun-sen-meets-xi", "sokhonn-plans-china-trip")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A copy of the seed articles' files in sources/ and claims/ in a temporary directory, as cwd."""
    for d, exts in (("sources", ("txt", "yml")), ("claims", ("yml",))):
        (tmp_path / d).mkdir()
        for slug in SEED_SLUGS:
            for ext in exts:
                shutil.copy2(ROOT / d / f"{slug}.{ext}", tmp_path / d / f"{slug}.{ext}")
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
