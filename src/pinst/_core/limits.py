"""How much untrusted input pinst reads: a zip bomb or a flood stops here, real input never does.

How far a wheel may expand when pinst unpacks it, two limits, both raisable:

- **Unpacked size**: 16 GiB per wheel. PyPI caps the size of the files it accepts, and the
  largest real wheels unpack to a few GB. 16 GiB leaves room for the bigger wheels some private
  indexes serve, and still stops a bomb long before it fills a disk.
- **Compression ratio**: 200 to 1, checked once a member, or the wheel as a whole, unpacks to more
  than 64 MiB. Real wheels stay far below that where it applies; the few small members that do
  compress further (shared libraries padded with zeros) are below the floor. Members under the
  floor are not checked one by one, and the wheel-wide check keeps a bomb from splitting itself
  into many of them. Deflate cannot exceed about 1032:1 anyway, and bzip2 and LZMA, which can,
  are refused (see ``wheel/container.py``).

The survey of real wheels behind both: docs/concepts/safety.md, "Limits against zip bombs".

How much of other untrusted input pinst reads into memory (``InputLimits``, and the metadata
limit in ``UnpackLimits``); each is raisable:

- **Index page**: 64 MiB, counted both as the bytes on the wire and as those a gzip or deflate
  ``Content-Encoding`` inflates to: several times the largest simple page on PyPI.
- **Requirements or lock file** (``-r``, ``-c``, and the files they include): 16 MiB, far above
  a locked file with hashes for a thousand packages.
- **Metadata file inside a wheel** (METADATA, WHEEL, RECORD, entry_points.txt), each: 64 MiB, far
  above the largest RECORD and METADATA seen.

The sizes seen on PyPI behind each: docs/concepts/safety.md, "Limits on what pinst reads".

One requirement (what a line says before its options) may be at most ``MAX_REQUIREMENT_LENGTH``
characters: a fixed limit, since no name, URL or marker comes near it.

Kept apart from the reading code so that the command line and the install options can name
the limits without importing it: a run with nothing to do unpacks nothing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import NamedTuple

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
DEFAULT_MAX_UNPACKED_SIZE = 16 * GiB
DEFAULT_MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR = 64 * MiB  # the ratio is checked only for members and wheels larger than this
DEFAULT_MAX_METADATA_SIZE = 64 * MiB
DEFAULT_MAX_INDEX_PAGE_SIZE = 64 * MiB
DEFAULT_MAX_REQUIREMENTS_SIZE = 16 * MiB
MAX_REQUIREMENT_LENGTH = 64 * KiB  # characters

SIZE = re.compile(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)
RATIO = re.compile(r"\s*([0-9]{1,15})\s*")
UNITS = {"": 1, "K": KiB, "M": MiB, "G": GiB, "T": 1024 * GiB}


class UnpackLimits(NamedTuple):
    max_unpacked_size: int = DEFAULT_MAX_UNPACKED_SIZE  # bytes per wheel
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO
    max_metadata_size: int = DEFAULT_MAX_METADATA_SIZE  # bytes per metadata file


DEFAULT_LIMITS = UnpackLimits()
# For a wheel that was unpacked before under the limits of that install (a cache repair).
NO_LIMITS = UnpackLimits(sys.maxsize, sys.maxsize, sys.maxsize)


class InputLimits(NamedTuple):
    """How much of an index page, and of a requirements or lock file, pinst reads."""

    max_index_page_size: int = DEFAULT_MAX_INDEX_PAGE_SIZE  # bytes, on the wire and inflated
    max_requirements_size: int = DEFAULT_MAX_REQUIREMENTS_SIZE  # bytes per file


DEFAULT_INPUT_LIMITS = InputLimits()


class TooLarge(Exception):
    """Input that ran past its limit while it was read (carries the limit, in bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def read_at_most(read: Callable[[int], bytes], limit: int, chunk: int = MiB) -> bytes:
    """All that ``read(n)`` gives until it gives b"", or TooLarge once it is more than
    ``limit`` bytes: a pipe or a device that never ends is not read further."""
    pieces: list[bytes] = []
    total = 0
    while True:
        piece = read(min(chunk, limit + 1 - total))
        if not piece:
            return b"".join(pieces)
        total += len(piece)
        if total > limit:
            raise TooLarge(limit)
        pieces.append(piece)


def parse_size(text: str) -> int:
    """Bytes from ``8G``, ``500M``, ``1.5GiB`` or ``1048576``; units are powers of 1024."""
    match = SIZE.fullmatch(text)
    if match is None:
        raise ValueError("give a number of bytes, optionally with K, M, G or T, such as 8G")
    size = int(float(match[1]) * UNITS[match[2].upper()])
    if size <= 0:
        raise ValueError("it must be more than 0 bytes")
    return size


def parse_ratio(text: str) -> int:
    """A compression ratio such as ``500`` (meaning 500 to 1)."""
    match = RATIO.fullmatch(text)
    if match is None or int(match[1]) <= 0:
        raise ValueError("give a whole number greater than 0, such as 500")
    return int(match[1])
