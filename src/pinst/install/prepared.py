"""A wheel ready to materialise: unpacked in the entries cache, and where it came from.

What ``install/prepare.py`` hands on, and what ``install/json_report.py`` reports of it: its own
module, so that the report does not depend on how the wheels were prepared.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import NamedTuple

from pinst.cache.manifest import Manifest
from pinst.install.plan import Change


class Source(Enum):
    """Where a prepared wheel came from, for ``--json`` (see install/json_report.py) and ``-v``."""

    UNPACKED = "unpacked"  # already unpacked in the entries cache: nothing to do
    DOWNLOADED = "downloaded"  # downloaded by an earlier run, unpacked now without the network
    FETCHED = "fetched"  # downloaded in this run


SOURCE_WORDS = {
    Source.UNPACKED: "cache hit, already unpacked",
    Source.DOWNLOADED: "cache hit for the download, unpacked now",
    Source.FETCHED: "not in the cache, downloaded and unpacked",
}


class Prepared(NamedTuple):
    """A change whose wheel is unpacked in the cache and ready to materialise."""

    change: Change
    entry: Path
    manifest: Manifest
    direct_url: dict[str, object] | None  # PEP 610's record for URL and path installs
    source: Source
