"""Fault-injection points for the tests of interruptions; inert unless the environment names one.

``PINST_TEST_PAUSE_AFTER_LINKS=N``: after N files are linked, write ``.pinst/test-paused`` in
the venv (holding the number of the process that pauses) and wait while it is there (up to a
minute, or until the run is stopping), so that a test can act at a known moment in the middle of
linking, then let the run go on by removing it.
Only one pause happens in a run, however many processes or threads link.
"""

from __future__ import annotations

import mmap
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pinst import STATE_DIR
from pinst._core.atomic import write_atomically

PAUSE_AFTER_LINKS = "PINST_TEST_PAUSE_AFTER_LINKS"
PAUSE_LIMIT = 60.0  # seconds
COUNT_SIZE = 8  # bytes of the shared link count


def with_fault_points(
    link: Callable[[str, str], None], venv: Path, stopping: threading.Event
) -> Callable[[str, str], None]:
    """``link``, or ``link`` with the pause the environment asks for."""
    setting = os.environ.get(PAUSE_AFTER_LINKS)
    if not setting:
        return link
    import multiprocessing  # only for the tests that ask for a pause

    limit = int(setting)
    # Shared with the forked link workers (install/workers.py), and so is the lock: the count
    # is the whole run's links, and once one worker has paused, no other does.
    shared = mmap.mmap(-1, COUNT_SIZE + 1)
    lock = multiprocessing.Lock()

    def pausing_link(source: str, destination: str) -> None:
        link(source, destination)
        with lock:
            count = int.from_bytes(shared[:COUNT_SIZE], "little") + 1
            shared[:COUNT_SIZE] = count.to_bytes(COUNT_SIZE, "little")
            reached = count >= limit and not shared[COUNT_SIZE]
            if reached:
                shared[COUNT_SIZE] = 1
        if reached:
            marker = venv / STATE_DIR / "test-paused"
            # Whole when it appears: a test reads the number to kill the worker that pauses.
            write_atomically(marker, str(os.getpid()))
            deadline = time.monotonic() + PAUSE_LIMIT
            while marker.exists() and not stopping.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)

    return pausing_link
