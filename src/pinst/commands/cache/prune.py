"""``pinst cache prune``: remove what no live venv uses, and what crashed runs left behind.

``--ci`` keeps only what is worth saving in a CI cache and restoring in the next job: the
downloaded wheels (a hashed pin is then installed with no network request) and the index pages
(they save a request only while fresh; PyPI's run to megabytes for projects with many
releases). Everything rebuilt locally faster than it is saved, uploaded and restored goes: every
unpacked entry in every cache (with its bytecode), which the next job unpacks again from the
kept wheels, and the interpreter facts, keyed by the mtime of an interpreter that a fresh runner
installs anew. ``uv cache prune --ci`` removes the downloaded
wheels instead and keeps wheels built from source; pinst builds none, and its downloads are what
make a restored cache worth having.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pinst._core.disk_usage import Usage, disk_usage, format_size, still_linked_note
from pinst._core.link import PROBE_PREFIX
from pinst.cache.contents import children, entry_dirs, plural_entries, real_path, wheel_dirs
from pinst.cache.layout import Cache, all_entry_caches
from pinst.cache.registry import entries_in_use, registered_venvs, stale_temporary_files
from pinst.cache.removal import discard, remove_path
from pinst.output.report import Reporter, plural

STALE_AFTER = 3600.0  # seconds; a running pinst touches its temporary files far more often


@dataclass
class Doomed:
    """What ``prune`` removes, by kind; each entry with the cache it is in."""

    entries: list[tuple[Cache, Path]]
    records: list[Path]
    leftovers: list[Path]
    wheels: list[Path]
    interpreters: list[Path]  # only with --ci


def prune(main: Cache, reporter: Reporter, wheels: bool, ci: bool = False) -> None:
    records = registered_venvs(main)  # raises before anything is removed if one is unreadable
    live = entries_in_use(records)
    doomed = Doomed(
        entries=[
            (cache, entry)
            for cache in all_entry_caches(main)
            for entry in entry_dirs(cache)
            if ci or (real_path(cache.root), entry.name) not in live
        ],
        records=[record.path for record in records if not record.alive],
        leftovers=_leftovers(main, ci),
        wheels=_unused_wheels(main, live) if wheels else [],
        interpreters=children(main.interpreters) if ci else [],
    )
    removed = [*(entry for _, entry in doomed.entries), *doomed.leftovers, *doomed.wheels]
    usage = disk_usage([*removed, *doomed.interpreters])
    _remove_doomed(doomed, reporter)
    reporter.info(_ci_summary(main, doomed, usage) if ci else _prune_summary(doomed, usage))


def _leftovers(main: Cache, ci: bool) -> list[Path]:
    """Temporary files no running pinst can still be using, in every cache.

    With ``ci``, also those of pinst processes on this host that died within the hour: the
    next job runs on another host, where nothing would ever remove them."""
    cutoff = time.time() - STALE_AFTER
    candidates = list(stale_temporary_files(main))
    dead: set[Path] = set()
    for cache in all_entry_caches(main):
        candidates += children(cache.tmp)
        candidates += [
            child
            for folder in (cache.root, cache.entries)
            for child in children(folder)
            if child.name.startswith(PROBE_PREFIX)
        ]
        dead.update(cache.dead_leftovers() if ci else [])
    return [path for path in candidates if path in dead or _newest_mtime(path) < cutoff]


def _newest_mtime(path: Path) -> float:
    # A download or unpack in progress writes deep inside its directory, not to the directory
    # itself; something vanishing under the walk is in use (or gone), so never stale.
    try:
        newest = os.lstat(path).st_mtime
        for folder, subfolders, names in os.walk(path):
            for name in [*subfolders, *names]:
                newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
    except FileNotFoundError:
        return math.inf
    return newest


def _unused_wheels(main: Cache, live: set[tuple[Path, str]]) -> list[Path]:
    used = {sha256 for _, sha256 in live}
    return [folder for folder in wheel_dirs(main) if folder.name not in used]


def _remove_doomed(doomed: Doomed, reporter: Reporter) -> None:
    for cache, entry in doomed.entries:
        reporter.detail(f"Removing unused entry {entry}")
        discard(cache, entry)
    for path in [*doomed.records, *doomed.leftovers, *doomed.wheels, *doomed.interpreters]:
        reporter.detail(f"Removing {path}")
        remove_path(path)


def _prune_summary(doomed: Doomed, usage: Usage) -> str:
    parts = [
        f"{plural_entries(len(doomed.entries))} no live venv uses",
        f"{plural(len(doomed.records), 'record')} of deleted venvs",
        f"{plural(len(doomed.leftovers), 'temporary leftover')}",
    ]
    if doomed.wheels:
        parts.append(f"{plural(len(doomed.wheels), 'downloaded wheel')}")
    return f"Removed {', '.join(parts)}; freed {format_size(usage.freed)}{still_linked_note(usage)}"


def _ci_summary(main: Cache, doomed: Doomed, usage: Usage) -> str:
    parts = [
        f"{plural_entries(len(doomed.entries))} (unpacked again from the wheels when needed)",
        f"{plural(len(doomed.interpreters), 'interpreter record')}",
        f"{plural(len(doomed.records), 'record')} of deleted venvs",
        f"{plural(len(doomed.leftovers), 'temporary leftover')}",
    ]
    if doomed.wheels:
        parts.append(f"{plural(len(doomed.wheels), 'downloaded wheel')}")
    kept = (
        f"kept {plural(len(wheel_dirs(main)), 'downloaded wheel')} and "
        f"{plural(len(children(main.pages)), 'index page')}"
    )
    return (
        f"Removed {', '.join(parts)}; {kept}; freed {format_size(usage.freed)}"
        f"{still_linked_note(usage)}"
    )
