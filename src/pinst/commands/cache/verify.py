"""``pinst cache verify``: report damaged entries, or with ``--repair`` unpack them again."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pinst._core.errors import PinstError
from pinst._core.hashing import hash_file
from pinst.cache.contents import entry_dirs, plural_entries, real_path, registered_or_warn
from pinst.cache.damage import Damage, find_damage
from pinst.cache.layout import Cache, all_entry_caches, publish_directory
from pinst.cache.removal import discard, remove_path
from pinst.output.report import Reporter

WORKERS = 8


def verify(main: Cache, reporter: Reporter, repair: bool) -> None:
    """Rehash every entry file; report the damaged entries, or replace them with ``repair``."""
    entries = [(cache, entry) for cache in all_entry_caches(main) for entry in entry_dirs(cache)]
    with ThreadPoolExecutor(WORKERS) as pool:
        found = list(pool.map(lambda item: find_damage(main, *item), entries))
    damaged = [damage for damage in found if damage is not None]
    for damage in damaged:
        reporter.info(f"{damage.label}: the entry {damage.entry} is damaged: {damage.problem}")
    outcome = f"{len(damaged)} damaged" if damaged else "all intact"
    reporter.info(f"Verified {plural_entries(len(entries))} in {reporter.elapsed()}: {outcome}")
    if damaged and not repair:
        raise PinstError(_damage_hint(damaged))
    for damage in damaged:
        reporter.info(_repair(main, damage))
    if damaged:
        _reinstall_hint(main, damaged, reporter)


def _damage_hint(damaged: list[Damage]) -> str:
    names = ", ".join(damage.label for damage in damaged)
    return (
        f"{plural_entries(len(damaged))} of the cache {'is' if len(damaged) == 1 else 'are'} "
        f"damaged ({names}): they no longer hold what pinst unpacked, usually because something "
        "wrote to a venv's hard-linked copy of a file. Run 'pinst cache verify --repair' to "
        "unpack them again from the stored wheels (an entry whose wheel is not stored is "
        "removed, and the next install downloads it again), then reinstall the venvs that use "
        "them with 'pinst install --reinstall'."
    )


def _repair(main: Cache, damage: Damage) -> str:
    sha256 = damage.entry.name
    wheel = main.cached_wheel(sha256)
    if wheel is not None and not _wheel_intact(wheel, sha256):
        discard(main, wheel.parent)
        wheel = None
    if wheel is None:
        discard(damage.cache, damage.entry)
        return (
            f"Removed {damage.label} from {damage.entry}: its wheel is not stored intact, so "
            "the next install that needs it downloads it again."
        )
    _unpack_again(damage.cache, wheel, sha256)
    return f"Repaired {damage.label}: unpacked {damage.entry} again from {wheel.name}"


def _wheel_intact(wheel: Path, sha256: str) -> bool:
    """Whether the stored wheel still has its sha256: repairing from a damaged one would not."""
    expected = bytes.fromhex(sha256)
    try:
        return hash_file(wheel, ["sha256"])[0]["sha256"] == expected
    except (OSError, ValueError):  # unreadable, or a folder name that is no sha256
        return False


def _unpack_again(cache: Cache, wheel: Path, sha256: str) -> None:
    """Unpack into a scratch cache beside the entry, then swap the fresh entry in."""
    from pinst._core.limits import NO_LIMITS
    from pinst.unpack.extract import unpack

    scratch = Cache(cache.temporary_dir("repair-"))
    try:
        # The same wheel (its sha256 was checked) passed the limits of the install that
        # unpacked it first, which may have raised them.
        fresh, _ = unpack(wheel, sha256, scratch, NO_LIMITS)
        aside = cache.temporary_dir("damaged-")
        try:
            os.rename(cache.entry_dir(sha256), aside / sha256)
        except FileNotFoundError:
            pass  # removed meanwhile; the fresh one still goes in
        # False means a concurrent install published the same content first, which is as good.
        publish_directory(fresh, cache.entry_dir(sha256))
        remove_path(aside)
    finally:
        remove_path(scratch.root)


def _reinstall_hint(main: Cache, damaged: list[Damage], reporter: Reporter) -> None:
    keys = {(real_path(damage.cache.root), damage.entry.name) for damage in damaged}
    users = [
        str(record.venv)
        for record in registered_or_warn(main, reporter)
        # A symlinked venv reads the repaired entry itself; any other may hold the bad bytes.
        if record.alive
        and record.link_mode != "symlink"
        and any((real_path(root), sha256) in keys for root, sha256 in record.entries.values())
    ]
    where = f": {', '.join(users)}" if users else ""
    reporter.info(
        "Venvs that hard-linked the damaged files still have them; reinstall the venvs that use "
        f"these packages with 'pinst install --reinstall'{where}."
    )
