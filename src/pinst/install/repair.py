"""Repair what a run killed halfway left in a venv, before anything else looks at the venv.

The journal (``venv/state.py``) names the packages that run was changing. Each of them may be
half there: some files linked, a ``.dist-info`` without its RECORD, an old version half moved
aside. pinst removes whatever of them is installed, as far as the RECORD tells, and forgets the
backups; the plan then installs the pinned ones again like any missing package.
"""

from __future__ import annotations

from pinst._core.names import canonical_name
from pinst.install.uninstall import recorded_files, uninstall
from pinst.output.report import Reporter, plural
from pinst.venv.installed import installed_distributions
from pinst.venv.stamp import remove_stamp
from pinst.venv.state import end_changes, interrupted_changes, remove_backups
from pinst.venv.target import Venv


def repair_interrupted(venv: Venv, reporter: Reporter) -> None:
    names = interrupted_changes(venv.path)
    if not names:
        remove_backups(venv.path)  # of a run killed after its last change: nothing to repair
        return
    reporter.warn(
        f"a previous pinst run was stopped while changing {plural(len(names), 'package')} in "
        f"{venv.path} ({', '.join(names)}): removing what it left, to install them again."
    )
    scheme = venv.interpreter.scheme
    installed = installed_distributions(scheme)
    left = [installed[key] for key in map(canonical_name, names) if key in installed]
    # Every RECORD before the first removal, so that one pinst cannot read removes nothing.
    recorded = [recorded_files(distribution) for distribution in left]
    remove_stamp(str(venv.path))
    for distribution, files in zip(left, recorded, strict=True):
        uninstall(distribution, files, str(scheme.data), scheme.kept_directories())
    end_changes(venv.path)
