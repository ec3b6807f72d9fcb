"""Reading a simple-API page: the files it lists, from PEP 691 JSON or PEP 503 HTML.

A page is untrusted input: whatever it holds, reading it gives the files it lists or a
``DownloadError`` that names the page, never another exception. Where the page came from (an
index, a find-links URL or file, the page cache) is the caller's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from pinst._core.errors import DownloadError
from pinst._core.urls import redact
from pinst.index.credentials import with_credentials
from pinst.index.files import (
    HASH_ALGORITHMS,
    DistributionFile,
    Wanted,
    everything,
    split_hash_fragment,
)
from pinst.wheel.filename import filename_from_url

# Said whenever a page is refused for its size, downloaded or read from a file.
PAGE_LIMIT_ADVICE = (
    "If the index really serves pages this large, raise the limit with --max-index-page-size "
    "or PINST_MAX_INDEX_PAGE_SIZE (or max-index-page-size in pinst.toml)."
)


@dataclass(frozen=True)
class Page:
    url: str  # where the body came from, without credentials: the base for relative links
    text: str
    content_type: str


def parse_page(
    page: Page, credentials_from: str, origin: str, wanted: Wanted = everything
) -> list[DistributionFile]:
    """The files a simple-API page lists, as JSON (PEP 691) or HTML (PEP 503) by content type;
    with ``wanted``, only those whose filename it accepts.

    Links to the host of ``credentials_from`` get its credentials, as the page itself was fetched
    with them and the files usually need them too.

    ``wanted`` is asked before anything else is made of a file: PyPI's pages for a large set of
    projects list tens of thousands of files, and making an object of each costs far more than
    the few a pin needs (see docs/internals/benchmark-history.md, section "Cold installs from
    PyPI: the pages").
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
