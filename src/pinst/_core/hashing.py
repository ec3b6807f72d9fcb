"""File digests, raw: what hashes in requirements files and indexes (hex) and RECORD's hashes
(urlsafe base64 without padding, spelled by ``wheel/record.py``) are computed from."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1024 * 1024


def hash_file(path: Path | str, algorithms: Iterable[str]) -> tuple[dict[str, bytes], int]:
    """Raw digests of the file for each algorithm, read once, and its size in bytes."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.digest() for name, hasher in hashers.items()}, size
