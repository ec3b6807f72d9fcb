"""A direct reference: a requirement that names its wheel by URL or path instead of by version
(``name @ https://.../name-1.0-py3-none-any.whl``, ``./wheels/name-1.0-py3-none-any.whl``), checked
to be a wheel pinst can fetch, under the name the line gives it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pinst._core.errors import PinstError
from pinst.requirements.hashes import fragment_hashes, union_hashes
from pinst.requirements.model import Origin, Pin
from pinst.wheel.filename import checked_wheel_filename, filename_from_url

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.utils import NormalizedName

SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
VCS_SCHEMES = ("git", "hg", "svn", "bzr")
# Where a URL starts, and a line is a URL rather than a name or a path.
URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://|file:", re.IGNORECASE)


def direct_pin(
    location: str,
    name: NormalizedName | None,
    hashes: dict[str, frozenset[str]],
    origin: Origin,
    text: str,
    base: Path,
    *,
    extras: frozenset[str] = frozenset(),
    marker: Marker | None = None,
) -> Pin:
    """The pin for a wheel URL or path (relative to ``base``), named ``name`` if the line names
    its project; checked as a requirement line's, wherever it comes from (a lock file too)."""
    if URL_START.match(location):
        parts = split_url(location, origin, text)
        url = _wheel_url(parts, origin, base, text)
        hashes = union_hashes(hashes, fragment_hashes(parts.fragment, origin, text))
    else:
        url = _local_wheel_url(base / location, origin, text)
    # Checked on the URL as stored, so later code can parse its filename without failing.
    wheel_name = _check_wheel_filename(filename_from_url(url), origin, text)
    if name is not None and name != wheel_name:
        raise PinstError(
            f"{origin}: '{text}' names the project {name}, but the wheel {filename_from_url(url)} "
            f"is {wheel_name}. Fix the name or the URL so they agree."
        )
    return Pin(
        name=wheel_name,
        version=None,
        arbitrary_equality=False,
        url=url,
        extras=extras,
        hashes=hashes,
        marker=marker,
        origin=origin,
        text=text,
    )


def _wheel_url(parts: SplitResult, origin: Origin, base: Path, text: str) -> str:
    """The URL without its fragment, after checking that pinst can fetch it."""
    scheme = parts.scheme.lower()
    if scheme in VCS_SCHEMES or scheme.startswith(tuple(f"{vcs}+" for vcs in VCS_SCHEMES)):
        raise _wheels_only(origin, text, "is a version-control URL")
    if scheme == "file":
        return _local_wheel_url(file_url_path(parts, origin, base, text), origin, text)
    if scheme not in ("http", "https"):
        raise PinstError(
            f"{origin}: '{text}' uses the URL scheme '{parts.scheme}'; pinst fetches https://, "
            "http:// and file:// URLs only. Download the wheel and pin its path instead."
        )
    return urlunsplit(parts._replace(fragment=""))


def _local_wheel_url(path: Path, origin: Origin, text: str) -> str:
    path = absolute(path)
    if _is_dir(path):
        raise _wheels_only(origin, text, "is a directory, not a wheel")
    _check_wheel_filename(path.name, origin, text)
    if not _is_file(path):
        relative_to = "the current directory" if origin.path is None else "the file's directory"
        raise PinstError(
            f"{origin}: '{text}': there is no wheel at {path}. Check the path (a relative path "
            f"is relative to {relative_to})."
        )
    return path.as_uri()


def file_url_path(parts: SplitResult, origin: Origin, base: Path, text: str) -> Path:
    """The local path a ``file:`` URL names (relative to ``base`` if the URL is relative)."""
    if parts.netloc not in ("", "localhost"):
        raise PinstError(
            f"{origin}: '{text}' is a file URL on the host '{parts.netloc}'; pinst reads local "
            "files only. Use file:///absolute/path or a plain path."
        )
    from urllib.request import url2pathname  # heavy: only for file: URLs

    return base / url2pathname(parts.path)


def _check_wheel_filename(filename: str, origin: Origin, text: str) -> NormalizedName:
    """The project name of the wheel ``filename``, or the error that says it is no wheel."""
    lowered = filename.lower()
    if lowered.endswith(SDIST_SUFFIXES):
        raise _wheels_only(origin, text, "is a source distribution")
    if not lowered.endswith(".whl"):
        raise _wheels_only(origin, text, "is not a wheel (.whl)")
    try:
        return checked_wheel_filename(filename)[0]
    except ValueError as error:  # packaging's InvalidWheelFilename
        raise PinstError(
            f"{origin}: '{text}': {filename} is not a valid wheel filename ({error}). Pin the "
            "wheel under the name its build tool gave it."
        ) from None


def _wheels_only(origin: Origin, text: str, what: str) -> PinstError:
    return PinstError(
        f"{origin}: '{text}' {what}; pinst installs wheels only. Build a wheel (`pip wheel "
        "--no-deps <source>` or `uv build --wheel`) and pin its file or URL instead."
    )


def split_url(url: str, origin: Origin, text: str) -> SplitResult:
    """``url``, split; an error naming the line ``text`` if it cannot be."""
    try:
        return urlsplit(url)
    except ValueError as error:
        raise PinstError(f"{origin}: '{text}' has an invalid URL: {error}. Fix the URL.") from None


def absolute(path: Path) -> Path:
    """``path`` made absolute and normalised, its symlinks kept."""
    # normpath, not resolve(): a symlinked wheel keeps the filename it was pinned by.
    return Path(os.path.normpath(path.absolute()))


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
