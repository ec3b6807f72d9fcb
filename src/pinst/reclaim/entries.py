"""The cache entry a reclaimed distribution's files are linked to: the wheel's own, or adopted.

Where the distribution's wheel can be had (downloaded before, in ``wheels-v1``; else from the
configured index), it is unpacked exactly as ``pinst install`` unpacks it, into the entry keyed
by the wheel's sha256: a later install of the same pin then links the very same inodes. The
wheel is matched by name, version and the installed WHEEL file's tags; each file is linked only
if the wheel's RECORD gives it the same hash as the venv's RECORD and its content.

Where it cannot be had (``--offline``, a private index, a wheel deleted from its index), the
venv's own verified files are *adopted*: copied (a reflink where the filesystem can) into an
entry named ``adopted-<digest>``, the digest of the distribution's name, version, tags and its
(path, hash, executable) rows. Installs never look these up: an install trusts an entry because
the wheel it came from had the pinned hash, and an adopted entry proves only that a venv's files
matched that venv's RECORD. A later install of the same wheel makes the real entry, and a later
``pinst reclaim`` moves the venv's links onto it; ``pinst cache prune`` then removes the adopted
entry once no registered venv uses it. See docs/guides/reclaim.md.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinst._core.errors import DownloadError, PinstError
from pinst._core.limits import DEFAULT_LIMITS, UnpackLimits
from pinst._core.link import copy_file, reflink_file
from pinst.cache.layout import Cache, publish_directory
from pinst.cache.manifest import FILES_DIR, MANIFEST_NAME, Manifest, entry_for
from pinst.index.sources import Sources
from pinst.index.tags import expand_tags
from pinst.output.report import Reporter
from pinst.reclaim.scan import Distribution, VerifiedFile, unchanged
from pinst.wheel.filename import WheelFilename

if TYPE_CHECKING:
    from pinst.index.finder import Finder
    from pinst.network.client import SharedClient

ADOPTED_PREFIX = "adopted-"
LINKABLE_SCHEMES = ("purelib", "platlib")  # .data folders whose files land in site-packages
WORKERS = 8  # wheels looked up and downloaded at once, as install does


class Entry(NamedTuple):
    """An entry with, for each site-packages path it provides, its file, hash and mode."""

    root: Path  # the entry's directory; its name is the key the registry records
    files: dict[str, tuple[str, str, bool]]  # site-packages path -> (file, hash, executable)
    adopted: bool
    new: bool  # made by this run: its files take space of their own
    size: int = 0  # bytes of all its files

    @property
    def key(self) -> str:
        return self.root.name


class ChangedWhileAdopting(Exception):
    """A file's copy did not have the hash it had when checked: it changed meanwhile."""


def wheel_entry(wheel: Path, sha256: str, entries: Cache, limits: UnpackLimits) -> Entry:
    """The wheel's own entry, unpacked (and so validated) if it is not already."""
    from pinst.unpack.extract import unpack

    existed = entry_for(entries, sha256) is not None
    root, manifest = unpack(wheel, sha256, entries, limits)
    size = sum(row[2] for row in manifest.rows)
    return Entry(root, installed_paths(root, manifest), False, not existed, size)


def existing_wheel_entry(sha256: str, entries: Cache) -> Entry | None:
    found = entry_for(entries, sha256)
    if found is None:
        return None
    return Entry(found[0], installed_paths(*found), adopted=False, new=False)


def installed_paths(root: Path, manifest: Manifest) -> dict[str, tuple[str, str, bool]]:
    """Where each of the entry's files lands in site-packages, for the files that land there."""
    data = manifest.data_dir + "/"
    found = {}
    for path, digest, _, executable in manifest.rows:
        installed = path
        if path.startswith(data):
            scheme, _, installed = path[len(data) :].partition("/")
            if scheme not in LINKABLE_SCHEMES:
                continue  # scripts are rewritten per venv; data and headers live elsewhere
        source = f"{root}/{FILES_DIR}/{path}"
        found[installed] = (source, normalised_hash(digest), executable)
    return found


def normalised_hash(digest: str) -> str:
    algorithm, _, value = digest.partition("=")
    return f"{algorithm}={value.rstrip('=')}"


