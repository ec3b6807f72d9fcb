"""Whether a cache entry still holds what pinst unpacked: each file rehashed against RECORD."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pinst._core.hashing import hash_file
from pinst.cache.layout import Cache
from pinst.cache.manifest import FILES_DIR, FileRecord, Manifest, read_manifest
from pinst.wheel.record import record_digest


@dataclass(frozen=True)
class Damage:
    cache: Cache
    entry: Path
    label: str  # "demo 1.0", or the wheel's name when the manifest is unreadable
    problem: str


def find_damage(main: Cache, cache: Cache, entry: Path) -> Damage | None:
    """What is wrong with ``entry`` of ``cache``, or None if it is intact."""
    manifest = read_manifest(entry)
    if manifest is None:
        wheel = main.cached_wheel(entry.name)
        label = wheel.name if wheel is not None else f"the wheel with sha256 {entry.name}"
        return Damage(cache, entry, label, "its manifest is missing or unreadable")
    problem = _first_problem(entry, manifest)
    if problem is None:
        return None
    return Damage(cache, entry, f"{manifest.name} {manifest.version}", problem)


def _first_problem(entry: Path, manifest: Manifest) -> str | None:
    if manifest.sha256 != entry.name:
        return f"its manifest describes another wheel ({manifest.wheel_filename})"
    for record in manifest.files:
        problem = _file_problem(entry / FILES_DIR / record.path, record)
        if problem is not None:
            return f"{record.path} {problem}"
    return None


def _file_problem(path: Path, record: FileRecord) -> str | None:
    algorithm, _, expected = record.hash.partition("=")
    algorithm = algorithm or "sha256"  # signatures and RECORD itself are listed with no hash
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return "is not a regular file"
        digests, size = hash_file(path, [algorithm])
    except FileNotFoundError:
        return "is missing"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if size != record.size:
        return f"is {size} bytes, not {record.size}"
    if expected and record_digest(digests[algorithm]) != expected.rstrip("="):
        return "does not match its hash"
    return None
