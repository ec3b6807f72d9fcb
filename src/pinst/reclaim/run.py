"""``pinst reclaim``: give venvs made by any installer the disk sharing pinst's own venvs get.

For each venv found (``discovery.py``), under its lock: every installed file whose content
matches its RECORD hash (``scan.py``) is replaced, atomically (``link.py``), by a link
to the identical read-only file of a cache entry on the venv's filesystem (``entries.py``:
the wheel's own entry where the wheel can be had, else one adopted from the venv). The venv is
then registered, so that ``pinst cache prune`` keeps those entries and ``pinst cache info``
counts what they save. ``--dry-run`` reads and computes only: no lock, no download, no entry,
no link.
"""

from __future__ import annotations

import os
import pwd
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import NamedTuple

from pinst._core.errors import PinstError, UsageError, advice_for, describe
from pinst._core.filesystems import device_of, filesystem_of
from pinst._core.limits import DEFAULT_LIMITS, UnpackLimits
from pinst._core.link import Linker, LinkMode, choose_linker
from pinst.cache.layout import Cache, recorded_entry_roots
from pinst.cache.location import entries_cache_name, locate_entries, safe_writable_directories
from pinst.cache.registry import record_install
from pinst.index.sources import Sources
from pinst.output.report import Reporter
from pinst.reclaim.discovery import find_venvs, site_packages_dirs
from pinst.reclaim.entries import (
    ChangedWhileAdopting,
    Entry,
    WheelSource,
    adopt,
    adopted_key,
    existing_adopted_entry,
    existing_wheel_entry,
    wheel_entry,
)
from pinst.reclaim.link import remove_stale_temporaries, replace_with_link
from pinst.reclaim.report import ReclaimReport, VenvResult
from pinst.reclaim.scan import Distribution, VerifiedFile, scan_site_packages
from pinst.venv.lock import VenvLock
from pinst.venv.state import interrupted_changes

LINKING_MODES = (LinkMode.AUTO, LinkMode.HARDLINK, LinkMode.REFLINK)
SETTLE_TRIES = 10  # readings of a filesystem's free space, until two agree
SETTLE_PAUSE = 0.02  # seconds between them


class ReclaimOptions(NamedTuple):
    paths: Sequence[Path]
    cache_dir: Path
    sources: Sources
    link_mode: LinkMode = LinkMode.AUTO
    offline: bool = False
    dry_run: bool = False
    all_users: bool = False  # as root: also venvs that belong to other users
    timeout: float | None = None
    limits: UnpackLimits = DEFAULT_LIMITS


def reclaim(options: ReclaimOptions, reporter: Reporter) -> ReclaimReport:
    if options.link_mode not in LINKING_MODES:
        raise UsageError(
            f"--link-mode {options.link_mode.value} cannot reclaim space: reclaim replaces "
            "files with links that share the cache's, and a copy (or a symlink, which breaks "
            "when the cache is cleaned) shares nothing. Use --link-mode auto, hardlink or "
            "reflink."
        )
    venvs = find_venvs(options.paths)
    main = Cache(options.cache_dir.absolute())
    if not options.dry_run:
        main.ensure()
        main.remove_dead_leftovers()
    report = ReclaimReport(options.dry_run)
    wheels = WheelSource(
        main,
        options.sources,
        reporter,
        offline=options.offline or options.dry_run,  # a dry run downloads nothing
        timeout=options.timeout,
        limits=options.limits,
    )
    run = _Run(options, main, wheels, reporter)
    free_before = _free_space(venvs)
    try:
        with reporter.progress("Reclaiming", len(venvs), "venvs") as bar:
            for venv in venvs:
                report.venvs.append(run.venv(venv))
                bar.advance()
    finally:
        wheels.close()
    if not options.dry_run:
        after = _free_space(venvs)
        report.measured = {name: after[name] - free_before[name] for name in after}
    return report


