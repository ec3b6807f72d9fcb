"""What machine a run was measured on, for the report."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    kernel: str
    filesystem: str  # of the work directory: type and mount options
    python: str
    nginx: str

    def describe(self) -> str:
        return (
            f"{self.cpus} cores ({self.cpu_model}), Linux {self.kernel}, {self.filesystem}, "
            f"Python {self.python}, nginx {self.nginx}"
        )


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown CPU"


def filesystem_of(path: Path) -> str:
    """`ext4 (rw,relatime,discard)`: the type and options of the mount holding `path`."""
    best = ("", "unknown", "")
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, mount_point, fs_type, options, *_ = line.split()
        inside = str(path).startswith(mount_point.rstrip("/") + "/") or str(path) == mount_point
        if inside and len(mount_point) >= len(best[0]):
            best = (mount_point, fs_type, options)
    options = ",".join(option for option in best[2].split(",") if "=" not in option)
    return f"{best[1]} ({options})"


def nginx_version(nginx: str) -> str:
    # nginx -v prints "nginx version: nginx/1.22.1" on standard error.
    result = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=True)
    return result.stderr.strip().rpartition("/")[2]


def this_machine(work: Path, nginx: str) -> Machine:
    return Machine(
        cpus=len(os.sched_getaffinity(0)),
        cpu_model=cpu_model(),
        kernel=platform.release(),
        filesystem=filesystem_of(work.resolve()),
        python=platform.python_version(),
        nginx=nginx_version(nginx),
    )
