"""Docs that cannot drift: the command reference and the schema are generated,
and every command has help with an example."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
GENERATED = [p for p in [ROOT / "README.md", *PAGES] if "[[[cog" in p.read_text(encoding="utf-8")]


def all_commands(cmd=cli, path=()):
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield path + (name,), sub
        yield from all_commands(sub, path + (name,))


def test_the_command_reference_and_the_schema_are_generated():
    assert {p.name for p in GENERATED} >= {"cli.md", "schema.md"}


@pytest.mark.parametrize("page", GENERATED, ids=lambda p: p.name)
def test_generated_page_is_current(page):
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(page.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{page.relative_to(ROOT)} is out of date: run `make docs`\n" + result.stdout + result.stderr


def test_make_docs_regenerates_every_generated_page():
    result = subprocess.run(["make", "-n", "docs"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    [cog] = [line.split() for line in result.stdout.splitlines() if "cog -r" in line]
    assert set(cog[cog.index("-r") + 1:]) == {str(p.relative_to(ROOT)) for p in GENERATED}


@pytest.mark.parametrize("path, cmd", list(all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_with_an_example(path, cmd):
    assert cmd.help and cmd.help.strip(), f"ledger {' '.join(path)} has no help"
    if not hasattr(cmd, "commands"):  # groups list their commands instead
        assert "Example" in cmd.help, f"ledger {' '.join(path)} --help has no example"
    assert f"### `ledger {' '.join(path)}`" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands_and_the_makefile_has_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_architecture_lists_every_module():
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(ledger/[\w/]+\.py)` \|", text, re.M))
    modules = set()
    for path in (ROOT / "ledger").rglob("*.py"):
        body = re.sub(r'^\s*(""".*?"""|\'\'\'.*?\'\'\')', "", path.read_text(encoding="utf-8"), flags=re.S).strip()
        if path.name != "__init__.py" or body:  # a package's __init__ with nothing but a docstring is no module
            modules.add(str(path.relative_to(ROOT)))
    modules.discard("ledger/__init__.py")  # the public API and python -m ledger: described in the text
    modules.discard("ledger/__main__.py")
    assert not modules - listed, f"docs/architecture.md has no line for {sorted(modules - listed)}: add one each"
    assert not listed - modules, f"docs/architecture.md lists modules that do not exist: {sorted(listed - modules)}"
