"""Remove an installed distribution by its RECORD, as pip and uv do.

Only files RECORD lists are removed (plus the bytecode Python wrote beside them), then the
directories this left empty, then the ``.dist-info`` directory itself. Files are unlinked, never
written: a hard link into the cache loses one link and the cache keeps its file.

A RECORD is data from the venv, not from pinst: another tool wrote it, or anyone who could write
to the venv. A row is followed only to a file inside the venv, through no symbolic link that
leads out of it, and never to one of the venv's own files (its interpreter, activation scripts,
``pyvenv.cfg``, pinst's ``.pinst/``: see ``wheel/confinement.py``); other rows are passed over.
RECORD is read as UTF-8, the wheel spec's encoding, whatever the locale; one that is not UTF-8, or
not csv that says where each path ends, is refused (``recorded_files``) before anything is removed:
guessing its paths could leave part of the package behind with its ``.dist-info`` gone.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Iterable

from pinst._core.errors import PinstError
from pinst.venv.installed import InstalledDistribution
from pinst.wheel.confinement import is_inside, venv_file_problem
from pinst.wheel.record import parse_record

Moved = list[tuple[str, str]]  # (where a file was, where it is kept until the run succeeds)


def uninstall(
    distribution: InstalledDistribution,
    recorded: list[str],
    venv_root: str,
    keep: Iterable[str] = (),
    backup: str | None = None,
) -> Moved:
    """Remove ``distribution``, whose ``recorded_files`` are ``recorded`` (read by the caller
    before it changes anything); empty directories are removed up to, never including, the venv
    or a directory in ``keep`` (the scheme's directories: site-packages, bin, include).

    With ``backup`` (a directory on the venv's filesystem), files are moved there instead of
    deleted, and the moves are returned so that ``restore`` can put them back.
    """
    files = _removable(recorded, venv_root)
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


def recorded_files(distribution: InstalledDistribution) -> list[str]:
    """The absolute, normalised paths ``distribution``'s RECORD lists, not yet confined.

    No RECORD, or one that cannot be opened, lists nothing (the ``.dist-info`` alone goes).
    Raises ``PinstError`` for a RECORD that is not UTF-8 or not csv: read it before changing
    anything, so that the refusal leaves the venv as it was.
    """
    record = distribution.dist_info / "RECORD"
    try:
        data = record.read_bytes()
    except OSError:
        return []
    try:
        # Decoded here, not by open(): the locale's encoding need not be RECORD's.
        text = data.decode("utf-8")
        if sys.getfilesystemencoding() != "utf-8":  # an ASCII locale without UTF-8 mode:
            text = os.fsdecode(data)  # the names on disk are RECORD's UTF-8 bytes
        rows = parse_record(io.StringIO(text, newline=""), strict=True)
    except UnicodeDecodeError as error:
        byte = f"byte 0x{data[error.start]:02x} at offset {error.start}"
        problem = f"is not UTF-8, as the wheel spec requires ({byte})"
        raise _unreadable(distribution, problem) from None
    except csv.Error as error:
        raise _unreadable(distribution, f"is not a valid csv file ({error})") from None
    root = str(distribution.root)
    return [os.path.normpath(os.path.join(root, row.path)) for row in rows]


def _unreadable(distribution: InstalledDistribution, problem: str) -> PinstError:
    name, dist_info = distribution.name, distribution.dist_info
    return PinstError(
        f"cannot remove {name} {distribution.version}: its RECORD ({dist_info / 'RECORD'}) "
        f"{problem}, so pinst cannot tell which files are {name}'s. Nothing was changed. Remove "
        f"{name}'s files and its directory {dist_info} by hand, or recreate the venv, then run "
        "pinst again."
    )


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