class _Run:
    """One reclaim run: what is shared by all its venvs (the wheels found, the entries made,
    which inodes lost which links)."""

    def __init__(
        self, options: ReclaimOptions, main: Cache, wheels: WheelSource, reporter: Reporter
    ) -> None:
        self.options = options
        self.main = main
        self.wheels = wheels
        self.reporter = reporter
        # Inode -> [links replaced so far, links it had, its size].
        self.inodes: dict[tuple[int, int], list[int]] = {}
        self.planned_entries: set[str] = set()  # dry run: entries that would be made already

    def venv(self, venv: Path) -> VenvResult:
        result = VenvResult(str(venv), filesystem_of(venv).describe())
        result.skipped = self._why_skip(venv)
        if result.skipped is not None:
            return result
        entries, why_not = self._entries_cache(venv)
        if entries is None:
            result.skipped = why_not
            return result
        result.entries_cache = str(entries.root)
        lock: AbstractContextManager[object] = (
            nullcontext() if self.options.dry_run else VenvLock(venv, self.reporter.info)
        )
        try:
            with lock:
                linker = self._linker(entries, venv, result)
                if linker is None:
                    return result
                result.link_mode = linker.mode.value
                _Venv(self, venv, entries, linker, result).reclaim()
        except OSError as error:
            # This venv only: a venv that is not ours to write, say, must not stop the others.
            done = f" after {result.linked_files} files were linked" if result.linked_files else ""
            result.skipped = f"stopped{done}: {describe(error)}. {advice_for(error)}"
        return result

    def _why_skip(self, venv: Path) -> str | None:
        owner = os.stat(venv).st_uid
        if os.geteuid() == 0 and owner != 0 and not self.options.all_users:
            return (
                f"it belongs to {_user_name(owner)}, and root reclaims other users' venvs only "
                "with --all-users (their files would become links to root's cache)"
            )
        if interrupted_changes(venv):
            return (
                "a pinst install into it was interrupted: run that install again first, "
                "then reclaim"
            )
        return None

    def _entries_cache(self, venv: Path) -> tuple[Cache | None, str]:
        if self.options.dry_run:
            return _planned_entries(self.main, venv)
        location = locate_entries(self.main, venv, None, per_filesystem=True)
        for paragraph in location.refused:  # a folder another user could have planted
            self.reporter.warn(paragraph)
        if location.why_not is not None:
            return None, f"it cannot link to any cache: {location.why_not}"
        if location.created:
            self.reporter.info(
                f"Created a cache for {filesystem_of(venv).describe()} at {location.cache.root}, "
                "so that venvs there can link to it"
            )
        return location.cache, ""

    def _linker(self, entries: Cache, venv: Path, result: VenvResult) -> Linker | None:
        requested = self.options.link_mode
        if self.options.dry_run:
            return Linker(requested)
        try:
            linker = choose_linker(requested, entries.entries, site_packages_dirs(venv)[0])
        except PinstError as error:
            result.skipped = error.message
            return None
        if linker.mode is LinkMode.COPY:
            why = "; ".join(f"{mode.value}: {reason}" for mode, reason in linker.passed_over)
            result.skipped = (
                f"neither a reflink nor a hard link can be made from {entries.root} ({why}), "
                "and copies would free nothing"
            )
            return None
        return linker


