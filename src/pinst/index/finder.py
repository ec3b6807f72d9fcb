"""Finding the files of a project: simple-API indexes (PEP 503 HTML, PEP 691 JSON) and find-links.

Of several indexes, the first one that has the project wins and the others are not asked: a
project name registered by a stranger on a later index can then never shadow a private one
(dependency confusion). Find-links locations always add their files.

Index pages are cached in ``pages-v1`` with their HTTP validators and honour ``Cache-Control``,
so a repeated lookup within ``max-age`` makes no request at all and the client is never built.
A page is stored only once it has been read without error: a broken one is never served again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

from packaging.utils import NormalizedName, parse_sdist_filename

from pinst._core.errors import DownloadError, PinstError
from pinst._core.limits import DEFAULT_MAX_INDEX_PAGE_SIZE, TooLarge, read_at_most
from pinst._core.urls import redact, strip_credentials
from pinst.output.report import pinst_logger
from pinst.wheel.filename import WheelFilename, filename_from_url

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
HASH_ALGORITHMS = hashlib.algorithms_guaranteed
# Whether a file, by its filename, is of interest (for a pin: of its version).
Wanted = Callable[[str], bool]


def everything(filename: str) -> bool:
    """The ``Wanted`` that takes every file."""
    return True


ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip")
REMOTE_SCHEMES = ("http", "https")
PAGE_LIMIT_ADVICE = (
    "If the index really serves pages this large, raise the limit with --max-index-page-size "
    "or PINST_MAX_INDEX_PAGE_SIZE (or max-index-page-size in pinst.toml)."
)
logger = pinst_logger()


@dataclass(frozen=True)
class DistributionFile:
    filename: str
    url: str  # absolute; may carry credentials, so print redact(url), never url
    hashes: Mapping[str, str]  # algorithm -> lowercase hex, as the index or the URL fragment says
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    origin: str  # the redacted index or find-links location it came from, for messages


@dataclass(frozen=True)
class Page:
    url: str  # where the body came from, without credentials: the base for relative links
    text: str
    content_type: str


class Finder:
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
        scheme = urlsplit(location).scheme
        if scheme in ("http", "https"):
            files = self._files_on(location, HTML_ACCEPT, location)
            if files is None and not self._offline:
                raise PinstError(
                    f"The --find-links page {redact(location)} does not exist (HTTP 404). "
                    "Check the URL."
                )
            return files or []
        path = Path(url2pathname(urlsplit(location).path)) if scheme == "file" else Path(location)
        return _local_files(path, location, self._max_page_size)

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


def project_of(filename: str) -> NormalizedName | None:
    """The normalized project name a wheel or sdist filename belongs to, if it parses."""
    if filename.endswith(".whl"):
        # The version is not parsed, so a wheel with a legacy version (which only a ``===``
        # pin can select) is still found.
        wheel = WheelFilename.split(filename)
        return wheel.project if wheel else None
    try:
        return parse_sdist_filename(filename)[0]
    except ValueError:
        return None


def _local_files(directory: Path, location: str, limit: int) -> list[DistributionFile]:
    if directory.is_file():
        page = Page(
            directory.absolute().as_uri(),
            _read_links_file(directory, location, limit),
            "text/html",
        )
        return parse_page(page, location, redact(location))
    if not directory.is_dir():
        raise PinstError(
            f"The --find-links location {redact(location)} does not exist. Give a directory of "
            "wheels, an HTML page of links, or its URL."
        )
    return [
        DistributionFile(
            filename=path.name,
            url=path.absolute().as_uri(),
            hashes={},  # the download computes and checks sha256 while copying into the cache
            requires_python=None,
            yanked=False,
            yanked_reason=None,
            origin=location,
        )
        for path in sorted(directory.iterdir())
        if path.name.endswith(ARCHIVE_SUFFIXES) and path.is_file()
    ]


def _read_links_file(path: Path, location: str, limit: int) -> str:
    try:
        with open(path, "rb") as stream:
            return read_at_most(stream.read, limit).decode("utf-8")
    except TooLarge:
        from pinst._core.disk_usage import format_size

        raise PinstError(
            f"The --find-links page {redact(location)} is larger than the limit of "
            f"{format_size(limit)} for an index page. {PAGE_LIMIT_ADVICE}"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = "it is not UTF-8 text" if isinstance(error, ValueError) else error.strerror
        raise PinstError(
            f"The --find-links location {redact(location)} is a file pinst cannot read as an "
            f"HTML page of links ({reason}). Give a directory of wheels, an HTML page of links, "
            "or its URL."
        ) from None


def parse_page(
    page: Page, credentials_from: str, origin: str, wanted: Wanted = everything
) -> list[DistributionFile]:
    """The files a simple-API page lists, as JSON (PEP 691) or HTML (PEP 503) by content type;
    with ``wanted``, only those whose filename it accepts.

    Links to the host of ``credentials_from`` get its credentials, as the page itself was fetched
    with them and the files usually need them too.

    ``wanted`` is asked before anything else is made of a file: PyPI's pages for the
    benchmark's 109 projects list 87,633 files (38 MB of JSON), and making an object of each cost
    1.2 s of CPU, where a pin needs the few of its own version.
    """
    parse = _parse_json if "json" in page.content_type else _parse_html
    return [
        replace(file, url=with_credentials(file.url, credentials_from))
        for file in parse(page, origin, wanted)
    ]


def _parse_json(page: Page, origin: str, wanted: Wanted) -> list[DistributionFile]:
    try:
        data = json.loads(page.text)
        version = str(data["meta"]["api-version"])
        entries = data["files"]
        if not isinstance(entries, list):
            raise TypeError("'files' is not a list")
        if version.split(".")[0] != "1":
            raise ValueError(f"API version {version}; pinst understands 1.x")
        return [
            _json_file(entry, page.url, origin)
            for entry in entries
            if wanted(str(entry["filename"]))
        ]
    # RecursionError: JSON nested deeper than the parser's stack.
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise DownloadError(
            f"The index page {redact(page.url)} is not a simple-API JSON page pinst can read "
            f"({error}). Check that the index URL points at a PEP 691 simple index."
        ) from error


def _json_file(entry: dict[str, object], page_url: str, origin: str) -> DistributionFile:
    url, fragment_hashes = split_hash_fragment(urljoin(page_url, str(entry["url"])))
    hashes = entry.get("hashes") or {}
    if not isinstance(hashes, dict):
        raise TypeError("'hashes' is not an object")
    yanked = entry.get("yanked", False)
    requires_python = entry.get("requires-python")
    return DistributionFile(
        filename=str(entry["filename"]),
        url=url,
        hashes={
            **fragment_hashes,
            **{str(k): str(v).lower() for k, v in hashes.items() if k in HASH_ALGORITHMS},
        },
        requires_python=str(requires_python) if requires_python else None,
        yanked=bool(yanked),
        yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
        origin=origin,
    )


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # also unescapes attribute values
        self.base: str | None = None
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base" and self.base is None:
            self.base = attributes.get("href")
        elif tag == "a" and attributes.get("href"):
            self.anchors.append(attributes)


def _parse_html(page: Page, origin: str, wanted: Wanted) -> list[DistributionFile]:
    parser = _AnchorParser()
    try:
        parser.feed(page.text)
        parser.close()
    except AssertionError as error:  # html.parser's way of refusing a malformed declaration
        raise DownloadError(
            f"The index page {redact(page.url)} is not an HTML page pinst can read ({error}). "
            "Check that the index URL points at a PEP 503 simple index."
        ) from None
    base = (_join(page.url, parser.base) if parser.base else None) or page.url
    files = []
    for anchor in parser.anchors:
        joined = _join(base, anchor["href"] or "")
        if joined is None:
            continue  # a link that no URL parser accepts leads to no file pinst could download
        url, hashes = split_hash_fragment(joined)
        filename = filename_from_url(url)
        if not filename or not wanted(filename):
            continue  # a link to a directory or the page itself (no file), or an unwanted file
        yanked = "data-yanked" in anchor
        files.append(
            DistributionFile(
                filename=filename,
                url=url,
                hashes=hashes,
                requires_python=anchor.get("data-requires-python") or None,
                yanked=yanked,
                yanked_reason=(anchor.get("data-yanked") or None) if yanked else None,
                origin=origin,
            )
        )
    return files


def _join(base: str, link: str) -> str | None:
    """The absolute URL of ``link``, None if it is no valid URL (``http://[::1``)."""
    try:
        joined = urljoin(base, link)
        urlsplit(joined)  # what later code does with it
    except ValueError:
        return None
    return joined


def split_hash_fragment(url: str) -> tuple[str, dict[str, str]]:
    """Split ``...#sha256=<hex>`` into the bare URL and its hash."""
    bare, _, fragment = url.partition("#")
    algorithm, _, value = fragment.partition("=")
    if algorithm in HASH_ALGORITHMS and value:
        return bare, {algorithm: value.lower()}
    return bare, {}


def with_credentials(url: str, source: str) -> str:
    """``url`` with the credentials of ``source`` if both point at the same server."""
    origin = urlsplit(source)
    target = urlsplit(url)
    if "@" not in origin.netloc or "@" in target.netloc:
        return url
    host = origin.netloc.rpartition("@")[2]
    if (target.scheme, target.netloc.lower()) != (origin.scheme, host.lower()):
        return url
    return urlunsplit(target._replace(netloc=origin.netloc))


@dataclass(frozen=True)
class CachedPage:
    page: Page
    etag: str | None
    last_modified: str | None
    fetched: float  # time.time() of the last download or revalidation
    max_age: float  # seconds the page stays fresh after ``fetched``; 0 = always revalidate
    storable: bool = True

    @classmethod
    def from_response(cls, page: Page, headers: httpx.Headers) -> CachedPage:
        storable, max_age = _freshness(headers.get("Cache-Control", ""))
        return cls(
            page=page,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            fetched=time.time(),
            max_age=max_age,
            storable=storable,
        )

    def is_fresh(self) -> bool:
        age = time.time() - self.fetched
        return 0 <= age < self.max_age

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def revalidated(self, headers: httpx.Headers) -> CachedPage:
        """This page after a 304: the same body, fresh again per the new headers."""
        storable, max_age = _freshness(headers.get("Cache-Control", ""))
        return CachedPage(
            page=self.page,
            etag=headers.get("ETag", self.etag),
            last_modified=headers.get("Last-Modified", self.last_modified),
            fetched=time.time(),
            max_age=max_age if "Cache-Control" in headers else self.max_age,
            storable=storable,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.page.url,
            "text": self.page.text,
            "content_type": self.page.content_type,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "fetched": self.fetched,
            "max_age": self.max_age,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CachedPage:
        etag, modified = data["etag"], data["last_modified"]
        fetched, max_age = data["fetched"], data["max_age"]
        if not isinstance(fetched, (int, float)) or not isinstance(max_age, (int, float)):
            raise TypeError("fetched and max_age must be numbers")
        return cls(
            page=Page(str(data["url"]), str(data["text"]), str(data["content_type"])),
            etag=str(etag) if etag is not None else None,
            last_modified=str(modified) if modified is not None else None,
            fetched=float(fetched),
            max_age=float(max_age),
        )


def _freshness(cache_control: str) -> tuple[bool, float]:
    """(may the page be stored, seconds it stays fresh) per a Cache-Control header."""
    directives: dict[str, str] = {}
    for directive in cache_control.split(","):
        key, _, value = directive.strip().partition("=")
        directives[key.lower()] = value.strip().strip('"')
    if "no-store" in directives:
        return False, 0.0
    if "no-cache" in directives:
        return True, 0.0
    try:
        return True, max(0.0, float(directives.get("max-age", "0")))
    except ValueError:
        return True, 0.0


class PageCache:
    """Index pages on disk, one JSON file per URL, keyed without the URL's credentials."""

    def __init__(self, directory: Path, max_page_size: int = DEFAULT_MAX_INDEX_PAGE_SIZE) -> None:
        self.directory = directory
        # A page within the limit takes at most six times its size as JSON (``\u0000`` for a
        # byte): a larger file was not written under this limit, and is not read.
        self.max_file_size = 6 * max_page_size + 64 * 1024

    def path(self, url: str) -> Path:
        key = hashlib.sha256(strip_credentials(url).encode()).hexdigest()
        return self.directory / f"{key}.json"

    def load(self, url: str) -> CachedPage | None:
        try:
            with open(self.path(url), "rb") as stream:
                content = read_at_most(stream.read, self.max_file_size)
            return CachedPage.from_json(json.loads(content))
        except FileNotFoundError:
            return None
        except TooLarge:
            return None  # fetched again, and checked against the limit as it comes
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None  # unreadable or damaged: fetch the page again and overwrite it

    def store(self, url: str, entry: CachedPage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Write beside the final file and rename: readers never see half a page.
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(entry.to_json(), out)
            os.replace(temporary, self.path(url))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
