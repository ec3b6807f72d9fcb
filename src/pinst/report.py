"""What pinst tells the user: a line per change, warnings, and a summary with the time taken.

Messages go to stderr, as uv does, so stdout stays free for machine-readable output. Every line
goes through ``say``, which hides the credentials of any URL in it, wherever the text came from.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from pinst.urls import redact_text

if TYPE_CHECKING:
    import logging


@dataclass
class Reporter:
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.perf_counter)
    warned: set[str] = field(default_factory=set)

    def info(self, message: str) -> None:
        if self.verbosity >= 0:
            say(message, self.stream)

    def detail(self, message: str) -> None:
        if self.verbosity >= 1:
            say(message, self.stream)

    def warn(self, message: str) -> None:
        """Say a warning once per run, whatever the verbosity short of -q."""
        if message not in self.warned and self.verbosity >= 0:
            self.warned.add(message)
            say(f"warning: {message}", self.stream)

    def error(self, message: str) -> None:
        say(f"error: {message}", self.stream)

    def elapsed(self) -> str:
        return format_duration(time.perf_counter() - self.started)


def say(message: str, stream: TextIO | None = None) -> None:
    """Print one message (to stderr by default), with the credentials of its URLs hidden."""
    print(redact_text(message), file=stream or sys.stderr)


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# Messages from deep in the network code (retries, a netrc pinst cannot read) go through the
# logging module. Importing it costs milliseconds a run with nothing to do should not pay, so
# the command line only records the verbosity, and the network code sets logging up on import.
_log_verbosity = 0


def set_log_verbosity(verbosity: int) -> None:
    global _log_verbosity
    _log_verbosity = verbosity


def pinst_logger() -> logging.Logger:
    """The "pinst" logger, printing to stderr as the rest of pinst's messages do."""
    import logging

    class PrefixFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            prefix = "warning: " if record.levelno >= logging.WARNING else ""
            return redact_text(prefix + record.getMessage())

    logger = logging.getLogger("pinst")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PrefixFormatter())
        logger.addHandler(handler)
    levels = {-1: logging.ERROR, 0: logging.WARNING}
    logger.setLevel(levels.get(max(-1, min(_log_verbosity, 1)), logging.DEBUG))
    return logger