class _Venv:
    """One venv's reclaim, under its lock."""

    def __init__(
        self, run: _Run, venv: Path, entries: Cache, linker: Linker, result: VenvResult
    ) -> None:
        self.run = run
        self.venv = venv
        self.entries = entries
        self.linker = linker
        self.result = result
        self.dry_run = run.options.dry_run
        self.used: dict[str, tuple[Path, str]] = {}  # project -> (entries root, entry key)

    def reclaim(self) -> None:
        try:
            distributions = []
            for site_packages in site_packages_dirs(self.venv):
                if not self.dry_run:
                    remove_stale_temporaries(site_packages)
                found, unlisted = scan_site_packages(site_packages, self.venv)
                distributions += found
                if unlisted:
                    self.result.left["unlisted"] += unlisted
            if not self.dry_run:
                self.run.wheels.prefetch(distributions)
            for distribution in distributions:
                self.distribution(distribution)
        finally:
            # Even after a failure: what was linked is registered, so prune keeps its entries.
            if self.used and not self.dry_run:
                record_install(self.run.main, self.venv, self.used, (), self.linker.mode.value)

    def distribution(self, distribution: Distribution) -> None:
        self.result.distributions += 1
        self.result.left.update(distribution.left)
        files = list(distribution.verified)
        if not files:
            return
        try:
            entry = self._entry(distribution, files)
        except ChangedWhileAdopting:
            self.result.left["changed"] += len(files)
            return
        if entry is None:  # dry run, no entry yet: one would be made with all these files
            self._would_link_all(distribution, files)
            return
        self._link_to(entry, distribution, files)

    def _entry(self, distribution: Distribution, files: list[VerifiedFile]) -> Entry | None:
        """The entry to link to; in a dry run, only one that exists already."""
        if self.dry_run:
            cached = self.run.wheels.cached(distribution)
            found = existing_wheel_entry(cached[1], self.entries) if cached else None
            return found or existing_adopted_entry(adopted_key(distribution, files), self.entries)
        wheel = self.run.wheels.find(distribution)
        if wheel is not None:
            self._count_download(wheel[0])
            entry = self._wheel_entry(*wheel)
            if entry is not None and any(_matches(entry, file) for file in files):
                return entry
            self.run.reporter.detail(
                f"{distribution.name} {distribution.version}: no installed file matches "
                f"{wheel[0].name}: adopting the venv's own files"
            )
        return adopt(distribution, files, self.entries)

    def _count_download(self, wheel: Path) -> None:
        """A wheel downloaded for this venv takes space in the main cache: on this venv's
        filesystem, that space is not freed."""
        size = self.run.wheels.fetched_size(wheel)
        if size and device_of(self.run.main.root) == device_of(self.venv):
            self.result.cache_growth += size

    def _wheel_entry(self, wheel: Path, sha256: str) -> Entry | None:
        try:
            return wheel_entry(wheel, sha256, self.entries, self.run.options.limits)
        except PinstError as error:  # an invalid wheel, or one beyond the limits: not used
            self.run.reporter.warn(f"{error.message} Its venvs' own files are adopted instead.")
            return None

    def _would_link_all(self, distribution: Distribution, files: list[VerifiedFile]) -> None:
        key = adopted_key(distribution, files)
        if key not in self.run.planned_entries:
            self.run.planned_entries.add(key)
            self.result.cache_growth += sum(file.size for file in files)
        self.result.linked_distributions += 1
        self.result.linked_files += len(files)
        for file in files:
            self._count_replaced(file)

    def _link_to(self, entry: Entry, distribution: Distribution, files: list[VerifiedFile]) -> None:
        if entry.new:
            self.result.cache_growth += entry.size
        linked = shared = 0
        for file in files:
            outcome = self._link_one(entry, file)
            if outcome == "linked":
                linked += 1
            elif outcome == "shared":
                shared += 1
            else:
                self.result.left[outcome] += 1
        self.result.linked_files += linked
        self.result.already_shared += shared
        if linked or shared:
            self.result.linked_distributions += 1
            self.result.adopted_distributions += entry.adopted
            self.used[distribution.name] = (self.entries.root, entry.key)

    def _link_one(self, entry: Entry, file: VerifiedFile) -> str:
        """What became of the file: linked, shared (it was a link to the entry's file already),
        or the key of the reason it is left alone (see ``scan.LEFT``)."""
        found = entry.files.get(file.path)
        if found is None or found[1] != file.hash:
            return "not-in-wheel"
        source, _, executable = found
        if executable != file.executable:
            return "mode-differs"
        cached = os.stat(source)
        if (cached.st_dev, cached.st_ino) == (file.status.st_dev, file.status.st_ino):
            return "shared"
        if self.dry_run:
            self._count_replaced(file)
            return "linked"
        if not replace_with_link(source, file, self.linker.function):
            return "changed"
        self._count_replaced(file)
        return "linked"

    def _count_replaced(self, file: VerifiedFile) -> None:
        """The file's inode lost a link; once it has lost all of them, its space is free."""
        status = file.status
        seen = self.run.inodes.setdefault(
            (status.st_dev, status.st_ino), [0, status.st_nlink, status.st_size]
        )
        seen[0] += 1
        if seen[0] == seen[1]:
            self.result.released += seen[2]


def _matches(entry: Entry, file: VerifiedFile) -> bool:
    found = entry.files.get(file.path)
    return found is not None and found[1] == file.hash


def _planned_entries(main: Cache, venv: Path) -> tuple[Cache | None, str]:
    """Where the venv's entries would live, found without creating anything (for --dry-run)."""
    device = device_of(venv)
    if device_of(main.root) == device:
        return main, ""
    for root in recorded_entry_roots(main):
        if root.is_dir() and device_of(root) == device:
            return Cache(root), ""
    parents = safe_writable_directories(venv)
    if not parents:
        where = filesystem_of(venv).describe()
        return None, f"no directory above it on {where} is writable and safe from other users"
    return Cache(parents[0] / entries_cache_name(parents[0])), ""


def _free_space(venvs: list[Path]) -> dict[str, int]:
    """Free bytes of each venv's filesystem, by its description, once it has settled."""
    free: dict[str, int] = {}
    for venv in venvs:
        name = filesystem_of(venv).describe()
        if name not in free:
            free[name] = _settled_free_bytes(venv)
    return free


def _settled_free_bytes(path: Path) -> int:
    """The free bytes once two readings after a sync agree.

    XFS frees the blocks of a removed file in the background: a sync starts that work, and the
    space shows as free only once it is done (seen on Linux 6.18, after replacing files with
    reflinks). A few tries, a few milliseconds apart, see it through.
    """
    previous = None
    for _ in range(SETTLE_TRIES):
        os.sync()
        status = os.statvfs(path)
        now = status.f_bavail * status.f_frsize
        if now == previous:
            break
        previous = now
        time.sleep(SETTLE_PAUSE)
    return now


def _user_name(uid: int) -> str:
    try:
        return f"user {pwd.getpwuid(uid).pw_name}"
    except KeyError:
        return f"user id {uid}"
