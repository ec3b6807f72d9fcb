"""The install command: requirements -> target -> plan, then ``apply.py`` carries the plan out.

Everything that can fail on bad input (parsing, the target, finding, downloading, validating)
happens before the venv is touched. A venv pinst created in this run is removed again if the
run fails before anything was installed into it.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError, UsageError
from pinst.cache.layout import Cache
from pinst.install.context import InstallRun
from pinst.install.json_report import RunReport
from pinst.install.options import InstallOptions
from pinst.install.plan import make_plan
from pinst.install.repair import repair_interrupted
from pinst.output.report import Reporter, plural
from pinst.requirements.model import RequirementSet
from pinst.requirements.parsed import ParsedRequirements
from pinst.requirements.read import read_requirements
from pinst.venv.installed import installed_distributions
from pinst.venv.lock import lock_venv
from pinst.venv.stamp import write_stamp
from pinst.venv.target import open_venv, venv_python

if TYPE_CHECKING:
    from pinst.cache.manifest import Manifest


def install(options: InstallOptions, reporter: Reporter) -> RunReport:
    """Install, and return what was done: the caller prints it for --json."""
    wanted = options.wanted
    parsed = read_requirements(
        wanted.requirement_files,
        wanted.requirement_args,
        wanted.constraint_files,
        require_hashes=wanted.require_hashes,
        max_size=wanted.max_requirements_size,
    )
    for note in parsed.notes:  # lines read that change nothing, such as --config-settings
        reporter.warn(note)
    if (wanted.lock_extras or wanted.lock_groups) and parsed.lock is None:
        raise UsageError(
            "--extra and --group choose what to install from a PEP 751 lock file "
            "(-r pylock.toml), and no lock file was given. In a requirements file, pin each "
            "package the extra or group needs on a line of its own."
        )
    if options.planning.sync and not parsed.requirements and parsed.lock is None:
        raise PinstError(
            f"the requirements list no package, so 'pinst sync' would remove every package from "
            f"{options.venv}. Nothing was changed. Check the file; to empty a venv on purpose, "
            "use 'pinst uninstall NAME...'."
        )
    if options.dry_run:
        from pinst.install.dry_run import show_plan

        show_plan(options.venv, options.python, parsed, wanted, options.planning, reporter)
        return RunReport(str(options.venv.absolute()), reporter.started, timings={})
    cache = Cache(options.cache_dir)
    cache.ensure()
    cache.remove_dead_leftovers()  # of runs that were killed: they could not clean up
    with lock_venv(options.venv.absolute(), reporter.info):
        venv = open_venv(options.venv, options.python, cache.interpreters, _get_ready_to_download)
        try:
            repair_interrupted(venv, reporter)
            interpreter = venv.interpreter
            requirements = parsed.select(
                interpreter.markers, interpreter.tags, wanted.lock_extras, wanted.lock_groups
            )
            report = RunReport(str(venv.path), reporter.started, timings=reporter.timings)
            run = InstallRun(venv, cache, reporter, report)
            _install_into(run, requirements, options)
        except BaseException:
            if venv.created:
                shutil.rmtree(venv.path, ignore_errors=True)
            raise
        _stamp(run, parsed, requirements, options)
    return run.report


def _get_ready_to_download() -> None:
    """While a fresh cache's probe of the interpreter runs: a run that probes will most likely
    download and unpack too."""
    from pinst.network.client import tls_context
    from pinst.unpack.extract import import_metadata_parsers

    tls_context()
    import_metadata_parsers()


def _install_into(run: InstallRun, requirements: RequirementSet, options: InstallOptions) -> None:
    venv, reporter, report = run.venv, run.reporter, run.report
    with reporter.phase("plan"):
        installed = installed_distributions(venv.interpreter.scheme)
        planning = options.planning
        plan = make_plan(requirements.pins, installed, planning.reinstall, planning.sync)
    if plan.removals and not planning.allow_remove_pinst:
        from pinst.install.self_protection import keep_own_distributions

        plan = keep_own_distributions(plan, venv.path, reporter)
    elif plan.removals:
        _import_what_runs_after_the_change()
    for pin in plan.unchanged:
        report.add_unchanged(pin.name, installed[pin.name].version)
    for gone in plan.removals:
        report.add_removed(gone)
    if plan.empty:
        reporter.info(f"Audited {plural(len(plan.unchanged), 'package')} in {reporter.elapsed()}")
        return
    # Imported before the venv changes: a sync with --allow-remove-pinst may take away the very
    # files pinst would import it from.
    from pinst.install.dependency_check import warn_after_change

    installed_now: list[Manifest] = []
    if not plan.changes:  # a sync that only removes: nothing to fetch, unpack or link
        from pinst.install.removal import remove_and_report

        remove_and_report(venv, plan.removals, run.cache, reporter)
    else:
        # Only now: a run with nothing to do never needs it.
        from pinst.install.apply import apply_plan

        installed_now = apply_plan(
            run, plan, requirements, options.sources, options.fetch, options.link
        )
    with reporter.phase("check"):
        removed = [item.name for item in plan.removals]
        report.problems = warn_after_change(venv, installed_now, removed, reporter)


def _import_what_runs_after_the_change() -> None:
    """Import now what the run imports after changing the venv: with --allow-remove-pinst, the
    change may remove pinst's own files (and packaging's), and a later import would fail."""
    import packaging.markers
    import packaging.requirements
    import packaging.specifiers
    import packaging.version  # noqa: F401

    import pinst.install.removal  # noqa: F401


def _stamp(
    run: InstallRun,
    parsed: ParsedRequirements,
    requirements: RequirementSet,
    options: InstallOptions,
) -> None:
    """Let the same command, run again on an unchanged venv, say "Audited" at once.

    Not for --reinstall (it always acts), -v (it shows details a stamp has not got), --json (a
    stamp's answer prints no report; as the command line is part of the stamp's key, a --json
    run then never finds one), or URL and path pins (a rebuilt wheel file can keep its name),
    except those of a lock file: it names each wheel by its hash, and the lock file itself is
    one of the stamp's sources.
    """
    venv, reporter, invocation = run.venv, run.reporter, options.invocation
    if invocation.command_line is None or options.planning.reinstall or reporter.verbosity > 0:
        return
    if options.json:
        return
    if any(pin.url is not None and not pin.locked for pin in requirements.pins):
        return
    scheme = venv.interpreter.scheme
    depends_on: list[tuple[str, os.stat_result | None]] = [
        (str(path), status) for path, status in parsed.sources
    ]
    depends_on += [(str(path), None) for path in {scheme.purelib, scheme.platlib}]
    depends_on += [(str(venv.path / "pyvenv.cfg"), None), (str(venv_python(venv.path)), None)]
    # A config file edited, created or removed changes the settings: never answer from the stamp.
    depends_on += invocation.config_files
    write_stamp(
        str(venv.path),
        invocation.command_line,
        [*parsed.variables, *invocation.config_variables],
        len(requirements.pins),
        reporter.verbosity,
        depends_on,
    )
