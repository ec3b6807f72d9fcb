"""Live progress on a terminal: one line of bars, redrawn in place, erased when done.

The line fits the terminal's width: it is drawn in the richest of several forms that fits
(``LAYOUTS``: shorter labels, no unit words, narrower bars, then no bars), so that at 80 columns
the last phase's count is still on screen. Downloads show bytes done of the total known so far
and the speed.

Only on a terminal: in a log (stderr not a terminal, or ``CI`` set) the same run prints only
its plain summary lines ("Prepared 5 packages in 1.20s"), which a log reader wants. ``-q``,
``--no-progress`` and ``PINST_NO_PROGRESS=1`` turn the bars off too.

The line is drawn by whichever thread advances a bar, at most every ``INTERVAL`` seconds, and
only once a phase has lasted ``DELAY``: a warm install that links in a fraction of a second
shows no flicker. There is no drawing thread of its own, on purpose: the unpacking workers are
forked while the main thread is the only one (see unpack/pool.py), and a thread started for
the bars would rule that out.
"""

from __future__ import annotations

import os
import threading
import time
from typing import NamedTuple, TextIO

DELAY = 0.25  # seconds a phase runs before its bar appears
INTERVAL = 0.08  # seconds between two redraws
BAR_WIDTH = 20
ERASE_LINE = "\r\x1b[2K"
SEPARATOR = "   "
SHORT_LABELS = {"Finding": "Find", "Downloading": "Download", "Unpacking": "Unpack"}


class Layout(NamedTuple):
    """One form of the line: how much of each bar it shows."""

    short_labels: bool
    units: bool
    least_bar: int  # the narrowest bar drawn; 0 draws none
    bare_finished: bool = False  # a finished phase shows its count without a bar


# Richest first; the first whose text fits the terminal is drawn.
LAYOUTS = (
    Layout(short_labels=False, units=True, least_bar=5),
    Layout(short_labels=False, units=False, least_bar=5),
    Layout(short_labels=True, units=False, least_bar=3),
    Layout(short_labels=True, units=False, least_bar=3, bare_finished=True),
    Layout(short_labels=True, units=False, least_bar=0),
)


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
        self.total_bytes = 0  # of the downloads whose size is known yet
        self.started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        with self.display.counting:
            self.done += count
        self.display.maybe_draw()

    def add_bytes(self, count: int) -> None:
        with self.display.counting:
            self.bytes += count
        self.display.maybe_draw()

    def add_total_bytes(self, count: int) -> None:
        with self.display.counting:
            self.total_bytes += count

    def render(self, width: int, layout: Layout = LAYOUTS[0]) -> str:
        """The bar as text, its bar ``width`` glyphs wide (none if 0)."""
        label = SHORT_LABELS.get(self.label, self.label) if layout.short_labels else self.label
        parts = [label]
        if width:
            filled = round(width * min(self.done, self.total) / self.total) if self.total else 0
            parts.append("━" * filled + "╌" * (width - filled))
        parts.append(f"{self.done}/{self.total}" + (f" {self.unit}" if layout.units else ""))
        if self.bytes:
            parts.append(self._transfer())
        return " ".join(parts)

    def _transfer(self) -> str:
        """Bytes done (of the total, when known) and the speed: "12.3/45.6 MiB 8.1 MiB/s"."""
        seconds = max(time.monotonic() - self.started, 1e-3)
        speed = format_bytes(round(self.bytes / seconds)) + "/s"
        if self.total_bytes >= self.bytes:
            return f"{format_pair(self.bytes, self.total_bytes)} {speed}"
        return f"{format_bytes(self.bytes)} {speed}"


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
        columns = terminal_columns(self.stream)
        line = fitted_line(self.bars, columns - 1)  # the last column would wrap on some terminals
        self.stream.write(ERASE_LINE + line)
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

    def add_total_bytes(self, count: int) -> None:
        pass


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal the bars are drawn on: stderr's, which is a terminal even when
    stdout is a pipe (``shutil.get_terminal_size`` asks stdout's); ``COLUMNS`` overrides it."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


def fitted_line(bars: list[Bar], room: int) -> str:
    """The bars on one line of at most ``room`` characters, in the richest layout that fits."""
    line = ""
    for layout in LAYOUTS:
        text = sum(len(bar.render(0, layout)) for bar in bars) + len(SEPARATOR) * (len(bars) - 1)
        drawn = [bar for bar in bars if not (layout.bare_finished and bar.done >= bar.total)]
        spare = room - text - len(drawn)  # a space before each bar drawn
        width = min(BAR_WIDTH, spare // max(1, len(drawn))) if layout.least_bar else 0
        if layout.least_bar and width < layout.least_bar:
            continue
        line = SEPARATOR.join(bar.render(width if bar in drawn else 0, layout) for bar in bars)
        if len(line) <= room:
            return line
    return line[:room]


def format_pair(done: int, total: int) -> str:
    """Two sizes in the larger one's unit: "12.3/45.6 MiB"."""
    unit, scale = _unit_of(total)
    if unit == "B":
        return f"{done}/{total} B"
    return f"{done / scale:.1f}/{total / scale:.1f} {unit}"


def _unit_of(size: int) -> tuple[str, int]:
    for power, unit in enumerate(("B", "KiB", "MiB")):
        if size < 1024 ** (power + 1):
            return unit, 1024**power
    return "GiB", 1024**3


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"
