"""``pinst cache``: show what the cache holds, and clean, prune or verify it.

Every command covers the main cache and each per-filesystem entries cache pinst recorded
(``all_entry_caches``). Downloads live only in the main cache. Removal always goes through
``remove_path``: entry files are read-only (0444) but their directories are writable, so
``rmtree`` can unlink them; a directory someone made read-only is made writable and retried.
An entry is first renamed into its cache's tmp bucket, so an install never sees half of one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
import stat
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from pinst.cache import (
    CACHEDIR_TAG,
    ENTRIES_CACHE_NAME,
    Cache,
    all_entry_caches,
    publish_directory,
    recorded_entry_roots,
)
from pinst.errors import PinstError
from pinst.filesystems import filesystem_of
from pinst.manifest import FILES_DIR, FileRecord, Manifest, read_manifest
from pinst.registry import (
    UnreadableRecord,
    VenvRecord,
    entries_in_use,
    registered_venvs,
    stale_temporary_files,
)
from pinst.report import Reporter, plural

STALE_AFTER = 3600.0  # seconds; a running pinst touches its temporary files far more often
PROBE_PREFIX = ".pinst-probe-"
COPY_FREE_MODES = ("reflink", "symlink")  # venv files that take no space of their own
CHUNK = 1 << 20
WORKERS = 8
SIZE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


@contextmanager
def os_errors_reported(command: str) -> Iterator[None]:
    """Turn a filesystem error the commands did not expect into one paragraph for the user."""
    try:
        yield
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise PinstError(
            f"'pinst cache {command}' stopped at {where}{error.strerror or error}. Fix the "
            f"permissions of that path (or the directory holding it) and run it again."
        ) from None


class CannotRemove(PinstError):
    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            f"pinst could not remove {path}: {error.strerror or error}. It holds only cached "
            "data: fix its permissions (or remove it yourself) and run the command again."
        )


# Sizes and removal


@dataclass
class Usage:
    files: int = 0
    size: int = 0  # st_size of each inode once, however many links it has
    freed: int = 0  # the part whose every link is in the trees measured, so removal frees it


def format_size(size: int) -> str:
    value, unit = float(size), 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {SIZE_UNITS[unit]}"


def disk_usage(paths: Iterable[Path]) -> Usage:
    """What the regular files under ``paths`` take, with hard links counted once."""
    seen: dict[tuple[int, int], list[int]] = {}  # inode -> [links seen here, st_nlink, size]
    for info in _file_stats(paths):
        found = seen.setdefault((info.st_dev, info.st_ino), [0, info.st_nlink, info.st_size])
        found[0] += 1
    return Usage(
        files=len(seen),
        size=sum(size for _, _, size in seen.values()),
        freed=sum(size for here, links, size in seen.values() if here >= links),
    )


def _file_stats(paths: Iterable[Path]) -> Iterator[os.stat_result]:
    for path in paths:
        try:
            top = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(top.st_mode):
            yield top
        elif stat.S_ISDIR(top.st_mode):
            for folder, _, names in os.walk(path):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(info.st_mode):
                        yield info


def remove_path(path: Path) -> None:
    """Remove a file or a tree; a directory someone made read-only is made writable first."""
    try:
        try:
            _remove(path)
        except PermissionError:
            _make_writable(path)
            _remove(path)
    except FileNotFoundError:
        pass  # already gone: another pinst removed it
    except OSError as error:
        raise CannotRemove(path, error) from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _make_writable(path: Path) -> None:
    # Unlinking needs write and search permission on the directory holding the name; the
    # file's own mode does not matter. Top-down, so the walk can then list each directory.
    _add_owner_rwx(path.parent)
    _add_owner_rwx(path)
    for folder, names, _ in os.walk(path):
        for name in names:
            _add_owner_rwx(Path(folder, name))


def _add_owner_rwx(path: Path) -> None:
    mode = os.lstat(path).st_mode
    if stat.S_ISDIR(mode):  # never a symlink's target, which may lie outside the cache
        os.chmod(path, stat.S_IMODE(mode) | stat.S_IRWXU)


def discard(cache: Cache, path: Path) -> None:
    """Remove ``path`` from the cache after renaming it into tmp, so it vanishes at once."""
    aside = cache.temporary_dir("removed-")
    try:
        os.rename(path, aside / path.name)
    except FileNotFoundError:
        pass  # another pinst removed it first
    except OSError as error:
        raise CannotRemove(path, error) from None
    remove_path(aside)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except FileNotFoundError:
        return []


def _entry_dirs(cache: Cache) -> list[Path]:
    return [child for child in _children(cache.entries) if child.is_dir()]


def _wheel_dirs(main: Cache) -> list[Path]:
    return [child for child in _children(main.wheels) if child.is_dir()]


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _registered_or_warn(main: Cache, reporter: Reporter) -> list[VenvRecord]:
    """The registry for reports, which can do without it: an unreadable record is a warning."""
    try:
        return registered_venvs(main)
    except UnreadableRecord as error:
        reporter.warn(error.message)
        return []


# pinst cache dir


def show_dir(main: Cache) -> None:
    print(main.root)


# pinst cache info


@dataclass(frozen=True)
class CacheInfo:
    root: str
    filesystem: str
    entries: int
    size: int  # everything under the root, hard links counted once
    saved_by_linking: int


@dataclass(frozen=True)
class Summary:
    cache_dir: str
    caches: list[CacheInfo]
    wheels: int
    wheels_size: int
    live_venvs: int
    gone_venvs: int

    def to_json(self) -> dict[str, object]:
        return {
            "cache_dir": self.cache_dir,
            "caches": [asdict(info) for info in self.caches],
            "wheels": {"count": self.wheels, "size": self.wheels_size},
            "venvs": {"live": self.live_venvs, "gone": self.gone_venvs},
            "total": {
                "entries": sum(info.entries for info in self.caches),
                "size": sum(info.size for info in self.caches),
                "saved_by_linking": sum(info.saved_by_linking for info in self.caches),
            },
        }


def show_info(main: Cache, reporter: Reporter, as_json: bool) -> None:
    summary = summarise(main, reporter)
    print(json.dumps(summary.to_json(), indent=2) if as_json else _info_text(summary))


def summarise(main: Cache, reporter: Reporter) -> Summary:
    venvs = _registered_or_warn(main, reporter)
    live = [record for record in venvs if record.alive]
    wheels = _wheel_dirs(main)
    return Summary(
        cache_dir=str(main.root),
        caches=[_cache_info(cache, live) for cache in all_entry_caches(main)],
        wheels=len(wheels),
        wheels_size=disk_usage(wheels).size,
        live_venvs=len(live),
        gone_venvs=len(venvs) - len(live),
    )


def _cache_info(cache: Cache, live: list[VenvRecord]) -> CacheInfo:
    sizes: dict[str, int] = {}
    hard_linked = 0
    for entry in _entry_dirs(cache):
        files = _unique_files(entry)
        sizes[entry.name] = sum(info.st_size for info in files)
        # Every link beyond the cache's own is a venv's file that takes no space of its own.
        hard_linked += sum((info.st_nlink - 1) * info.st_size for info in files)
    return CacheInfo(
        root=str(cache.root),
        filesystem=filesystem_of(cache.root).describe(),
        entries=len(sizes),
        size=disk_usage([cache.root]).size,
        saved_by_linking=hard_linked + _copy_free_bytes(cache, sizes, live),
    )


def _unique_files(entry: Path) -> list[os.stat_result]:
    files = {(info.st_dev, info.st_ino): info for info in _file_stats([entry / FILES_DIR])}
    return list(files.values())


def _copy_free_bytes(cache: Cache, sizes: dict[str, int], live: list[VenvRecord]) -> int:
    """What venvs linked by reflink or symlink would take as copies.

    A reflink or a symlink leaves no trace on the cache's file (unlike a hard link, which shows
    in its link count), so these come from the registry: an entry's size once for each live venv
    whose record says it linked that entry in one of these modes.
    """
    root = _real(cache.root)
    return sum(
        sizes.get(sha256, 0)
        for record in live
        if record.link_mode in COPY_FREE_MODES
        for entry_root, sha256 in record.entries.values()
        if _real(entry_root) == root
    )


def _info_text(summary: Summary) -> str:
    lines = []
    for position, info in enumerate(summary.caches):
        title = "Cache" if position == 0 else "Entries cache"
        lines.append(f"{title}: {info.root}")
        lines.append(f"  filesystem: {info.filesystem}")
        lines.append(f"  {_entries(info.entries)}, {format_size(info.size)} on disk")
        lines.append(f"  saved by linking: {format_size(info.saved_by_linking)}")
    lines.append(
        f"Downloaded wheels: {summary.wheels}, {format_size(summary.wheels_size)} "
        "(in the main cache)"
    )
    gone = summary.gone_venvs
    forget = f" ({gone} gone: 'pinst cache prune' forgets them)" if gone else ""
    lines.append(f"Registered venvs: {summary.live_venvs}{forget}")
    return "\n".join(lines)


# pinst cache clean


def clean(main: Cache, reporter: Reporter) -> None:
    """Remove everything pinst cached: the main cache's contents and its entries caches."""
    if not _looks_like_pinst_cache(main.root):
        raise PinstError(
            f"{main.root} does not look like a pinst cache (it has no CACHEDIR.TAG written by "
            "pinst), so 'pinst cache clean' removed nothing. Check --cache-dir and "
            "PINST_CACHE_DIR; if it is pinst's cache all the same, remove it yourself."
        )
    others = [
        root for root in recorded_entry_roots(main) if _removable_entries_cache(root, reporter)
    ]
    contents = _children(main.root)
    usage = disk_usage([*others, *contents])
    broken = _symlinked_venvs(main, reporter)
    # The main cache goes last: it holds the list of the others, needed to retry a failure.
    for path in [*others, *contents]:
        reporter.detail(f"Removing {path}")
        remove_path(path)
    caches = f" and {plural(len(others), 'entries cache')}" if others else ""
    reporter.info(
        f"Removed {plural(usage.files, 'file')} from {main.root}{caches}, "
        f"freeing {format_size(usage.freed)}{_still_linked(usage)}"
    )
    if broken:
        reporter.warn(
            "these venvs linked their files from the cache with symlinks, so they no longer "
            f"work: {', '.join(map(str, broken))}. Reinstall them with "
            "'pinst install --reinstall'."
        )


