"""File digests, in the two spellings pinst meets: hex (hashes in requirements files and
indexes) and RECORD's urlsafe base64 without padding (the wheel spec's installed-file hashes)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1024 * 1024


def record_digest(digest: bytes) -> str:
    """A raw digest as RECORD writes it: urlsafe base64, no ``=`` padding."""
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


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
