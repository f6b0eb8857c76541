"""tools/check_sizes.py, the size check run by `make lint` (issue 19)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_sizes", ROOT / "tools" / "check_sizes.py")
check_sizes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_sizes)


def write_lines(path, n):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(n)), encoding="utf-8")


def test_a_module_over_the_limit_is_reported_with_its_length(tmp_path):
    write_lines(tmp_path / "ledger" / "core" / "small.py", 600)
    write_lines(tmp_path / "ledger" / "store" / "big.py", 601)
    assert check_sizes.oversized(tmp_path) == [("ledger/store/big.py", 601)]


def test_the_migrations_are_the_one_module_allowed_to_grow(tmp_path):
    write_lines(tmp_path / "ledger" / "store" / "migrations.py", 2000)
    write_lines(tmp_path / "ledger" / "store" / "migrations_old.py", 700)
    assert check_sizes.oversized(tmp_path) == [("ledger/store/migrations_old.py", 700)]
