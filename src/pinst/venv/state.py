"""pinst's own state in a venv, under ``<venv>/.pinst/``: the lock, the journal, the backups.

- ``lock``: one pinst at a time changes a venv (``venv/lock.py``).
- ``journal``: the packages a run is about to change, written before the first change and
  removed after the last. If it is there when a run starts, the run before was killed halfway:
  those packages are repaired first (see ``install/repair.py``).
- ``backup-<pid>/``: the files of versions being replaced, moved aside (a rename, on the venv's
  own filesystem) so that a failed upgrade can put them back.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pinst import STATE_DIR
from pinst._core.atomic import write_atomically

JOURNAL_NAME = "journal"
BACKUP_PREFIX = "backup-"


def state_dir(venv: Path) -> Path:
    return venv / STATE_DIR


def begin_changes(venv: Path, names: list[str]) -> None:
    """Record, durably enough to survive SIGKILL, which packages are about to change."""
    journal = state_dir(venv) / JOURNAL_NAME
    earlier = interrupted_changes(venv)  # a repair run keeps what it has not repaired yet
    write_atomically(journal, "".join(f"{name}\n" for name in sorted({*earlier, *names})))


def end_changes(venv: Path) -> None:
    """Every change is complete: forget the backups, then the journal (in that order, so that
    a run killed in between still has a journal that sends the next one to clean up)."""
    remove_backups(venv)
    try:
        os.unlink(state_dir(venv) / JOURNAL_NAME)
    except FileNotFoundError:
        pass


def remove_backups(venv: Path) -> None:
    """Remove every backup directory: only call it holding the lock, when no run has one."""
    for backup in state_dir(venv).glob(f"{BACKUP_PREFIX}*"):
        shutil.rmtree(backup, ignore_errors=True)


def interrupted_changes(venv: Path) -> list[str]:
    """The packages an interrupted run was changing; empty if the last run finished."""
    try:
        text = (state_dir(venv) / JOURNAL_NAME).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [line for line in text.splitlines() if line]


def backup_dir(venv: Path) -> Path:
    """Where this run moves the files of the versions it replaces."""
    return state_dir(venv) / f"{BACKUP_PREFIX}{os.getpid()}"
