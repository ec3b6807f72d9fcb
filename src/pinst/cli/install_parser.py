"""The parsers of ``pinst install`` and ``pinst sync``: the options they share, and pip's and
uv's spellings of options pinst has no use for (accepted, or refused with what to do instead).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pinst.cli.options import (
    add_allow_remove_pinst_option,
    add_cache_dir_option,
    add_index_options,
    add_no_config_option,
    add_verbosity_options,
)
from pinst.config.settings import LINK_MODES
from pinst.output.report import say_error


def add_install(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    install = commands.add_parser(
        "install",
        help="install pinned requirements into a venv",
        description="Install exactly the pinned wheels of requirements files (and NAME==VERSION "
        "arguments) into a virtual environment, creating it if needed.",
    )
    _add_install_arguments(install)


def add_sync(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser(
        "sync",
        help="make a venv hold exactly the pinned requirements",
        description="Install the pinned wheels of requirements files (and NAME==VERSION "
        "arguments) like install, and remove every other distribution from the virtual "
        "environment (pip and setuptools too), in one change: all of it or none.",
    )
    _add_install_arguments(sync)


def _add_install_arguments(install: argparse.ArgumentParser) -> None:
    """The options of install, which sync shares."""
    install.add_argument(
        "packages",
        nargs="*",
        metavar="NAME==VERSION",
        help="a pinned requirement, a wheel URL or a wheel file",
    )
    install.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="install the pins of this requirements file or pylock.toml (repeatable)",
    )
    install.add_argument(
        "-c",
        "--constraint",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="pin versions of the requirements from this file",
    )
    install.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="with a lock file: also install the packages of this extra (repeatable)",
    )
    install.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="with a lock file: also install this dependency group, besides the lock's "
        "default groups (repeatable)",
    )
    install.add_argument(
        "--venv",
        type=Path,
        default=None,
        metavar="PATH",
        help="the virtual environment (default: $VIRTUAL_ENV, else ./.venv); created if missing",
    )
    install.add_argument(
        "--python",
        metavar="PY",
        help="the interpreter for a new venv: a path, a command, or a version "
        "such as 3.12 (default: the one running pinst)",
    )
    add_index_options(
        install, offline="use only the cache: no network request at all (env PINST_OFFLINE=1)"
    )
    add_cache_dir_option(install)
    install.add_argument(
        "--link-mode",
        choices=LINK_MODES,
        help="how files get from the cache into the venv (default: auto: "
        "reflink, else hardlink, else copy); any other choice is strict",
    )
    install.add_argument(
        "--compile-bytecode",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="install .pyc files too, compiled once per interpreter in the cache and linked "
        "like the sources (env PINST_COMPILE_BYTECODE=1)",
    )
    install.add_argument(
        "--entries-cache",
        type=Path,
        metavar="DIR",
        help="where to unpack wheels for the venv's filesystem (default: the main cache on its "
        "filesystem, else a .pinst-cache that pinst creates there)",
    )
    install.add_argument(
        "--per-filesystem-cache",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create a cache on each filesystem pinst installs to, so that linking works "
        "(default); with --no-per-filesystem-cache, pinst copies there instead",
    )
    install.add_argument(
        "--require-hashes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="require a --hash for every requirement",
    )
    install.add_argument(
        "--max-unpacked-size",
        metavar="SIZE",
        help="refuse a wheel that unpacks to more than SIZE, such as 500M or 32G (default: 16G; "
        "env PINST_MAX_UNPACKED_SIZE)",
    )
    install.add_argument(
        "--max-compression-ratio",
        metavar="RATIO",
        help="refuse a wheel, or a member of one, over 64 MiB that expands more than RATIO times "
        "(default: 200; env PINST_MAX_COMPRESSION_RATIO)",
    )
    install.add_argument(
        "--max-metadata-size",
        metavar="SIZE",
        help="refuse a wheel whose METADATA, WHEEL, RECORD or entry_points.txt is larger than "
        "SIZE (default: 64M; env PINST_MAX_METADATA_SIZE)",
    )
    install.add_argument(
        "--max-index-page-size",
        metavar="SIZE",
        help="refuse an index page larger than SIZE, on the wire or inflated (default: 64M; "
        "env PINST_MAX_INDEX_PAGE_SIZE)",
    )
    install.add_argument(
        "--max-requirements-size",
        metavar="SIZE",
        help="refuse a requirements, constraints or lock file larger than SIZE (default: 16M; "
        "env PINST_MAX_REQUIREMENTS_SIZE)",
    )
    install.add_argument(
        "--reinstall",
        action="store_true",
        help="reinstall packages even if that version is installed",
    )
    install.add_argument(
        "--json",
        action="store_true",
        help="print a JSON report of what was installed, upgraded, removed and left alone on "
        "stdout (messages stay on stderr; nothing on stdout on failure)",
    )
    install.add_argument(
        "--no-progress",
        action="store_true",
        default=None,
        help="draw no progress bars (they are drawn only on a terminal, and not when CI is set; "
        "env PINST_NO_PROGRESS=1)",
    )
    add_verbosity_options(install, more="print more: cache hits, timings")
    add_no_config_option(install)
    add_allow_remove_pinst_option(install)
    _pip_and_uv_spellings(install)


def _pip_and_uv_spellings(install: argparse.ArgumentParser) -> None:
    """Options of pip and uv: those that mean what pinst does anyway are accepted, and those
    that ask for what pinst never does stop with what to do instead."""
    install.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be installed, replaced and removed, and change nothing",
    )
    install.add_argument(
        "--no-deps",
        action="store_true",
        help="accepted, and what pinst always does: it installs only what is listed",
    )
    install.add_argument(
        "-U",
        "--upgrade",
        action="store_true",
        help="accepted, and what pinst always does: each pin replaces any other version",
    )
    install.add_argument(
        "--pre",
        action="store_true",
        help="accepted, and what pinst always does: a pin of a pre-release installs it",
    )
    venv_only = (
        "pinst installs into virtual environments only, and {what}. Pass --venv PATH "
        "instead: the venv is created if it does not exist."
    )
    refused = {
        ("-e", "--editable"): "pinst installs wheels only, and an editable install is built "
        "from a source tree. Install the pinned dependencies with pinst, then the project with "
        "'pip install -e .' or 'uv pip install -e .' in the venv (after any 'pinst sync', which "
        "removes what it does not list); or build a wheel (uv build --wheel, or pip wheel "
        "--no-deps .) and give pinst that file",
        ("--target",): venv_only.format(what="not into a plain directory"),
        ("--prefix",): venv_only.format(what="not under another prefix"),
        ("--root",): venv_only.format(what="not under another root directory"),
        ("--system",): venv_only.format(what="not into a Python's own environment"),
        ("--user",): venv_only.format(what="not into the user site-packages")
        + " For a command-line tool of your own, install it as a tool: pipx install, or uv "
        "tool install",
    }
    for options, advice in refused.items():
        install.add_argument(*options, action=_Refused, advice=advice)


class _Refused(argparse.Action):
    """An option of pip's that pinst does not have: stops with what to do instead, rather than
    argparse's "unrecognized arguments" (left out of the help: it is not an option)."""

    def __init__(self, option_strings: list[str], dest: str, advice: str) -> None:
        super().__init__(
            option_strings, dest, nargs="?", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        self.advice = advice

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        ending = "" if self.advice.endswith(".") else "."
        say_error(f"{option_string}: {self.advice}{ending}")
        parser.exit(2)
