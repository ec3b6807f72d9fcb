"""Options that more than one command takes, each added to a parser by one function.

Each spells an option as pip does where pip has it, so that its help reads the same in every
command that takes it.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_index_options(parser: argparse.ArgumentParser, offline: str) -> None:
    """Where wheels come from, and how long to wait for them: as pip spells it."""
    parser.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        help="the package index (default: https://pypi.org/simple)",
    )
    parser.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index, asked only for projects the first ones lack",
    )
    parser.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="LOCATION",
        help="a directory or HTML page of wheels to consider too",
    )
    parser.add_argument(
        "--no-index",
        action="store_true",
        default=None,
        help="use no index, only --find-links, URLs and paths",
    )
    parser.add_argument(
        "--offline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=offline,
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        metavar="SECONDS",
        help="how long to wait for a server to connect or send more data before retrying, "
        "then failing (default: $PINST_HTTP_TIMEOUT, else 30)",
    )


def seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds greater than 0; give one such as 30 or 2.5"
        )
    return seconds


def add_venv_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--venv",
        type=Path,
        default=None,
        metavar="PATH",
        help="the virtual environment (default: $VIRTUAL_ENV, else ./.venv)",
    )


def add_cache_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the cache (default: $PINST_CACHE_DIR, else the user cache dir)",
    )


def add_verbosity_options(parser: argparse.ArgumentParser, more: str = "print more") -> None:
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=more)


def add_no_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="read no config file (pinst.toml, pyproject.toml, the user's); env PINST_NO_CONFIG=1",
    )


def add_allow_remove_pinst_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-remove-pinst",
        action="store_true",
        help="remove pinst and the packages it needs too, when the venv is the one pinst runs "
        "from (otherwise they are kept)",
    )
