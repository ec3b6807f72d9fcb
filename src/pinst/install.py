"""The install command: requirements -> target -> plan, then ``apply.py`` carries the plan out.

Everything that can fail on bad input (parsing, the target, finding, downloading, validating)
happens before the venv is touched. A venv pinst created in this run is removed again if the
run fails before anything was installed into it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinst.cache import Cache
from pinst.errors import PinstError, UsageError
from pinst.installed import installed_distributions
from pinst.limits import DEFAULT_INPUT_LIMITS, DEFAULT_LIMITS, InputLimits, UnpackLimits
from pinst.link import LinkMode
from pinst.plan import Plan, make_plan
from pinst.repair import repair_interrupted
from pinst.report import Reporter, plural
from pinst.report_json import RunReport
from pinst.requirements import ParsedRequirements, RequirementSet, read_requirements
from pinst.stamp import write_stamp
from pinst.target import Venv, lock_venv, open_venv, venv_python

if TYPE_CHECKING:
    from pinst.manifest import Manifest


class InstallOptions(NamedTuple):
    requirement_files: Sequence[Path] = ()
    requirement_args: Sequence[str] = ()
    constraint_files: Sequence[Path] = ()
    venv: Path = Path(".venv")
    python: str | None = None
    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    find_links: Sequence[str] = ()
    no_index: bool = False
    offline: bool = False  # only the cache: no network request at all
    cache_dir: Path = Path()
    link_mode: LinkMode = LinkMode.AUTO
    require_hashes: bool = False
    reinstall: bool = False
    compile_bytecode: bool = False
    entries_cache: Path | None = None  # explicit entries cache for the venv's filesystem
    per_filesystem_cache: bool = True
    command_line: Sequence[str] | None = None  # the arguments, for the stamp (see stamp.py)
    timeout: float | None = None  # seconds for each network wait; None: the HTTP default
    unpack_limits: UnpackLimits = DEFAULT_LIMITS
    input_limits: InputLimits = DEFAULT_INPUT_LIMITS  # index pages, requirements files
    sync: bool = False  # also remove every distribution the requirements do not list
    json: bool = False  # the caller prints the returned report on stdout: never stamp the run
    no_progress: bool = False  # no progress bars even on a terminal (the caller's Reporter)
    lock_extras: Sequence[str] = ()  # a lock file's extras to install
    lock_groups: Sequence[str] = ()  # a lock file's dependency groups, besides its defaults
    allow_remove_pinst: bool = False  # sync may remove what pinst runs from (self_protection.py)
    dry_run: bool = False  # say what would change, and change nothing (dry_run.py)
    # The config files looked for (a status, or None if there was none) and the environment
    # variables their location depends on: the stamp depends on them too.
    config_files: Sequence[tuple[str, os.stat_result | None]] = ()
    config_variables: Sequence[str] = ()


def install(options: InstallOptions, reporter: Reporter) -> RunReport:
    """Install, and return what was done: the caller prints it for --json."""
    parsed = read_requirements(
        options.requirement_files,
        options.requirement_args,
        options.constraint_files,
        require_hashes=options.require_hashes,
        max_size=options.input_limits.max_requirements_size,
    )
    for note in parsed.notes:  # lines read that change nothing, such as --config-settings
        reporter.warn(note)
    if (options.lock_extras or options.lock_groups) and parsed.lock is None:
        raise UsageError(
            "--extra and --group choose what to install from a PEP 751 lock file "
            "(-r pylock.toml), and no lock file was given. In a requirements file, pin each "
            "package the extra or group needs on a line of its own."
        )
    if options.sync and not parsed.requirements and parsed.lock is None:
        raise PinstError(
            f"the requirements list no package, so 'pinst sync' would remove every package from "
            f"{options.venv}. Nothing was changed. Check the file; to empty a venv on purpose, "
            "use 'pinst uninstall NAME...'."
        )
    if options.dry_run:
        from pinst.dry_run import show_plan

        show_plan(options, parsed, reporter)
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
                interpreter.markers, interpreter.tags, options.lock_extras, options.lock_groups
            )
            report = RunReport(str(venv.path), reporter.started, timings=reporter.timings)
            _install_into(venv, requirements, options, cache, reporter, report)
        except BaseException:
            if venv.created:
                shutil.rmtree(venv.path, ignore_errors=True)
            raise
        _stamp(venv, parsed, requirements, options, reporter)
    return report


def _get_ready_to_download() -> None:
    """While a fresh cache's probe of the interpreter runs: a run that probes will most likely
    download and unpack too."""
    from pinst.http import tls_context
    from pinst.unpack import import_metadata_parsers

    tls_context()
    import_metadata_parsers()


def _install_into(
    venv: Venv,
    requirements: RequirementSet,
    options: InstallOptions,
    cache: Cache,
    reporter: Reporter,
    report: RunReport,
) -> None:
    with reporter.phase("plan"):
        installed = installed_distributions(venv.interpreter.scheme)
        plan = make_plan(requirements.pins, installed, options.reinstall, options.sync)
    if plan.removals and not options.allow_remove_pinst:
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
    installed_now: list[Manifest] = []
    if not plan.changes:  # a sync that only removes: nothing to fetch, unpack or link
        from pinst.uninstall_command import remove_and_report

        remove_and_report(venv, plan.removals, cache, reporter)
    else:
        from pinst.apply import apply_plan  # only now: a run with nothing to do never needs it

        installed_now = apply_plan(plan, venv, requirements, options, cache, reporter, report)
    from pinst.dependency_check import warn_after_change

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

    import pinst.dependency_check
    import pinst.uninstall_command  # noqa: F401


def keep_own_distributions(plan: Plan, venv: Path, reporter: Reporter) -> Plan:
    """The plan without the removal of what pinst runs from, if ``venv`` is its own environment
    (see ``self_protection.py``), and one line that says what was kept."""
    from pinst.self_protection import ALLOW_FLAG, is_own_environment, own_distributions

    if not is_own_environment(venv):
        return plan
    own = own_distributions()
    kept = [item for item in plan.removals if item.name in own]
    if kept:
        names = ", ".join(f"{item.name}=={item.version}" for item in kept)
        reporter.warn(
            f"kept {names}, which the requirements do not list: pinst runs from this venv and "
            f"needs them. Pass {ALLOW_FLAG} to remove them too."
        )
    return plan._replace(removals=[item for item in plan.removals if item.name not in own])


def _stamp(
    venv: Venv,
    parsed: ParsedRequirements,
    requirements: RequirementSet,
    options: InstallOptions,
    reporter: Reporter,
) -> None:
    """Let the same command, run again on an unchanged venv, say "Audited" at once.

    Not for --reinstall (it always acts), -v (it shows details a stamp has not got), --json (a
    stamp's answer prints no report; as the command line is part of the stamp's key, a --json
    run then never finds one), or URL and path pins (a rebuilt wheel file can keep its name),
    except those of a lock file: it names each wheel by its hash, and the lock file itself is
    one of the stamp's sources.
    """
    if options.command_line is None or options.reinstall or reporter.verbosity > 0:
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
    depends_on += options.config_files
    write_stamp(
        str(venv.path),
        options.command_line,
        [*parsed.variables, *options.config_variables],
        len(requirements.pins),
        reporter.verbosity,
        depends_on,
    )
