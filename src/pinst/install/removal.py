"""Removing distributions from a venv as one transaction: for ``pinst uninstall``, and for a sync
that only removes.

The removal is a transaction like an install's (``install/transaction.py``): the names in the
journal and the files moved aside until the last one is gone, so that an error puts every file
back and a killed run is finished by the next (``install/repair.py``).
"""

from __future__ import annotations

from pinst.cache.layout import Cache
from pinst.cache.registry import forget_projects
from pinst.install.transaction import change_venv, removal
from pinst.output.report import Reporter, plural
from pinst.venv.installed import InstalledDistribution
from pinst.venv.target import Venv


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


def remove_distributions(venv: Venv, found: list[InstalledDistribution]) -> None:
    changes = [removal(item) for item in found]
    change_venv(venv.path, changes, venv.interpreter.scheme.kept_directories(), workers=1)
