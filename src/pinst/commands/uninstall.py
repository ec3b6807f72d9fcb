"""``pinst uninstall NAME...``: remove distributions from a venv, all of them or none.

The removal is a transaction like an install's (``install/transaction.py``): under the venv's lock,
after repairing what a killed run left, with the names in the journal and the files moved aside
until the last one is gone. An error or Ctrl-C puts every file back; SIGKILL leaves the journal,
and the next run finishes removing those packages (``install/repair.py``), which is what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pinst._core.errors import PinstError, UsageError
from pinst._core.names import canonical_name
from pinst.cache.layout import Cache
from pinst.cache.registry import forget_projects
from pinst.install.repair import repair_interrupted
from pinst.install.transaction import change_venv, removal
from pinst.output.report import Reporter, plural
from pinst.venv.installed import InstalledDistribution, installed_distributions
from pinst.venv.stamp import remove_stamp
from pinst.venv.target import Venv, existing_venv, lock_venv

PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def uninstall_packages(
    venv_path: Path,
    names: Sequence[str],
    cache: Cache,
    reporter: Reporter,
    allow_remove_pinst: bool = False,
) -> None:
    for name in names:
        if not PROJECT_NAME.match(name):
            raise UsageError(
                f"{name!r} is not a project name. Give names only, such as 'requests', "
                "without a version or URL."
            )
    venv = existing_venv(venv_path, cache.interpreters_if_present())
    with lock_venv(venv.path, reporter.info):
        repair_interrupted(venv, reporter)
        found = _installed(venv, names, reporter)
        if not allow_remove_pinst:
            refuse_own_distributions(venv, found)
        if found:
            remove_and_report(venv, found, cache, reporter)


def remove_and_report(
    venv: Venv, found: list[InstalledDistribution], cache: Cache, reporter: Reporter
) -> None:
    """Remove ``found`` (sorted) under the venv's lock, forget them in the cache's record of
    the venv, and say so: for uninstall, and for a sync that only removes."""
    remove_distributions(venv, found)
    forget_projects(cache, venv.path, [item.name for item in found])
    for item in found:
        reporter.change("-", item.name, item.version)
    reporter.info(f"Uninstalled {plural(len(found), 'package')} in {reporter.elapsed()}")


def _installed(venv: Venv, names: Sequence[str], reporter: Reporter) -> list[InstalledDistribution]:
    """The distributions named, sorted; a name not installed is a warning, as in pip."""
    installed = installed_distributions(venv.interpreter.scheme)
    found: dict[str, InstalledDistribution] = {}
    for name in names:
        distribution = installed.get(canonical_name(name))
        if distribution is None:
            reporter.warn(f"Skipping {name} as it is not installed.")
        else:
            found[distribution.name] = distribution
    return [found[name] for name in sorted(found)]


def refuse_own_distributions(venv: Venv, found: list[InstalledDistribution]) -> None:
    """Stop before removing anything pinst runs from (see ``install/self_protection.py``)."""
    from pinst.install.self_protection import ALLOW_FLAG, is_own_environment, own_distributions

    if not found or not is_own_environment(venv.path):
        return
    own = own_distributions()
    needed = [f"{item.name}=={item.version}" for item in found if item.name in own]
    if needed:
        them = "it" if len(needed) == 1 else "them"
        raise PinstError(
            f"pinst runs from {venv.path} and needs {', '.join(needed)}: removing {them} would "
            f"leave a pinst that cannot start. Nothing was removed. Pass {ALLOW_FLAG} to remove "
            f"{them} all the same, or install pinst as a tool, in a venv of its own (pipx install, "
            "uv tool install), so that it never runs from the venv it changes."
        )


def remove_distributions(venv: Venv, found: list[InstalledDistribution]) -> None:
    remove_stamp(str(venv.path))  # from here on the venv changes: see venv/stamp.py
    changes = [removal(item) for item in found]
    change_venv(venv.path, changes, venv.interpreter.scheme.kept_directories(), workers=1)
