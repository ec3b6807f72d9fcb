"""Unpack a downloaded wheel, once, into an immutable cache entry.

Validation happens while extracting, before anything is published: the zip container is checked
by ``wheel/container.py`` (names, links, headers, sizes, the ``UnpackLimits``), every member
against RECORD by ``wheel/record.py`` (each member listed with a matching hash and size, each row
naming a member); here, the ``.dist-info`` directory must match the wheel's filename, and its
METADATA, WHEEL and entry points must make sense.
The files are written into a private temporary directory inside the cache, made read-only
(hard links share them with every venv), described by a manifest, and published with one atomic
rename.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinst._core.errors import PinstError, naming
from pinst._core.limits import DEFAULT_LIMITS, UnpackLimits
from pinst.cache.layout import Cache, publish_directory
from pinst.cache.manifest import (
    FILES_DIR,
    MANIFEST_NAME,
    EntryPoint,
    FileRecord,
    Manifest,
    entry_for,
    read_manifest,
)
from pinst.wheel.confinement import NAME_MAX
from pinst.wheel.container import WheelArchive
from pinst.wheel.dependencies import parse_requires_dist
from pinst.wheel.errors import InvalidWheel
from pinst.wheel.filename import checked_wheel_filename
from pinst.wheel.record import WheelRecord

# A failed create that the wheel causes (names that collide here, or that this filesystem cannot
# hold), as opposed to the cache's own trouble (a full disk, permissions).
NAME_ERRORS = {errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.EILSEQ}


def unpack(
    wheel: Path, sha256: str, cache: Cache, limits: UnpackLimits = DEFAULT_LIMITS
) -> tuple[Path, Manifest]:
    """Return the published entry for ``wheel``, unpacking and validating it if needed."""
    existing = entry_for(cache, sha256)
    if existing is not None:
        return existing
    staging = cache.temporary_dir(f"unpack-{sha256[:12]}-")
    try:
        try:
            manifest = _extract_validated(wheel, sha256, staging / FILES_DIR, limits)
        except OSError as error:
            raise naming(error, staging) from None
        (staging / MANIFEST_NAME).write_text(manifest.to_json())
        final = cache.entry_dir(sha256)
        _set_aside_if_damaged(final, cache)
        publish_directory(staging, final)
    except BaseException:
        _remove_tree(staging)
        raise
    return final, manifest


def _set_aside_if_damaged(final: Path, cache: Cache) -> None:
    """An entry without a readable manifest is never used (the manifest is written before the
    entry is published, so its lack means damage): move it out of the way of the good one.

    Venvs linked to its files keep them: the files' inodes live on until the last link goes.
    """
    if not final.exists() or read_manifest(final) is not None:
        return
    aside = cache.temporary_dir("damaged-")
    try:
        os.rename(final, aside / "entry")
    except FileNotFoundError:
        pass  # another pinst moved it first
    finally:
        _remove_tree(aside)


def _extract_validated(
    wheel: Path, sha256: str, destination: Path, limits: UnpackLimits
) -> Manifest:
    try:
        # One descriptor: zipfile reads the central directory through it, and the members' local
        # headers and data are read from it with pread.
        with open(wheel, "rb", buffering=0) as raw, zipfile.ZipFile(raw) as archive:
            checked = WheelArchive(wheel, archive, raw.fileno(), limits)
            extractor = _WheelExtractor(wheel, sha256, checked, destination)
            return extractor.run()
    except zipfile.BadZipFile as error:
        raise InvalidWheel(wheel, f"the zip archive is damaged ({error})") from None
    # zipfile raises ValueError for offsets and sizes that point outside the file.
    except (EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError) as error:
        raise InvalidWheel(wheel, f"the zip archive cannot be read ({error})") from None
    except OSError as error:
        # The wheel's own faults are InvalidWheel by now: this is the cache's disk.
        raise PinstError(
            f"Cannot unpack {wheel.name} into the cache at {destination.parent.parent}: "
            f"{error.strerror or error}. Free some space there, or check its permissions, and "
            "run pinst again."
        ) from None


class _WheelExtractor:
    def __init__(
        self,
        wheel: Path,
        sha256: str,
        archive: WheelArchive,
        destination: Path,
    ) -> None:
        self.wheel = wheel
        self.sha256 = sha256
        self.archive = archive
        self.destination = destination
        # Files are created by their path relative to the destination's parent (which exists),
        # held open: the kernel then resolves a few components per file, not an absolute path.
        self.staging = str(destination.parent)
        self.prefix = destination.name
        self.staging_descriptor = -1  # open while run() runs
        self.umask = _umask()  # if it takes nothing from the files' modes, no fchmod is needed
        # mkdir is slow on some disks: once per folder ("" is the staging directory).
        self.made_directories = {""}
        try:
            self.name, self.version = checked_wheel_filename(wheel.name)
        except ValueError as error:
            raise InvalidWheel(wheel, str(error)) from None

    def fail(self, problem: str) -> InvalidWheel:
        return InvalidWheel(self.wheel, problem)

    def run(self) -> Manifest:
        members = self.archive.checked_members()
        dist_info = self._dist_info_dir(members)
        record = self._record(dist_info, members)
        self.staging_descriptor = os.open(self.staging, os.O_RDONLY | os.O_DIRECTORY)
        try:
            files = [self._extract(info, record) for info in members.values()]
        finally:
            os.close(self.staging_descriptor)
        metadata, requires_dist = self._metadata(dist_info)
        return Manifest(
            name=metadata["Name"],
            version=metadata["Version"],
            wheel_filename=self.wheel.name,
            sha256=self.sha256,
            dist_info=dist_info,
            root_is_purelib=self._root_is_purelib(dist_info),
            rows=tuple(sorted((f.path, f.hash, f.size, f.executable) for f in files)),
            entry_points=self._entry_points(dist_info),
            dependencies=parse_requires_dist(requires_dist),
        )

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

    def _record(self, dist_info: str, members: dict[str, zipfile.ZipInfo]) -> WheelRecord:
        record_name = f"{dist_info}/RECORD"
        if record_name not in members:
            raise self.fail("it has no RECORD file")
        return WheelRecord(self.wheel, self.archive.read_small(members[record_name]), members)

    def _extract(self, info: zipfile.ZipInfo, record: WheelRecord) -> FileRecord:
        name = info.filename
        check = record.member(name)
        executable = bool((info.external_attr >> 16) & 0o111) or self._is_script(name)
        size = self._copy_member(info, check.hasher, 0o555 if executable else 0o444)
        record.verify(name, check, size)
        return FileRecord(path=name, hash=check.hash, size=size, executable=executable)

    def _is_script(self, name: str) -> bool:
        # pip and installer make every file from .data/scripts executable, whatever the zip says.
        parts = name.split("/")
        return len(parts) > 2 and parts[0].endswith(".data") and parts[1] == "scripts"

    def _copy_member(self, info: zipfile.ZipInfo, hasher: hashlib._Hash, mode: int) -> int:
        size = 0
        descriptor = self._create(info.filename, mode)
        try:
            for chunk in self.archive.pieces(info):
                hasher.update(chunk)
                _write_all(descriptor, chunk)
                size += len(chunk)
        finally:
            os.close(descriptor)
        return size

    def _create(self, name: str, mode: int) -> int:
        """A new file for the member: never one that an earlier member already created.

        It is created read-only (``mode``), as entry files stay: hard links share them with
        every venv, so nobody may write to them. The open descriptor can still write.
        """
        target = f"{self.prefix}/{name}"  # plain strings: tens of thousands of files
        folder = target.rpartition("/")[0]
        try:
            self._make_folder(folder)
            descriptor = os.open(
                target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, dir_fd=self.staging_descriptor
            )
        except OSError as error:
            if error.errno not in NAME_ERRORS:
                # The cache's own trouble, named by its absolute path.
                raise OSError(error.errno, error.strerror, f"{self.staging}/{target}") from None
            if error.errno == errno.ENAMETOOLONG:
                raise self.fail(f"member {name!r} {self._too_long_here()}") from None
            if error.errno == errno.EILSEQ:
                raise self.fail(
                    f"member {name!r} has a name this filesystem cannot hold (it takes only "
                    "names in its own encoding)"
                ) from None
            # Names that differ only in case or Unicode normalisation are one file on some
            # filesystems: the second would overwrite the first after its hash was checked.
            raise self.fail(
                f"member {name!r} cannot be created beside the others on this filesystem "
                f"({error.strerror}): another member has the same name here"
            ) from None
        if self.umask is None or mode & self.umask:
            os.fchmod(descriptor, mode)  # exactly this mode, whatever the umask took away
        return descriptor  # the caller closes it

    def _too_long_here(self) -> str:
        """Why a name that passed path_problem is still too long for the cache's filesystem,
        which may allow shorter names than NAME_MAX (eCryptfs allows 143 bytes)."""
        try:
            limit = os.pathconf(self.staging, "PC_NAME_MAX")
        except (OSError, ValueError):
            limit = NAME_MAX
        return (
            f"has a name longer than the filesystem of the cache allows ({limit} bytes for a "
            "file name)"
        )

    def _make_folder(self, folder: str) -> None:
        """Make ``folder`` and those of its parents not made yet: os.makedirs would first stat
        each folder's parent, which is known to exist."""
        if folder in self.made_directories:
            return
        self._make_folder(folder.rpartition("/")[0])
        try:
            os.mkdir(folder, dir_fd=self.staging_descriptor)
        except FileExistsError:
            # Folders whose names differ only in case are one on some filesystems.
            if not stat.S_ISDIR(os.stat(folder, dir_fd=self.staging_descriptor).st_mode):
                raise
        self.made_directories.add(folder)

    def _metadata(self, dist_info: str) -> tuple[dict[str, str], list[str]]:
        """Name and Version, and the Requires-Dist lines (kept for the dependency check)."""
        text = self.archive.read_text(f"{dist_info}/METADATA")
        if text is None:
            raise self.fail("it has no METADATA file")
        from email.parser import HeaderParser  # only needed when unpacking

        headers = HeaderParser().parsestr(text)
        name, version = headers.get("Name"), headers.get("Version")
        if not name or not version:
            raise self.fail("its METADATA has no Name or no Version")
        if canonicalize_name(name) != self.name or not _same_version(version, self.version):
            raise self.fail(f"its METADATA names {name} {version}, not what the filename says")
        return {"Name": name, "Version": version}, headers.get_all("Requires-Dist") or []

    def _root_is_purelib(self, dist_info: str) -> bool:
        text = self.archive.read_text(f"{dist_info}/WHEEL")
        if text is None:
            raise self.fail("it has no WHEEL file")
        from email.parser import HeaderParser  # only needed when unpacking

        headers = HeaderParser().parsestr(text)
        wheel_version = headers.get("Wheel-Version", "")
        if wheel_version.split(".")[0] != "1":
            raise self.fail(f"its Wheel-Version {wheel_version!r} is not one pinst understands")
        return headers.get("Root-Is-Purelib", "").strip().lower() == "true"

    def _entry_points(self, dist_info: str) -> tuple[EntryPoint, ...]:
        text = self.archive.read_text(f"{dist_info}/entry_points.txt")
        if text is None:
            return ()
        from pinst.unpack.entry_points import BadEntryPoint, script_entry_points

        try:
            return script_entry_points(text)
        except BadEntryPoint as error:
            raise self.fail(str(error)) from None


def import_metadata_parsers() -> None:
    """Import what unpacking needs only once it reads a wheel's metadata.

    Unpacking runs in forked workers: a parent that calls this before forking spares each of
    them the import. ``install`` does it while the interpreter is probed.
    """
    import email.parser  # noqa: F401

    import packaging.requirements  # noqa: F401

    import pinst.unpack.entry_points  # noqa: F401


def _umask() -> int | None:
    """This process's umask, read without changing it, or None where /proc cannot tell.

    ``os.umask`` can only set it, and setting it even for a moment would race with other
    threads creating files.
    """
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _write_all(descriptor: int, data: bytes | bytearray) -> None:
    # Plain os.write, not a file object per member: tens of thousands of them. It may write less
    # than asked (a disk that fills up), then the rest goes in another call, or fails.
    written = os.write(descriptor, data)
    while written < len(data):
        written += os.write(descriptor, memoryview(data)[written:])


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _remove_tree(path: Path) -> None:
    # Entry files are read-only but their directories are not, so rmtree can unlink them.
    shutil.rmtree(path, ignore_errors=True)
