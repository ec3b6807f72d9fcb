"""pinst never removes the distributions it runs from, unless told to.

Installed with ``pip install`` into a project's venv and run with that venv active, ``pinst
sync`` of a file that does not list pinst would remove pinst itself, httpx and the rest of what
pinst imports, and leave a venv whose ``pinst`` no longer starts. So when the venv to change is
the environment pinst runs in (``sys.prefix``), the distributions pinst needs are kept:
``pinst`` and the closure of its requirements, as the running environment's metadata lists
them. pip and setuptools are not among them (pinst does not import them), and go like any other
unlisted package, as ``uv pip sync`` removes them.

The check costs two ``realpath`` calls; the metadata is read only when the venv is pinst's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pinst._core.names import canonical_name

if TYPE_CHECKING:
    from pinst.install.plan import Plan
    from pinst.output.report import Reporter

SELF = "pinst"
ALLOW_FLAG = "--allow-remove-pinst"


def is_own_environment(venv: Path) -> bool:
    """Is ``venv`` the environment this pinst runs in?"""
    return os.path.realpath(sys.prefix) == os.path.realpath(venv)


def own_distributions() -> frozenset[str]:
    """The normalised names of pinst's distribution and of everything it requires, transitively,
    with the markers evaluated for the running interpreter (and the extras asked for)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    found: set[str] = set()
    visited: set[tuple[str, str]] = set()
    wanted: list[tuple[str, str]] = [(SELF, "")]  # (name, extra): "" is no extra
    while wanted:
        name, extra = wanted.pop()
        if (canonical_name(name), extra) in visited:
            continue
        visited.add((canonical_name(name), extra))
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed: nothing to keep
        found.add(canonical_name(distribution.metadata["Name"] or name))
        for text in distribution.requires or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue  # metadata pip installed anyway; it names nothing we can keep
            if requirement.marker is None or requirement.marker.evaluate({"extra": extra}):
                wanted.append((requirement.name, ""))
                wanted += [(requirement.name, each) for each in requirement.extras]
    return frozenset(found)


def keep_own_distributions(plan: Plan, venv: Path, reporter: Reporter) -> Plan:
    """The plan without the removal of what pinst runs from, if ``venv`` is its own environment
    and one line that says what was kept."""
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
