"""Removing cached data: trees of read-only files, and entries that vanish all at once.

The ``pinst cache`` commands remove everything through ``remove_path``: entry files are
read-only (0444) but their directories are writable, so ``rmtree`` can unlink them; a directory
someone made read-only is made writable and retried. ``discard`` first renames an entry into its
cache's tmp bucket, so an install never sees half of one.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from pinst.cache.errors import CannotRemove
from pinst.cache.layout import Cache


def remove_path(path: Path) -> None:
    """Remove a file or a tree; a directory someone made read-only is made writable first."""
    try:
        try:
            _remove(path)
        except PermissionError:
            _make_writable(path)
            _remove(path)
    except FileNotFoundError:
        pass  # already gone: another pinst removed it
    except OSError as error:
        raise CannotRemove(path, error) from None


def discard(cache: Cache, path: Path) -> None:
    """Remove ``path`` from the cache after renaming it into tmp, so it vanishes at once."""
    aside = cache.temporary_dir("removed-")
    try:
        os.rename(path, aside / path.name)
    except FileNotFoundError:
        pass  # another pinst removed it first
    except OSError as error:
        raise CannotRemove(path, error) from None
    remove_path(aside)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _make_writable(path: Path) -> None:
    # Unlinking needs write and search permission on the directory holding the name; the
    # file's own mode does not matter. Top-down, so the walk can then list each directory.
    _add_owner_rwx(path.parent)
    _add_owner_rwx(path)
    for folder, names, _ in os.walk(path):
        for name in names:
            _add_owner_rwx(Path(folder, name))


def _add_owner_rwx(path: Path) -> None:
    mode = os.lstat(path).st_mode
    if stat.S_ISDIR(mode):  # never a symlink's target, which may lie outside the cache
        os.chmod(path, stat.S_IMODE(mode) | stat.S_IRWXU)
