"""How much disk cached files take, with hard links counted once, and how much removal frees."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


@dataclass
class Usage:
    files: int = 0
    size: int = 0  # st_size of each inode once, however many links it has
    freed: int = 0  # the part whose every link is in the trees measured, so removal frees it


def format_size(size: int) -> str:
    value, unit = float(size), 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {SIZE_UNITS[unit]}"


def disk_usage(paths: Iterable[Path]) -> Usage:
    """What the regular files under ``paths`` take, with hard links counted once."""
    seen: dict[tuple[int, int], list[int]] = {}  # inode -> [links seen here, st_nlink, size]
    for info in _file_stats(paths):
        found = seen.setdefault((info.st_dev, info.st_ino), [0, info.st_nlink, info.st_size])
        found[0] += 1
    return Usage(
        files=len(seen),
        size=sum(size for _, _, size in seen.values()),
        freed=sum(size for here, links, size in seen.values() if here >= links),
    )


def still_linked_note(usage: Usage) -> str:
    """What a removal left on disk because venvs hard-link it, as a note for its summary."""
    kept = usage.size - usage.freed
    return f" ({format_size(kept)} more stay, hard-linked from venvs)" if kept else ""


def unique_file_stats(folder: Path) -> list[os.stat_result]:
    """The stat of each regular file under ``folder``, one per inode."""
    files = {(info.st_dev, info.st_ino): info for info in _file_stats([folder])}
    return list(files.values())


def _file_stats(paths: Iterable[Path]) -> Iterator[os.stat_result]:
    for path in paths:
        try:
            top = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(top.st_mode):
            yield top
        elif stat.S_ISDIR(top.st_mode):
            for folder, _, names in os.walk(path):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(info.st_mode):
                        yield info
