"""The command line: argparse in, one call into the pipeline, errors out as one paragraph.

Kept thin and cheap to import: the pipeline's modules are imported only once a command runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pinst import __version__
from pinst._core.errors import PinstError, advice_for, describe
from pinst.config.settings import LINK_MODES
from pinst.output.report import say_error, set_log_verbosity

if TYPE_CHECKING:
    from pinst.install.options import InstallOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pinst",
        description="Install pinned wheels into virtual environments from a cache on every "
        "filesystem.",
    )
    parser.add_argument("--version", action="version", version=f"pinst {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_install(commands)
    _add_sync(commands)
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


def _add_install(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    install = commands.add_parser(
        "install",
        help="install pinned requirements into a venv",
        description="Install exactly the pinned wheels of requirements files (and NAME==VERSION "
        "arguments) into a virtual environment, creating it if needed.",
    )
    _add_install_arguments(install)
    install.set_defaults(handler=_run_install)


def _add_sync(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser(
        "sync",
        help="make a venv hold exactly the pinned requirements",
        description="Install the pinned wheels of requirements files (and NAME==VERSION "
        "arguments) like install, and remove every other distribution from the virtual "
        "environment (pip and setuptools too), in one change: all of it or none.",
    )
    _add_install_arguments(sync)
    sync.set_defaults(handler=_run_install)


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
    _index_options(
        install, offline="use only the cache: no network request at all (env PINST_OFFLINE=1)"
    )
    _cache_dir_option(install)
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
    _verbosity_options(install, more="print more: cache hits, timings")
    _no_config_option(install)
    _allow_remove_pinst_option(install)
    _pip_and_uv_spellings(install)


def _index_options(parser: argparse.ArgumentParser, offline: str) -> None:
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
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for a server to connect or send more data before retrying, "
        "then failing (default: $PINST_HTTP_TIMEOUT, else 30)",
    )


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds greater than 0; give one such as 30 or 2.5"
        )
    return seconds


def _run_install(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.install.run import install
    from pinst.output.report import Reporter

    if not args.requirement and not args.packages:
        parser_error(f"{args.command} needs -r FILE or NAME==VERSION arguments", args.command)
    if args.dry_run and args.json:
        parser_error(
            "--dry-run prints what would change as text only, and --json reports what a run did; "
            "drop one of them",
            args.command,
        )
    options = _install_options(args)
    reporter = Reporter.for_stderr(args.verbose - args.quiet, no_progress=options.no_progress)
    with os_errors_reported(args.command):
        report = install(options, reporter)
    if args.json:  # only after success: a failure prints nothing on stdout
        print(report.to_json())
    return 0


def _install_options(args: argparse.Namespace) -> InstallOptions:
    """The install's options: the command line's, else the environment's and config files'."""
    from pinst._core.limits import InputLimits, UnpackLimits
    from pinst._core.link import LinkMode
    from pinst.config.settings import SETTINGS, resolve
    from pinst.install.options import InstallOptions
    from pinst.venv.target import default_venv_path

    given = {item.key: getattr(args, item.key.replace("-", "_"), None) for item in SETTINGS}
    settings = resolve(given, no_config=args.no_config)
    return InstallOptions(
        requirement_files=args.requirement,
        requirement_args=args.packages,
        constraint_files=args.constraint,
        venv=args.venv or default_venv_path(),
        python=args.python,
        index_url=settings.text("index-url"),
        extra_index_urls=settings.texts("extra-index-url"),
        find_links=settings.texts("find-links"),
        no_index=settings.flag("no-index"),
        offline=settings.flag("offline"),
        cache_dir=settings.path("cache-dir") or Path(),
        link_mode=LinkMode(settings.text("link-mode")),
        require_hashes=settings.flag("require-hashes"),
        reinstall=args.reinstall,
        compile_bytecode=settings.flag("compile-bytecode"),
        entries_cache=settings.path("entries-cache"),
        per_filesystem_cache=settings.flag("per-filesystem-cache"),
        command_line=args.command_line,
        timeout=settings.number("timeout"),
        unpack_limits=UnpackLimits(
            max_unpacked_size=int(settings.number("max-unpacked-size")),
            max_compression_ratio=int(settings.number("max-compression-ratio")),
            max_metadata_size=int(settings.number("max-metadata-size")),
        ),
        input_limits=InputLimits(
            max_index_page_size=int(settings.number("max-index-page-size")),
            max_requirements_size=int(settings.number("max-requirements-size")),
        ),
        config_files=settings.discovery.examined,
        config_variables=settings.discovery.variables,
        sync=args.command == "sync",
        json=args.json,
        no_progress=settings.flag("no-progress"),
        lock_extras=args.extra,
        lock_groups=args.group,
        allow_remove_pinst=args.allow_remove_pinst,
        dry_run=args.dry_run,
    )


def _no_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="read no config file (pinst.toml, pyproject.toml, the user's); env PINST_NO_CONFIG=1",
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
    _no_config_option(config)
    config.set_defaults(handler=_run_config)


def _run_config(args: argparse.Namespace) -> int:
    from pinst.commands.config import show_settings
    from pinst.config.settings import resolve

    show_settings(resolve(no_config=args.no_config), args.format)
    return 0


def _venv_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--venv",
        type=Path,
        default=None,
        metavar="PATH",
        help="the virtual environment (default: $VIRTUAL_ENV, else ./.venv)",
    )


def _cache_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the cache (default: $PINST_CACHE_DIR, else the user cache dir)",
    )


def _verbosity_options(parser: argparse.ArgumentParser, more: str = "print more") -> None:
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=more)


def _add_uninstall(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    uninstall = commands.add_parser(
        "uninstall",
        help="remove packages from a venv",
        description="Remove installed distributions from a virtual environment, by the files "
        "their RECORD lists, all of them or none.",
    )
    uninstall.add_argument("names", nargs="+", metavar="NAME", help="a project name")
    _venv_option(uninstall)
    _cache_dir_option(uninstall)
    _verbosity_options(uninstall)
    _allow_remove_pinst_option(uninstall)
    uninstall.set_defaults(handler=_run_uninstall)


def _run_uninstall(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.uninstall import uninstall_packages
    from pinst.output.report import Reporter
    from pinst.venv.target import default_venv_path

    cache = Cache((args.cache_dir or default_cache_dir()).absolute())
    reporter = Reporter.for_stderr(args.verbose - args.quiet)
    with os_errors_reported("uninstall"):
        uninstall_packages(
            args.venv or default_venv_path(),
            args.names,
            cache,
            reporter,
            allow_remove_pinst=args.allow_remove_pinst,
        )
    return 0


def _add_list(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = commands.add_parser(
        "list",
        help="list the packages installed in a venv",
        description="List every distribution installed in a virtual environment, by any "
        "installer, on standard output.",
    )
    _venv_option(listing)
    listing.add_argument(
        "--format",
        choices=("columns", "json", "freeze"),
        default="columns",
        help="a table (default), JSON, or requirement lines as 'pinst freeze' prints them",
    )
    listing.set_defaults(handler=_run_list)


def _add_freeze(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    freeze = commands.add_parser(
        "freeze",
        help="print a venv's packages as requirements",
        description="Print the distributions installed in a virtual environment as pinned "
        "requirements, as 'pip freeze' does.",
    )
    _venv_option(freeze)
    freeze.set_defaults(handler=_run_list, format="freeze")


def _run_list(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.listing import show_list
    from pinst.venv.target import default_venv_path, existing_venv

    facts = Cache(default_cache_dir().absolute()).interpreters_if_present()
    with os_errors_reported(args.command):
        show_list(existing_venv(args.venv or default_venv_path(), facts), args.format)
    return 0


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check",
        help="report installed packages that lack what they require",
        description="Report every distribution in a virtual environment, whoever installed it, "
        "whose requirements are missing or installed in a version they exclude, as 'pip check' "
        "does. Exit status 1 if there is one, else 0.",
    )
    _venv_option(check)
    check.add_argument("--json", action="store_true", help="print JSON on stdout")
    check.set_defaults(handler=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.check import check_venv
    from pinst.venv.target import default_venv_path, existing_venv

    facts = Cache(default_cache_dir().absolute()).interpreters_if_present()
    with os_errors_reported("check"):
        return check_venv(existing_venv(args.venv or default_venv_path(), facts), args.json)


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
    venv.set_defaults(handler=_run_venv, verbose=0)


def _run_venv(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.venv import make_venv
    from pinst.output.report import Reporter

    cache = Cache(default_cache_dir().absolute())
    with os_errors_reported("venv"):
        make_venv(args.path, args.python, cache, Reporter.for_stderr(-args.quiet))
    return 0


def _add_cache(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = commands.add_parser(
        "cache",
        help="show, clean, prune or verify the cache",
        description="Inspect and maintain pinst's cache: the main cache and every entries cache "
        "pinst created on other filesystems.",
    )
    actions = cache.add_subparsers(dest="cache_command", metavar="SUBCOMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    _cache_dir_option(common)
    _verbosity_options(common)
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
    cache.set_defaults(handler=_run_cache)


def _run_cache(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.cache.clean import clean
    from pinst.commands.cache.info import show_dir, show_info
    from pinst.commands.cache.prune import prune
    from pinst.commands.cache.verify import verify
    from pinst.output.report import Reporter

    main = Cache((args.cache_dir or default_cache_dir()).absolute())
    reporter = Reporter.for_stderr(args.verbose - args.quiet)
    with os_errors_reported(f"cache {args.cache_command}"):
        if args.cache_command == "dir":
            show_dir(main)
        elif args.cache_command == "info":
            show_info(main, reporter, as_json=args.json)
        elif args.cache_command == "clean":
            clean(main, reporter)
        elif args.cache_command == "prune":
            prune(main, reporter, wheels=args.wheels, ci=args.ci)
        else:
            verify(main, reporter, repair=args.repair)
    return 0


def _allow_remove_pinst_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-remove-pinst",
        action="store_true",
        help="remove pinst and the packages it needs too, when the venv is the one pinst runs "
        "from (otherwise they are kept)",
    )


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
    completion.set_defaults(handler=_run_completion)


def _run_completion(args: argparse.Namespace) -> int:
    from pinst.cli.completion import script

    sys.stdout.write(script(args.shell, build_parser()))
    return 0


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
    _index_options(
        reclaim, offline="no network: wheels not downloaded before are adopted from the venvs"
    )
    reclaim.add_argument(
        "--link-mode",
        choices=LINK_MODES,
        help="auto (default: reflink, else hardlink), hardlink or reflink; copy and symlink "
        "are refused",
    )
    _cache_dir_option(reclaim)
    reclaim.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    reclaim.add_argument(
        "--no-progress", action="store_true", default=None, help="draw no progress bar"
    )
    _verbosity_options(reclaim)
    _no_config_option(reclaim)
    reclaim.set_defaults(handler=_run_reclaim)


def _run_reclaim(args: argparse.Namespace) -> int:
    from pinst.commands.reclaim import run_reclaim

    return run_reclaim(args)


def parser_error(message: str, command: str = "install") -> None:
    from pinst._core.errors import UsageError

    raise UsageError(f"{message}. See 'pinst {command} --help'.")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parse_arguments(parser, arguments)
    args.command_line = arguments
    set_log_verbosity(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return int(args.handler(args))
    except PinstError as error:
        say_error(error.message)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`pinst list | head`): stop quietly, as other tools do, and keep
        # Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # the system refused something no stage expected to fail
        say_error(f"{describe(error)}. {advice_for(error)}")
        return 1
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        reason = "stopped by SIGTERM" if terminated else "interrupted"
        say_error(
            f"{reason}. A change to the venv that had begun was undone; run the same "
            "command again to carry it out."
        )
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up (rolling back the venv) runs."""


def _stop_on_sigterm(number: int, frame: object) -> None:
    raise Terminated()
