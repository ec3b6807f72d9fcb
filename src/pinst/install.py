"""The install pipeline: requirements -> target -> plan -> locate -> fetch -> unpack -> materialise.

Everything that can fail on bad input (parsing, the target, finding, downloading, validating)
happens before the venv is touched. A venv pinst created in this run is removed again if the
run fails before anything was installed into it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pinst.cache import Cache
from pinst.entries_location import EntriesLocation, locate_entries
from pinst.installed import installed_distributions
from pinst.link import Linker, LinkMode, choose_linker
from pinst.manifest import Manifest
from pinst.materialise import Materialiser
from pinst.plan import Change, Plan, make_plan, strip_credentials
from pinst.registry import record_install
from pinst.report import Reporter, plural
from pinst.requirements import Pin, RequirementSet, read_requirements
from pinst.target import Interpreter, Venv, open_venv, venv_python
from pinst.uninstall import uninstall
from pinst.unpack import entry_for, unpack

if TYPE_CHECKING:
    import httpx

    from pinst.index import DistributionFile

REQUESTED_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[\[=@;<>!~ ]|$)")
DEFAULT_INDEX_URL = "https://pypi.org/simple"
WORKERS = 8
LINK_WORKERS = 4  # overlapping link/mkdir latency; measured faster than 1 in paired runs


@dataclass
class InstallOptions:
    requirement_files: Sequence[Path] = ()
    requirement_args: Sequence[str] = ()
    constraint_files: Sequence[Path] = ()
    venv: Path = Path(".venv")
    python: str | None = None
    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    find_links: Sequence[str] = ()
    no_index: bool = False
    cache_dir: Path = Path()
    link_mode: LinkMode = LinkMode.AUTO
    require_hashes: bool = False
    reinstall: bool = False
    entries_cache: Path | None = None  # explicit entries cache for the venv's filesystem
    per_filesystem_cache: bool = True


@dataclass(frozen=True)
class Prepared:
    """A change whose wheel is unpacked in the cache and ready to materialise."""

    change: Change
    entry: Path
    manifest: Manifest
    direct_url: dict[str, object] | None


@dataclass
class InstallResult:
    installed: list[Prepared] = field(default_factory=list)
    unchanged: list[Pin] = field(default_factory=list)
    link_mode: LinkMode | None = None


def install(options: InstallOptions, reporter: Reporter) -> InstallResult:
    parsed = read_requirements(
        options.requirement_files,
        options.requirement_args,
        options.constraint_files,
        require_hashes=options.require_hashes,
    )
    cache = Cache(options.cache_dir)
    cache.ensure()
    venv = open_venv(options.venv, options.python, cache.interpreters)
    try:
        return _install_into(
            venv, parsed.select(venv.interpreter.markers), options, cache, reporter
        )
    except BaseException:
        if venv.created:
            shutil.rmtree(venv.path, ignore_errors=True)
        raise


def _install_into(
    venv: Venv,
    requirements: RequirementSet,
    options: InstallOptions,
    cache: Cache,
    reporter: Reporter,
) -> InstallResult:
    interpreter = venv.interpreter
    plan = make_plan(
        requirements.pins, installed_distributions(interpreter.scheme), options.reinstall
    )
    result = InstallResult(unchanged=plan.unchanged)
    if not plan.changes:
        reporter.info(f"Audited {plural(len(plan.unchanged), 'package')} in {reporter.elapsed()}")
        return result
    entries = _entries_location(cache, venv, options, reporter)
    prepared = _prepare(plan, requirements, options, interpreter, cache, entries.cache, reporter)
    linker = choose_linker(options.link_mode, entries.cache.tmp, interpreter.scheme.purelib)
    if linker.mode is LinkMode.COPY and options.link_mode is LinkMode.AUTO and entries.why_not:
        reporter.warn(
            f"copying files into {venv.path} instead of linking them: its filesystem has no "
            f"pinst cache because {entries.why_not}. Copies cost full time and disk; give that "
            "filesystem a cache with --entries-cache DIR (a writable directory on it)."
        )
    reporter.detail(f"Linking with {linker.mode.value} from {entries.cache.entries}")
    _materialise_all(prepared, venv, linker, reporter)
    used = {item.change.pin.name: (entries.cache.root, item.manifest.sha256) for item in prepared}
    record_install(cache, venv.path, used, removed=(), link_mode=linker.mode.value)
    result.installed = prepared
    result.link_mode = linker.mode
    return result


def _entries_location(
    cache: Cache, venv: Venv, options: InstallOptions, reporter: Reporter
) -> EntriesLocation:
    location = locate_entries(cache, venv.path, options.entries_cache, options.per_filesystem_cache)
    if location.created:
        reporter.info(
            f"Created a cache for unpacked wheels at {location.cache.root}, because {venv.path} "
            f"is on another filesystem than the cache at {cache.root}, and links cannot cross "
            "filesystems."
        )
    return location


def _prepare(
    plan: Plan,
    requirements: RequirementSet,
    options: InstallOptions,
    interpreter: Interpreter,
    cache: Cache,
    entries: Cache,
    reporter: Reporter,
) -> list[Prepared]:
    started = time.perf_counter()
    ready: dict[int, Prepared] = {}
    missing: list[int] = []
    for position, change in enumerate(plan.changes):
        found = _cached_entry(change.pin, interpreter, entries)
        if found is not None:
            ready[position] = Prepared(change, *found, _direct_url(change.pin, found[1]))
        else:
            missing.append(position)
    if missing:
        fetched = _fetch_and_unpack(
            [plan.changes[i] for i in missing],
            requirements,
            options,
            interpreter,
            cache,
            entries,
            reporter,
        )
        ready.update(zip(missing, fetched, strict=True))
        reporter.detail(
            f"Prepared {plural(len(missing), 'package')} in {time.perf_counter() - started:.2f}s"
        )
    return [ready[position] for position in range(len(plan.changes))]


def _cached_entry(
    pin: Pin, interpreter: Interpreter, entries: Cache
) -> tuple[Path, Manifest] | None:
    """An unpacked entry for one of the pin's sha256 hashes that fits the target: no network."""
    from pinst.locate import wheel_rank

    best: tuple[tuple[int, ...], Path, Manifest] | None = None
    for digest in pin.hashes.get("sha256", ()):
        found = entry_for(entries, digest)
        if found is None:
            continue
        rank = wheel_rank(found[1].wheel_filename, interpreter)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, *found)
    return (best[1], best[2]) if best else None


