"""``pinst list`` and ``pinst freeze``: what a venv has, whoever installed it.

Names and versions come from each ``.dist-info``'s METADATA, as pip shows them (the directory
name escapes the name: ``typing_extensions`` for ``typing-extensions``), with the directory name
as a fallback for a METADATA that is missing or unreadable. Output goes to stdout, for scripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pinst.venv.installed import InstalledDistribution, installed_distributions
from pinst.venv.target import Venv

FORMATS = ("columns", "json", "freeze")


@dataclass(frozen=True)
class Listed:
    name: str  # as METADATA spells it
    version: str
    installer: str  # the INSTALLER file's first line, "" if there is none
    requirement: str  # the line ``pip freeze`` prints for it


def listed_distributions(venv: Venv) -> list[Listed]:
    """Every distribution in the venv, sorted by name case-insensitively as pip sorts them."""
    installed = installed_distributions(venv.interpreter.scheme).values()
    return sorted((_listed(item) for item in installed), key=lambda item: item.name.lower())


def show_list(venv: Venv, output_format: str) -> None:
    listed = listed_distributions(venv)
    if output_format == "json":
        print(json.dumps([_as_json(item) for item in listed]))
    elif output_format == "freeze":
        show_freeze(venv)
    elif listed:  # pip prints nothing, not even the header, for an empty venv
        print(_columns([("Package", "Version")] + [(item.name, item.version) for item in listed]))


def show_freeze(venv: Venv) -> None:
    for item in listed_distributions(venv):
        print(item.requirement)


def _as_json(item: Listed) -> dict[str, str]:
    return {"name": item.name, "version": item.version, "installer": item.installer}


def _columns(rows: list[tuple[str, str]]) -> str:
    """pip's table: left-aligned columns one space apart, a dashed rule under the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    rows.insert(1, ("-" * widths[0], "-" * widths[1]))
    return "\n".join(f"{name.ljust(widths[0])} {version}".rstrip() for name, version in rows)


def _listed(distribution: InstalledDistribution) -> Listed:
    headers = _metadata_headers(distribution.dist_info / "METADATA")
    name = headers.get("name") or distribution.name
    raw_version = headers.get("version") or distribution.version
    version = _pep440(raw_version) or raw_version  # pip shows "1.0-1" as "1.0.post1"
    installer = _first_line(distribution.dist_info / "INSTALLER")
    return Listed(name, version, installer, _requirement(distribution.dist_info, name, version))


def _metadata_headers(path: Path) -> dict[str, str]:
    """The first Name and Version headers; the body (a long description) is not read."""
    found: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as metadata:
            for line in metadata:
                if not line.strip():
                    break  # the end of the headers
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key in ("name", "version") and key not in found:
                    found[key] = value.strip()
    except OSError:
        pass
    return found


def _first_line(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text.strip().split("\n", 1)[0].strip()


def _requirement(dist_info: Path, name: str, version: str) -> str:
    """``name==version``, or PEP 610's direct reference as ``pip freeze`` writes it."""
    direct = _direct_reference(dist_info / "direct_url.json", name)
    if direct is not None:
        return direct
    return f"{name}=={version}" if _pep440(version) else f"{name}==={version}"


def _direct_reference(path: Path, name: str) -> str | None:
    """pip's ``direct_url_as_pep440_direct_reference``: the URL, VCS and fragments pip adds."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str):
        return None
    fragments = []
    vcs, archive = data.get("vcs_info"), data.get("archive_info")
    if isinstance(vcs, dict):
        url = f"{vcs.get('vcs')}+{url}@{vcs.get('commit_id')}"
    elif isinstance(archive, dict) and isinstance(archive.get("hash"), str):
        fragments.append(archive["hash"])
    if isinstance(data.get("subdirectory"), str):
        fragments.append(f"subdirectory={data['subdirectory']}")
    return f"{name} @ {url}" + (f"#{'&'.join(fragments)}" if fragments else "")


def _pep440(version: str) -> str | None:
    """The version in PEP 440's normal form, or None if it is not a PEP 440 version."""
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion:
        return None
