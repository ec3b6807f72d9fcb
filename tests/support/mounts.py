"""Real filesystems for tests: tmpfs, and XFS (with reflink) and btrfs on loop-mounted images.

Mounting needs root; without it (or without mkfs.xfs / mkfs.btrfs) the fixtures skip with the
reason. ``nox -s tests`` installs xfsprogs and btrfs-progs when run as root, so CI runs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MKFS = {
    "xfs": ["mkfs.xfs", "-q", "-f", "-m", "reflink=1"],
    "btrfs": ["mkfs.btrfs", "-q", "-f"],
}
IMAGE_SIZE = 400 * 1024 * 1024  # sparse; btrfs and XFS both accept this size
# The cache folder pinst makes for itself in a world-writable one (a fresh tmpfs's root).
OWN_CACHE = f".pinst-cache-{os.geteuid()}"


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting test filesystems needs root")


@contextmanager
def mounted(
    kind: str, mount_point: Path, scratch: Path, tmpfs_size: str = "512m"
) -> Iterator[Path]:
    """Mount a fresh filesystem of ``kind`` (tmpfs, xfs, btrfs) at ``mount_point``."""
    require_root()
    mount_point.mkdir(parents=True, exist_ok=True)
    if kind == "tmpfs":
        options = f"size={tmpfs_size}"
        _run(["mount", "-t", "tmpfs", "-o", options, "pinst-test", str(mount_point)])
    else:
        tool = MKFS[kind][0]
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {kind}progs)")
        image = scratch / f"{kind}.img"
        with open(image, "wb") as file:
            file.truncate(IMAGE_SIZE)
        _run([*MKFS[kind], str(image)])
        _run(["mount", "-o", "loop", str(image), str(mount_point)])
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def remount_read_only(mount_point: Path) -> None:
    _run(["mount", "-o", "remount,ro", str(mount_point)])


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed: {result.stderr.strip()}")


def free_bytes(path: Path) -> int:
    os.sync()
    status = os.statvfs(path)
    return status.f_bavail * status.f_frsize


def disk_usage(*paths: Path) -> int:
    """Bytes used by the paths together, each inode counted once (as ``du`` counts)."""
    output = subprocess.run(
        ["du", "-s", "-c", "--block-size=1", *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(output.strip().splitlines()[-1].split()[0])
