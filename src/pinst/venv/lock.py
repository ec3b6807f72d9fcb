"""One pinst at a time changes a venv: an exclusive lock on ``<venv>/.pinst/lock``.

A second pinst waits for the first to finish, then looks again (and usually finds nothing to
do). The lock is taken before the venv is opened, so that a run that creates the venv holds it
while it does: the lock's directory is then the first thing in the new venv's place.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from pinst._core.errors import PinstError
from pinst.venv.state import state_dir
from pinst.venv.target import check_is_venv, needs_creating

LOCK_NAME = "lock"


@contextmanager
def lock_venv(path: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the venv's lock for the block; a venv is made for it if needed. A path that is
    there must be a venv (or one pinst was making)."""
    if not needs_creating(path):
        check_is_venv(path)
    try:
        lock = VenvLock(path, on_wait).__enter__()
    except OSError as error:
        raise PinstError(
            f"cannot lock the venv {path} ({error.strerror}): pinst needs to create "
            f"{state_dir(path)} there. Check that the directory is writable, or choose "
            "another --venv."
        ) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


class VenvLock:
    """An exclusive ``flock`` on ``<venv>/.pinst/lock``, held for a whole install.

    The kernel drops the lock when the process dies, however it dies, so a killed run never
    leaves the venv locked.
    """

    def __init__(self, venv: Path, on_wait: Callable[[str], None]) -> None:
        self.path = state_dir(venv) / LOCK_NAME
        self.on_wait = on_wait  # says once that this run waits, and for what
        self.descriptor: int | None = None

    def __enter__(self) -> VenvLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.on_wait(f"Waiting for another pinst to finish with {self.path.parent.parent}")
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            if _same_file(descriptor, self.path):
                self.descriptor = descriptor
                return self
            # The venv was removed (a failed run that created it) while we waited: the lock we
            # hold is on a file nobody else will open again. Start over on the current one.
            os.close(descriptor)
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (status.st_dev, status.st_ino) == (opened.st_dev, opened.st_ino)
