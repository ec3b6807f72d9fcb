"""One cache per filesystem: where the unpacked entries for a venv live.

Hard links and reflinks cannot cross filesystems, so a venv's files must come from entries on
the venv's own filesystem. Downloads stay in the main cache (any filesystem can read them);
entries live in:

1. an entries cache named explicitly (``--entries-cache`` / ``PINST_ENTRIES_CACHE``);
2. the main cache, when the venv is on its filesystem;
3. the entries cache recorded for the venv's filesystem in ``filesystems-v1.json``;
4. a ``.pinst-cache`` at the highest directory on that filesystem above the venv that pinst can
   write and other users cannot (its mount point when it can, as pnpm places its stores),
   recorded for next time. In a world-writable sticky directory (``/tmp``, ``/dev/shm``) the
   folder is ``.pinst-cache-<uid>``, private to the user.

Every folder found already there must pass the trust rule (``_core/trust.py``); one that does not is
not used, the next candidate is tried, and the caller says so once per folder.

When none of these can be had, or per-filesystem caches are turned off, the main cache is used
and linking falls back to copying, which the caller announces once with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import NamedTuple

from pinst._core.atomic import write_atomically
from pinst._core.filesystems import device_of, filesystem_of
from pinst._core.trust import UntrustedPath, is_shared, parent_problem
from pinst.cache.layout import (
    ENTRIES_BUCKETS,
    ENTRIES_CACHE_NAME,
    FILESYSTEMS_FILE,
    Cache,
    recorded_entry_roots,
)


class EntriesLocation(NamedTuple):
    cache: Cache
    created: bool  # a new per-filesystem cache was made in this run
    # Why the venv's filesystem has no entries cache, so that linking will fail and auto copies;
    # None when it has one, or when copies were asked for (copy mode needs none).
    why_not: str | None = None
    # One paragraph for each folder found there that pinst did not trust, with what it did.
    refused: tuple[str, ...] = ()


def locate_entries(
    main: Cache, venv: Path, explicit: Path | None, per_filesystem: bool, will_link: bool = True
) -> EntriesLocation:
    """Where ``venv`` takes its entries from; ``will_link`` is False for --link-mode copy."""
    if explicit is not None:
        cache = Cache(explicit.absolute())
        cache.ensure(ENTRIES_BUCKETS)  # named by the user: one they may not trust stops the run
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
    refused: list[tuple[Path, UntrustedPath]] = []
    found = _recorded_cache(main, venv_device, refused) or _new_cache(main, venv, refused)
    if found is not None:
        told = _told(refused, f"used {found.cache.root}")
        return EntriesLocation(found.cache, found.created, refused=told)
    filesystem = filesystem_of(venv).describe()
    if refused:
        why = f"pinst trusts no folder it found for one on its filesystem ({filesystem})"
    else:
        why = (
            f"no directory above {venv} on its filesystem ({filesystem}) is writable by you "
            "and safe from other users"
        )
    instead = f"unpacked into the main cache {main.root} and copied from there"
    return EntriesLocation(main, False, why, _told(refused, instead))


class _Found(NamedTuple):
    cache: Cache
    created: bool


def _recorded_cache(
    main: Cache, device: int, refused: list[tuple[Path, UntrustedPath]]
) -> _Found | None:
    """The entries cache recorded for the filesystem ``device``, if there is one pinst trusts.

    One it does not trust is dropped from the record, so that it is mentioned once."""
    recorded = recorded_entry_roots(main)
    found = None
    for root in recorded:
        if root.is_dir() and device_of(root) == device:
            try:
                Cache(root).ensure(ENTRIES_BUCKETS)
            except UntrustedPath as untrusted:
                refused.append((root, untrusted))
                continue
            found = _Found(Cache(root), False)
            break
    if refused:
        dropped = {root for root, _ in refused}
        _write_roots(main, [str(root) for root in recorded if root not in dropped])
    return found


def _new_cache(main: Cache, venv: Path, refused: list[tuple[Path, UntrustedPath]]) -> _Found | None:
    """A cache at the first place above ``venv`` where one is there and trusted, or can be made."""
    for parent in safe_writable_directories(venv):
        cache = Cache(parent / entries_cache_name(parent))
        try:
            # A folder of its own only for this user (as in /tmp) is made private to them.
            created = cache.ensure(ENTRIES_BUCKETS, mode=_mode_in(parent))
        except UntrustedPath as untrusted:
            refused.append((cache.root, untrusted))
            continue
        _record_root(main, cache.root)
        return _Found(cache, created)
    return None


def entries_cache_name(parent: Path) -> str:
    """The entries cache's name in ``parent``: a name of this user's own where others may create
    names (a world-writable sticky directory such as /tmp or /dev/shm), so that a folder another
    user made first cannot take its place, as with systemd's and pip's per-user folders."""
    if is_shared(parent):
        return f"{ENTRIES_CACHE_NAME}-{os.geteuid()}"
    return ENTRIES_CACHE_NAME


def _mode_in(parent: Path) -> int:
    return 0o700 if is_shared(parent) else 0o755


def _told(refused: list[tuple[Path, UntrustedPath]], instead: str) -> tuple[str, ...]:
    return tuple(
        f"not using the cache for unpacked wheels at {root}"
        f"{'' if untrusted.path == root else f' ({untrusted.path})'}: {untrusted.reason}. "
        f"pinst {instead}. Remove that folder, or if it is yours, make it so nobody else can "
        f"write to it (chmod go-w {untrusted.path})."
        for root, untrusted in refused
    )


def safe_writable_directories(venv: Path) -> list[Path]:
    """The directories above ``venv`` on its filesystem where pinst may keep an entries cache,
    nearest the mount point first (as pnpm places its stores): pinst can write there, and no
    other user can rename what it keeps there (see ``_core/trust.py``)."""
    device = device_of(venv)
    found = []
    current = venv.absolute().parent
    while True:
        try:
            if os.stat(current).st_dev != device:
                break
        except OSError:
            break
        if _can_hold_cache(current):
            found.append(current)
        if current == current.parent:
            break
        current = current.parent
    return found[::-1]


def _can_hold_cache(directory: Path) -> bool:
    writable = os.access(directory, os.W_OK | os.X_OK) and not _read_only_mount(directory)
    return writable and parent_problem(directory) is None


def _read_only_mount(path: Path) -> bool:
    # os.access ignores a read-only mount for root; statvfs reports it.
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def discard_new_cache(main: Cache, cache: Cache) -> None:
    """Remove an entries cache this run made, and its record, after the run failed.

    Another pinst that found it meanwhile would lose it; that one run then fails, as it would if
    the folder had been deleted by hand, and the next makes it again."""
    shutil.rmtree(cache.root, ignore_errors=True)
    roots = [str(known) for known in recorded_entry_roots(main) if known != cache.root]
    _write_roots(main, roots)


def _record_root(main: Cache, root: Path) -> None:
    """Add ``root`` to the main cache's list; read-merge-replace keeps concurrent adds."""
    roots = [str(known) for known in recorded_entry_roots(main)]
    if str(root) in roots:
        return
    main.ensure()
    _write_roots(main, [*roots, str(root)])


def _write_roots(main: Cache, roots: list[str]) -> None:
    # Never writable by others, whatever the umask: the roots it names are trusted when read.
    write_atomically(main.root / FILESYSTEMS_FILE, json.dumps({"roots": roots}, indent=1), 0o644)
