"""Prepare the changes of a plan: each wheel found, downloaded, verified and unpacked.

A change whose pin names a sha256 that is already unpacked in the entries cache needs nothing
else: no index page, no download, not even an HTTP client. Only the rest go through the index
(or their direct URL), the download into the main cache, and the unpack into the entries cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pinst._core.errors import DownloadError, PinstError, advice_for, describe
from pinst._core.limits import UnpackLimits
from pinst._core.urls import redact_text, strip_credentials
from pinst.cache.layout import Cache
from pinst.cache.manifest import Manifest, entry_for
from pinst.index.sources import Sources
from pinst.index.tags import wheel_rank
from pinst.install.plan import Change
from pinst.install.prepared import SOURCE_WORDS, Prepared, Source
from pinst.output.report import format_duration, plural
from pinst.requirements.model import Pin

if TYPE_CHECKING:
    from pinst.index.files import DistributionFile
    from pinst.install.context import InstallRun
    from pinst.install.options import FetchOptions
    from pinst.network.client import SharedClient
    from pinst.network.download import DownloadRequest
    from pinst.network.pace import Pace
    from pinst.output.progress import Bar, NoBar

WORKERS = 8


class Preparer:
    """Makes each change of a plan ready to materialise, for one run's venv."""

    def __init__(
        self, run: InstallRun, entries: Cache, sources: Sources, fetch: FetchOptions
    ) -> None:
        self.interpreter = run.venv.interpreter
        self.sources = sources
        self.cache = run.cache  # downloads and index pages
        self.entries = entries  # unpacked wheels, on the venv's filesystem
        self.reporter = run.reporter
        self.fetch = fetch  # the network (or none: offline), and how far a wheel may expand
        # A locked requirements file lists the hashes of every platform's wheel: one listing
        # of each bucket answers for all of them, instead of a failed open per hash.
        self._unpacked = _listing(entries.entries)
        self._downloaded = _listing(run.cache.wheels)

    def prepare(self, changes: list[Change]) -> list[Prepared]:
        try:
            return self._prepare(changes)
        except OSError as error:
            raise self._cache_trouble(error) from None

    def _cache_trouble(self, error: OSError) -> OSError | PinstError:
        """A failure to write into a cache, as one clear error; any other OSError as it is."""
        filename = str(error.filename or "")
        for root in (self.cache.root, self.entries.root):
            if filename.startswith(str(root)):
                return PinstError(
                    f"could not write to the pinst cache at {root}: {describe(error)}. Nothing "
                    f"was installed, and nothing unverified was kept. {advice_for(error)}"
                )
        return error

    def _prepare(self, changes: list[Change]) -> list[Prepared]:
        with self.reporter.phase("look in cache"):
            found = {position: self._cached(change) for position, change in enumerate(changes)}
        ready = {at: item for at, item in found.items() if isinstance(item, Prepared)}
        # Downloaded but not unpacked here yet (a venv on a filesystem new to pinst): together.
        downloaded = {at: item for at, item in found.items() if isinstance(item, Path)}
        if downloaded:
            unpacked = self._unpack_downloaded(list(downloaded.values()))
            for (at, _), (entry, manifest) in zip(downloaded.items(), unpacked, strict=True):
                ready[at] = self._prepared(changes[at], entry, manifest, Source.DOWNLOADED)
        missing = [position for position, item in found.items() if item is None]
        if missing:
            fetched = self._fetch_and_unpack([changes[position] for position in missing])
            ready.update(zip(missing, fetched, strict=True))
        prepared = [ready[position] for position in sorted(ready)]
        self._say_prepared(prepared)
        return prepared

    def _unpack_downloaded(self, wheels: list[Path]) -> list[tuple[Path, Manifest]]:
        with (
            self.reporter.phase("unpack"),
            self.reporter.progress("Unpacking", len(wheels), "wheels") as bar,
        ):
            return _unpack_all(
                wheels, self.entries, self.fetch.unpack_limits, self.cache, bar.advance
            )

    def _say_prepared(self, prepared: list[Prepared]) -> None:
        """A line for the wheels this run downloaded or unpacked; with -v, where each came from."""
        for item in prepared if self.reporter.verbosity > 0 else ():
            name, version = item.change.pin.name, item.manifest.version
            wheel = item.manifest.wheel_filename
            self.reporter.detail(f"{name}=={version}: {SOURCE_WORDS[item.source]} ({wheel})")
        work = [item for item in prepared if item.source is not Source.UNPACKED]
        if work:
            seconds = sum(self.reporter.timings.get(phase, 0.0) for phase in ("unpack", "fetch"))
            took = format_duration(seconds)
            self.reporter.info(f"Prepared {plural(len(work), 'package')} in {took}")

    def _cached(self, change: Change) -> Prepared | Path | None:
        """The best fitting of the pin's sha256 hashes already unpacked, or else downloaded.

        Either way no network is needed: a downloaded wheel (returned as its path) is unpacked
        without one, which is what a venv on a filesystem new to pinst needs.
        """
        best: tuple[tuple[int, ...], tuple[Path, Manifest] | Path] | None = None
        for digest in change.pin.hashes.get("sha256", ()):
            found = self._cached_artifact(digest)
            if found is None:
                continue
            filename = found.name if isinstance(found, Path) else found[1].wheel_filename
            rank = wheel_rank(filename, self.interpreter)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, found)
        if best is None:
            return None
        artifact = best[1]
        if isinstance(artifact, Path):
            return artifact
        entry, manifest = artifact
        return self._prepared(change, entry, manifest, Source.UNPACKED)

    def _prepared(
        self, change: Change, entry: Path, manifest: Manifest, source: Source
    ) -> Prepared:
        return Prepared(change, entry, manifest, direct_url(change.pin, manifest), source)

    def _cached_artifact(self, digest: str) -> tuple[Path, Manifest] | Path | None:
        """The unpacked entry with this sha256, else the downloaded wheel, else None."""
        found = entry_for(self.entries, digest) if digest in self._unpacked else None
        if found is None and digest in self._downloaded:
            return self.cache.cached_wheel(digest)
        return found

    def _fetch_and_unpack(self, changes: list[Change]) -> list[Prepared]:
        from pinst.network.client import SharedClient, create_client
        from pinst.network.pace import Pace

        pace = Pace(cores=os.cpu_count() or 1, most=WORKERS)
        client = SharedClient(partial(create_client, self.fetch.timeout, pace.observe))
        try:
            with self.reporter.phase("fetch"):
                unpacked = self._find_download_and_unpack(changes, client, pace)
        finally:
            client.close()
        return [
            self._prepared(change, entry, manifest, self._found_by_lookup(manifest.sha256))
            for change, (entry, manifest) in zip(changes, unpacked, strict=True)
        ]

    def _found_by_lookup(self, sha256: str) -> Source:
        """Where a wheel found through the index came from: a pin without a hash can still
        find its wheel downloaded, or even unpacked, by an earlier run."""
        if sha256 in self._unpacked:
            return Source.UNPACKED
        return Source.DOWNLOADED if sha256 in self._downloaded else Source.FETCHED

    def _find_download_and_unpack(
        self, changes: list[Change], client: SharedClient, pace: Pace
    ) -> list[tuple[Path, Manifest]]:
        """Each wheel is looked up and downloaded in one worker thread, so no download waits
        for the last index page, and unpacked (in worker processes) as soon as it is verified."""
        from pinst.network.download import find_and_download
        from pinst.unpack.pool import Unpacker

        count = len(changes)
        progress = self.reporter.progress
        # The unpacker comes first: its workers are forked before any other thread starts.
        with (
            Unpacker(self.entries, self.fetch.unpack_limits, self.cache, count) as unpacker,
            progress("Finding", count, "wheels") as finds,
            progress("Downloading", count, "wheels") as downloads,
            progress("Unpacking", count, "wheels") as unpacks,
        ):
            unpacker.on_unpacked = unpacks.advance
            locate = self._locator(client)

            def ready(position: int, wheel: Path) -> None:
                downloads.advance()
                unpacker.submit(position, wheel)

            find_and_download(
                [partial(_request, locate, change, finds) for change in changes],
                self.cache,
                client,
                workers=WORKERS,
                pace=pace,
                on_progress=downloads.add_bytes,
                on_size=downloads.add_total_bytes,
                on_ready=ready,
                offline=self.fetch.offline,
            )
            return unpacker.entries_in_order(count)

    def _locator(self, client: SharedClient) -> Callable[[Pin], DistributionFile]:
        """A function that finds the wheel for a pin: on the indexes, or at its URL."""
        from pinst.index.choice import choose_wheel, direct_file, same_version
        from pinst.index.finder import Finder

        finder = Finder(
            client,
            self.sources.index_urls,
            self.sources.find_links,
            self.cache.pages,
            offline=self.fetch.offline,
            max_page_size=self.fetch.max_index_page_size,
        )

        def locate_one(pin: Pin) -> DistributionFile:
            if pin.url is not None:
                return direct_file(pin)
            try:
                files = finder.files(pin.name, same_version(pin))
                if not files:  # for the error: all the versions there are
                    files = finder.files(pin.name)
            except DownloadError as error:
                # The message names the page; say which requirement needed it.
                raise DownloadError(
                    f"{pin.origin}: {redact_text(pin.text)}: {error.message}"
                ) from error
            except PinstError as error:
                if not self.fetch.offline:
                    raise
                from pinst.network.download import offline_miss

                raise offline_miss(pin.origin, pin.text, "no cached index page lists it") from error
            return choose_wheel(pin, files, self.interpreter, self.reporter.warn)

        return locate_one


