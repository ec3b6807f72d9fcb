"""The manifest of an unpacked cache entry: everything materialising needs, with no directory walk.

It is written once, when a wheel is unpacked and validated, and read on every install of that
wheel, so it holds the facts that would otherwise need the zip or a walk of the entry: each file
with its RECORD hash, size and executable bit, the dist-info name, the wheel's purelib flag and
its entry points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class EntryPoint:
    name: str
    module: str
    attribute: str
    section: str  # "console" or "gui"


@dataclass(frozen=True)
class FileRecord:
    path: str  # the member's path inside the wheel, with forward slashes
    hash: str  # as RECORD gives it: "sha256=<urlsafe base64>"
    size: int
    executable: bool


@dataclass(frozen=True)
class Manifest:
    name: str  # the project name as METADATA spells it
    version: str
    wheel_filename: str
    sha256: str
    dist_info: str  # "<name>-<version>.dist-info" as found in the wheel
    root_is_purelib: bool
    files: tuple[FileRecord, ...]
    entry_points: tuple[EntryPoint, ...]

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
                "files": [[f.path, f.hash, f.size, f.executable] for f in self.files],
                "entry_points": [
                    [e.name, e.module, e.attribute, e.section] for e in self.entry_points
                ],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError("unknown manifest format")
        return cls(
            name=data["name"],
            version=data["version"],
            wheel_filename=data["wheel_filename"],
            sha256=data["sha256"],
            dist_info=data["dist_info"],
            root_is_purelib=data["root_is_purelib"],
            files=tuple(FileRecord(p, h, s, x) for p, h, s, x in data["files"]),
            entry_points=tuple(EntryPoint(*row) for row in data["entry_points"]),
        )


def read_manifest(entry: Path) -> Manifest | None:
    """The manifest of a published entry, or None if the entry is missing or incomplete."""
    try:
        return Manifest.from_json((entry / MANIFEST_NAME).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
