"""What ``pinst reclaim`` may share of a venv: each installed file checked against its RECORD.

Only a file whose content has the hash its distribution's RECORD gives may become a link into
the cache; everything else is left exactly as it is, and counted with the reason (``LEFT``):
a file edited by hand, a file listed without a hash (RECORD itself, ``.pyc`` files an installer
compiled), a file no RECORD lists, a file outside site-packages (scripts get their shebang
rewritten for each venv, so they are never shared), and any RECORD row that leads out of the
venv (never touched, never even read).
"""

from __future__ import annotations

import csv
import hashlib
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pinst._core.hashing import hash_file
from pinst.wheel.record import RecordRow, parse_record, record_digest

# Why a file was left alone, by key, as the report words it.
LEFT = {
    "edited": "content differs from RECORD (edited by hand?)",
    "no-hash": "listed without a hash (RECORD, compiled .pyc, ...)",
    "unlisted": "listed in no RECORD",
    "outside-site-packages": "outside site-packages (scripts, data files)",
    "outside-venv": "RECORD points outside the venv: never touched",
    "missing": "listed in RECORD but missing",
    "not-a-file": "not a regular file (a symlink, a folder)",
    "unreadable": "cannot be read by this user",
    "per-install": "written by the installer (INSTALLER, REQUESTED, direct_url.json, ...)",
    "not-in-wheel": "not in the wheel pinst found for it",
    "mode-differs": "executable bit differs from the cache's file",
    "changed": "changed while pinst read it",
}
# What installers write into a .dist-info besides the wheel's files (uv_cache.json: uv's own).
PER_INSTALL_FILES = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json"})
# The hashes reclaim vouches for (a wheel's RECORD may also use sha3: see wheel/record.py).
HASHERS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class VerifiedFile(NamedTuple):
    """An installed file whose content matches its RECORD hash, as it was when checked."""

    path: str  # relative to site-packages, as RECORD gives it (forward slashes)
    absolute: str
    hash: str  # "sha256=<urlsafe base64, no padding>"
    size: int
    executable: bool
    status: os.stat_result  # to tell, just before replacing it, that it has not changed


class Distribution(NamedTuple):
    name: str
    version: str
    dist_info: Path
    tags: frozenset[str]  # the WHEEL file's Tag lines, lower case; empty if it has none
    verified: tuple[VerifiedFile, ...]
    left: Counter[str]  # reason key -> files left alone
    listed: frozenset[str]  # every path RECORD lists, normalised, relative to site-packages

    @property
    def site_packages(self) -> Path:
        return self.dist_info.parent


def scan_site_packages(site_packages: Path, venv: Path) -> tuple[list[Distribution], int]:
    """Every distribution with a RECORD in ``site_packages``, and how many files there no
    RECORD lists."""
    distributions = [
        scan_distribution(site_packages / name, venv)
        for name in sorted(os.listdir(site_packages))
        if name.endswith(".dist-info") and (site_packages / name / "RECORD").is_file()
    ]
    listed = set().union(*(dist.listed for dist in distributions))
    unlisted = sum(1 for path in _files_under(site_packages) if path not in listed)
    return distributions, unlisted


def scan_distribution(dist_info: Path, venv: Path) -> Distribution:
    name, version = _name_and_version(dist_info)
    left: Counter[str] = Counter()
    verified = []
    listed = set()
    venv_paths = (os.path.abspath(venv), os.path.realpath(venv))
    site_packages = dist_info.parent
    real_directory = lru_cache(maxsize=None)(os.path.realpath)  # for this distribution's rows
    for path, digest, _ in _record_rows(dist_info / "RECORD"):
        where = os.path.normpath(os.path.join(site_packages, path))
        listed.add(_relative(where, str(site_packages)))
        verdict = _check(digest, where, site_packages, venv_paths, dist_info, real_directory)
        if isinstance(verdict, str):
            left[verdict] += 1
        else:
            verified.append(verdict)
    return Distribution(
        name, version, dist_info, _wheel_tags(dist_info), tuple(verified), left, frozenset(listed)
    )


