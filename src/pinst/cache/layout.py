"""The cache's layout on disk, every bucket named here: where each lives, and how entries are
published.

Every bucket name carries a format version, so a future format never reads old data. The main
cache (``--cache-dir``; the user cache directory by default)::

    CACHEDIR.TAG                        tells backup tools to skip the cache
    wheels-v1/<sha256>/<filename>.whl   downloaded wheels, content-addressed, immutable
    pages-v1/<key>.json                 index pages with their HTTP validators (index/finder.py)
    interpreters-v1/<key>.json          target interpreter facts (venv/facts.py)
    entries-v1/<sha256>/                an unpacked wheel, immutable once published:
        manifest.json                   its files, hashes and metadata (cache/manifest.py)
        files/                          the wheel's files, as they are linked into venvs
        bytecode-<tag>/                 compiled once per interpreter (unpack/bytecode.py)
    tmp-v1/                             work in progress; anything here is garbage after a crash
    venvs-v1/<key>.json                 each venv's record of the entries it links (registry.py)
    filesystems-v1.json                 the entries caches made on other filesystems

An entries cache on another filesystem (``.pinst-cache``, or ``.pinst-cache-<uid>`` in a folder
everyone may write to; where it goes is cache/location.py) holds only ``CACHEDIR.TAG``,
``entries-v1`` and ``tmp-v1``, laid out as above.

A wheel is stored under its sha256 *and* its filename because the filename carries the tags that
decide whether a cached wheel fits a target, and because error messages should name it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from pinst._core.trust import (
    UntrustedPath,
    check_existing,
    read_trusted_file,
    trusted_directory,
    warn_once,
)

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pinst.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_dir() -> Path:
    """The cache PINST_CACHE_DIR or a config file names, else the user cache dir."""
    from pinst.config.settings import resolve

    return resolve(keys=("cache-dir",)).path("cache-dir") or Path()


# Made and checked by ``Cache.ensure``. Interpreter facts are not: ``venv/facts.py`` checks
# them, and probes again instead of failing when they may not be trusted.
REGISTRY_BUCKET = "venvs-v1"
MAIN_BUCKETS = ("wheels-v1", "pages-v1", "entries-v1", "tmp-v1", REGISTRY_BUCKET)
ENTRIES_BUCKETS = ("entries-v1", "tmp-v1")  # all a cache on another filesystem holds


class Cache(NamedTuple):
    root: Path

    @property
    def wheels(self) -> Path:
        return self.root / "wheels-v1"

    @property
    def pages(self) -> Path:
        return self.root / "pages-v1"

    @property
    def interpreters(self) -> Path:
        return self.root / "interpreters-v1"

    def interpreters_if_present(self) -> Path | None:
        """The interpreter facts, for a command that reads a venv: it uses the cache if there is
        one, and does not create one just for that."""
        return self.interpreters if self.root.is_dir() else None

    @property
    def entries(self) -> Path:
        return self.root / "entries-v1"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp-v1"

    def ensure(self, buckets: tuple[str, ...] = MAIN_BUCKETS, mode: int = 0o755) -> bool:
        """Create the cache root with its CACHEDIR.TAG (backup tools skip tagged directories)
        and its ``buckets``, or check that the ones there may be trusted (see ``_core/trust.py``).

        Returns True if this call created the root. Raises ``UntrustedPath`` for a root or
        bucket that another user could have written to: nothing in it is used.
        """
        created = trusted_directory(self.root, mode)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(CACHEDIR_TAG)
        for bucket in buckets:
            trusted_directory(self.root / bucket, mode, check_parent=False)
        return created

    def wheel_dir(self, sha256: str) -> Path:
        return self.wheels / sha256

    def cached_wheel(self, sha256: str) -> Path | None:
        """The stored wheel with this sha256, if it has been downloaded and verified before."""
        folder = self.wheel_dir(sha256)
        try:
            names = [name for name in os.listdir(folder) if name.endswith(".whl")]
        except FileNotFoundError:
            return None
        return folder / names[0] if names else None

    def entry_dir(self, sha256: str) -> Path:
        return self.entries / sha256

    def temporary_dir(self, prefix: str) -> Path:
        """A fresh private directory in this cache, on the same filesystem as its buckets.

        Its name says which process owns it, so that a later run can remove it if that process
        died without cleaning up (``remove_dead_leftovers``).
        """
        self.tmp.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{prefix}{_owner()}.", dir=self.tmp))

    def remove_dead_leftovers(self) -> None:
        """Remove temporary directories of pinst processes on this host that no longer run."""
        for path in self.dead_leftovers():
            shutil.rmtree(path, ignore_errors=True)

    def dead_leftovers(self) -> list[Path]:
        """Temporary directories of pinst processes on this host that no longer run."""
        try:
            names = os.listdir(self.tmp)
        except FileNotFoundError:
            return []
        host = os.uname().nodename
        found = []
        for name in names:
            owner = OWNER.search(name)
            if owner and owner["host"] == host and not _is_running(int(owner["pid"])):
                found.append(self.tmp / name)
        return found


# "<prefix>pid<pid>@<host>.<random>": mkdtemp's random part has no dots, a host name may.
OWNER = re.compile(r"pid(?P<pid>\d+)@(?P<host>.+)\.[^.]*$")


def _owner() -> str:
    return f"pid{os.getpid()}@{os.uname().nodename}"


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A dead process not reaped yet (an orphaned worker, where init does not reap)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as status:
            state = status.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state in (b"Z", b"X")


def publish_directory(staged: Path, final: Path) -> bool:
    """Move a fully written directory into place with one atomic rename.

    Returns False if another process published the same content first; ours is then discarded,
    which is safe because content-addressed entries with the same key are identical.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staged, final)
    except OSError:
        if final.exists():
            shutil.rmtree(staged, ignore_errors=True)
            return False
        raise
    return True


FILESYSTEMS_FILE = "filesystems-v1.json"
ENTRIES_CACHE_NAME = ".pinst-cache"


def recorded_entry_roots(main: Cache) -> list[Path]:
    """Entries caches pinst made on other filesystems, as recorded in the main cache.

    The record lists paths, not device numbers: a tmpfs or loop device gets a new number after
    a reboot, while the path stays meaningful (pinst checks the device again before use).
    """
    path = main.root / FILESYSTEMS_FILE
    try:
        data = json.loads(read_trusted_file(path) or "{}")
    except UntrustedPath as untrusted:
        warn_once(f"ignored {path}: {untrusted.reason}. pinst makes it anew.")
        return []
    except (OSError, ValueError):
        return []
    roots = data.get("roots", []) if isinstance(data, dict) else []
    return [Path(root) for root in roots if isinstance(root, str)]


def all_entry_caches(main: Cache) -> list[Cache]:
    """The main cache and every other filesystem's entries cache that still exists."""
    others = [Cache(root) for root in recorded_entry_roots(main) if _trusted_root(root)]
    return [main, *others]


def _trusted_root(root: Path) -> bool:
    """True if ``root`` is there and may be trusted; the commands that go through every cache
    leave alone (and say so) one that another user could have made."""
    try:
        check_existing(root)
    except FileNotFoundError:
        return False
    except UntrustedPath as untrusted:
        warn_once(f"left out the entries cache {root}: {untrusted.reason}.")
        return False
    return True
