"""Unpack a downloaded wheel, once, into an immutable cache entry.

Validation happens while extracting, before anything is published: every member must be listed
in RECORD with a matching hash and size; no absolute paths, no ``..``, no symlinks, no duplicate
members; the ``.dist-info`` directory must match the wheel's filename. The files are written into
a private temporary directory inside the cache, made read-only (hard links share them with every
venv), described by a manifest, and published with one atomic rename.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from pinst.cache import Cache, publish_directory
from pinst.errors import PinstError, naming
from pinst.hashing import record_digest
from pinst.manifest import FILES_DIR, MANIFEST_NAME, EntryPoint, FileRecord, Manifest, read_manifest

CHUNK = 1024 * 1024
SIGNATURE_FILES = {"RECORD", "RECORD.jws", "RECORD.p7s"}
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
ALLOWED_RECORD_HASHES = {"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"}


class InvalidWheel(PinstError):
    def __init__(self, wheel: Path, problem: str) -> None:
        super().__init__(
            f"{wheel.name} is not a valid wheel: {problem}. pinst refused to install it and "
            "kept nothing of it in the cache. If it came from an index, the file may be corrupt "
            "or tampered with: report it to the project; if you built it, rebuild it."
        )


def entry_for(cache: Cache, sha256: str) -> tuple[Path, Manifest] | None:
    entry = cache.entry_dir(sha256)
    manifest = read_manifest(entry)
    return (entry, manifest) if manifest is not None else None


def unpack(wheel: Path, sha256: str, cache: Cache) -> tuple[Path, Manifest]:
    """Return the published entry for ``wheel``, unpacking and validating it if needed."""
    existing = entry_for(cache, sha256)
    if existing is not None:
        return existing
    staging = cache.temporary_dir(f"unpack-{sha256[:12]}-")
    try:
        try:
            manifest = _extract_validated(wheel, sha256, staging / FILES_DIR)
        except OSError as error:
            raise naming(error, staging) from None
        (staging / MANIFEST_NAME).write_text(manifest.to_json())
        final = cache.entry_dir(sha256)
        publish_directory(staging, final)
    except BaseException:
        _remove_tree(staging)
        raise
    return final, manifest


def _extract_validated(wheel: Path, sha256: str, destination: Path) -> Manifest:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return _WheelExtractor(wheel, sha256, archive, destination).run()
    except zipfile.BadZipFile as error:
        raise InvalidWheel(wheel, f"the zip archive is damaged ({error})") from None
    except (EOFError, zipfile.LargeZipFile, NotImplementedError) as error:
        raise InvalidWheel(wheel, f"the zip archive cannot be read ({error})") from None


class _WheelExtractor:
    def __init__(
        self, wheel: Path, sha256: str, archive: zipfile.ZipFile, destination: Path
    ) -> None:
        self.wheel = wheel
        self.sha256 = sha256
        self.archive = archive
        self.destination = destination
        self.made_directories: set[str] = set()  # mkdir is slow on some disks: once per folder
        try:
            self.name, self.version, _, _ = parse_wheel_filename(wheel.name)
        except ValueError as error:
            raise InvalidWheel(wheel, str(error)) from None

    def fail(self, problem: str) -> InvalidWheel:
        return InvalidWheel(self.wheel, problem)

    def run(self) -> Manifest:
        members = self._checked_members()
        dist_info = self._dist_info_dir(members)
        record = self._read_record(dist_info, members)
        files = [self._extract(info, record) for info in members.values()]
        metadata = self._metadata(dist_info)
        return Manifest(
            name=metadata["Name"],
            version=metadata["Version"],
            wheel_filename=self.wheel.name,
            sha256=self.sha256,
            dist_info=dist_info,
            root_is_purelib=self._root_is_purelib(dist_info),
            rows=tuple(sorted((f.path, f.hash, f.size, f.executable) for f in files)),
            entry_points=self._entry_points(dist_info),
        )

    def _checked_members(self) -> dict[str, zipfile.ZipInfo]:
        """File members by name; refuses unsafe names, links and duplicates."""
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self.archive.infolist():
            name = info.filename
            path = PurePosixPath(name)
            if name.startswith("/") or "\\" in name or ":" in name:
                raise self.fail(f"member {name!r} has an absolute or non-portable path")
            if ".." in path.parts:
                raise self.fail(f"member {name!r} points outside the install directory")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise self.fail(f"member {name!r} is a symbolic link")
            if info.is_dir():
                continue
            self._check_data_scheme(path)
            if name in members:
                raise self.fail(f"member {name!r} appears twice in the archive")
            members[name] = info
        return members

    def _check_data_scheme(self, path: PurePosixPath) -> None:
        in_data_dir = len(path.parts) > 1 and path.parts[0].endswith(".data")
        if in_data_dir and (len(path.parts) < 3 or path.parts[1] not in SCHEME_KEYS):
            keys = ", ".join(SCHEME_KEYS)
            raise self.fail(f"member {str(path)!r} is in .data but not under one of {keys}")

    def _dist_info_dir(self, members: dict[str, zipfile.ZipInfo]) -> str:
        top_level = {name.split("/", 1)[0] for name in members}
        found = [name for name in top_level if name.endswith(".dist-info")]
        if len(found) != 1:
            raise self.fail(f"it has {len(found)} .dist-info directories, not exactly one")
        stem = found[0][: -len(".dist-info")]
        name, _, version = stem.rpartition("-")
        if canonicalize_name(name) != self.name or not _same_version(version, self.version):
            raise self.fail(
                f"its metadata directory {found[0]} does not match the filename "
                f"(expected {self.name} {self.version})"
            )
        return found[0]

    def _read_record(
        self, dist_info: str, members: dict[str, zipfile.ZipInfo]
    ) -> dict[str, tuple[str, int | None]]:
        record_name = f"{dist_info}/RECORD"
        if record_name not in members:
            raise self.fail("it has no RECORD file")
        text = self.archive.read(members[record_name]).decode("utf-8", errors="replace")
        record: dict[str, tuple[str, int | None]] = {}
        for row in csv.reader(io.StringIO(text)):
            if not row or not row[0]:
                continue
            path, digest, size = [*row, "", ""][:3]
            record[path] = (digest, int(size) if size.isdigit() else None)
        return record

    def _extract(
        self, info: zipfile.ZipInfo, record: dict[str, tuple[str, int | None]]
    ) -> FileRecord:
        name = info.filename
        basename = name.rsplit("/", 1)[-1]
        listed = record.get(name)
        is_signature = name.count("/") == 1 and basename in SIGNATURE_FILES
        if listed is None and not is_signature:
            raise self.fail(f"member {name!r} is not listed in RECORD")
        digest, declared_size = listed if listed else ("", None)
        algorithm, _, expected = digest.partition("=")
        if not is_signature and algorithm not in ALLOWED_RECORD_HASHES:
            raise self.fail(f"RECORD gives no sha256 (or stronger) hash for {name!r}")
        hasher = hashlib.new(algorithm or "sha256")
        size = self._copy_member(info, hasher)
        if not is_signature:
            actual = record_digest(hasher.digest())
            if actual != expected.rstrip("="):
                raise self.fail(f"the content of {name!r} does not match its hash in RECORD")
            if declared_size is not None and declared_size != size:
                raise self.fail(f"{name!r} is {size} bytes but RECORD says {declared_size} bytes")
        executable = bool((info.external_attr >> 16) & 0o111) or self._is_script(name)
        # Entry files are shared by hard links, so nobody may write to them.
        os.chmod(self.destination / name, 0o555 if executable else 0o444)
        return FileRecord(path=name, hash=digest, size=size, executable=executable)

    def _is_script(self, name: str) -> bool:
        # pip and installer make every file from .data/scripts executable, whatever the zip says.
        parts = name.split("/")
        return len(parts) > 2 and parts[0].endswith(".data") and parts[1] == "scripts"

    def _copy_member(self, info: zipfile.ZipInfo, hasher: hashlib._Hash) -> int:
        target = self.destination / info.filename
        folder = os.path.dirname(target)
        if folder not in self.made_directories:
            os.makedirs(folder, exist_ok=True)
            self.made_directories.add(folder)
        size = 0
        with self.archive.open(info) as source, open(target, "wb") as sink:
            while chunk := source.read(CHUNK):
                hasher.update(chunk)
                sink.write(chunk)
                size += len(chunk)
        return size

    def _read_text(self, name: str) -> str | None:
        try:
            return self.archive.read(name).decode("utf-8")
        except KeyError:
            return None
        except UnicodeDecodeError:
            raise self.fail(f"{name} is not UTF-8 text") from None

    def _metadata(self, dist_info: str) -> dict[str, str]:
        text = self._read_text(f"{dist_info}/METADATA")
        if text is None:
            raise self.fail("it has no METADATA file")
        from email.parser import HeaderParser  # only needed when unpacking

        headers = HeaderParser().parsestr(text)
        name, version = headers.get("Name"), headers.get("Version")
        if not name or not version:
            raise self.fail("its METADATA has no Name or no Version")
        if canonicalize_name(name) != self.name or not _same_version(version, self.version):
            raise self.fail(f"its METADATA names {name} {version}, not what the filename says")
        return {"Name": name, "Version": version}

    def _root_is_purelib(self, dist_info: str) -> bool:
        text = self._read_text(f"{dist_info}/WHEEL")
        if text is None:
            raise self.fail("it has no WHEEL file")
        from email.parser import HeaderParser  # only needed when unpacking

        headers = HeaderParser().parsestr(text)
        wheel_version = headers.get("Wheel-Version", "")
        if wheel_version.split(".")[0] != "1":
            raise self.fail(f"its Wheel-Version {wheel_version!r} is not one pinst understands")
        return headers.get("Root-Is-Purelib", "").strip().lower() == "true"

    def _entry_points(self, dist_info: str) -> tuple[EntryPoint, ...]:
        text = self._read_text(f"{dist_info}/entry_points.txt")
        if text is None:
            return ()
        from installer.utils import parse_entrypoints

        try:
            return tuple(
                EntryPoint(name, module, attribute, section)
                for name, module, attribute, section in parse_entrypoints(text)
            )
        except Exception as error:  # installer raises ValueError and configparser errors
            raise self.fail(f"its entry_points.txt cannot be read ({error})") from None


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _remove_tree(path: Path) -> None:
    # Entry files are read-only but their directories are not, so rmtree can unlink them.
    shutil.rmtree(path, ignore_errors=True)
