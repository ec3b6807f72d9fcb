"""Where wheels are looked for: the indexes, in order of precedence, and the find-links locations.

Kept apart from ``finder.py`` so that a run which needs no index (every wheel already in the
cache) can name its sources without importing the finder and its parsers.
"""

from __future__ import annotations

from typing import NamedTuple


class Sources(NamedTuple):
    """Where wheels are looked for: indexes in order of precedence, and find-links locations."""

    index_urls: list[str]
    find_links: list[str]
