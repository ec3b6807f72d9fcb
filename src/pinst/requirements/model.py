"""What a requirement is once read: where it was written (``Origin``), an exact pin (``Pin``), a
requirement only a constraint can pin (``Unpinned``), and the pins selected for one target
(``RequirementSet``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    # packaging's parser is imported only for lines the fast path in ``line.py`` does not take.
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName


class Origin(NamedTuple):
    """Where a requirement was written, for error messages."""

    path: Path | None  # the requirements file; None for the command line
    line: int | None  # 1-based number of the first physical line of a continued line

    def __str__(self) -> str:
        if self.path is None:
            return "the command line"
        if self.line is None:
            return str(self.path)
        return f"{self.path}:{self.line}"


COMMAND_LINE = Origin(path=None, line=None)


class Pin(NamedTuple):
    """One exact wheel to install: a version to find in the index, or a direct wheel URL."""

    name: NormalizedName
    version: str | None  # from ``==`` or ``===``; None for a direct URL
    arbitrary_equality: bool  # ``===``: compare the version as a string
    url: str | None  # https://, http:// or file:// (local paths become absolute file:// URLs)
    extras: frozenset[str]
    hashes: Mapping[str, frozenset[str]]  # "sha256"/"sha384"/"sha512" -> lowercase hex digests
    marker: Marker | None
    origin: Origin
    text: str  # the requirement as written, for messages
    # From a PEP 751 lock file: fetched from ``url``, but installed as from an index (no
    # direct_url.json) and satisfied by ``version``, as uv does.
    locked: bool = False

    @property
    def is_direct(self) -> bool:
        return self.url is not None


class Unpinned(NamedTuple):
    """A requirement such as ``name>=1`` or ``name``, which only a constraint can pin."""

    name: NormalizedName
    specifier: SpecifierSet
    extras: frozenset[str]
    hashes: Mapping[str, frozenset[str]]
    marker: Marker | None
    origin: Origin
    text: str


class RequirementSet(NamedTuple):
    """What to install into one target: one pin per project, in first-seen order."""

    pins: list[Pin]
    index_url: str | None
    extra_index_urls: list[str]
    find_links: list[str]  # URLs or absolute paths
    no_index: bool
    require_hashes: bool  # hash-checking mode: every pin carries at least one hash
