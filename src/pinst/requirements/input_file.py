"""A file of untrusted input, requirements or lock file: read to a limit, only if it is a regular
file or a pipe, and quoted in messages only in part."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pinst._core.limits import read_at_most
from pinst.requirements.model import Origin


class NotReadable(Exception):
    """A path that names something other than a regular file or a pipe (its kind)."""


READABLE_KINDS = (stat.S_ISREG, stat.S_ISFIFO, stat.S_ISSOCK)


def read_input_file(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file, or of what a pipe (``/dev/stdin``, ``<(...)``) delivers,
    and its status; at most ``limit`` bytes, read piece by piece.

    A device (``/dev/zero``, ``/dev/urandom``, a terminal) is refused before it is opened: it
    may never end, and opening some has effects. Raises OSError, NotReadable or TooLarge.
    """
    _check_readable(os.stat(path).st_mode)
    with open(path, "rb") as stream:
        status = os.fstat(stream.fileno())
        _check_readable(status.st_mode)  # the same, should the path have changed meanwhile
        return read_at_most(stream.read, limit), status


def _check_readable(mode: int) -> None:
    if any(kind(mode) for kind in READABLE_KINDS):
        return
    if stat.S_ISDIR(mode):
        raise NotReadable("a directory")
    if stat.S_ISCHR(mode):
        raise NotReadable("a character device")
    raise NotReadable("a device" if stat.S_ISBLK(mode) else "not a regular file")


def too_large_file(what: str, limit: int, included_from: Origin | None = None) -> str:
    """The message for a file (``what``) larger than ``limit`` bytes, and how to allow it."""
    from pinst._core.disk_usage import format_size

    where = f"{included_from}: " if included_from is not None else ""
    return (
        f"{where}{what} is larger than the limit of {format_size(limit)}, so pinst "
        "stopped reading it (a real one is far smaller: a locked file with hashes for 1,000 "
        "packages is about 1 MB). If it is right, raise the limit with "
        "--max-requirements-size or PINST_MAX_REQUIREMENTS_SIZE."
    )


def excerpt(text: str, length: int = 200) -> str:
    """``text`` fit to quote in a message: its start, and how long it is, if it is long."""
    if len(text) <= length:
        return text
    return f"{text[:length]}… ({len(text)} characters)"
