"""The documentation cannot drift from the code: every CLI option is documented, every page is
reachable from the navigation."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from pinst.cli.parser import build_parser
from tests.support.commands import HELP_OPTIONS, commands, option_strings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "cli.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
HOOKS = DOCS / "hooks.py"

# Inline code spans and fenced blocks: options count as documented only when shown as code.
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
OPTION = re.compile(r"(?<![\w-])--?[A-Za-z0-9][\w-]*")
NAV_PAGE = re.compile(r"^\s*-\s+(?:[^:\n]+:\s+)?([\w./-]+\.md)\s*$", re.MULTILINE)


def documented_options() -> set[str]:
    text = CLI_PAGE.read_text()
    return {option for span in CODE.findall(text) for option in OPTION.findall(span)}


@pytest.mark.parametrize(("command", "option"), option_strings())
def test_every_option_is_in_the_cli_reference(command: str, option: str) -> None:
    assert option in documented_options(), (
        f"{command} has the option {option}, but docs/cli.md does not show it in code; "
        "document it there."
    )


@pytest.mark.parametrize(
    "command", sorted({" ".join(("pinst", *path)) for path, _ in commands(build_parser())})
)
def test_every_command_is_in_the_cli_reference(command: str) -> None:
    text = " ".join(CLI_PAGE.read_text().split())
    named = command in text
    # "pinst cache dir|info|clean" names several subcommands at once.
    *parent, name = command.split()
    alternatives = re.search(rf"{re.escape(' '.join(parent))} [\w|-]*\b{re.escape(name)}\b", text)
    assert named or alternatives, f"docs/cli.md does not mention the command '{command}'."


def load_hooks() -> Any:
    """docs/hooks.py, the MkDocs hook that puts each command's --help into docs/cli.md."""
    spec = importlib.util.spec_from_file_location("docs_hooks", HOOKS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_has_a_generated_help_block() -> None:
    hooks = load_hooks()
    markers = hooks.MARKER.findall(CLI_PAGE.read_text())
    real = [" ".join(path) for path, _ in commands(build_parser())]
    assert sorted(markers) == sorted(real), (
        "docs/cli.md must have one '<!-- pinst-help: COMMAND -->' line for each command "
        f"(COMMAND empty for pinst itself): it has {sorted(markers)}, pinst has {sorted(real)}."
    )


def test_the_hook_puts_the_parser_help_in_place_of_the_markers() -> None:
    hooks = load_hooks()
    page = hooks.on_page_markdown(CLI_PAGE.read_text())
    assert "pinst-help:" not in page
    assert "$ pinst cache prune --help\nusage: pinst cache prune [-h]" in page
    help_lines = hooks.help_text("install").splitlines()
    assert max(map(len, help_lines)) <= hooks.WIDTH, "the help is not formatted for WIDTH"


# Options cli.md shows that belong to something else: requirement lines, venv, python.
FOREIGN_OPTIONS = frozenset({"--hash", "--without-pip", "-m"})


def test_the_cli_reference_shows_no_option_pinst_lacks() -> None:
    real = {option for _, option in option_strings()} | HELP_OPTIONS | FOREIGN_OPTIONS
    stale = sorted(documented_options() - real)
    assert not stale, (
        f"docs/cli.md shows options that no pinst command has: {stale}. Remove them, or add them "
        "to FOREIGN_OPTIONS in this test if they belong to another tool."
    )


def nav_pages() -> set[str]:
    return set(NAV_PAGE.findall(MKDOCS_YML.read_text()))


def test_every_page_is_in_the_nav() -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages, "docs/ has no pages"
    missing = sorted(pages - nav_pages())
    assert not missing, f"pages missing from the nav in mkdocs.yml: {missing}"


def test_every_nav_entry_is_a_page() -> None:
    missing = sorted(page for page in nav_pages() if not (DOCS / page).is_file())
    assert not missing, f"mkdocs.yml lists pages that do not exist in docs/: {missing}"


def table_cells(row: str) -> int:
    """The cells of a Markdown table row; a | inside a code span does not divide cells."""
    return len(CODE.sub("code", row.strip()).strip("|").split("|"))


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda page: page.name)
def test_every_table_row_has_as_many_cells_as_its_header(page: Path) -> None:
    wrong, header = [], 0
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if not line.startswith("|"):
            header = 0
        elif not header:
            header = table_cells(line)
        elif table_cells(line) != header:
            wrong.append(f"{page.name}:{number}: {table_cells(line)} cells, header {header}")
    assert not wrong, wrong
