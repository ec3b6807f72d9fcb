"""A file an index or find-links location offers, and what its filename and URL tell of it.

``DistributionFile`` is what every part of finding a wheel passes along: the page parsers make
it, the finder gathers it, ``choice.py`` picks one for a pin, and the download fetches it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName, parse_sdist_filename

from pinst.wheel.filename import WheelFilename

# The hash algorithms taken from an index or a URL fragment: those every Python has (any other
# an index names is ignored).
HASH_ALGORITHMS = hashlib.algorithms_guaranteed
# Whether a file, by its filename, is of interest (for a pin: of its version).
Wanted = Callable[[str], bool]


def everything(filename: str) -> bool:
    """The ``Wanted`` that takes every file."""
    return True


@dataclass(frozen=True)
class DistributionFile:
    filename: str
    url: str  # absolute; may carry credentials, so print redact(url), never url
    hashes: Mapping[str, str]  # algorithm -> lowercase hex, as the index or the URL fragment says
    requires_python: str | None
    yanked: bool
    yanked_reason: str | None
    origin: str  # the redacted index or find-links location it came from, for messages


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


def split_hash_fragment(url: str) -> tuple[str, dict[str, str]]:
    """Split ``...#sha256=<hex>`` into the bare URL and its hash."""
    bare, _, fragment = url.partition("#")
    algorithm, _, value = fragment.partition("=")
    if algorithm in HASH_ALGORITHMS and value:
        return bare, {algorithm: value.lower()}
    return bare, {}
