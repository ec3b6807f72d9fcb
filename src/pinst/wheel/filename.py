"""A wheel's filename: ``{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`` (the binary
distribution format specification), and the filename a URL ends in.

Two readings, because pinst needs both. ``WheelFilename.split`` is lenient: it takes the fields
apart without judging the version, so a wheel with a legacy version, which only a ``===`` pin can
select, is still found on an index page and ranked; it imports nothing of ``packaging`` and so
costs a warm install nothing. ``checked_wheel_filename`` is strict, as ``packaging`` is: a wheel
pinst is about to unpack or a pin is about to name must have a valid name and version.
"""

from __future__ import annotations

from posixpath import basename
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from pinst._core.names import canonical_name

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

WHEEL_SUFFIX = ".whl"


class WheelFilename(NamedTuple):
    """The fields of a wheel filename as written; the version is text, not yet judged."""

    name: str
    version: str
    build: str | None
    python_tags: str  # compressed tag sets, as written: ``py2.py3``
    abi_tags: str
    platform_tags: str

    @classmethod
    def split(cls, filename: str) -> WheelFilename | None:
        """The fields of ``filename``, or None if it is no wheel filename (wrong suffix, or not
        five or six dash-separated fields)."""
        if not filename.endswith(WHEEL_SUFFIX):
            return None
        parts = filename[: -len(WHEEL_SUFFIX)].split("-")
        if len(parts) == 5:
            return cls(parts[0], parts[1], None, *parts[2:])
        if len(parts) == 6:
            return cls(*parts)
        return None

    @property
    def project(self) -> NormalizedName:
        """The project name, normalized (PEP 503)."""
        return canonical_name(self.name)

    @property
    def tag_sets(self) -> tuple[str, str, str]:
        """The python, abi and platform tag sets, for ``index.tags.expand_tags``."""
        return self.python_tags, self.abi_tags, self.platform_tags


def checked_wheel_filename(filename: str) -> tuple[NormalizedName, Version]:
    """The project name and version of ``filename``, judged as ``packaging`` judges them.

    Raises ``packaging.utils.InvalidWheelFilename`` (a ``ValueError``) with packaging's reason.
    ``packaging.utils`` is imported here, not at the top: it brings ``packaging.tags`` with it,
    which a warm install does not need.
    """
    from packaging.utils import parse_wheel_filename

    name, version, _, _ = parse_wheel_filename(filename)
    return name, version


def filename_from_url(url: str) -> str:
    """The file name a URL's path ends in, percent-decoded (empty for a URL ending in ``/``)."""
    return unquote(basename(urlsplit(url).path))