def _looks_like_pinst_cache(root: Path) -> bool:
    """Missing, empty or tagged by pinst: never empty a directory that is none of these."""
    if not _children(root):
        return True
    try:
        tag = (root / "CACHEDIR.TAG").read_text()
    except (OSError, UnicodeDecodeError):
        return False
    return tag.splitlines()[:2] == CACHEDIR_TAG.splitlines()[:2]


def _removable_entries_cache(root: Path, reporter: Reporter) -> bool:
    if not root.exists():
        return False
    if root.name == ENTRIES_CACHE_NAME and _looks_like_pinst_cache(root):
        return True
    reporter.warn(
        f"kept {root}: the main cache records it as an entries cache, but it is not a "
        f"{ENTRIES_CACHE_NAME} directory tagged by pinst. Remove it yourself if it is pinst's."
    )
    return False


def _symlinked_venvs(main: Cache, reporter: Reporter) -> list[Path]:
    venvs = _registered_or_warn(main, reporter)
    return [record.venv for record in venvs if record.alive and record.link_mode == "symlink"]


def _still_linked(usage: Usage) -> str:
    kept = usage.size - usage.freed
    return f" ({format_size(kept)} more stay, hard-linked from venvs)" if kept else ""


# pinst cache prune


@dataclass
class Doomed:
    """What ``prune`` removes, by kind; each entry with the cache it is in."""

    entries: list[tuple[Cache, Path]]
    records: list[Path]
    leftovers: list[Path]
    wheels: list[Path]


