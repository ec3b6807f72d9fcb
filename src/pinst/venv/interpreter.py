"""The target venv's interpreter as pinst knows it: its version, wheel tags, markers and scheme.

These facts come from a probe the interpreter runs itself (``venv/probing.py``) and are kept
between runs as a JSON record (``venv/facts.py``); ``interpreter_from_record`` reads a record
back, and refuses one that is not whole or would send files anywhere unexpected.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")


class Scheme(NamedTuple):
    """Where each kind of wheel content goes in this venv (the wheel spec's install scheme)."""

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path

    def kept_directories(self) -> list[str]:
        """The directories removing a package never removes, even when it leaves them empty."""
        return [str(path) for path in (self.purelib, self.platlib, self.scripts, self.headers)]

    def path_for(self, key: str) -> Path:
        return {
            "purelib": self.purelib,
            "platlib": self.platlib,
            "scripts": self.scripts,
            "data": self.data,
            "headers": self.headers,
        }[key]


class Interpreter:
    """What pinst needs to know about the venv's Python to choose and install wheels for it."""

    def __init__(
        self,
        *,
        executable: Path,
        version: tuple[int, int, int],
        implementation: str,
        cache_tag: str,
        scheme: Scheme,
        markers: dict[str, str],
        tags: tuple[str, ...],
    ) -> None:
        self.executable = executable
        self.version = version
        self.implementation = implementation
        self.cache_tag = cache_tag  # names bytecode files: "cpython-311" in mod.cpython-311.pyc
        self.scheme = scheme
        self.markers = markers
        self.tags = tags  # most preferred first, as ``packaging.tags.sys_tags()`` gives them

    def _facts(self) -> tuple[object, ...]:
        return (
            self.executable,
            self.version,
            self.implementation,
            self.cache_tag,
            self.scheme,
            self.markers,
            self.tags,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Interpreter) and self._facts() == other._facts()

    def __repr__(self) -> str:
        return f"Interpreter{self._facts()!r}"

    @cached_property
    def tag_rank(self) -> dict[str, int]:
        """Tag -> position in preference order (lower is better)."""
        return {tag: rank for rank, tag in enumerate(self.tags)}

    @property
    def python_version(self) -> str:
        return ".".join(str(part) for part in self.version)


def interpreter_from_record(data: dict[str, object]) -> Interpreter:
    """An interpreter record read back; ValueError or TypeError if it is not one."""
    scheme = data["scheme"]
    if not isinstance(scheme, dict) or sorted(scheme) != sorted(SCHEME_KEYS):
        raise ValueError(f"a scheme without exactly the keys {', '.join(SCHEME_KEYS)}")
    if not all(plain_absolute(path) for path in scheme.values()):
        raise ValueError("a scheme path that is not absolute, or has '..' in it")
    version = data["version"]
    if not isinstance(version, list) or len(version) != 3:
        raise ValueError("a version that is not three numbers")
    markers = data["markers"]
    if not isinstance(markers, dict):
        raise TypeError("markers that are not a mapping")
    tags = data["tags"]
    if not isinstance(tags, list) or not tags:
        raise ValueError("no tags")
    return Interpreter(
        executable=Path(_text(data["executable"])),
        version=(_number(version[0]), _number(version[1]), _number(version[2])),
        implementation=_text(data["implementation"]),
        cache_tag=_text(data["cache_tag"]),
        scheme=Scheme(**{key: Path(_text(path)) for key, path in scheme.items()}),
        markers={_text(key): _text(value) for key, value in markers.items()},
        tags=tuple(_text(tag) for tag in tags),
    )


def plain_absolute(path: object) -> bool:
    """An absolute path with no ``..`` in it, that cannot lead out of where it seems to be."""
    return isinstance(path, str) and os.path.isabs(path) and ".." not in Path(path).parts


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not a whole number")
    return value
