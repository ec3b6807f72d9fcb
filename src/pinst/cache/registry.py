"""Which venvs use which cache entries, so ``pinst cache prune`` knows what is still needed.

Each venv pinst installs into has one record in the main cache, named by a hash of its path::

    venvs-v1/<sha256 of the venv's absolute path, first 32 hex>.json
    {"venv": "/abs/venv", "link_mode": "hardlink",
     "entries": {"<normalized project>": {"root": "/abs/entries-cache", "sha256": "<entry>"}}}

A record is only ever replaced whole (``_core/atomic.py``), so a reader sees the old
record or the new one, never half of one. A venv is live while its directory has a
``pyvenv.cfg``; the record of a venv that is gone is ignored, and ``prune`` deletes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

from pinst._core.atomic import is_temporary, write_atomically
from pinst._core.errors import PinstError
from pinst._core.names import canonical_name
from pinst._core.trust import UntrustedPath, check_existing, trusted_directory
from pinst.cache.layout import REGISTRY_BUCKET, Cache

KEY_LENGTH = 32
LEGACY_TEMPORARY_PREFIX = ".record-"  # how pinst named them before ``_core/atomic.py``

# Callers may key ``used`` by plain names or by packaging's NormalizedName.
Name = TypeVar("Name", bound=str)


class VenvRecord(NamedTuple):
    """One venv's record: the entry each installed project was linked from."""

    path: Path  # the record file
    venv: Path
    entries: Mapping[str, tuple[Path, str]]  # normalized project -> (entries cache root, sha256)
    link_mode: str

    @property
    def alive(self) -> bool:
        return (self.venv / "pyvenv.cfg").is_file()


class UnreadableRecord(PinstError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The venv record {path} cannot be read, so pinst cannot tell which cache entries "
            "the venv it describes still uses ('pinst cache prune' removes nothing until it "
            "can). Delete that file and run 'pinst install --reinstall' in that venv to record "
            "it anew; if you do not know which venv it was, deleting the file is still safe for "
            "venvs that link with hardlink, reflink or copy."
        )


def registry_dir(main: Cache) -> Path:
    return main.root / REGISTRY_BUCKET


def record_path(main: Cache, venv: Path) -> Path:
    key = hashlib.sha256(os.fsencode(_absolute(venv))).hexdigest()[:KEY_LENGTH]
    return registry_dir(main) / f"{key}.json"


def record_install(
    main: Cache,
    venv: Path,
    used: Mapping[Name, tuple[Path, str]],
    removed: Iterable[str],
    link_mode: str,
) -> None:
    """Merge one install into the venv's record: ``used`` projects set, ``removed`` ones dropped.

    Two installs into the same venv at the same moment can lose one update; the record then
    names fewer entries than the venv uses, which a later install into that venv corrects.
    """
    venv = _absolute(venv)
    path = record_path(main, venv)
    try:
        entries = dict(_read_record(path).entries)
    except (OSError, UnreadableRecord):
        entries = {}  # no record yet, or a damaged one that this install replaces
    for name in removed:
        entries.pop(canonical_name(name), None)
    for name, (root, sha256) in used.items():
        entries[canonical_name(name)] = (_absolute(root), sha256)
    _write_atomically(path, _to_json(venv, entries, link_mode))


def forget_projects(main: Cache, venv: Path, removed: Iterable[str]) -> None:
    """Drop uninstalled projects from the venv's record, if it has one, so that ``pinst cache
    prune`` may remove entries only they used. Best effort: a record that names too much only
    keeps entries longer."""
    path = record_path(main, venv)
    try:
        record = _read_record(path)
    except (OSError, UnreadableRecord, UntrustedPath):
        return  # never recorded (installed by another tool or cache), or damaged: leave it
    gone = {canonical_name(name) for name in removed}
    entries = {name: use for name, use in record.entries.items() if name not in gone}
    try:
        _write_atomically(path, _to_json(record.venv, entries, record.link_mode))
    except (OSError, UntrustedPath):
        pass


def registered_venvs(main: Cache) -> list[VenvRecord]:
    """Every venv record, live or not, sorted by venv path; raises on an unreadable one."""
    try:
        check_existing(registry_dir(main))  # records another user wrote would steer a prune
        names = sorted(os.listdir(registry_dir(main)))
    except FileNotFoundError:
        return []
    records = []
    for name in filter(_is_record_name, names):
        try:
            records.append(_read_record(registry_dir(main) / name))
        except FileNotFoundError:
            continue  # a concurrent prune deleted it
    return sorted(records, key=lambda record: record.venv)


def live_entries(main: Cache) -> set[tuple[Path, str]]:
    """(real path of the entries cache root, sha256) of every entry a live venv's record names.

    Roots are compared by real path, so a cache reached through a symlink or a relative
    ``--cache-dir`` is still recognised. Whether the venv still has the project installed is not
    checked: a record that names an entry keeps it.
    """
    return entries_in_use(registered_venvs(main))


def entries_in_use(records: Iterable[VenvRecord]) -> set[tuple[Path, str]]:
    """``live_entries`` of records already read."""
    return {
        (Path(os.path.realpath(root)), sha256)
        for record in records
        if record.alive
        for root, sha256 in record.entries.values()
    }


def stale_temporary_files(main: Cache) -> list[Path]:
    """Temporary record files left by a pinst that died between writing and renaming."""
    try:
        names = os.listdir(registry_dir(main))
    except FileNotFoundError:
        return []
    return [
        registry_dir(main) / name
        for name in names
        if is_temporary(name) or name.startswith(LEGACY_TEMPORARY_PREFIX)
    ]


def _is_record_name(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".")


def _absolute(path: Path) -> Path:
    # abspath also folds "..", so one venv spelled two ways still gets one record.
    return Path(os.path.abspath(path))


def _read_record(path: Path) -> VenvRecord:
    try:
        data = json.loads(path.read_text())
        entries = {
            str(name): (Path(use["root"]), str(use["sha256"]))
            for name, use in data["entries"].items()
        }
        return VenvRecord(path, Path(data["venv"]), entries, str(data["link_mode"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UnreadableRecord(path) from None


def _to_json(venv: Path, entries: Mapping[str, tuple[Path, str]], link_mode: str) -> str:
    return json.dumps(
        {
            "venv": str(venv),
            "entries": {
                name: {"root": str(root), "sha256": sha256}
                for name, (root, sha256) in sorted(entries.items())
            },
            "link_mode": link_mode,
        },
        indent=1,
    )


def _write_atomically(path: Path, text: str) -> None:
    trusted_directory(path.parent)
    write_atomically(path, text, mode=0o600)  # readable by pinst's user only, as ever
