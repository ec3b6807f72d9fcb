"""Carry out a plan: prepare the wheels, choose how to link, and change the venv.

Kept apart from the planning in ``install/run.py`` so that a run with nothing to do imports none
of this (and none of the network, unpacking or linking code it needs).
"""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pinst._core.faults import with_fault_points
from pinst._core.link import Linker, LinkMode, choose_linker
from pinst.cache.layout import Cache, all_entry_caches
from pinst.cache.location import EntriesLocation, discard_new_cache, locate_entries
from pinst.cache.manifest import Manifest
from pinst.cache.registry import record_install
from pinst.config.settings import DEFAULT_INDEX_URL
from pinst.index.sources import Sources
from pinst.install.materialise import Materialiser
from pinst.install.plan import Plan
from pinst.install.prepare import Preparer
from pinst.install.prepared import Prepared
from pinst.install.transaction import STOPPING, PackageChange, change_venv, removal
from pinst.output.report import Reporter, format_duration, summary_line
from pinst.requirements.model import Pin, RequirementSet
from pinst.venv.installed import InstalledDistribution
from pinst.venv.target import venv_python

if TYPE_CHECKING:
    from pinst.install.context import InstallRun
    from pinst.install.options import FetchOptions, LinkOptions, SourceOptions
    from pinst.unpack.bytecode import Compilation

REQUESTED_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[\[=@;<>!~ ]|$)")
COMPILE_WORKERS = max(2, os.cpu_count() or 2)  # processes: compiling is CPU-bound
# One per core: more threads or processes than cores were slower (the GIL; see
# docs/internals/benchmark-history.md, section "What made the warm path fast").
LINK_WORKERS = max(2, min(8, os.cpu_count() or 2))


def apply_plan(
    run: InstallRun,
    plan: Plan,
    requirements: RequirementSet,
    source_options: SourceOptions,
    fetch: FetchOptions,
    link: LinkOptions,
) -> list[Manifest]:
    """Change the venv as planned; return the manifests of what was installed."""
    cache, venv, reporter, report = run.cache, run.venv, run.reporter, run.report
    entries = _entries_location(run, link)
    try:
        sources = _sources(requirements, source_options, reporter)
        prepared = Preparer(run, entries.cache, sources, fetch).prepare(plan.changes)
        linker = _link_into_venv(run, plan, prepared, link, entries)
    except BaseException:
        # Nothing links to a cache made in this run yet (a failed link is undone): a failed run
        # leaves no new folder behind at a mount point, such as /.pinst-cache.
        if entries.created:
            discard_new_cache(cache, entries.cache)
        raise
    used = {item.change.pin.name: (entries.cache.root, item.manifest.sha256) for item in prepared}
    removed = [item.name for item in plan.removals]
    with reporter.phase("record"):
        record_install(cache, venv.path, used, removed=removed, link_mode=linker.mode.value)
    report.link_mode = linker.mode.value
    for item in prepared:
        report.add_prepared(item, linker.mode.value)
    _say_summary(prepared, plan.removals, reporter)
    return [item.manifest for item in prepared]


def _link_into_venv(
    run: InstallRun,
    plan: Plan,
    prepared: list[Prepared],
    link: LinkOptions,
    entries: EntriesLocation,
) -> Linker:
    """Choose how to link, compile bytecode if asked, and change the venv in one transaction."""
    venv, reporter = run.venv, run.reporter
    with reporter.phase("choose link mode"):
        linker = choose_linker(link.link_mode, entries.cache.root, venv.interpreter.scheme.purelib)
    if linker.mode is LinkMode.COPY and link.link_mode is LinkMode.AUTO and entries.why_not:
        reporter.warn(
            f"copying files into {venv.path} instead of linking them: its filesystem has no "
            f"pinst cache because {entries.why_not}. Copies cost full time and disk; give that "
            "filesystem a cache with --entries-cache DIR (a writable directory on it)."
        )
    bytecode = _bytecode(run, prepared, entries.cache) if link.compile_bytecode else {}
    reporter.detail(f"Linking with {linker.mode.value} from {entries.cache.entries}{_why(linker)}")
    with reporter.phase("link"):
        _materialise_all(run, prepared, plan.removals, linker, bytecode)
    return linker


def _why(linker: Linker) -> str:
    """Why auto did not take the modes it tried first, for -v."""
    if not linker.passed_over:
        return ""
    reasons = ", ".join(f"{mode.value}: {why}" for mode, why in linker.passed_over)
    return f" (not {reasons})"


def _entries_location(run: InstallRun, link: LinkOptions) -> EntriesLocation:
    cache, venv, reporter = run.cache, run.venv, run.reporter
    location = locate_entries(
        cache,
        venv.path,
        link.entries_cache,
        link.per_filesystem_cache,
        will_link=link.link_mode is not LinkMode.COPY,
    )
    if location.cache.root != cache.root:
        location.cache.remove_dead_leftovers()
    for refusal in location.refused:
        reporter.warn(refusal)
    if location.created:
        reporter.info(
            f"Created a cache for unpacked wheels at {location.cache.root}, because {venv.path} "
            f"is on another filesystem than the cache at {cache.root}, and links cannot cross "
            "filesystems."
        )
    return location


