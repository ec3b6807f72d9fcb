"""Build real wheel files for tests, valid by default and broken on request.

``build_wheel`` writes every member into a dict, computes RECORD from it, then lets ``tamper``
edit the dict before the zip is written: that is how a test makes RECORD lie, adds a member
RECORD does not list, or smuggles in a ``../evil`` path.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from packaging.tags import parse_tag

# A fixed timestamp makes two builds of the same wheel byte-identical, so their sha256 agree.
ZIP_TIMESTAMP = (2020, 1, 1, 0, 0, 0)

Members = dict[str, bytes]


def escape(name: str) -> str:
    """The distribution name as it appears in wheel filenames and .dist-info directories."""
    return re.sub(r"[-_.]+", "_", name).lower()


def dist_info(name: str, version: str) -> str:
    return f"{escape(name)}-{version}.dist-info"


def data_dir(name: str, version: str) -> str:
    return f"{escape(name)}-{version}.data"


def wheel_filename(
    name: str, version: str, tag: str = "py3-none-any", build_tag: str | None = None
) -> str:
    build = f"-{build_tag}" if build_tag else ""
    return f"{escape(name)}-{version}{build}-{tag}.whl"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    files: dict[str, bytes | str] | None = None,
    tag: str = "py3-none-any",
    root_is_purelib: bool = True,
    entry_points: dict[str, dict[str, str]] | None = None,
    data: dict[str, dict[str, bytes | str]] | None = None,
    executable: Iterable[str] = (),
    requires_python: str | None = None,
    metadata: Iterable[str] = (),
    build_tag: str | None = None,
    tamper: Callable[[Members], None] | None = None,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``directory`` and return its path.

    ``files`` maps paths at the wheel's root to content (default: a package ``<name>/__init__.py``
    that sets ``__version__``). ``data`` maps a scheme key (``scripts``, ``data``, ``headers``,
    ``purelib``, ``platlib``) to the files under ``<dist>.data/<scheme>/``. ``executable`` names
    files to mark 0o755: a key of ``files``, or ``"<scheme>/<path>"`` for a ``data`` file.
    ``metadata`` adds raw METADATA lines such as ``"Requires-Dist: idna"``.
    """
    if files is None:
        files = {f"{escape(name)}/__init__.py": f'__version__ = "{version}"\n'}
    members: Members = {}
    executable_members: set[str] = set()
    wanted_executable = set(executable)
    for path, content in files.items():
        members[path] = _bytes(content)
        if path in wanted_executable:
            executable_members.add(path)
    for scheme, scheme_files in (data or {}).items():
        for path, content in scheme_files.items():
            member = f"{data_dir(name, version)}/{scheme}/{path}"
            members[member] = _bytes(content)
            if f"{scheme}/{path}" in wanted_executable:
                executable_members.add(member)

    info = dist_info(name, version)
    members[f"{info}/METADATA"] = _metadata(name, version, requires_python, metadata)
    members[f"{info}/WHEEL"] = _wheel_file(tag, root_is_purelib, build_tag)
    if entry_points:
        members[f"{info}/entry_points.txt"] = _entry_points(entry_points)
    members[f"{info}/RECORD"] = _record(members, f"{info}/RECORD")
    if tamper is not None:
        tamper(members)

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / wheel_filename(name, version, tag, build_tag)
    _write_zip(target, members, executable_members)
    return target


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_hash(content: bytes) -> str:
    """A RECORD hash field: urlsafe base64 of the sha256, without padding."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _bytes(content: bytes | str) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _metadata(name: str, version: str, requires_python: str | None, extra: Iterable[str]) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(extra)
    return ("\n".join(lines) + "\n").encode()


def _wheel_file(tag: str, root_is_purelib: bool, build_tag: str | None) -> bytes:
    lines = [
        "Wheel-Version: 1.0",
        "Generator: pinst-tests",
        f"Root-Is-Purelib: {'true' if root_is_purelib else 'false'}",
    ]
    # A compressed tag set such as py2.py3-none-any expands to one Tag line per combination.
    lines.extend(f"Tag: {expanded}" for expanded in sorted(str(t) for t in parse_tag(tag)))
    if build_tag:
        lines.append(f"Build: {build_tag}")
    return ("\n".join(lines) + "\n").encode()


def _entry_points(groups: dict[str, dict[str, str]]) -> bytes:
    sections = []
    for group, entries in groups.items():
        body = "".join(f"{key} = {value}\n" for key, value in entries.items())
        sections.append(f"[{group}]\n{body}")
    return "\n".join(sections).encode()


def _record(members: Members, record_path: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, content in members.items():
        writer.writerow([path, record_hash(content), len(content)])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()


def _write_zip(target: Path, members: Members, executable: set[str]) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in members.items():
            info = zipfile.ZipInfo(path, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if path in executable else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
            archive.writestr(info, content)
