"""What pinst tells the user: a line per change, warnings, and a summary with the time taken.

Messages go to stderr, as uv does, so stdout stays free for machine-readable output. Every line
goes through ``say``, which hides the credentials of any URL in it, wherever the text came from.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from pinst._core.urls import redact_text

if TYPE_CHECKING:
    import logging

    from pinst.output.progress import Bar, Display, NoBar

CHANGE_COLOURS = {"+": "green", "-": "red", "~": "yellow"}


class Reporter:
    def __init__(self, verbosity: int = 0, colour: bool = False) -> None:
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1+ verbose
        self.colour = colour
        self.stream: TextIO = sys.stderr
        self.started = time.perf_counter()
        self.warned: set[str] = set()
        # Live progress bars; None: none (not a terminal, CI, -q).
        self.display: Display | None = None
        self.timings: dict[str, float] = {}  # seconds per phase, in order

    @classmethod
    def for_stderr(cls, verbosity: int, no_progress: bool = True) -> Reporter:
        """A reporter on stderr with colour if it suits it, and bars unless ``no_progress``."""
        from pinst.output.style import colour_wanted

        reporter = cls(verbosity, colour=colour_wanted(sys.stderr))
        if not no_progress:
            from pinst.output.progress import Display, wanted

            if wanted(sys.stderr, verbosity):
                reporter.display = Display(sys.stderr)
                _show_logs_above(reporter.display)
        return reporter

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            self._write(message)

    def detail(self, message: str) -> None:
        if self.verbosity >= 1:
            self._write(message)

    def warn(self, message: str) -> None:
        """Say a warning once per run, whatever the verbosity short of -q."""
        if message not in self.warned and self.verbosity >= 0:
            self.warned.add(message)
            self._write(f"{self._paint('warning:', 'bold', 'yellow')} {message}")

    def error(self, message: str) -> None:
        self._write(f"{self._paint('error:', 'bold', 'red')} {message}")

    def change(self, marker: str, name: str, version: str) -> None:
        """One line of what changed: ``+ name==1.0`` installed, ``- `` removed, ``~`` again."""
        if self.verbosity >= 0:
            coloured = self._paint(marker, CHANGE_COLOURS[marker])
            self._write(
                f"{coloured} {self._paint(name, 'bold')}{self._paint('==' + version, 'dim')}"
            )

    def elapsed(self) -> str:
        return format_duration(time.perf_counter() - self.started)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase of the run, for -v and --json; a phase run twice adds up."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    @contextmanager
    def progress(self, label: str, total: int, unit: str) -> Iterator[Bar | NoBar]:
        """A progress bar for a phase, shown only on a terminal; erased when the phase ends."""
        if self.display is None:
            from pinst.output.progress import NoBar

            yield NoBar()
            return
        bar = self.display.bar(label, total, unit)
        try:
            yield bar
        finally:
            self.display.finish(bar)

    def _paint(self, text: str, *styles: str) -> str:
        if not self.colour:
            return text
        from pinst.output.style import paint

        return paint(text, *styles)

    def _write(self, message: str) -> None:
        if self.display is None:
            say(message, self.stream)
        else:
            self.display.write_above(redact_text(message))


def say(message: str, stream: TextIO | None = None) -> None:
    """Print one message (to stderr by default), with the credentials of its URLs hidden."""
    print(redact_text(message), file=stream or sys.stderr)


def say_error(message: str) -> None:
    """Print ``error: message`` on stderr, the prefix in bold red where colour suits stderr."""
    from pinst.output.style import colour_wanted, paint

    prefix = paint("error:", "bold", "red") if colour_wanted(sys.stderr) else "error:"
    say(f"{prefix} {message}")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def summary_line(installed: int, replaced: int, uninstalled: int, took: str) -> str:
    """The last line of a change, whose counts match the lines above it: ``+`` and ``~`` lines
    are the installed, ``-`` lines the replaced (old versions) and the uninstalled (unlisted)::

        Installed 3 packages, replaced 3, uninstalled 2 in 41ms
    """
    parts = [f"Installed {plural(installed, 'package')}"]
    if replaced:
        parts.append(f"replaced {replaced}")
    if uninstalled:
        parts.append(f"uninstalled {uninstalled}")
    return f"{', '.join(parts)} in {took}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# Messages from deep in the network code (retries, a netrc pinst cannot read) go through the
# logging module. Importing it costs milliseconds a run with nothing to do should not pay, so
# the command line only records the verbosity, and the network code sets logging up on import.
_log_verbosity = 0
_live_display: Display | None = None  # the bars on stderr, which log lines must print above


def _show_logs_above(display: Display) -> None:
    global _live_display
    _live_display = display


def set_log_verbosity(verbosity: int) -> None:
    global _log_verbosity
    _log_verbosity = verbosity


def pinst_logger() -> logging.Logger:
    """The "pinst" logger, printing to stderr as the rest of pinst's messages do."""
    import logging

    from pinst.output.style import colour_wanted, paint

    warning = paint("warning:", "bold", "yellow") if colour_wanted(sys.stderr) else "warning:"

    class PrefixFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            prefix = f"{warning} " if record.levelno >= logging.WARNING else ""
            return prefix + redact_text(record.getMessage())

    class LineHandler(logging.Handler):
        """Prints each record as a line, above the progress bars if they are drawn."""

        def emit(self, record: logging.LogRecord) -> None:
            line = self.format(record)
            if _live_display is None:
                print(line, file=sys.stderr)
            else:
                _live_display.write_above(line)

    logger = logging.getLogger("pinst")
    if not logger.handlers:
        handler = LineHandler()
        handler.setFormatter(PrefixFormatter())
        logger.addHandler(handler)
    levels = {-1: logging.ERROR, 0: logging.WARNING}
    logger.setLevel(levels.get(max(-1, min(_log_verbosity, 1)), logging.DEBUG))
    return logger