def prune(main: Cache, reporter: Reporter, wheels: bool) -> None:
    records = registered_venvs(main)  # raises before anything is removed if one is unreadable
    live = entries_in_use(records)
    doomed = Doomed(
        entries=[
            (cache, entry)
            for cache in all_entry_caches(main)
            for entry in _entry_dirs(cache)
            if (_real(cache.root), entry.name) not in live
        ],
        records=[record.path for record in records if not record.alive],
        leftovers=_leftovers(main),
        wheels=_unused_wheels(main, live) if wheels else [],
    )
    usage = disk_usage([*(entry for _, entry in doomed.entries), *doomed.leftovers, *doomed.wheels])
    _remove_doomed(doomed, reporter)
    reporter.info(_prune_summary(doomed, usage))


def _leftovers(main: Cache) -> list[Path]:
    """Temporary files no running pinst can still be using, in every cache."""
    cutoff = time.time() - STALE_AFTER
    candidates = list(stale_temporary_files(main))
    for cache in all_entry_caches(main):
        candidates += _children(cache.tmp)
        candidates += [
            child
            for folder in (cache.root, cache.entries)
            for child in _children(folder)
            if child.name.startswith(PROBE_PREFIX)
        ]
    return [path for path in candidates if _newest_mtime(path) < cutoff]