def _request(
    locate: Callable[[Pin], DistributionFile], change: Change, found: Bar | NoBar
) -> DownloadRequest:
    """What to download for the change: its wheel, found by ``locate``, and its pin's hashes."""
    from pinst.network.download import DownloadRequest

    file = locate(change.pin)
    found.advance()
    return DownloadRequest(
        file,
        change.pin.hashes,
        label=str(change.pin.origin),
        requirement=redact_text(change.pin.text),
    )


def _unpack_all(
    wheels: list[Path],
    entries: Cache,
    limits: UnpackLimits,
    downloads: Cache,
    on_unpacked: Callable[[], None],
) -> list[tuple[Path, Manifest]]:
    from pinst.unpack.pool import unpack_all  # only now: a warm install never needs it

    return unpack_all(wheels, entries, limits, downloads, on_unpacked)


def _listing(bucket: Path) -> frozenset[str]:
    try:
        return frozenset(os.listdir(bucket))
    except FileNotFoundError:
        return frozenset()


def direct_url(pin: Pin, manifest: Manifest) -> dict[str, object] | None:
    """PEP 610's record for URL and path installs; None for index installs.

    None too for a lock file's pins: the lock, not the user, chose the URL (as uv records them)."""
    if pin.url is None or pin.locked:
        return None
    return {
        "url": strip_credentials(pin.url),
        "archive_info": {
            "hash": f"sha256={manifest.sha256}",
            "hashes": {"sha256": manifest.sha256},
        },
    }