def _fetch_and_unpack(
    changes: list[Change],
    requirements: RequirementSet,
    options: InstallOptions,
    interpreter: Interpreter,
    cache: Cache,
    entries: Cache,
    reporter: Reporter,
) -> list[Prepared]:
    from pinst.fetch import DownloadRequest, download
    from pinst.http import SharedClient

    client = SharedClient()
    try:
        files = _locate(changes, requirements, options, interpreter, cache, client, reporter)
        requests = [
            DownloadRequest(
                file=file,
                expected_hashes=_expected_hashes(change.pin, file),
                label=str(change.pin.origin),
            )
            for change, file in zip(changes, files, strict=True)
        ]
        wheels = download(requests, cache, client, workers=WORKERS)
    finally:
        client.close()
    with ThreadPoolExecutor(WORKERS) as pool:
        unpacked = list(pool.map(lambda w: unpack(w, w.parent.name, entries), wheels))
    return [
        Prepared(change, entry, manifest, _direct_url(change.pin, manifest))
        for change, (entry, manifest) in zip(changes, unpacked, strict=True)
    ]


def _locate(
    changes: list[Change],
    requirements: RequirementSet,
    options: InstallOptions,
    interpreter: Interpreter,
    cache: Cache,
    client: Callable[[], httpx.Client],
    reporter: Reporter,
) -> list[DistributionFile]:
    from pinst.index import Finder
    from pinst.locate import choose_wheel, direct_file

    finder = Finder(
        client,
        _index_urls(requirements, options),
        [*options.find_links, *requirements.find_links],
        cache.pages,
    )

    def locate_one(pin: Pin) -> DistributionFile:
        if pin.url is not None:
            return direct_file(pin)
        return choose_wheel(pin, finder.files(pin.name), interpreter, reporter.warn)

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(locate_one, [change.pin for change in changes]))


def _index_urls(requirements: RequirementSet, options: InstallOptions) -> list[str]:
    if options.no_index or requirements.no_index:
        return []
    primary = options.index_url or requirements.index_url or DEFAULT_INDEX_URL
    extras = [*options.extra_index_urls, *requirements.extra_index_urls]
    return list(dict.fromkeys([primary, *extras]))


def _expected_hashes(pin: Pin, file: DistributionFile) -> dict[str, frozenset[str]]:
    """The pin's allowed digests per algorithm, narrowed by what the index says of this file."""
    expected = {algorithm: frozenset(values) for algorithm, values in pin.hashes.items()}
    for algorithm, value in file.hashes.items():
        if algorithm in expected and value not in expected[algorithm]:
            continue  # the download check will report the pin/index disagreement
        expected.setdefault(algorithm, frozenset({value}))
    return expected


def _direct_url(pin: Pin, manifest: Manifest) -> dict[str, object] | None:
    """PEP 610's record for URL and path installs; None for index installs."""
    if pin.url is None:
        return None
    return {
        "url": strip_credentials(pin.url),
        "archive_info": {
            "hash": f"sha256={manifest.sha256}",
            "hashes": {"sha256": manifest.sha256},
        },
    }


def requested_name(pin: Pin, manifest: Manifest) -> str:
    """The project name as the user asked for it, which pip uses for the headers directory.

    For a bare URL or path, pip takes the wheel filename's name with ``_`` turned into ``-``.
    """
    named = REQUESTED_NAME.match(pin.text)  # never matches a bare URL or path
    if named:
        return named[1]
    return manifest.wheel_filename.split("-", 1)[0].replace("_", "-")


def _materialise_all(
    prepared: list[Prepared], venv: Venv, linker: Linker, reporter: Reporter
) -> None:
    materialiser = Materialiser(venv.interpreter, venv_python(venv.path), linker)
    prefix = str(venv.interpreter.scheme.data)

    def replace(item: Prepared) -> None:
        if item.change.replaces is not None:
            uninstall(item.change.replaces, prefix)
        headers_name = requested_name(item.change.pin, item.manifest)
        materialiser.install(item.entry, item.manifest, item.direct_url, headers_name)

    # Packages are independent, and link/mkdir system calls release the GIL: threads overlap
    # them. Shared directories (namespace packages) are safe: mkdir tolerates a race.
    with ThreadPoolExecutor(LINK_WORKERS) as pool:
        list(pool.map(replace, prepared))
    for item in sorted(prepared, key=lambda item: item.change.pin.name):
        old, version = item.change.replaces, item.manifest.version
        if old is not None and old.version != version:
            reporter.info(f"- {old.name}=={old.version}")
        marker = "~" if old is not None and old.version == version else "+"
        reporter.info(f"{marker} {item.change.pin.name}=={version}")
    reporter.info(f"Installed {plural(len(prepared), 'package')} in {reporter.elapsed()}")