def _sources(requirements: RequirementSet, given: SourceOptions, reporter: Reporter) -> Sources:
    """The command line's indexes and find-links locations, then the requirements files'."""
    find_links = _find_links(requirements, given, reporter)
    return Sources(_index_urls(requirements, given), find_links)


def _index_urls(requirements: RequirementSet, given: SourceOptions) -> list[str]:
    if given.no_index or requirements.no_index:
        return []
    primary = given.index_url or requirements.index_url or DEFAULT_INDEX_URL
    extras = [*given.extra_index_urls, *requirements.extra_index_urls]
    return list(dict.fromkeys([primary, *extras]))


def _find_links(
    requirements: RequirementSet, given: SourceOptions, reporter: Reporter
) -> list[str]:
    """The find-links locations; a path that is neither a file nor a directory is left out with
    a warning, as pip leaves it out (a requirements file's were left out as it was read)."""
    locations = list(dict.fromkeys([*given.find_links, *requirements.find_links]))
    for location in filter(_missing_path, locations):
        reporter.warn(
            f"--find-links location '{location}' is ignored: it is neither a file nor a "
            "directory (as pip ignores it). Fix the path, or leave the option out."
        )
    return [location for location in locations if not _missing_path(location)]


def _missing_path(location: str) -> bool:
    """Whether a find-links location is a path (or file: URL) to nothing; URLs are not."""
    parts = urlsplit(location)
    if parts.scheme == "file":
        from urllib.request import url2pathname  # heavy (ssl, email): only for file: URLs

        return not os.path.exists(url2pathname(parts.path))
    return len(parts.scheme) <= 1 and not os.path.exists(location)  # <= 1: a drive letter


def _package_change(
    item: Prepared, materialiser: Materialiser, bytecode: Compilation | None
) -> PackageChange:
    headers_name = requested_name(item.change.pin, item.manifest)
    return PackageChange(
        name=item.change.pin.name,
        replaces=item.change.replaces,
        size=len(item.manifest.rows),
        install=partial(
            materialiser.install, item.entry, item.manifest, item.direct_url, headers_name, bytecode
        ),
        discard=partial(materialiser.discard, item.entry, item.manifest, headers_name, bytecode),
    )


def requested_name(pin: Pin, manifest: Manifest) -> str:
    """The project name as the user asked for it, which pip uses for the headers directory.

    For a bare URL or path, pip takes the wheel filename's name with ``_`` turned into ``-``.
    """
    named = REQUESTED_NAME.match(pin.text)  # never matches a bare URL or path
    if named:
        return named[1]
    return manifest.wheel_filename.split("-", 1)[0].replace("_", "-")


def _bytecode(run: InstallRun, prepared: list[Prepared], entries: Cache) -> dict[Path, Compilation]:
    from pinst.unpack.bytecode import compile_entries  # only with --compile-bytecode

    venv, reporter = run.venv, run.reporter
    # Other filesystems' entries may have this interpreter's bytecode already: copied, not
    # compiled again.
    elsewhere = [other for other in all_entry_caches(run.cache) if other.root != entries.root]
    with reporter.phase("compile"):
        compiled = compile_entries(
            [(item.entry, item.manifest) for item in prepared],
            venv_python(venv.path),
            venv.interpreter.cache_tag,
            entries,
            workers=COMPILE_WORKERS,
            elsewhere=elsewhere,
            reporter=reporter,
        )
    reporter.detail(f"Bytecode ready in {format_duration(reporter.timings['compile'])}")
    return compiled


def _materialise_all(
    run: InstallRun,
    prepared: list[Prepared],
    removals: list[InstalledDistribution],
    linker: Linker,
    bytecode: dict[Path, Compilation],
) -> None:
    """Install ``prepared`` and remove ``removals`` (a sync's) in one transaction."""
    venv = run.venv
    link = with_fault_points(linker.function, venv.path, STOPPING)
    materialiser = Materialiser(venv.interpreter, venv_python(venv.path), link)
    files = sum(len(item.manifest.rows) for item in prepared)
    changes = [_package_change(item, materialiser, bytecode.get(item.entry)) for item in prepared]
    changes += [removal(item) for item in removals]
    keep = venv.interpreter.scheme.kept_directories()
    label = "Copying" if linker.mode is LinkMode.COPY else "Linking"
    with run.reporter.progress(label, files, "files") as bar:
        # Counted here, as each package is done: the linking may be in other processes.
        change_venv(venv.path, changes, keep, LINK_WORKERS, lambda change: bar.advance(change.size))


def _say_summary(
    prepared: list[Prepared], removals: list[InstalledDistribution], reporter: Reporter
) -> None:
    for gone in removals:
        reporter.change("-", gone.name, gone.version)
    replaced = 0
    for item in sorted(prepared, key=lambda item: item.change.pin.name):
        old, version = item.change.replaces, item.manifest.version
        if old is not None and old.version != version:
            reporter.change("-", old.name, old.version)
            replaced += 1
        marker = "~" if old is not None and old.version == version else "+"
        reporter.change(marker, item.change.pin.name, version)
    reporter.info(summary_line(len(prepared), replaced, len(removals), reporter.elapsed()))
    if reporter.timings:
        phases = ", ".join(f"{name} {seconds:.3f}s" for name, seconds in reporter.timings.items())
        reporter.detail(f"Time per phase: {phases}")