def adopted_key(distribution: Distribution, files: Iterable[VerifiedFile]) -> str:
    lines = [
        canonicalize_name(distribution.name),
        distribution.version,
        ",".join(sorted(distribution.tags)),
        *sorted(f"{file.path},{file.hash},{int(file.executable)}" for file in files),
    ]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ADOPTED_PREFIX}{digest}"


def existing_adopted_entry(key: str, entries: Cache) -> Entry | None:
    found = entry_for(entries, key)
    if found is None:
        return None
    return Entry(found[0], _adopted_paths(*found), adopted=True, new=False)


def adopt(distribution: Distribution, files: list[VerifiedFile], entries: Cache) -> Entry:
    """An entry made of copies of the venv's verified files, each hashed again once copied.

    Raises ChangedWhileAdopting if a copy's hash differs: nothing is kept of it then.
    """
    key = adopted_key(distribution, files)
    existing = existing_adopted_entry(key, entries)
    if existing is not None:
        return existing
    staging = entries.temporary_dir("adopt-")
    try:
        for file in files:
            _copy_verified(file, staging / FILES_DIR / file.path)
        manifest = Manifest(
            name=distribution.name,
            version=distribution.version,
            wheel_filename=f"{distribution.dist_info.name} (adopted)",
            sha256=key,
            dist_info=distribution.dist_info.name,
            root_is_purelib=True,
            rows=tuple(sorted((f.path, f.hash, f.size, f.executable) for f in files)),
            entry_points=(),
        )
        (staging / MANIFEST_NAME).write_text(manifest.to_json())
        final = entries.entry_dir(key)
        new = publish_directory(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(file.size for file in files)
    return Entry(final, _adopted_paths(final, manifest), True, new, size)


def _adopted_paths(root: Path, manifest: Manifest) -> dict[str, tuple[str, str, bool]]:
    return {
        path: (f"{root}/{FILES_DIR}/{path}", digest, executable)
        for path, digest, _, executable in manifest.rows
    }


def _copy_verified(file: VerifiedFile, destination: Path) -> None:
    from pinst._core.hashing import hash_file
    from pinst.reclaim.scan import HASHERS
    from pinst.wheel.record import record_digest

    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        reflink_file(file.absolute, str(destination))  # free where the filesystem clones
    except OSError:
        copy_file(file.absolute, str(destination))
    algorithm, _, expected = file.hash.partition("=")
    if algorithm not in HASHERS:
        raise ChangedWhileAdopting(file.absolute)
    digests, _ = hash_file(destination, [algorithm])
    if record_digest(digests[algorithm]) != expected or not unchanged(file):
        raise ChangedWhileAdopting(file.absolute)
    os.chmod(destination, 0o555 if file.executable else 0o444)  # shared: nobody writes to it


class WheelSource:
    """Finds the wheel of an installed distribution: among downloaded wheels, else on the
    indexes (unless offline). Each (name, version, tags) is looked up once per run."""

    def __init__(
        self,
        main: Cache,
        sources: Sources,
        reporter: Reporter,
        *,
        offline: bool,
        timeout: float | None = None,
        limits: UnpackLimits = DEFAULT_LIMITS,
    ) -> None:
        self.main = main
        self.sources = sources
        self.reporter = reporter
        self.offline = offline
        self.timeout = timeout
        self.limits = limits
        self._found: dict[tuple[str, str, frozenset[str]], tuple[Path, str] | None] = {}
        self._downloaded: list[tuple[str, Path]] | None = None
        self._client: SharedClient | None = None
        self._index: Finder | None = None
        self._lock = threading.Lock()  # prefetch's threads share the client and the finder
        self._fetched: dict[Path, int] = {}  # wheels this run downloaded: their sizes

    def cached(self, distribution: Distribution) -> tuple[Path, str] | None:
        """The downloaded wheel (path, sha256) of the distribution, if there is one."""
        for sha256, wheel in self._downloaded_wheels():
            if _is_wheel_of(wheel.name, distribution):
                return wheel, sha256
        return None

    def find(self, distribution: Distribution) -> tuple[Path, str] | None:
        """The wheel (path, sha256): downloaded before, or now from the index; None if neither."""
        key = _key(distribution)
        if key not in self._found:
            found = self.cached(distribution)
            if found is None and distribution.tags:
                found = self._download(distribution)
            self._found[key] = found
        return self._found[key]

    def prefetch(self, distributions: Iterable[Distribution]) -> None:
        """Look up and download, several at a time, the wheels ``find`` will be asked for."""
        wanted: dict[tuple[str, str, frozenset[str]], Distribution] = {}
        for distribution in distributions:
            key = _key(distribution)
            if key in self._found or key in wanted or not distribution.tags:
                continue
            cached = self.cached(distribution)
            if cached is not None:
                self._found[key] = cached
            else:
                wanted[key] = distribution
        if self.offline or not wanted:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(WORKERS, len(wanted))) as pool:
            found = list(pool.map(self._download, wanted.values()))
        self._found.update(zip(wanted, found, strict=True))

    def fetched_size(self, wheel: Path) -> int:
        """The size of ``wheel`` if this run downloaded it and has not said so yet, else 0:
        the main cache grew by that much."""
        return self._fetched.pop(wheel, 0)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _downloaded_wheels(self) -> list[tuple[str, Path]]:
        if self._downloaded is None:
            self._downloaded = []
            try:
                folders = sorted(os.listdir(self.main.wheels))
            except FileNotFoundError:
                folders = []
            for sha256 in folders:
                wheel = self.main.cached_wheel(sha256)
                if wheel is not None:
                    self._downloaded.append((sha256, wheel))
        return self._downloaded

    def _download(self, distribution: Distribution) -> tuple[Path, str] | None:
        """Called from several threads at once by ``prefetch``."""
        from pinst.network.download import DownloadRequest, find_and_download

        if self.offline:
            return None
        name = canonicalize_name(distribution.name)
        requirement = f"{distribution.name}=={distribution.version}"
        try:
            finder = self._finder()
            files = finder.files(name, lambda filename: _is_wheel_of(filename, distribution))
            if not files:
                return None
            request = DownloadRequest(
                files[0], {}, label=str(distribution.dist_info), requirement=requirement
            )
            known = files[0].hashes.get("sha256")
            had_it = known is not None and self.main.cached_wheel(known.lower()) is not None
            [wheel] = find_and_download(
                [lambda: request], self.main, self._shared_client(), workers=1
            )
        except DownloadError as error:
            # The index cannot be reached: asking again for every distribution would only wait
            # through the same retries. The rest of the run adopts instead.
            with self._lock:
                if not self.offline:
                    self.offline = True
                    self.reporter.warn(
                        f"{error.message} Without the index, pinst adopts the venvs' own "
                        "verified files (see 'pinst reclaim --help'); run reclaim again once "
                        "the index can be reached to move them onto the wheels' own entries."
                    )
            return None
        except PinstError as error:  # not on the index (a private package), or no such wheel
            self.reporter.detail(f"{requirement}: no wheel from the index ({error.message})")
            return None
        if not had_it:
            with self._lock:
                self._fetched[wheel] = wheel.stat().st_size
        return wheel, wheel.parent.name

    def _shared_client(self) -> SharedClient:
        from functools import partial

        from pinst.network.client import SharedClient, create_client

        with self._lock:
            if self._client is None:
                self._client = SharedClient(partial(create_client, self.timeout))
            return self._client

    def _finder(self) -> Finder:
        """One finder for the run, so that each index page is read once."""
        from pinst.index.finder import Finder

        client = self._shared_client()
        with self._lock:
            if self._index is None:
                sources = self.sources
                self._index = Finder(
                    client, sources.index_urls, sources.find_links, self.main.pages
                )
            return self._index


def _key(distribution: Distribution) -> tuple[str, str, frozenset[str]]:
    return canonicalize_name(distribution.name), distribution.version, distribution.tags


def _is_wheel_of(filename: str, distribution: Distribution) -> bool:
    """Whether ``filename`` is a wheel of the distribution's name, version and exact tags."""
    wheel = WheelFilename.split(filename)
    if wheel is None or not distribution.tags:
        return False
    if wheel.project != canonicalize_name(distribution.name):
        return False
    if not _same_version(wheel.version, distribution.version):
        return False
    return frozenset(expand_tags(*wheel.tag_sets)) == distribution.tags


def _same_version(one: str, other: str) -> bool:
    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other
