"""The install command: requirements -> target -> plan, then ``apply.py`` carries the plan out.

Everything that can fail on bad input (parsing, the target, finding, downloading, validating)
happens before the venv is touched. A venv pinst created in this run is removed again if the
run fails before anything was installed into it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pinst.cache import Cache
from pinst.installed import installed_distributions
from pinst.limits import DEFAULT_LIMITS, UnpackLimits
from pinst.link import LinkMode
from pinst.plan import make_plan
from pinst.report import Reporter, plural
from pinst.requirements import RequirementSet, read_requirements
from pinst.target import Venv, open_venv


@dataclass
class InstallOptions:
    requirement_files: Sequence[Path] = ()
    requirement_args: Sequence[str] = ()
    constraint_files: Sequence[Path] = ()
    venv: Path = Path(".venv")
    python: str | None = None
    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    find_links: Sequence[str] = ()
    no_index: bool = False
    cache_dir: Path = Path()
    link_mode: LinkMode = LinkMode.AUTO
    require_hashes: bool = False
    reinstall: bool = False
    compile_bytecode: bool = False
    entries_cache: Path | None = None  # explicit entries cache for the venv's filesystem
    per_filesystem_cache: bool = True
    unpack_limits: UnpackLimits = DEFAULT_LIMITS


def install(options: InstallOptions, reporter: Reporter) -> None:
    parsed = read_requirements(
        options.requirement_files,
        options.requirement_args,
        options.constraint_files,
        require_hashes=options.require_hashes,
    )
    cache = Cache(options.cache_dir)
    cache.ensure()
    venv = open_venv(options.venv, options.python, cache.interpreters)
    try:
        _install_into(venv, parsed.select(venv.interpreter.markers), options, cache, reporter)
    except BaseException:
        if venv.created:
            shutil.rmtree(venv.path, ignore_errors=True)
        raise


def _install_into(
    venv: Venv,
    requirements: RequirementSet,
    options: InstallOptions,
    cache: Cache,
    reporter: Reporter,
) -> None:
    installed = installed_distributions(venv.interpreter.scheme)
    plan = make_plan(requirements.pins, installed, options.reinstall)
    if not plan.changes:
        reporter.info(f"Audited {plural(len(plan.unchanged), 'package')} in {reporter.elapsed()}")
        return
    from pinst.apply import apply_plan  # only now: a run with nothing to do never needs it

    apply_plan(plan, venv, requirements, options, cache, reporter)