def _check(
    digest: str,
    where: str,
    site_packages: Path,
    venv: tuple[str, str],
    dist_info: Path,
    real_directory: Callable[[str], str],
) -> VerifiedFile | str:
    """The verified file, or the key of the reason it is left alone. ``venv`` is the venv's
    absolute path as given, and its real path; ``real_directory`` resolves a folder's path,
    once per folder (resolving each file's whole path took most of a run's time)."""
    # As written, then by the real path: neither ".." nor a symbolic link on the way leads out
    # (a venv reached through a symbolic link compares its real path with the file's).
    real_folder = real_directory(os.path.dirname(where))
    if not _inside(where, venv[0]) or not _inside(real_folder, venv[1]):
        return "outside-venv"
    if not _inside(where, str(site_packages)):
        return "outside-site-packages"
    if os.path.dirname(where) == str(dist_info) and os.path.basename(where) in PER_INSTALL_FILES:
        return "per-install"
    algorithm, _, expected = digest.partition("=")
    if algorithm not in HASHERS or not expected:
        return "no-hash"
    try:
        status = os.lstat(where)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(status.st_mode) and not _inside(os.path.realpath(where), venv[1]):
        return "outside-venv"
    if not stat.S_ISREG(status.st_mode):
        return "not-a-file"
    try:
        if record_digest(hash_file(where, [algorithm])[0][algorithm]) != expected.rstrip("="):
            return "edited"
    except OSError:  # not readable by this user: nothing can be vouched for
        return "unreadable"
    relative = _relative(where, str(site_packages))
    executable = bool(status.st_mode & 0o111)
    return VerifiedFile(
        relative, where, f"{algorithm}={expected.rstrip('=')}", status.st_size, executable, status
    )


def unchanged(file: VerifiedFile) -> bool:
    """Whether the file is still the one that was hashed (same inode, size and mtime)."""
    try:
        now = os.lstat(file.absolute)
    except OSError:
        return False
    before = file.status
    return (now.st_ino, now.st_dev, now.st_size, now.st_mtime_ns, now.st_ctime_ns) == (
        before.st_ino,
        before.st_dev,
        before.st_size,
        before.st_mtime_ns,
        before.st_ctime_ns,
    )


def _relative(where: str, site_packages: str) -> str:
    """``where`` relative to site-packages, with forward slashes."""
    prefix = site_packages.rstrip(os.sep) + os.sep
    if where.startswith(prefix):
        return where[len(prefix) :].replace(os.sep, "/")
    return os.path.relpath(where, site_packages).replace(os.sep, "/")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _record_rows(record: Path) -> list[RecordRow]:
    """The rows of a venv's RECORD, read leniently: bytes that are not UTF-8 become U+FFFD (a
    path that then names no file), and an unreadable RECORD gives no rows."""
    text = record.read_text(encoding="utf-8", errors="replace")
    try:
        return parse_record(text.splitlines())
    except csv.Error:
        return []  # nothing of it can be verified


def _name_and_version(dist_info: Path) -> tuple[str, str]:
    headers = _headers(dist_info / "METADATA")
    stem = dist_info.name[: -len(".dist-info")]
    fallback_name, _, fallback_version = stem.partition("-")
    name = headers.get("name", [fallback_name])[0]
    version = headers.get("version", [fallback_version])[0]
    return name, version


def _wheel_tags(dist_info: Path) -> frozenset[str]:
    return frozenset(tag.lower() for tag in _headers(dist_info / "WHEEL").get("tag", []))


def _headers(path: Path) -> dict[str, list[str]]:
    """The ``Key: value`` lines before the first blank line, by lower-case key."""
    found: dict[str, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        if not line.strip():
            break
        key, colon, value = line.partition(":")
        if colon and not key.startswith((" ", "\t")):
            found.setdefault(key.strip().lower(), []).append(value.strip())
    return found


def _files_under(site_packages: Path) -> Iterator[str]:
    """Every regular file under ``site_packages``, relative to it, never through a link."""
    for folder, names, files in os.walk(site_packages, followlinks=False):
        names[:] = [name for name in names if name != "__pycache__"]
        relative = os.path.relpath(folder, site_packages)
        for name in files:
            path = name if relative == "." else f"{relative}/{name}".replace(os.sep, "/")
            if os.path.isfile(os.path.join(folder, name)):
                yield path
