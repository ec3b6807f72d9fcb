"""Remove an installed distribution by its RECORD, as pip and uv do.

Only files RECORD lists are removed (plus the bytecode Python wrote beside them), then the
directories this left empty, then the ``.dist-info`` directory itself. Files are unlinked, never
written: a hard link into the cache loses one link and the cache keeps its file.

A RECORD is data from the venv, not from pinst: another tool wrote it, or anyone who could write
to the venv. A row is followed only to a file inside the venv, through no symbolic link that
leads out of it, and never to one of the venv's own files (its interpreter, activation scripts,
``pyvenv.cfg``, pinst's ``.pinst/``: see ``wheel/confinement.py``); other rows are passed over.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from pinst.venv.installed import InstalledDistribution
from pinst.wheel.confinement import is_inside, venv_file_problem
from pinst.wheel.record import parse_record

Moved = list[tuple[str, str]]  # (where a file was, where it is kept until the run succeeds)


def uninstall(
    distribution: InstalledDistribution,
    venv_root: str,
    keep: Iterable[str] = (),
    backup: str | None = None,
) -> Moved:
    """Remove ``distribution``; empty directories are removed up to, never including, the venv
    or a directory in ``keep`` (the scheme's directories: site-packages, bin, include).

    With ``backup`` (a directory on the venv's filesystem), files are moved there instead of
    deleted, and the moves are returned so that ``restore`` can put them back.
    """
    files = _removable(_recorded_files(distribution), venv_root)
    dist_info = str(distribution.dist_info)
    moved: Moved = []
    directories: set[str] = set()
    try:
        if backup is not None:  # the whole .dist-info first: its files then leave the list
            moved += _move_aside(dist_info, _kept_path(dist_info, venv_root, backup))
        for path in files:
            if backup is None:
                _unlink(path)
            else:
                moved += _move_aside(path, _kept_path(path, venv_root, backup))
            directories.add(os.path.dirname(path))
            if path.endswith(".py"):
                directories.add(_remove_bytecode_of(path))
    except BaseException:
        restore(moved)  # the caller never gets this list, so only this function can
        raise
    shutil.rmtree(dist_info, ignore_errors=True)
    remove_empty_directories(directories, stop_at=venv_root, keep=keep)
    return moved


def _removable(paths: list[str], venv_root: str) -> list[str]:
    """The ``paths`` (absolute and normalised) that removing a package may touch."""
    root = os.path.abspath(venv_root)
    real_root = os.path.realpath(root)
    folders_inside: dict[str, bool] = {}  # a realpath per folder, not per file
    removable = []
    for path in paths:
        if "\x00" in path or not path.startswith(root + os.sep):
            continue
        if venv_file_problem(path[len(root) + 1 :]) is not None:
            continue
        folder = os.path.dirname(path)
        inside = folders_inside.get(folder)
        if inside is None:
            inside = folders_inside[folder] = is_inside(os.path.realpath(folder), real_root)
        if inside:
            removable.append(path)
    return removable


def _kept_path(path: str, venv_root: str, backup: str) -> str:
    return os.path.join(backup, os.path.relpath(path, venv_root))


def restore(moved: Moved) -> None:
    """Put back what ``uninstall`` moved aside (a file there since is replaced)."""
    for original, kept in reversed(moved):
        os.makedirs(os.path.dirname(original), exist_ok=True)
        if os.path.isdir(original) and not os.path.islink(original):
            shutil.rmtree(original)  # a half-written .dist-info of the failed new version
        os.replace(kept, original)


def _move_aside(path: str, kept: str) -> Moved:
    try:
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        os.rename(path, kept)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [(path, kept)]


def _recorded_files(distribution: InstalledDistribution) -> list[str]:
    # No RECORD, or one that cannot be opened, removes nothing.
    try:
        with open(distribution.dist_info / "RECORD", newline="") as record:
            rows = parse_record(record)
    except OSError:
        return []
    root = str(distribution.root)
    return [os.path.normpath(os.path.join(root, row.path)) for row in rows]


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass


def _remove_bytecode_of(source: str) -> str:
    """Remove ``__pycache__/<module>.*.pyc`` written for ``source``; return that directory."""
    directory, filename = os.path.split(source)
    cache_dir = os.path.join(directory, "__pycache__")
    prefix = filename[: -len(".py")] + "."
    try:
        names = os.listdir(cache_dir)
    except (FileNotFoundError, NotADirectoryError):
        return cache_dir
    for name in names:
        if name.startswith(prefix) and name.endswith(".pyc"):
            _unlink(os.path.join(cache_dir, name))
    return cache_dir


def remove_empty_directories(directories: Iterable[str], stop_at: str, keep: Iterable[str]) -> None:
    """Remove each directory and then its parents while empty, deepest first."""
    protected = os.path.abspath(stop_at)
    kept = {os.path.abspath(directory) for directory in keep}
    for directory in sorted(directories, key=len, reverse=True):
        current = os.path.abspath(directory)
        inside = current.startswith(protected + os.sep)
        while inside and current not in kept and _is_empty_dir(current):
            os.rmdir(current)
            current = os.path.dirname(current)
            inside = current.startswith(protected + os.sep)


def _is_empty_dir(path: str) -> bool:
    try:
        return not os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
