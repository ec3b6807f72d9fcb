"""One cache per filesystem: where the unpacked entries for a venv live.

Hard links and reflinks cannot cross filesystems, so a venv's files must come from entries on
the venv's own filesystem. Downloads stay in the main cache (any filesystem can read them);
entries live in:

1. an entries cache named explicitly (``--entries-cache`` / ``PINST_ENTRIES_CACHE``);
2. the main cache, when the venv is on its filesystem;
3. the entries cache recorded for the venv's filesystem in ``filesystems-v1.json``;
4. a new ``.pinst-cache`` at the highest writable directory on that filesystem above the venv
   (its mount point when writable, as pnpm places its stores), recorded for next time.

When none of these can be had, or per-filesystem caches are turned off, the main cache is used
and linking falls back to copying, which the caller announces once with the reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from pinst.cache import (
    ENTRIES_CACHE_NAME,
    FILESYSTEMS_FILE,
    Cache,
    recorded_entry_roots,
)
from pinst.filesystems import device_of, filesystem_of


class EntriesLocation(NamedTuple):
    cache: Cache
    created: bool  # a new per-filesystem cache was made in this run
    # Why the venv's filesystem has no entries cache, so that linking will fail and auto copies;
    # None when it has one, or when copies were asked for (copy mode needs none).
    why_not: str | None = None


def locate_entries(
    main: Cache, venv: Path, explicit: Path | None, per_filesystem: bool, will_link: bool = True
) -> EntriesLocation:
    """Where ``venv`` takes its entries from; ``will_link`` is False for --link-mode copy."""
    if explicit is not None:
        cache = _ensure(Cache(explicit.absolute()))
        _record_root(main, cache.root)  # so that `pinst cache` commands see it too
        if device_of(cache.root) == device_of(venv):
            return EntriesLocation(cache, False)
        why = f"--entries-cache {cache.root} is on another filesystem than the venv"
        return EntriesLocation(cache, False, why)
    venv_device = device_of(venv)
    if device_of(main.root) == venv_device:
        return EntriesLocation(main, False)
    if not will_link:
        # Copies can come from any filesystem: no reason to leave a cache on the venv's.
        return EntriesLocation(main, False)
    if not per_filesystem:
        why = "per-filesystem caches are turned off (--no-per-filesystem-cache)"
        return EntriesLocation(main, False, why)
    for root in recorded_entry_roots(main):
        if root.is_dir() and device_of(root) == venv_device:
            return EntriesLocation(Cache(root), False)
    parent = highest_writable_directory(venv)
    if parent is None:
        filesystem = filesystem_of(venv).describe()
        why = f"no directory above {venv} on its filesystem ({filesystem}) is writable"
        return EntriesLocation(main, False, why)
    cache = Cache(parent / ENTRIES_CACHE_NAME)
    created = not cache.root.exists()  # another main cache may have made it already
    _ensure(cache)
    _record_root(main, cache.root)
    return EntriesLocation(cache, created)


def highest_writable_directory(venv: Path) -> Path | None:
    """The directory nearest the filesystem's mount point, above ``venv``, that pinst can write."""
    device = device_of(venv)
    best = None
    current = venv.absolute().parent
    while True:
        try:
            if os.stat(current).st_dev != device:
                break
        except OSError:
            break
        if os.access(current, os.W_OK | os.X_OK) and not _read_only_mount(current):
            best = current
        if current == current.parent:
            break
        current = current.parent
    return best


def _read_only_mount(path: Path) -> bool:
    # os.access ignores a read-only mount for root; statvfs reports it.
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _ensure(cache: Cache) -> Cache:
    cache.ensure()
    return cache


def _record_root(main: Cache, root: Path) -> None:
    """Add ``root`` to the main cache's list; read-merge-replace keeps concurrent adds."""
    roots = [str(known) for known in recorded_entry_roots(main)]
    if str(root) in roots:
        return
    main.ensure()
    path = main.root / FILESYSTEMS_FILE
    temporary = path.with_name(f".{FILESYSTEMS_FILE}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"roots": [*roots, str(root)]}, indent=1))
    os.replace(temporary, path)
