"""Facts about the filesystems pinst works across: which one a path is on, and what it is called.

Hard links and reflinks only work within one filesystem, so pinst compares devices (``st_dev``)
and, for messages, names the filesystem type and mount point from ``/proc/self/mounts``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class Filesystem(NamedTuple):
    device: int
    mount_point: Path
    type: str

    def describe(self) -> str:
        return f"{self.type} mounted at {self.mount_point}"


def existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest existing parent (a venv or cache may not exist yet)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def device_of(path: Path) -> int:
    return os.stat(existing_ancestor(path)).st_dev


def filesystem_of(path: Path) -> Filesystem:
    path = existing_ancestor(path)
    mount_point = _mount_point(path)
    return Filesystem(
        device=os.stat(path).st_dev,
        mount_point=mount_point,
        type=_mount_types().get(str(mount_point), "unknown filesystem"),
    )


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _mount_types() -> dict[str, str]:
    """Mount point -> filesystem type; the last mount at a point wins, as the kernel shows it."""
    types: dict[str, str] = {}
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) >= 3:
                    types[_unescape(fields[1])] = fields[2]
    except OSError:
        pass  # not Linux: messages just say "unknown filesystem"
    return types


def _unescape(field: str) -> str:
    # /proc/self/mounts writes spaces, tabs and newlines in paths as octal escapes.
    for escaped, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(escaped, char)
    return field
