"""pinst's commands and options as its own parser defines them, for the tests that hold the
docs and the shell completion to the parser."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from pinst.cli.main import build_parser

HELP_OPTIONS = frozenset({"-h", "--help"})


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (command path, parser) pair, the top-level parser first, then each subcommand."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from commands(subparser, (*path, name))


def option_strings() -> list[tuple[str, str]]:
    """(command, option) for every option of every command, without -h/--help."""
    found = []
    for path, parser in commands(build_parser()):
        command = " ".join(("pinst", *path))
        for action in parser._actions:
            for option in action.option_strings:
                if option not in HELP_OPTIONS:
                    found.append((command, option))
    return found
