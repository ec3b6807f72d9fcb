"""``--dry-run``: say what an install or sync would change, and change nothing.

The plan is made as a real run makes it, from the requirements and what the venv holds, and
printed with the lines a real run prints under "Would ...". Nothing is written: no venv is
created (a missing one is planned for as empty, with the interpreter it would get), the cache is
neither created nor filled, no lock is taken, and no index is asked (a pin the index lacks shows
up only in the real run, before it changes anything). The interpreter is probed afresh rather
than recorded in the cache, so a dry run leaves no trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pinst import STATE_DIR
from pinst.install.plan import Change, make_plan, wheel_version_from_url
from pinst.output.report import Reporter, plural
from pinst.requirements.parsed import ParsedRequirements
from pinst.venv.facts import inspect_interpreter
from pinst.venv.installed import InstalledDistribution, installed_distributions
from pinst.venv.interpreter import Interpreter
from pinst.venv.probing import find_python
from pinst.venv.target import existing_venv

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from pinst.install.options import PlanOptions, RequirementOptions


def show_plan(
    venv: Path,
    python: str | None,
    parsed: ParsedRequirements,
    wanted: RequirementOptions,
    planning: PlanOptions,
    reporter: Reporter,
) -> None:
    """What installing ``parsed`` into ``venv`` (made with ``python`` if missing) would do."""
    from pinst.install.self_protection import keep_own_distributions

    venv = venv.absolute()
    interpreter, installed = _venv_as_it_is(venv, python, reporter)
    requirements = parsed.select(
        interpreter.markers, interpreter.tags, wanted.lock_extras, wanted.lock_groups
    )
    plan = make_plan(requirements.pins, installed, planning.reinstall, planning.sync)
    if plan.removals and not planning.allow_remove_pinst:
        plan = keep_own_distributions(plan, venv, reporter)
    if plan.empty:
        reporter.info(f"Audited {plural(len(plan.unchanged), 'package')}: nothing would change")
        return
    for gone in plan.removals:
        reporter.change("-", gone.name, gone.version)
    for change in sorted(plan.changes, key=lambda change: change.pin.name):
        _say_change(change, reporter)
    removed = f", uninstall {plural(len(plan.removals), 'package')}" if plan.removals else ""
    reporter.info(
        f"Would install {plural(len(plan.changes), 'package')}{removed} "
        "(dry run: nothing was changed)"
    )


def _venv_as_it_is(
    venv: Path, python: str | None, reporter: Reporter
) -> tuple[Interpreter, dict[NormalizedName, InstalledDistribution]]:
    """The venv's interpreter and distributions; for a venv not there yet, those of the venv
    the run would create: its interpreter, and nothing installed."""
    if _would_create(venv):
        executable = find_python(python)
        reporter.info(f"Would create a virtual environment at {venv} with {executable}")
        return inspect_interpreter(Path(executable), None), {}
    existing = existing_venv(venv, None)
    return existing.interpreter, installed_distributions(existing.interpreter.scheme)


def _would_create(venv: Path) -> bool:
    """As ``target.open_venv`` decides, without clearing what a killed run began."""
    if not venv.exists():
        return True
    if not venv.is_dir() or (venv / "pyvenv.cfg").exists():
        return False
    return {entry.name for entry in venv.iterdir()} <= {STATE_DIR}


def _say_change(change: Change, reporter: Reporter) -> None:
    pin, old = change.pin, change.replaces
    version = pin.version or (wheel_version_from_url(pin.url) if pin.url else None) or "?"
    if old is not None and old.version != version:
        reporter.change("-", old.name, old.version)
    marker = "~" if old is not None and old.version == version else "+"
    reporter.change(marker, pin.name, version)
