"""pinst's argparse parser: every command and its options, and parsing a command line with it.

The parser only reads the command line: ``cli/handlers.py`` runs the command it chose.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pinst import __version__
from pinst.cli.install_parser import add_install, add_sync
from pinst.cli.options import (
    add_allow_remove_pinst_option,
    add_cache_dir_option,
    add_index_options,
    add_no_config_option,
    add_venv_option,
    add_verbosity_options,
)
from pinst.config.settings import LINK_MODES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pinst",
        description="Install pinned wheels into virtual environments from a cache on every "
        "filesystem.",
    )
    parser.add_argument("--version", action="version", version=f"pinst {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_install(commands)
    add_sync(commands)
    _add_uninstall(commands)
    _add_list(commands)
    _add_freeze(commands)
    _add_check(commands)
    _add_venv(commands)
    _add_cache(commands)
    _add_config(commands)
    _add_completion(commands)
    _add_reclaim(commands)
    return parser


def _add_uninstall(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    uninstall = commands.add_parser(
        "uninstall",
        help="remove packages from a venv",
        description="Remove installed distributions from a virtual environment, by the files "
        "their RECORD lists, all of them or none.",
    )
    uninstall.add_argument("names", nargs="+", metavar="NAME", help="a project name")
    add_venv_option(uninstall)
    add_cache_dir_option(uninstall)
    add_verbosity_options(uninstall)
    add_allow_remove_pinst_option(uninstall)


def _add_list(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = commands.add_parser(
        "list",
        help="list the packages installed in a venv",
        description="List every distribution installed in a virtual environment, by any "
        "installer, on standard output.",
    )
    add_venv_option(listing)
    listing.add_argument(
        "--format",
        choices=("columns", "json", "freeze"),
        default="columns",
        help="a table (default), JSON, or requirement lines as 'pinst freeze' prints them",
    )


def _add_freeze(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    freeze = commands.add_parser(
        "freeze",
        help="print a venv's packages as requirements",
        description="Print the distributions installed in a virtual environment as pinned "
        "requirements, as 'pip freeze' does.",
    )
    add_venv_option(freeze)
    freeze.set_defaults(format="freeze")


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="report installed packages that lack what they require",
        description="Report every distribution in a virtual environment, whoever installed it, "
        "whose requirements are missing or installed in a version they exclude, as 'pip check' "
        "does. Exit status 1 if there is one, else 0.",
    )
    add_venv_option(check)
    check.add_argument("--json", action="store_true", help="print JSON on stdout")


def _add_venv(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    venv = commands.add_parser(
        "venv",
        help="create a virtual environment",
        description="Create a virtual environment (without pip: pinst installs into it) at a "
        "path that does not exist yet or is an empty directory.",
    )
    venv.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=Path(".venv"),
        metavar="PATH",
        help="where to create it (default: ./.venv)",
    )
    venv.add_argument(
        "--python",
        metavar="PY",
        help="the interpreter: a path, a command, or a version such as 3.12 (default: the one "
        "running pinst)",
    )
    venv.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    venv.set_defaults(verbose=0)


def _add_cache(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = commands.add_parser(
        "cache",
        help="show, clean, prune or verify the cache",
        description="Inspect and maintain pinst's cache: the main cache and every entries cache "
        "pinst created on other filesystems.",
    )
    actions = cache.add_subparsers(dest="cache_command", metavar="SUBCOMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_cache_dir_option(common)
    add_verbosity_options(common)
    actions.add_parser("dir", parents=[common], help="print the cache's path")
    info = actions.add_parser(
        "info", parents=[common], help="show sizes, entries and the space linking saves"
    )
    info.add_argument("--json", action="store_true", help="print JSON on stdout")
    actions.add_parser(
        "clean", parents=[common], help="remove everything pinst cached, on every filesystem"
    )
    prune = actions.add_parser(
        "prune",
        parents=[common],
        help="remove entries no live venv uses, records of deleted venvs and old temporary files",
    )
    prune.add_argument(
        "--wheels", action="store_true", help="also remove downloaded wheels no live venv uses"
    )
    prune.add_argument(
        "--ci",
        action="store_true",
        help="keep only what is worth saving in a CI cache: remove every unpacked entry and "
        "interpreter facts, keep downloaded wheels and index pages",
    )
    verify = actions.add_parser(
        "verify", parents=[common], help="rehash every unpacked file against its manifest"
    )
    verify.add_argument(
        "--repair", action="store_true", help="unpack damaged entries again from stored wheels"
    )


def _add_config(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = commands.add_parser(
        "config",
        help="show the effective settings and where each comes from",
        description="Show every setting an install would use, its value, and where it comes "
        "from: the environment, a config file, or the default.",
    )
    config.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or JSON"
    )
    add_no_config_option(config)


def _add_completion(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print the completion script for a shell, made from pinst's own commands "
        "and options: source it, or put it where the shell looks for completions.",
    )
    # The shells of completion.SHELLS, not imported from there: building the parser must stay cheap.
    completion.add_argument(
        "shell", choices=("bash", "zsh", "fish"), help="the shell: bash, zsh or fish"
    )


def _add_reclaim(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reclaim = commands.add_parser(
        "reclaim",
        help="free the disk that venvs made by any installer waste on copies",
        description="Find the venvs under PATHs (made by pip, uv, poetry, PDM or pinst) and "
        "replace each installed file whose content matches its RECORD hash with a link to the "
        "identical read-only file in pinst's cache, so that they share disk. Files edited by "
        "hand, scripts and anything RECORD does not vouch for are left as they are.",
    )
    reclaim.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="a venv, or a folder to search"
    )
    reclaim.add_argument(
        "--dry-run", action="store_true", help="change nothing; report what would be freed"
    )
    reclaim.add_argument(
        "--all-users",
        action="store_true",
        help="as root: also reclaim venvs that belong to other users (skipped by default)",
    )
    add_index_options(
        reclaim, offline="no network: wheels not downloaded before are adopted from the venvs"
    )
    reclaim.add_argument(
        "--link-mode",
        choices=LINK_MODES,
        help="auto (default: reflink, else hardlink), hardlink or reflink; copy and symlink "
        "are refused",
    )
    add_cache_dir_option(reclaim)
    reclaim.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    reclaim.add_argument(
        "--no-progress", action="store_true", default=None, help="draw no progress bar"
    )
    add_verbosity_options(reclaim)
    add_no_config_option(reclaim)


def parse_arguments(parser: argparse.ArgumentParser, arguments: list[str]) -> argparse.Namespace:
    """Parse as argparse does, except that bare ``pinst`` prints its help (exit status 2, a
    usage error, as uv), and an unknown option is reported with the usage of the command it was
    given to, not pinst's."""
    if not arguments:
        parser.print_help(sys.stderr)
        parser.exit(2)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _chosen_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the (sub)command the arguments chose: ``pinst cache prune``'s for those."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                return _chosen_parser(chosen, args)
    return parser
