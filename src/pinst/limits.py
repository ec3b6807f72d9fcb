"""How far a wheel may expand when pinst unpacks it: a zip bomb stops here, a real wheel never does.

Two limits, both raisable:

- **Unpacked size**: 16 GiB per wheel. PyPI accepts files of at most about 1 GB (its largest,
  torch and the NVIDIA CUDA libraries, come close) and shared libraries compress two to five
  times, so the largest real wheels unpack to a few GB. 16 GiB leaves room for the bigger wheels
  some private indexes serve, and still stops a bomb long before it fills a disk.
- **Compression ratio**: 200 to 1, checked once a member, or the wheel as a whole, unpacks to more
  than 64 MiB. Real wheels stay far below that where it applies: in 128 measured (the benchmark
  set among them), no member over 64 KiB compresses more than 25:1, but for one small shared
  library padded with zeros to a 2 MiB page boundary, at 224:1. Such libraries are a few MB,
  below the floor. Members under the floor are not checked one by one, and the
  wheel-wide check keeps a bomb from splitting itself into many of them. Deflate cannot exceed
  about 1032:1 anyway, and bzip2 and LZMA, which can, are refused (see ``unpack.py``).

Kept apart from the unpacking code so that the command line and the install options can name
the limits without importing it: a run with nothing to do unpacks nothing.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
DEFAULT_MAX_UNPACKED_SIZE = 16 * GiB
DEFAULT_MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR = 64 * MiB  # the ratio is checked only for members and wheels larger than this

SIZE = re.compile(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)
RATIO = re.compile(r"\s*([0-9]{1,15})\s*")
UNITS = {"": 1, "K": KiB, "M": MiB, "G": GiB, "T": 1024 * GiB}


class UnpackLimits(NamedTuple):
    max_unpacked_size: int = DEFAULT_MAX_UNPACKED_SIZE  # bytes per wheel
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO


DEFAULT_LIMITS = UnpackLimits()
# For a wheel that was unpacked before under the limits of that install (a cache repair).
NO_LIMITS = UnpackLimits(sys.maxsize, sys.maxsize)


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
