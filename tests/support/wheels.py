"""Build real wheel files for tests, valid by default and broken on request.

``build_wheel`` writes every member into a dict, computes RECORD from it, then lets ``tamper``
edit the dict before the zip is written: that is how a test makes RECORD lie, adds a member
RECORD does not list, or smuggles in a ``../evil`` path. What a dict cannot express is asked for
by name: ``modes`` (a symlink member), ``zeros`` (a huge member streamed, never held in memory),
``duplicates`` (a second member of the same name), ``compression``; and ``patch_header`` rewrites
a member's zip headers after the fact, to make them lie about its size.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
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
    entry_points_text: str | None = None,
    data: dict[str, dict[str, bytes | str]] | None = None,
    executable: Iterable[str] = (),
    requires_python: str | None = None,
    metadata: Iterable[str] = (),
    build_tag: str | None = None,
    tamper: Callable[[Members], None] | None = None,
    modes: Mapping[str, int] | None = None,
    zeros: Mapping[str, int] | None = None,
    duplicates: Iterable[str] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``directory`` and return its path.

    ``files`` maps paths at the wheel's root to content (default: a package ``<name>/__init__.py``
    that sets ``__version__``). ``data`` maps a scheme key (``scripts``, ``data``, ``headers``,
    ``purelib``, ``platlib``) to the files under ``<dist>.data/<scheme>/``. ``executable`` names
    files to mark 0o755: a key of ``files``, or ``"<scheme>/<path>"`` for a ``data`` file.
    ``metadata`` adds raw METADATA lines such as ``"Requires-Dist: idna"``.
    ``entry_points_text`` is a whole ``entry_points.txt``, as is (for lines ``entry_points``
    cannot write).

    For hostile wheels: ``modes`` gives members a full ``st_mode`` (``stat.S_IFLNK | 0o777``
    makes a symlink); ``zeros`` adds members of that many zero bytes, listed in RECORD and
    streamed into the zip; ``duplicates`` names members written a second time, identically, after
    all others; ``compression`` is the zip method of every member.
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
    if entry_points_text is not None:
        members[f"{info}/entry_points.txt"] = entry_points_text.encode()
    zero_rows = {path: (_zeros_hash(size), size) for path, size in (zeros or {}).items()}
    members[f"{info}/RECORD"] = _record(members, f"{info}/RECORD", zero_rows)
    if tamper is not None:
        tamper(members)

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / wheel_filename(name, version, tag, build_tag)
    modes = dict.fromkeys(executable_members, 0o100755) | dict(modes or {})
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        for path, content in members.items():
            archive.writestr(_zip_info(path, modes, compression), content)
        for path, size in (zeros or {}).items():
            _write_zeros(archive, _zip_info(path, modes, compression), size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate name, as it should
            for path in duplicates:
                archive.writestr(_zip_info(path, modes, compression), members[path])
    return target


def patch_header(
    wheel: Path,
    member: str,
    *,
    central: bool = True,
    local: bool = True,
    size: int | None = None,
    crc: int | None = None,
    flag_bits: int | None = None,
    compressed_size: int | None = None,
) -> None:
    """Rewrite fields of ``member``'s central directory entry and/or local file header in place,
    so that they declare another size, compressed size, checksum or flags than the data has."""
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
    # (offset of flags, of CRC, of compressed size) in each header; the size follows.
    places = [(_central_entry(data, member), (8, 16, 20))] if central else []
    places += [(info.header_offset, (6, 14, 18))] if local else []
    for start, (flags_at, crc_at, compressed_at) in places:
        if flag_bits is not None:
            struct.pack_into("<H", data, start + flags_at, flag_bits)
        if crc is not None:
            struct.pack_into("<L", data, start + crc_at, crc)
        if compressed_size is not None:
            struct.pack_into("<L", data, start + compressed_at, compressed_size)
        if size is not None:
            struct.pack_into("<L", data, start + compressed_at + 4, size)
    wheel.write_bytes(bytes(data))


def many_files(name: str, version: str) -> dict[str, bytes | str]:
    """A package big enough that linking it takes a while: 300 modules in 30 folders."""
    files: dict[str, bytes | str] = {f"{name}/__init__.py": f"VERSION = {version!r}\n"}
    for folder in range(30):
        files[f"{name}/part{folder}/__init__.py"] = ""
        for module in range(10):
            files[f"{name}/part{folder}/m{module}.py"] = f"# {name} {version} {folder} {module}\n"
    return files


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


def _central_entry(data: bytearray, member: str) -> int:
    """The offset of ``member``'s entry in the central directory."""
    name = member.encode()
    end = data.rindex(b"PK\x05\x06")
    entry = struct.unpack_from("<L", data, end + 16)[0]
    while True:
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, entry + 28)
        if data[entry + 46 : entry + 46 + name_length] == name:
            return entry
        entry += 46 + name_length + extra_length + comment_length


def _record(members: Members, record_path: str, extra: Mapping[str, tuple[str, int]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, content in members.items():
        writer.writerow([path, record_hash(content), len(content)])
    for path, (digest, size) in extra.items():
        writer.writerow([path, digest, size])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()


def _zip_info(path: str, modes: Mapping[str, int], compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=ZIP_TIMESTAMP)
    info.compress_type = compression
    # A regular file, 0o644 unless the test asked for another mode.
    info.external_attr = modes.get(path, 0o100644) << 16
    return info


ZERO_CHUNK = bytes(4 * 1024 * 1024)


def _zero_chunks(size: int) -> Iterable[bytes]:
    for start in range(0, size, len(ZERO_CHUNK)):
        yield ZERO_CHUNK[: min(len(ZERO_CHUNK), size - start)]


def _zeros_hash(size: int) -> str:
    digest = hashlib.sha256()
    for chunk in _zero_chunks(size):
        digest.update(chunk)
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _write_zeros(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> None:
    info.file_size = size  # lets zipfile decide on zip64 up front
    with archive.open(info, "w") as member:
        for chunk in _zero_chunks(size):
            member.write(chunk)
