"""How one install is measured: wall time and peak memory of its process, and disk used."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"  # Debian's `time` package


class CommandFailed(RuntimeError):
    """A command exited non-zero; the message ends with the tail of its output."""


@dataclass(frozen=True)
class Sample:
    """One timed run of a command."""

    seconds: float
    peak_rss_kib: int


def run_timed(command: Sequence[str], env: Mapping[str, str], log: Path) -> Sample:
    """Run `command` to completion under GNU time, its output appended to `log`.

    The peak memory is `ru_maxrss`: the resident set of the largest process in the command's
    tree (the process or any descendant it waited for). It is read by `/usr/bin/time -f %M`
    rather than by this process's `wait4`, because Linux starts a child's `ru_maxrss` at the
    high-water mark of the process that forked it: here, the harness's own.
    """
    peak_file = log.with_name(log.name + ".rss")
    with open(log, "ab") as output:
        output.write(f"$ {' '.join(command)}\n".encode())
        output.flush()
        timed = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *command]
        started = time.perf_counter()
        returncode = subprocess.call(timed, env=dict(env), stdout=output, stderr=output)
        elapsed = time.perf_counter() - started
    if returncode != 0:
        raise CommandFailed(f"{command[0]} exited {returncode}:\n{tail(log)}")
    # With -o, GNU time writes its format last, after any note about the exit status.
    peak_rss_kib = int(peak_file.read_text().split()[-1])
    return Sample(seconds=elapsed, peak_rss_kib=peak_rss_kib)


def run_quiet(command: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """Run an untimed helper command; return its standard output, raise with its errors."""
    result = subprocess.run(
        command, env=None if env is None else dict(env), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise CommandFailed(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def filesystem_used_bytes(path: Path) -> int:
    """Bytes in use on the filesystem holding `path` (after flushing pending writes).

    Exact only on a filesystem nothing else writes to, such as the harness's own tmpfs.
    """
    os.sync()
    status = os.statvfs(path)
    return (status.f_blocks - status.f_bfree) * status.f_frsize


def tree_bytes(roots: Iterable[Path]) -> int:
    """Disk allocated to everything under `roots`, counting each hard-linked inode once.

    Like `du -s -B1 ROOT...`: the blocks of files, directories and symlinks, so a venv whose
    files are hard links into a cache counted alongside costs only its own directories and
    per-venv files.
    """
    seen: set[tuple[int, int]] = set()
    total = 0
    pending = [str(root) for root in roots]
    while pending:
        directory = pending.pop()
        status = os.lstat(directory)
        if (status.st_dev, status.st_ino) not in seen:
            seen.add((status.st_dev, status.st_ino))
            total += status.st_blocks * 512
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                status = entry.stat(follow_symlinks=False)
                key = (status.st_dev, status.st_ino)
                if key not in seen:
                    seen.add(key)
                    total += status.st_blocks * 512
    return total