def _newest_mtime(path: Path) -> float:
    # A download or unpack in progress writes deep inside its directory, not to the directory
    # itself; something vanishing under the walk is in use (or gone), so never stale.
    try:
        newest = os.lstat(path).st_mtime
        for folder, subfolders, names in os.walk(path):
            for name in [*subfolders, *names]:
                newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
    except FileNotFoundError:
        return math.inf
    return newest


def _unused_wheels(main: Cache, live: set[tuple[Path, str]]) -> list[Path]:
    used = {sha256 for _, sha256 in live}
    return [folder for folder in _wheel_dirs(main) if folder.name not in used]


def _remove_doomed(doomed: Doomed, reporter: Reporter) -> None:
    for cache, entry in doomed.entries:
        reporter.detail(f"Removing unused entry {entry}")
        discard(cache, entry)
    for path in [*doomed.records, *doomed.leftovers, *doomed.wheels]:
        reporter.detail(f"Removing {path}")
        remove_path(path)


def _prune_summary(doomed: Doomed, usage: Usage) -> str:
    parts = [
        f"{_entries(len(doomed.entries))} no live venv uses",
        f"{plural(len(doomed.records), 'record')} of deleted venvs",
        f"{plural(len(doomed.leftovers), 'temporary leftover')}",
    ]
    if doomed.wheels:
        parts.append(f"{plural(len(doomed.wheels), 'downloaded wheel')}")
    return f"Removed {', '.join(parts)}; freed {format_size(usage.freed)}{_still_linked(usage)}"


# pinst cache verify


@dataclass(frozen=True)
class Damage:
    cache: Cache
    entry: Path
    label: str  # "demo 1.0", or the wheel's name when the manifest is unreadable
    problem: str


def verify(main: Cache, reporter: Reporter, repair: bool) -> None:
    """Rehash every entry file; report the damaged entries, or replace them with ``repair``."""
    entries = [(cache, entry) for cache in all_entry_caches(main) for entry in _entry_dirs(cache)]
    with ThreadPoolExecutor(WORKERS) as pool:
        found = list(pool.map(lambda item: _damage(main, *item), entries))
    damaged = [damage for damage in found if damage is not None]
    for damage in damaged:
        reporter.info(f"{damage.label}: the entry {damage.entry} is damaged: {damage.problem}")
    outcome = f"{len(damaged)} damaged" if damaged else "all intact"
    reporter.info(f"Verified {_entries(len(entries))} in {reporter.elapsed()}: {outcome}")
    if damaged and not repair:
        raise PinstError(_damage_hint(damaged))
    for damage in damaged:
        reporter.info(_repair(main, damage))
    if damaged:
        _reinstall_hint(main, damaged, reporter)


