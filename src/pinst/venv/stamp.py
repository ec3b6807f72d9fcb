"""Answer "nothing to do" for a repeated install without parsing anything.

After an install that leaves a venv exactly as its requirements ask, pinst writes a stamp into
the venv: the command line, the working directory, the environment variables pinst reads, and
the identity of everything the answer depended on (every requirements and constraints file
read, the venv's site-packages directories, its ``pyvenv.cfg`` and its interpreter). When the
same command runs again and nothing in the stamp has changed, the venv is already right: pinst
says so without importing its pipeline, which takes longer than the check itself.

A file's identity is its inode, size, mtime and ctime. The ctime cannot be set from user space,
so an edit is always seen, even one that restores the mtime. Installing or removing any
distribution changes site-packages' own mtime (a ``.dist-info`` directory comes or goes).

Any modifying run removes the stamp before it touches the venv, so a run that fails or is killed
halfway never leaves one behind. The module imports nothing beyond ``os`` and ``sys``: that is
its point.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence

from pinst import STATE_DIR

STAMP_FORMAT = "pinst-stamp-1"
STAMP_NAME = "last-install"
SEPARATOR = "\0"  # no argument, path or environment value can contain it
ENVIRONMENT_PREFIXES = ("PINST_", "VIRTUAL_ENV")
# sync too: a stamp holds only while site-packages lists the same .dist-info directories, so
# nothing unlisted can have come in since. The command is part of the stamp's command line, so
# an install's stamp never answers a sync, nor the other way round.
STAMPED_COMMANDS = ("install", "sync")


def stamp_path(venv: str) -> str:
    return os.path.join(venv, STATE_DIR, STAMP_NAME)


def answer_from_stamp(argv: Sequence[str]) -> bool:
    """If ``argv`` repeats an install or sync whose stamp still holds, say "Audited" and return
    True."""
    started = time.perf_counter()
    if not argv or argv[0] not in STAMPED_COMMANDS:
        return False
    try:
        with open(stamp_path(_venv_of(argv)), encoding="utf-8") as stamp:
            lines = stamp.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return False
    if len(lines) < 3 or lines[0] != (_invocation(argv, _variables(lines[1])) or None):
        return False
    try:
        count, verbosity = map(int, lines[2].split())
    except ValueError:
        return False
    if any(_identity(path) != identity for path, identity in _pairs(lines[3:])):
        return False
    if verbosity >= 0:
        elapsed = (time.perf_counter() - started) * 1000
        packages = f"{count} package{'' if count == 1 else 's'}"
        print(f"Audited {packages} in {elapsed:.0f}ms", file=sys.stderr)
    return True


def write_stamp(
    venv: str,
    argv: Sequence[str],
    variables: Iterable[str],
    count: int,
    verbosity: int,
    depends_on: Iterable[tuple[str, os.stat_result | None]],
) -> None:
    """Record that ``argv`` left ``venv`` right with ``count`` packages; best effort.

    ``verbosity`` is the run's (-1 for -q): the answer from the stamp is printed likewise.

    ``depends_on`` pairs each path with its status when it was read (the requirements files:
    an edit made during this run must not be taken as seen), or None to take it now.
    """
    names = sorted(set(variables))
    invocation = _invocation(argv, names)
    depends = list(depends_on)
    if not invocation or any("\n" in path for path, _ in depends):
        return  # a line break in a path or value would break the format: no stamp
    lines = [invocation, SEPARATOR.join(names), f"{count} {verbosity}"]
    for path, status in depends:
        identity = _identity(path) if status is None else _identity_of(status)
        lines.append(f"{path}{SEPARATOR}{identity}")
    from pinst._core.atomic import write_atomically  # not at the top: answering needs only os

    try:
        os.makedirs(os.path.join(venv, STATE_DIR), exist_ok=True)
        write_atomically(stamp_path(venv), "\n".join(lines))
    except OSError:
        pass  # without a stamp the next run only takes longer


def remove_stamp(venv: str) -> None:
    """Called before a run changes the venv: from then on, only a full check may say it is right."""
    try:
        os.unlink(stamp_path(venv))
    except FileNotFoundError:
        pass


def _venv_of(argv: Sequence[str]) -> str:
    """The venv the command names, found as pinst's parser would find it.

    A wrong guess is harmless: the stamp found must then match this exact command line, which
    only a run that installed into that very venv can have written.
    """
    for position, argument in enumerate(argv):
        if argument == "--venv" and position + 1 < len(argv):
            return argv[position + 1]
        if argument.startswith("--venv="):
            return argument[len("--venv=") :]
    return os.environ.get("VIRTUAL_ENV") or ".venv"


def _invocation(argv: Sequence[str], variables: Iterable[str]) -> str:
    """What must be the same for the answer to be the same: this pinst, the command line, the
    working directory, pinst's environment variables and those the files expand.

    Empty if any of it has a line break, which the stamp's format cannot hold."""
    from pinst import __version__

    environment = sorted(
        f"{name}={value}"
        for name, value in os.environ.items()
        if name.startswith(ENVIRONMENT_PREFIXES)
    )
    environment += [f"{name}={os.environ.get(name, '')}" for name in variables]
    parts = [STAMP_FORMAT, __version__, os.getcwd(), *argv, "", *environment]
    joined = SEPARATOR.join(parts)
    return "" if "\n" in joined else joined


def _variables(line: str) -> list[str]:
    return [name for name in line.split(SEPARATOR) if name]


def _pairs(lines: list[str]) -> Iterable[tuple[str, str]]:
    for line in lines:
        path, _, identity = line.partition(SEPARATOR)
        yield path, identity


def _identity(path: str) -> str:
    """Inode, size, mtime and ctime of ``path`` (following links), or "missing"."""
    try:
        return _identity_of(os.stat(path))
    except OSError:
        return "missing"


def _identity_of(status: os.stat_result) -> str:
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}"
