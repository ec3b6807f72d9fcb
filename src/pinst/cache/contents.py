"""What the caches hold, as every ``pinst cache`` command lists it.

The commands cover the main cache and each per-filesystem entries cache pinst recorded
(``all_entry_caches``); downloads live only in the main cache. A cache is known by its real
path, as ``registry.entries_in_use`` keys it, so one reached through a symlink still matches.
"""

from __future__ import annotations

import os
from pathlib import Path

from pinst.cache.layout import Cache
from pinst.cache.registry import UnreadableRecord, VenvRecord, registered_venvs
from pinst.output.report import Reporter


def real_path(path: Path) -> Path:
    return Path(os.path.realpath(path))


def children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except FileNotFoundError:
        return []


def entry_dirs(cache: Cache) -> list[Path]:
    return [child for child in children(cache.entries) if child.is_dir()]


def wheel_dirs(main: Cache) -> list[Path]:
    return [child for child in children(main.wheels) if child.is_dir()]


def plural_entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def registered_or_warn(main: Cache, reporter: Reporter) -> list[VenvRecord]:
    """The registry for reports, which can do without it: an unreadable record is a warning."""
    try:
        return registered_venvs(main)
    except UnreadableRecord as error:
        reporter.warn(error.message)
        return []
