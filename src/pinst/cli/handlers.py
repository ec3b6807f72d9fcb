"""One function per command: the parsed command line in, one call into the pipeline, the exit
status out.

Each imports what its command needs only when it runs, so that parsing a command line imports
none of the pipeline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def run_install(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cli.install_arguments import install_options
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
    options = install_options(args)
    reporter = Reporter.for_stderr(args.verbose - args.quiet, no_progress=options.no_progress)
    with os_errors_reported(args.command):
        report = install(options, reporter)
    if args.json:  # only after success: a failure prints nothing on stdout
        print(report.to_json())
    return 0


def parser_error(message: str, command: str = "install") -> None:
    from pinst._core.errors import UsageError

    raise UsageError(f"{message}. See 'pinst {command} --help'.")


def run_uninstall(args: argparse.Namespace) -> int:
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


def run_list(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.listing import show_list
    from pinst.venv.target import default_venv_path, existing_venv

    facts = Cache(default_cache_dir().absolute()).interpreters_if_present()
    with os_errors_reported(args.command):
        show_list(existing_venv(args.venv or default_venv_path(), facts), args.format)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.check import check_venv
    from pinst.venv.target import default_venv_path, existing_venv

    facts = Cache(default_cache_dir().absolute()).interpreters_if_present()
    with os_errors_reported("check"):
        return check_venv(existing_venv(args.venv or default_venv_path(), facts), args.json)


def run_venv(args: argparse.Namespace) -> int:
    from pinst.cache.errors import os_errors_reported
    from pinst.cache.layout import Cache, default_cache_dir
    from pinst.commands.venv import make_venv
    from pinst.output.report import Reporter

    cache = Cache(default_cache_dir().absolute())
    with os_errors_reported("venv"):
        make_venv(args.path, args.python, cache, Reporter.for_stderr(-args.quiet))
    return 0


def run_cache(args: argparse.Namespace) -> int:
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


def run_config(args: argparse.Namespace) -> int:
    from pinst.commands.config import show_settings
    from pinst.config.settings import resolve

    show_settings(resolve(no_config=args.no_config), args.format)
    return 0


def run_completion(args: argparse.Namespace) -> int:
    from pinst.cli.completion import script
    from pinst.cli.parser import build_parser

    sys.stdout.write(script(args.shell, build_parser()))
    return 0


def run_reclaim(args: argparse.Namespace) -> int:
    from pinst.commands.reclaim import run_reclaim as reclaim_command

    return reclaim_command(args)


Handler = Callable[[argparse.Namespace], int]
# Each command's handler, by the name the parser gives it (``args.command``).
HANDLERS: dict[str, Handler] = {
    "install": run_install,
    "sync": run_install,
    "uninstall": run_uninstall,
    "list": run_list,
    "freeze": run_list,
    "check": run_check,
    "venv": run_venv,
    "cache": run_cache,
    "config": run_config,
    "completion": run_completion,
    "reclaim": run_reclaim,
}
