"""Change a venv as one unit: every package of a plan, or none of them.

0. The RECORDs of the versions being replaced are read: one pinst cannot read stops the run here,
   with the venv as it was (its stamp too). Then the stamp goes (``venv/stamp.py``).
1. The journal names the packages about to change (``venv/state.py``) before the first change.
2. The versions being replaced are moved aside into a backup directory in the venv, not deleted.
3. The new versions are materialised.
4. Success: the journal and the backups are removed.

If anything fails in between (an error, a full disk, Ctrl-C, SIGTERM), the new versions' files
are removed and the old ones moved back, and the error is reported. If the process is killed
outright, the journal stays, and the next run repairs those packages first (``install/repair.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from pinst._core.errors import PinstError, advice_for, describe
from pinst.install.uninstall import Moved, recorded_files, restore, uninstall
from pinst.install.workers import run_tasks
from pinst.venv.installed import InstalledDistribution
from pinst.venv.stamp import remove_stamp
from pinst.venv.state import backup_dir, begin_changes, end_changes

# Set when the run is stopping (a failure, Ctrl-C, SIGTERM): work in flight winds down early.
STOPPING = threading.Event()


class PackageChange(NamedTuple):
    """One package's part of the transaction."""

    name: str
    replaces: InstalledDistribution | None
    size: int  # files to materialise: the biggest go first
    install: Callable[[], None]
    discard: Callable[[], None]  # remove whatever ``install`` put in place, however far it got


def removal(distribution: InstalledDistribution) -> PackageChange:
    """Removing a package, as a change: an install of nothing in place of the old version, so
    that the journal, backups and roll-back apply unchanged (uninstall, and sync's removals)."""
    return PackageChange(
        name=distribution.name, replaces=distribution, size=0, install=_nothing, discard=_nothing
    )


def _nothing() -> None:
    pass


def change_venv(
    venv: Path,
    changes: Sequence[PackageChange],
    keep: Sequence[str],
    workers: int,
    on_installed: Callable[[PackageChange], None] = lambda _change: None,
) -> None:
    """Apply ``changes`` to the venv, all or nothing; ``keep`` are the scheme's directories,
    which removing old versions never removes. ``on_installed`` follows each change made."""
    # Every RECORD first: a refusal (not UTF-8, not csv) leaves the venv, its stamp and its
    # journal as they were, rather than rolling back a transaction half done.
    replaced = [
        (change.replaces, recorded_files(change.replaces))
        for change in changes
        if change.replaces is not None
    ]
    remove_stamp(str(venv))  # from here on the venv changes
    begin_changes(venv, [change.name for change in changes])
    backup = str(backup_dir(venv))
    moved: Moved = []
    try:
        # Old versions go first, one by one: removing them can remove a directory left empty,
        # such as a namespace package's, that another package's install would be creating.
        for distribution, recorded in replaced:
            moved += uninstall(distribution, recorded, str(venv), keep, backup)
        _install_all(changes, workers, on_installed)
    except OSError as error:
        _roll_back(venv, changes, moved)
        raise _failure(venv, error) from None
    except BaseException:
        _roll_back(venv, changes, moved)
        raise
    end_changes(venv)


def _install_all(
    changes: Sequence[PackageChange],
    workers: int,
    on_installed: Callable[[PackageChange], None],
) -> None:
    # Packages are independent, so they are installed side by side (see install/workers.py).
    # Shared directories (namespace packages) are safe: mkdir tolerates the race.
    # Largest first, so that no big package starts last and runs on alone at the end.
    largest_first = sorted(changes, key=lambda change: change.size, reverse=True)
    run_tasks(
        [change.install for change in largest_first],
        workers,
        STOPPING,
        lambda number: on_installed(largest_first[number]),
    )


def _failure(venv: Path, error: OSError) -> PinstError:
    return PinstError(
        f"could not change the venv {venv}: {describe(error)}. pinst put the venv back as it "
        f"was. {advice_for(error)}"
    )


def _roll_back(venv: Path, changes: Sequence[PackageChange], moved: Moved) -> None:
    """Put the venv back as it was: new files out, old files back, then forget the journal.

    If this fails too, the journal stays and the next run repairs the packages.
    """
    for change in changes:
        change.discard()
    restore(moved)
    end_changes(venv)
