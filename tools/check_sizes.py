"""Fail when a module of the package grows past the size a reader can hold (issue 19).

Run by `make lint` and `.ci/run`: `python tools/check_sizes.py [--max LINES]`. The migrations are a frozen list
that only grows, so they are the one module allowed to be longer.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600
EXEMPT = {"ledger/store/migrations.py"}


def oversized(root: Path = ROOT, max_lines: int = MAX_LINES) -> list[tuple[str, int]]:
    """(path, lines) of every module under ledger/ over max_lines, the exempt ones aside, longest first."""
    found = []
    for path in sorted((root / "ledger").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in EXEMPT:
            continue
        with path.open(encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines > max_lines:
            found.append((name, lines))
    return sorted(found, key=lambda item: -item[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=MAX_LINES, help=f"most lines a module may have ({MAX_LINES})")
    args = parser.parse_args(argv)
    found = oversized(max_lines=args.max)
    for name, lines in found:
        print(f"{name}: {lines} lines, over {args.max}: split it by concept (docs/architecture.md)")
    if found:
        return 1
    print(f"sizes: every module under ledger/ has at most {args.max} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
