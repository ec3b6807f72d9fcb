"""Fault-injection points for the tests of interruptions; inert unless the environment names one.

``PINST_TEST_PAUSE_AFTER_LINKS=N``: after N files are linked, write ``.pinst/test-paused`` in
the venv and wait while it is there (up to a minute, or until the run is stopping), so that a
test can act at a known moment in the middle of linking, then let the run go on by removing it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pinst import STATE_DIR

PAUSE_AFTER_LINKS = "PINST_TEST_PAUSE_AFTER_LINKS"
PAUSE_LIMIT = 60.0  # seconds


def with_fault_points(
    link: Callable[[str, str], None], venv: Path, stopping: threading.Event
) -> Callable[[str, str], None]:
    """``link``, or ``link`` with the pause the environment asks for."""
    setting = os.environ.get(PAUSE_AFTER_LINKS)
    if not setting:
        return link
    remaining = [int(setting)]
    lock = threading.Lock()

    def pausing_link(source: str, destination: str) -> None:
        link(source, destination)
        with lock:
            remaining[0] -= 1
            reached = remaining[0] == 0
        if reached:
            marker = venv / STATE_DIR / "test-paused"
            marker.touch()
            deadline = time.monotonic() + PAUSE_LIMIT
            while marker.exists() and not stopping.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)

    return pausing_link
