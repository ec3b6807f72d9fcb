"""Finding the files of a project: simple-API indexes (PEP 503 HTML, PEP 691 JSON) and find-links.

Of several indexes, the first one that has the project wins and the others are not asked: a
project name registered by a stranger on a later index can then never shadow a private one
(dependency confusion). Find-links locations always add their files.

A page is read from the page cache (``page_cache.py``) while it is fresh, so a repeated lookup
within ``max-age`` makes no request at all and the client is never built; otherwise it is
downloaded (or revalidated), parsed (``pages.py``), and stored only once it has been read
without error. A page downloaded from a server may link only to ``http(s)`` URLs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from packaging.utils import NormalizedName

from pinst._core.errors import DownloadError, PinstError
from pinst._core.limits import DEFAULT_MAX_INDEX_PAGE_SIZE
from pinst._core.urls import redact, strip_credentials
from pinst.index.files import DistributionFile, Wanted, everything, project_of
from pinst.index.find_links import local_files, local_path
from pinst.index.page_cache import CachedPage, PageCache
from pinst.index.pages import PAGE_LIMIT_ADVICE, Page, parse_page
from pinst.output.report import pinst_logger

if TYPE_CHECKING:
    import httpx

    from pinst.network.http import ResponseTooLarge
    from pinst.network.retry import RetryPolicy

SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
HTML_ACCEPT = "text/html, application/vnd.pypi.simple.v1+html;q=0.9"
REMOTE_SCHEMES = ("http", "https")
logger = pinst_logger()


class Finder:
    """A project's files on the indexes and find-links locations of one run, each page read once
    where it can be; one finder is shared by the run's lookup threads."""

    def __init__(
        self,
        client: Callable[[], httpx.Client],
        index_urls: Sequence[str],
        find_links: Sequence[str],
        pages_dir: Path | None,
        offline: bool = False,
        retry: RetryPolicy | None = None,
        max_page_size: int = DEFAULT_MAX_INDEX_PAGE_SIZE,
    ) -> None:
        self._client = client  # a SharedClient: builds one client, on first use
        self._index_urls = list(index_urls)
        self._find_links = list(find_links)
        self._max_page_size = max_page_size  # bytes, on the wire and inflated
        self._pages = PageCache(pages_dir, max_page_size) if pages_dir is not None else None
        self._offline = offline
        self._retry = retry
        self._lock = threading.Lock()
        self._linked: dict[str, list[DistributionFile]] = {}
        # Links of remote pages to local files (file://), left out: (page URL, file).
        self._refused: list[tuple[str, DistributionFile]] = []

    def files(self, name: NormalizedName, wanted: Wanted = everything) -> list[DistributionFile]:
        """The files of project ``name`` (only those whose filename ``wanted`` accepts, if
        given): the first index that has the project, plus find-links."""
        from_index = self._from_indexes(name, wanted)
        linked = [
            file
            for location in self._find_links
            for file in self._linked_files(location)
            if project_of(file.filename) == name and wanted(file.filename)
        ]
        if from_index is None and not linked:
            raise self._not_found(name)
        found = [*(from_index or []), *linked]
        if not found:
            self._raise_if_only_refused(name, wanted)
        return found

    def _raise_if_only_refused(self, name: NormalizedName, wanted: Wanted) -> None:
        """A pin whose only files are links that a remote page made to local paths: say so,
        rather than that the version has no file."""
        with self._lock:
            refused = [
                (page, file)
                for page, file in self._refused
                if project_of(file.filename) == name and wanted(file.filename)
            ]
        if refused:
            page, file = refused[0]
            raise PinstError(
                f"The only files for {name} that fit are links to local paths on a remote index "
                f"page: {redact(page)} links {file.filename} to {redact(file.url)}. pinst takes "
                "only http:// and https:// links from a page it downloads, so that an index "
                "cannot make it install (or read) files of this machine. If you want that file, "
                "pin its path (or use --find-links DIRECTORY)."
            )

    def _from_indexes(self, name: NormalizedName, wanted: Wanted) -> list[DistributionFile] | None:
        for index_url in self._index_urls:
            page_url = f"{index_url.rstrip('/')}/{name}/"
            files = self._files_on(page_url, SIMPLE_ACCEPT, index_url, wanted)
            if files is not None:
                return files
        return None

    def _linked_files(self, location: str) -> list[DistributionFile]:
        # Find-links pages list every project, so each location is read once per run.
        with self._lock:
            known = self._linked.get(location)
        if known is None:
            known = self._read_find_links(location)
            with self._lock:
                self._linked[location] = known
        return known

    def _read_find_links(self, location: str) -> list[DistributionFile]:
        if urlsplit(location).scheme in REMOTE_SCHEMES:
            files = self._files_on(location, HTML_ACCEPT, location)
            if files is None and not self._offline:
                raise PinstError(
                    f"The --find-links page {redact(location)} does not exist (HTTP 404). "
                    "Check the URL."
                )
            return files or []
        return local_files(local_path(location), location, self._max_page_size)

    def _files_on(
        self, url: str, accept: str, credentials_from: str, wanted: Wanted = everything
    ) -> list[DistributionFile] | None:
        """The files the page at ``url`` lists (those ``wanted`` accepts); None if the server has
        no such page, or, offline, if the cache has no copy.

        Links to the host of ``credentials_from`` get its credentials (see ``parse_page``).
        """
        origin = redact(credentials_from)
        cached = self._pages.load(url) if self._pages else None
        if self._offline or (cached is not None and cached.is_fresh()):
            if cached is None:
                return None
            return self._remote_links_only(
                cached.page, parse_page(cached.page, credentials_from, origin, wanted)
            )
        entry = self._download_page(url, accept, cached)
        if entry is None:
            return None
        files = self._remote_links_only(
            entry.page, parse_page(entry.page, credentials_from, origin, wanted)
        )
        # Stored only now: a page that was cut short or garbled must not be served from the
        # cache until it expires.
        if self._pages is not None and entry.storable:
            self._pages.store(url, entry)
        return files

    def _remote_links_only(
        self, page: Page, files: list[DistributionFile]
    ) -> list[DistributionFile]:
        """``files`` without the links of a downloaded page to anything but http(s) URLs.

        A page of a remote index must not make pinst install, or read, a file of this machine
        (``file:///home/.../.ssh/...``): such links are left out, with a warning. A page read
        from a local file (a --find-links page) may link to local files.
        """
        if urlsplit(page.url).scheme not in REMOTE_SCHEMES:
            return files
        kept = []
        for file in files:
            if urlsplit(file.url).scheme in REMOTE_SCHEMES:
                kept.append(file)
                continue
            with self._lock:
                self._refused.append((page.url, file))
            logger.warning(
                "Ignoring the link to %s on %s: a remote index page may link only to http:// "
                "and https:// URLs, not to local files.",
                redact(file.url),
                redact(page.url),
            )
        return kept

    def _download_page(self, url: str, accept: str, cached: CachedPage | None) -> CachedPage | None:
        """The page at ``url`` as the server has it now (maybe the cached one, revalidated)."""
        from pinst.network import http

        headers = {"Accept": accept, **(cached.validators() if cached else {})}
        try:
            response, body = http.request_capped(
                self._client(), url, self._max_page_size, headers=headers, policy=self._retry
            )
        except http.ResponseTooLarge as error:
            raise DownloadError(_too_large(url, error)) from None
        if response.status_code == 304 and cached is not None:
            return cached.revalidated(response.headers)
        if response.status_code in (404, 410):
            return None
        http.raise_for_status(response, url)
        page = Page(
            url=strip_credentials(str(response.url)),
            text=body.decode(response.encoding or "utf-8", errors="replace"),
            content_type=response.headers.get("Content-Type", "text/html"),
        )
        return CachedPage.from_response(page, response.headers)

    def _not_found(self, name: str) -> PinstError:
        places = [redact(url) for url in [*self._index_urls, *self._find_links]]
        if not places:
            return PinstError(
                f"Cannot find {name}: no index and no --find-links location is configured. "
                "Drop --no-index, or add --find-links."
            )
        if self._offline:
            return PinstError(
                f"{name} is not in the cache of index pages, and --offline forbids the network "
                f"(looked for it on {', '.join(places)}). Run once online to fill the cache."
            )
        return PinstError(
            f"No project named {name} on {', '.join(places)}; check the spelling, or the index "
            "URL (--index-url, --extra-index-url, --find-links)."
        )


def _too_large(url: str, error: ResponseTooLarge) -> str:
    from pinst._core.disk_usage import format_size

    limit = format_size(error.limit)
    if error.inflated_from is None:
        what = f"is larger than the limit of {limit}"
    else:
        sent = format_size(error.inflated_from)
        what = f"inflates to more than the limit of {limit} (from the first {sent} sent compressed)"
    return (
        f"The index page {redact(url)} {what}, so pinst stopped reading it: a page that large "
        f"is broken or hostile (the largest on PyPI are about 21 MB). {PAGE_LIMIT_ADVICE}"
    )
