"""The manifest of an unpacked cache entry: everything materialising needs, with no directory walk.

It is written once, when a wheel is unpacked and validated, and read on every install of that
wheel, so it holds the facts that would otherwise need the zip or a walk of the entry: each file
with its RECORD hash, size and executable bit, the directories those files need (parents first),
the dist-info name, the wheel's purelib flag, its entry points, and its dependencies (the
``Requires-Dist`` lines the dependency check after an install needs, see ``wheel/dependencies.py``).

A warm install reads every manifest of a large set (tens of thousands of files), so the files stay
plain tuples (``rows``) on that path; ``files`` gives them as records for everything else.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pinst.wheel.dependencies import Dependency

if TYPE_CHECKING:
    from pinst.cache.layout import Cache

MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
# 2 added "directories"; format 1 manifests are still read. "dependencies" came later without a
# new format: older readers ignore it (so a cache shared with an older pinst is not unpacked
# again by each), and a manifest without it is read with its dependencies unknown.
MANIFEST_FORMAT = 2
READABLE_FORMATS = (1, 2)

FileRow = tuple[str, str, int, bool]  # path, RECORD hash, size, executable


class EntryPoint(NamedTuple):
    name: str
    module: str
    attribute: str
    section: str  # "console" or "gui"


class FileRecord(NamedTuple):
    path: str  # the member's path inside the wheel, with forward slashes
    hash: str  # as RECORD gives it: "sha256=<urlsafe base64>"
    size: int
    executable: bool


class Manifest:
    """An entry's manifest: a plain class, read-only by convention, not a dataclass (see "What
    made the warm path fast" in docs/internals/benchmark-history.md)."""

    def __init__(
        self,
        *,
        name: str,
        version: str,
        wheel_filename: str,
        sha256: str,
        dist_info: str,
        root_is_purelib: bool,
        rows: tuple[FileRow, ...],
        entry_points: tuple[EntryPoint, ...],
        directories: tuple[str, ...] = (),
        dependencies: tuple[Dependency, ...] | None = None,
    ) -> None:
        self.name = name  # the project name as METADATA spells it
        self.version = version
        self.wheel_filename = wheel_filename
        self.sha256 = sha256
        self.dist_info = dist_info  # "<name>-<version>.dist-info" as found in the wheel
        self.root_is_purelib = root_is_purelib
        self.rows = rows  # sorted by path
        self.entry_points = entry_points
        # The directories, relative to the install root, that the files outside .data need:
        # parents before children, so creating them in order needs one mkdir each. Format 1
        # manifests lack them: they are worked out from the rows.
        self.directories = directories or root_directories(rows, self.data_dir)
        self.dependencies = dependencies  # None: not known (a manifest written before them)

    @cached_property
    def files(self) -> tuple[FileRecord, ...]:
        return tuple(FileRecord(*row) for row in self.rows)

    @property
    def data_dir(self) -> str:
        return self.dist_info[: -len(".dist-info")] + ".data"

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "name": self.name,
                "version": self.version,
                "wheel_filename": self.wheel_filename,
                "sha256": self.sha256,
                "dist_info": self.dist_info,
                "root_is_purelib": self.root_is_purelib,
                "files": self.rows,
                "directories": self.directories,
                "entry_points": [
                    [e.name, e.module, e.attribute, e.section] for e in self.entry_points
                ],
                "dependencies": self.dependencies,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError("unknown manifest format")
        return cls(
            name=data["name"],
            version=data["version"],
            wheel_filename=data["wheel_filename"],
            sha256=data["sha256"],
            dist_info=data["dist_info"],
            root_is_purelib=data["root_is_purelib"],
            rows=tuple(map(tuple, data["files"])),
            entry_points=tuple(EntryPoint(*row) for row in data["entry_points"]),
            directories=tuple(data.get("directories", ())),
            dependencies=_dependencies(data.get("dependencies")),
        )


def _dependencies(rows: list[list[Any]] | None) -> tuple[Dependency, ...] | None:
    """None for a manifest written before manifests kept them."""
    return None if rows is None else tuple(Dependency(*row) for row in rows)


def root_directories(rows: tuple[FileRow, ...], data_dir: str) -> tuple[str, ...]:
    """Every directory the files outside ``data_dir`` need, relative to the root, parents first."""
    wanted: set[str] = set()
    for path, *_ in rows:
        if path.startswith(data_dir + "/"):
            continue
        directory = path.rpartition("/")[0]
        while directory and directory not in wanted:
            wanted.add(directory)
            directory = directory.rpartition("/")[0]
    return tuple(sorted(wanted))  # a parent sorts before its children


def entry_for(cache: Cache, sha256: str) -> tuple[Path, Manifest] | None:
    """The published entry of the wheel with this sha256 in ``cache``, if there is one."""
    entry = cache.entry_dir(sha256)
    manifest = read_manifest(entry)
    return (entry, manifest) if manifest is not None else None


def read_manifest(entry: Path) -> Manifest | None:
    """The manifest of a published entry, or None if the entry is missing or incomplete."""
    try:
        return Manifest.from_json((entry / MANIFEST_NAME).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
