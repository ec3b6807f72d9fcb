"""Index pages kept on disk (the ``pages-v1`` bucket), with their HTTP validators.

A page stays fresh as long as its ``Cache-Control`` allows, and is then revalidated with its
``ETag`` or ``Last-Modified``, so that an unchanged page is not sent again. The finder stores a
page only once it has been read without error: a broken page is never served from here.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pinst._core.atomic import write_atomically
from pinst._core.limits import DEFAULT_MAX_INDEX_PAGE_SIZE, TooLarge, read_at_most
from pinst._core.urls import strip_credentials
from pinst.index.pages import Page

if TYPE_CHECKING:
    import httpx

# Owner-only, as page files have always been (they began as mkstemp temporaries): the pages of a
# private index are no other user's to read.
PAGE_FILE_MODE = 0o600


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
        # Replaced whole: a reader (another pinst) never sees half a page.
        write_atomically(self.path(url), json.dumps(entry.to_json()), mode=PAGE_FILE_MODE)
