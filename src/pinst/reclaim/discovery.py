"""Finding the venvs under the paths ``pinst reclaim`` is given.

A venv is a directory with a ``pyvenv.cfg`` and a ``site-packages`` beside it (``lib/python
X.Y/site-packages``, any version, any installer). The walk never descends into a venv it found
(a venv's own tree holds no other venv worth the time, and test data inside one might look like
one) and never follows a symbolic link: a link out of the given paths would make ``reclaim``
change venvs the user did not name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pinst._core.errors import UsageError

VENV_MARKER = "pyvenv.cfg"
# Directories that never hold a venv worth reclaiming, and can be huge.
SKIPPED_NAMES = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".pinst-cache"})


def site_packages_dirs(venv: Path) -> list[Path]:
    """Every ``site-packages`` of the venv: ``lib/python*/site-packages`` (``lib64`` is a link
    to ``lib`` where it exists, so it is not looked at), or ``Lib/site-packages`` on Windows."""
    found = sorted(path for path in venv.glob("lib/python*/site-packages") if _is_real_dir(path))
    windows = venv / "Lib" / "site-packages"
    if _is_real_dir(windows):
        found.append(windows)
    return found


def is_venv(path: Path) -> bool:
    return (path / VENV_MARKER).is_file() and bool(site_packages_dirs(path))


def find_venvs(paths: Iterable[Path]) -> list[Path]:
    """The venvs at or under each path, absolute, each once, in a stable order."""
    found: dict[Path, None] = {}
    for given in paths:
        start = Path(os.path.abspath(given))
        if not start.is_dir():
            raise UsageError(
                f"{given} is not a directory. Give 'pinst reclaim' the folders that hold your "
                "venvs (such as ~/projects), or a venv itself."
            )
        for venv in _walk(start):
            found.setdefault(venv, None)
    return list(found)


def _walk(start: Path) -> list[Path]:
    if is_venv(start):
        return [start]
    venvs = []
    for folder, names, _ in os.walk(start, followlinks=False):
        here = Path(folder)
        keep = []
        for name in sorted(names):
            child = here / name
            if name in SKIPPED_NAMES or not _is_real_dir(child):
                continue
            if is_venv(child):
                venvs.append(child)
            else:
                keep.append(name)
        names[:] = keep  # os.walk descends only into these: never into a venv found
    return venvs


def _is_real_dir(path: Path) -> bool:
    """A directory that is not reached through a symbolic link at its last component."""
    return path.is_dir() and not path.is_symlink()
