"""Colour for the messages on stderr: only on a terminal, never with ``NO_COLOR``.

The conventions of https://no-color.org and https://force-color.org: ``NO_COLOR`` set to
anything but the empty string turns colour off, wherever the output goes; ``FORCE_COLOR``
turns it on, even into a pipe (for CI logs that render ANSI colours); ``TERM=dumb`` is a
terminal that cannot show it. Colour never reaches stdout, whose output scripts read.
"""

from __future__ import annotations

import os
from typing import TextIO

RESET = "\x1b[0m"
CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def colour_wanted(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def paint(text: str, *styles: str) -> str:
    codes = ";".join(CODES[style] for style in styles)
    return f"\x1b[{codes}m{text}{RESET}"
