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
from pinst.install.removal import remove_and_report
from pinst.install.repair import repair_interrupted
from pinst.output.report import Reporter
from pinst.venv.installed import InstalledDistribution, installed_distributions
from pinst.venv.lock import lock_venv
from pinst.venv.target import Venv, existing_venv

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
