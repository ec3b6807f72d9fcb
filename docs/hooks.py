"""MkDocs hook: the command line reference shows each command's help as pinst's own parser prints
it, so that the reference cannot drift from the code.

A line ``<!-- pinst-help: cache prune -->`` in a page becomes a text block with the output of
``pinst cache prune --help``; ``<!-- pinst-help: -->`` is the top-level ``pinst --help``. The
help is formatted for a fixed width, so that the built page does not depend on the terminal
that builds it. tests/docs/test_docs.py checks that every command has its block.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pinst.cli.parser import build_parser

MARKER = re.compile(r"^<!-- pinst-help: ?([\w -]*?) ?-->$", re.MULTILINE)
WIDTH = 88  # argparse reads COLUMNS; the rendered page's text blocks fit 88 columns


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return MARKER.sub(lambda marker: help_block(marker[1]), markdown)


def help_block(command: str) -> str:
    shown = " ".join(("pinst", *command.split(), "--help"))
    return f"```text\n$ {shown}\n{help_text(command).rstrip()}\n```"


def help_text(command: str) -> str:
    """The help of ``command`` ("" for pinst itself, "cache prune" for a subcommand)."""
    parser = build_parser()
    for name in command.split():
        parser = subcommands(parser)[name]
    with fixed_terminal():
        return parser.format_help()


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@contextmanager
def fixed_terminal() -> Iterator[None]:
    """COLUMNS fixes argparse's width; NO_COLOR keeps newer Pythons from colouring the help."""
    saved = {name: os.environ.get(name) for name in ("COLUMNS", "NO_COLOR")}
    os.environ.update(COLUMNS=str(WIDTH), NO_COLOR="1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
