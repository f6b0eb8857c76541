"""Docs that cannot drift: the command reference and the schema are generated,
every command has help with an example, every page is listed and every link,
file path and module name the docs mention exists."""

import importlib
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ledger.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# what a reader is sent to: the README, the pages under docs/, and the top-level reports they link to
LINKED = [ROOT / "README.md", *PAGES, ROOT / "BENCHMARKS.md", ROOT / "RELIABILITY.md"]
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


# ---- every page listed, every link resolves, every path and module named exists ----

def links(page: Path):
    """(target, line) of every Markdown link and image in ``page`` outside code blocks."""
    in_code = False
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group().count("\n"), page.read_text(encoding="utf-8"), flags=re.S)
    for n, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code:
            for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"`[^`]*`", "", line)):
                yield target, n


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page``."""
    found, seen, in_code = set(), {}, False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            text = re.sub(r"[`*_]{2,}|`", "", line.lstrip("#").strip()).lower()
            slug = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LN").replace(" ", "-")
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found


@pytest.mark.parametrize("page", LINKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page):
    broken = []
    for target, line in links(page):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{page.relative_to(ROOT)}:{line}: {target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{page.relative_to(ROOT)}:{line}: {target}: no heading #{anchor} in {dest.name}")
    assert not broken, "\n".join(broken)


def test_every_page_is_listed_in_the_index_and_the_index_in_the_readme():
    index = DOCS / "README.md"
    listed = {(index.parent / t.partition("#")[0]).resolve() for t, _ in links(index)}
    missing = [p.name for p in PAGES if p != index and p.resolve() not in listed]
    assert not missing, f"docs/README.md does not list {missing}: add a line for each"
    assert "docs/README.md" in {t for t, _ in links(ROOT / "README.md")}


# a path in the repository's code, as prose names it: `ledger/store/db.py`, ledger/core/predicates.yml,
# tests/test_docs.py, bench/serve_load.py; not a URL's /ledger/claims/... (preceded by a slash) nor
# ~/.ledger/signing.key. (sources/, claims/ and history/ paths in the docs are examples of a ledger's files.)
PACKAGE_PATH = re.compile(r"(?<![\w./~-])(?:ledger|tests|bench|fuzz|examples)/[\w./*-]*[\w/*]")
# a module or a name in it: ledger.store.db.write_transaction, ledger.web (not ledger.db, the database file)
MODULE_NAME = re.compile(r"(?<![\w./-])ledger\.(?:core|formats|store|services|cli|web)(?:\.\w+)*\b|(?<![\w./-])ledger(?:\.\w+){2,}\b")


def prose(page: Path) -> str:
    """The text of ``page`` that people wrote: a generated part (the commands' --help, the migrations' SQL,
    frozen with its comments) is left out."""
    text = page.read_text(encoding="utf-8")
    return re.sub(r"<!-- \[\[\[cog.*?\[\[\[end\]\]\] -->", "", text, flags=re.S)


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_and_module_the_docs_name_exists(page):
    text = prose(page)
    # a pattern (`bench/results/issue19-*`) must match at least one file
    missing = [p for p in sorted(set(PACKAGE_PATH.findall(text)))
               if not ((ROOT / p).exists() if "*" not in p else any(ROOT.glob(p)))]
    assert not missing, f"{page.relative_to(ROOT)} names files that do not exist: {missing}"
    unresolved = []
    for name in sorted(set(MODULE_NAME.findall(text))):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for attr in parts[i:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                unresolved.append(name)
            break
        else:
            unresolved.append(name)
    assert not unresolved, f"{page.relative_to(ROOT)} names modules or functions that do not exist: {unresolved}"


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