def _damage(main: Cache, cache: Cache, entry: Path) -> Damage | None:
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
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return "is not a regular file"
        digest, size = _hash_file(path, algorithm or "sha256")
    except FileNotFoundError:
        return "is missing"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if size != record.size:
        return f"is {size} bytes, not {record.size}"
    if expected and digest != expected.rstrip("="):
        return "does not match its hash"
    return None


def _hash_file(path: Path, algorithm: str) -> tuple[str, int]:
    hasher = hashlib.new(algorithm)
    size = 0
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=").decode(), size


def _damage_hint(damaged: list[Damage]) -> str:
    names = ", ".join(damage.label for damage in damaged)
    return (
        f"{_entries(len(damaged))} of the cache {'is' if len(damaged) == 1 else 'are'} damaged "
        f"({names}): they no longer hold what pinst unpacked, usually because something wrote "
        "to a venv's hard-linked copy of a file. Run 'pinst cache verify --repair' to unpack "
        "them again from the stored wheels (an entry whose wheel is not stored is removed, and "
        "the next install downloads it again), then reinstall the venvs that use them with "
        "'pinst install --reinstall'."
    )


def _repair(main: Cache, damage: Damage) -> str:
    sha256 = damage.entry.name
    wheel = main.cached_wheel(sha256)
    if wheel is not None and not _wheel_intact(wheel, sha256):
        discard(main, wheel.parent)
        wheel = None
    if wheel is None:
        discard(damage.cache, damage.entry)
        return (
            f"Removed {damage.label} from {damage.entry}: its wheel is not stored intact, so "
            "the next install that needs it downloads it again."
        )
    _unpack_again(damage.cache, wheel, sha256)
    return f"Repaired {damage.label}: unpacked {damage.entry} again from {wheel.name}"


def _wheel_intact(wheel: Path, sha256: str) -> bool:
    """Whether the stored wheel still has its sha256: repairing from a damaged one would not."""
    expected = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode()
    try:
        return _hash_file(wheel, "sha256")[0] == expected
    except (OSError, ValueError):  # unreadable, or a folder name that is no sha256
        return False


def _unpack_again(cache: Cache, wheel: Path, sha256: str) -> None:
    """Unpack into a scratch cache beside the entry, then swap the fresh entry in."""
    from pinst.unpack import unpack

    scratch = Cache(cache.temporary_dir("repair-"))
    try:
        fresh, _ = unpack(wheel, sha256, scratch)
        aside = cache.temporary_dir("damaged-")
        try:
            os.rename(cache.entry_dir(sha256), aside / sha256)
        except FileNotFoundError:
            pass  # removed meanwhile; the fresh one still goes in
        # False means a concurrent install published the same content first, which is as good.
        publish_directory(fresh, cache.entry_dir(sha256))
        remove_path(aside)
    finally:
        remove_path(scratch.root)


def _reinstall_hint(main: Cache, damaged: list[Damage], reporter: Reporter) -> None:
    keys = {(_real(damage.cache.root), damage.entry.name) for damage in damaged}
    users = [
        str(record.venv)
        for record in _registered_or_warn(main, reporter)
        # A symlinked venv reads the repaired entry itself; any other may hold the bad bytes.
        if record.alive
        and record.link_mode != "symlink"
        and any((_real(root), sha256) in keys for root, sha256 in record.entries.values())
    ]
    where = f": {', '.join(users)}" if users else ""
    reporter.info(
        "Venvs that hard-linked the damaged files still have them; reinstall the venvs that use "
        f"these packages with 'pinst install --reinstall'{where}."
    )
