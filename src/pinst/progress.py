"""Live progress on a terminal: one line of bars, redrawn in place, erased when done.

Only on a terminal: in a log (stderr not a terminal, or ``CI`` set) the same run prints only
its plain summary lines ("Prepared 5 packages in 1.20s"), which a log reader wants. ``-q``,
``--no-progress`` and ``PINST_NO_PROGRESS=1`` turn the bars off too.

The line is drawn by whichever thread advances a bar, at most every ``INTERVAL`` seconds, and
only once a phase has lasted ``DELAY``: a warm install that links in a fraction of a second
shows no flicker. There is no drawing thread of its own, on purpose: the unpacking workers are
forked while the main thread is the only one (see unpack_pool.py), and a thread started for
the bars would rule that out.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from typing import TextIO

DELAY = 0.25  # seconds a phase runs before its bar appears
INTERVAL = 0.08  # seconds between two redraws
BAR_WIDTH = 20
ERASE_LINE = "\r\x1b[2K"


def wanted(stream: TextIO, verbosity: int) -> bool:
    """Whether to draw bars: on a terminal, not in CI, not with -q."""
    if verbosity < 0 or os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class Bar:
    """One phase's progress: ``done`` of ``total`` units, and bytes if it moves any."""

    def __init__(self, label: str, total: int, unit: str, display: Display) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.display = display
        self.done = 0
        self.bytes = 0

    def advance(self, count: int = 1) -> None:
        with self.display.counting:
            self.done += count
        self.display.maybe_draw()

    def add_bytes(self, count: int) -> None:
        with self.display.counting:
            self.bytes += count
        self.display.maybe_draw()

    def render(self, width: int) -> str:
        filled = round(width * min(self.done, self.total) / self.total) if self.total else 0
        bar = "━" * filled + "╌" * (width - filled)
        size = f", {format_bytes(self.bytes)}" if self.bytes else ""
        return f"{self.label} {bar} {self.done}/{self.total} {self.unit}{size}"


class Display:
    """The bars of the phases running now, drawn on one line of ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bars: list[Bar] = []
        self.counting = threading.Lock()
        self.drawing = threading.Lock()
        self.shown_since = time.monotonic()
        self.last_drawn = 0.0
        self.line_on_screen = False

    def bar(self, label: str, total: int, unit: str) -> Bar:
        """A new bar, shown beside the others until ``finish``."""
        bar = Bar(label, total, unit, self)
        with self.drawing:
            if not self.bars:
                self.shown_since = time.monotonic()
            self.bars.append(bar)
        return bar

    def finish(self, bar: Bar) -> None:
        with self.drawing:
            if bar in self.bars:
                self.bars.remove(bar)
            if not self.bars:
                self._erase()

    def maybe_draw(self) -> None:
        now = time.monotonic()
        if now - self.last_drawn < INTERVAL or now - self.shown_since < DELAY:
            return
        if not self.drawing.acquire(blocking=False):
            return  # another thread is drawing the same line
        try:
            self.last_drawn = now
            self._draw()
        finally:
            self.drawing.release()

    def write_above(self, text: str) -> None:
        """Print a message line; the bars come back at the next redraw."""
        with self.drawing:
            self._erase()
            self.stream.write(text + "\n")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.bars:
            return
        columns = shutil.get_terminal_size((80, 24)).columns
        text = sum(len(bar.render(0)) for bar in self.bars) + 3 * (len(self.bars) - 1)
        width = max(5, min(BAR_WIDTH, (columns - 1 - text) // len(self.bars)))
        line = "   ".join(bar.render(width) for bar in self.bars)
        self.stream.write(ERASE_LINE + line[: columns - 1])
        self.stream.flush()
        self.line_on_screen = True

    def _erase(self) -> None:
        if self.line_on_screen:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self.line_on_screen = False


class NoBar:
    """What a phase advances when there are no bars: nothing happens."""

    def advance(self, count: int = 1) -> None:
        pass

    def add_bytes(self, count: int) -> None:
        pass


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"
