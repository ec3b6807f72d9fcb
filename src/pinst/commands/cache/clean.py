"""``pinst cache clean``: remove everything pinst cached, on every filesystem."""

from __future__ import annotations

from pathlib import Path

from pinst._core.disk_usage import disk_usage, format_size, still_linked_note
from pinst._core.errors import PinstError
from pinst.cache.contents import children, registered_or_warn
from pinst.cache.layout import CACHEDIR_TAG, ENTRIES_CACHE_NAME, Cache, recorded_entry_roots
from pinst.cache.removal import remove_path
from pinst.output.report import Reporter, plural


def clean(main: Cache, reporter: Reporter) -> None:
    """Remove everything pinst cached: the main cache's contents and its entries caches."""
    if not _looks_like_pinst_cache(main.root):
        raise PinstError(
            f"{main.root} does not look like a pinst cache (it has no CACHEDIR.TAG written by "
            "pinst), so 'pinst cache clean' removed nothing. Check --cache-dir and "
            "PINST_CACHE_DIR; if it is pinst's cache all the same, remove it yourself."
        )
    others = [
        root for root in recorded_entry_roots(main) if _removable_entries_cache(root, reporter)
    ]
    contents = children(main.root)
    usage = disk_usage([*others, *contents])
    broken = _symlinked_venvs(main, reporter)
    # The main cache goes last: it holds the list of the others, needed to retry a failure.
    for path in [*others, *contents]:
        reporter.detail(f"Removing {path}")
        remove_path(path)
    caches = f" and {plural(len(others), 'entries cache')}" if others else ""
    reporter.info(
        f"Removed {plural(usage.files, 'file')} from {main.root}{caches}, "
        f"freeing {format_size(usage.freed)}{still_linked_note(usage)}"
    )
    if broken:
        reporter.warn(
            "these venvs linked their files from the cache with symlinks, so they no longer "
            f"work: {', '.join(map(str, broken))}. Reinstall them with "
            "'pinst install --reinstall'."
        )


def _looks_like_pinst_cache(root: Path) -> bool:
    """Missing, empty or tagged by pinst: never empty a directory that is none of these."""
    if not children(root):
        return True
    try:
        tag = (root / "CACHEDIR.TAG").read_text()
    except (OSError, UnicodeDecodeError):
        return False
    return tag.splitlines()[:2] == CACHEDIR_TAG.splitlines()[:2]


def _removable_entries_cache(root: Path, reporter: Reporter) -> bool:
    if not root.exists():
        return False
    # ".pinst-cache", or ".pinst-cache-<uid>" in a world-writable folder (cache/location.py)
    prefix, _, uid = root.name.rpartition("-")
    named = prefix == ENTRIES_CACHE_NAME and uid.isdigit()
    if (root.name == ENTRIES_CACHE_NAME or named) and _looks_like_pinst_cache(root):
        return True
    reporter.warn(
        f"kept {root}: the main cache records it as an entries cache, but it is not a "
        f"{ENTRIES_CACHE_NAME} directory tagged by pinst. Remove it yourself if it is pinst's."
    )
    return False


def _symlinked_venvs(main: Cache, reporter: Reporter) -> list[Path]:
    venvs = registered_or_warn(main, reporter)
    return [record.venv for record in venvs if record.alive and record.link_mode == "symlink"]
