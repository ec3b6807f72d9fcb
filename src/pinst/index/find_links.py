"""A find-links location on this machine: a directory of wheels, or an HTML page of links.

A directory gives every wheel and sdist in it, with no hashes (the download computes and checks
one while copying the file into the cache). A file is read, to the limit of an index page, as
an HTML page whose links may point at local files, unlike a page downloaded from a server. A
find-links URL (``http(s)://``) is a page like any index page: the finder downloads it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pinst._core.errors import PinstError
from pinst._core.limits import TooLarge, read_at_most
from pinst._core.urls import redact
from pinst.index.files import DistributionFile
from pinst.index.pages import PAGE_LIMIT_ADVICE, Page, parse_page

ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip")


def local_path(location: str) -> Path:
    """The path a local find-links location names, as a ``file://`` URL or a plain path."""
    if urlsplit(location).scheme == "file":
        return Path(url2pathname(urlsplit(location).path))
    return Path(location)


def local_files(path: Path, location: str, limit: int) -> list[DistributionFile]:
    """The files the find-links ``location`` (at ``path``) offers; a page of links is read
    only up to ``limit`` bytes."""
    if path.is_file():
        page = Page(path.absolute().as_uri(), _read_links_file(path, location, limit), "text/html")
        return parse_page(page, location, redact(location))
    if not path.is_dir():
        raise PinstError(
            f"The --find-links location {redact(location)} does not exist. Give a directory of "
            "wheels, an HTML page of links, or its URL."
        )
    return [
        DistributionFile(
            filename=member.name,
            url=member.absolute().as_uri(),
            hashes={},  # the download computes and checks sha256 while copying into the cache
            requires_python=None,
            yanked=False,
            yanked_reason=None,
            origin=location,
        )
        for member in sorted(path.iterdir())
        if member.name.endswith(ARCHIVE_SUFFIXES) and member.is_file()
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
