"""The scenarios: what state each tool's cache and venv are in before a timed install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import run_quiet


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str  # the row label in the report
    cold: bool = False  # every cache emptied before each timed install
    compile: bool = False  # --compile-bytecode (pip compiles unless told not to)
    noop: bool = False  # the venv already has everything: time the second install
    tmpfs: bool = False  # venvs on a tmpfs the harness mounts, caches on the work disk
    pypi: bool = False  # from the real index (PyPI), not the local one


PYPI = "https://pypi.org/simple"


TIMED = {
    scenario.name: scenario
    for scenario in (
        Scenario("cold", "cold: empty caches, from the local index", cold=True),
        Scenario("warm", "warm: caches full, venvs beside them"),
        Scenario("compile", "compile: warm, with bytecode", compile=True),
        Scenario("noop", "noop: everything already installed", noop=True),
        Scenario("cross-fs", "cross-fs: warm, venvs on a tmpfs", tmpfs=True),
        Scenario("cold-pypi", "cold-pypi: empty caches, from PyPI", cold=True, pypi=True),
    )
}
DISK = "disk"  # the cache and ten venvs, per tool: bytes, not time
MANY_VENVS = "many-venvs"  # N venvs one after another from an empty cache: total time and disk
RECLAIM = "reclaim"  # pinst reclaim against util-linux hardlink on venvs pip and uv copied into
ALL = [*TIMED, DISK, MANY_VENVS, RECLAIM]
# Run unless --scenarios names others: all but cold-pypi, which needs the network and measures
# it as much as the tools (the harness adds it when PyPI answers).
DEFAULT = [name for name in ALL if name != "cold-pypi"]
TMPFS_SIZE = "50%"  # of the memory: each round of cross-fs copies a venv of every tool into it


def make_venv(path: Path) -> Path:
    """A fresh, empty venv at `path` (anything there before is removed)."""
    remove(path)
    run_quiet([sys.executable, "-m", "venv", "--without-pip", str(path)])
    return path


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def settle() -> None:
    """Flush the writes and deletes of the untimed preparation so no timed install pays them."""
    os.sync()


def can_mount() -> str | None:
    """None if the harness may mount a tmpfs, else why not."""
    return None if os.geteuid() == 0 else "mounting a tmpfs needs root"


@contextmanager
def venv_root(scenario: Scenario, work: Path) -> Iterator[Path]:
    """The directory the scenario's venvs go in: in the work directory, or on a fresh tmpfs
    mounted there for the scenario (unmounted after it; the work directory is removed only
    when the run ends)."""
    root = work / f"{scenario.name}-venvs"
    root.mkdir()
    if not scenario.tmpfs:
        yield root
        return
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "pinst-bench", str(root)], check=True
    )
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)
