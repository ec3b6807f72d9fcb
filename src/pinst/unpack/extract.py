"""Unpack a downloaded wheel, once, into an immutable cache entry.

Validation happens while extracting, before anything is published: every member must be listed
in RECORD with a matching hash and size, and every RECORD row must name a member; every path
and entry point name must keep to ``wheel/confinement.py``'s rule (relative, normalised, short,
never on the venv's own files); no symlinks, no duplicate members, no local header that
disagrees with the central directory, no member whose data runs into another's, no member that
decompresses to another size than its zip headers declare; the ``.dist-info`` directory must
match the wheel's filename; the wheel must stay within the ``UnpackLimits``
(see ``_core/limits.py``).
The files are written into a private temporary directory inside the cache, made read-only
(hard links share them with every venv), described by a manifest, and published with one atomic
rename.

zipfile only reads the central directory. Each member's data is read here with ``pread``, from
where its local header says it starts and never past the compressed size its entry declares,
and inflated at most ``CHUNK`` bytes per call, so that memory stays flat for a member of any
size. Inflating and CRC-32 are zlib-ng's where it is installed (a dependency where it has
wheels), else the standard zlib's. Unpacking the benchmark's 109 wheels (21,656 members, 388 MB)
in one process took 2.45 s of CPU through ``ZipFile.open``; it takes 1.73 s so, 2.21 s without
zlib-ng: zlib-ng inflates in half the time, and zipfile's reader cost Python and system calls
for each member (a seek and a read for every piece, through a shared file object).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import shutil
import stat
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from pinst._core.disk_usage import format_size
from pinst._core.errors import PinstError, naming
from pinst._core.hashing import record_digest
from pinst._core.limits import DEFAULT_LIMITS, RATIO_FLOOR, GiB, MiB, UnpackLimits
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
from pinst.wheel.confinement import NAME_MAX, data_file_problem, path_problem
from pinst.wheel.dependencies import parse_requires_dist

if TYPE_CHECKING:
    # Checked as the standard zlib, whose API zlib-ng copies: zlib-ng's own stubs declare
    # ``error`` as an exception instance, which an ``except`` cannot name.
    import zlib
else:
    try:
        # Inflates in half the time of the standard zlib (0.50 s instead of 0.91 s for the
        # benchmark's 388 MB), and computes CRC-32 faster.
        from zlib_ng import zlib_ng as zlib
    except ImportError:  # not installed, or no wheel for this platform: slower, the same
        import zlib

CHUNK = 1024 * 1024
SIGNATURE_FILES = {"RECORD", "RECORD.jws", "RECORD.p7s"}
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
# The hashes RECORD may use, by name; hashlib's own constructors, which skip hashlib.new's
# lookup of the name for every member.
RECORD_HASHERS = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
    "sha3_256": hashlib.sha3_256,
    "sha3_384": hashlib.sha3_384,
    "sha3_512": hashlib.sha3_512,
}
# Stored and deflate are what wheel builders write, and what uv accepts too. bzip2 and LZMA
# would also let one read expand without bound: zipfile decompresses them with no output limit.
COMPRESSION_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
# General purpose flag bits of a zip entry.
ENCRYPTED = 0x1
DATA_DESCRIPTOR = 0x8  # the sizes follow the data; the local header has zeros
PATCHED_DATA = 0x20  # PKWARE's patch format, not plain stored or deflate data
STRONG_ENCRYPTION = 0x40
UTF8_NAME = 0x800  # the name is UTF-8, not cp437
# A local file header: signature, version, flags, method, time, date, CRC, compressed size,
# size, name length, extra field length.
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
ZIP64_MARKER = 0xFFFFFFFF  # the real size is in the zip64 extra field
# A failed create that the wheel causes (names that collide here, or that this filesystem cannot
# hold), as opposed to the cache's own trouble (a full disk, permissions).
NAME_ERRORS = {errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.EILSEQ}
RAW_DEFLATE = -15  # zlib's window bits for a deflate stream without zlib's header, as in zips


class InvalidWheel(PinstError):
    def __init__(self, wheel: Path, problem: str) -> None:
        super().__init__(
            f"{wheel.name} is not a valid wheel: {problem}. pinst refused to install it and "
            "kept nothing of it in the cache. If it came from an index, the file may be corrupt "
            "or tampered with: report it to the project; if you built it, rebuild it."
        )


class WheelTooLarge(PinstError):
    """A wheel beyond the unpack limits: maybe a zip bomb, maybe a wheel the user trusts."""

    def __init__(self, wheel: Path, problem: str, option: str, variable: str) -> None:
        super().__init__(
            f"{wheel.name} {problem} (a guard against zip bombs), so pinst refused to unpack it. "
            f"If you trust this wheel, raise the limit with {option} or {variable}."
        )


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
            extractor = _WheelExtractor(wheel, sha256, archive, raw.fileno(), destination, limits)
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
        archive: zipfile.ZipFile,
        descriptor: int,
        destination: Path,
        limits: UnpackLimits,
    ) -> None:
        self.wheel = wheel
        self.sha256 = sha256
        self.archive = archive
        self.descriptor = descriptor  # the wheel's, for pread
        self.data_offsets: dict[str, int] = {}  # where each member's data starts in the wheel
        self.destination = destination
        # Files are created by their path relative to the destination's parent (which exists),
        # held open: the kernel then resolves a few components per file, not an absolute path.
        self.staging = str(destination.parent)
        self.prefix = destination.name
        self.staging_descriptor = -1  # open while run() runs
        self.limits = limits
        self.umask = _umask()  # if it takes nothing from the files' modes, no fchmod is needed
        # mkdir is slow on some disks: once per folder ("" is the staging directory).
        self.made_directories = {""}
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

    def _checked_members(self) -> dict[str, zipfile.ZipInfo]:
        """File members by name; refuses unsafe names, links, duplicates, lying headers and
        anything beyond the limits, all before a byte is written."""
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self.archive.infolist():
            name = info.filename
            problem = path_problem(name)
            if problem is not None:
                raise self.fail(f"member {name!r} {problem}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise self.fail(f"member {name!r} is a symbolic link")
            if info.is_dir():
                continue
            if info.flag_bits & (ENCRYPTED | STRONG_ENCRYPTION):
                raise self.fail(f"member {name!r} is encrypted")
            if info.flag_bits & PATCHED_DATA:
                raise self.fail(f"member {name!r} is compressed patched data (zip flag bit 5)")
            if info.compress_type not in COMPRESSION_METHODS:
                raise self.fail(
                    f"member {name!r} uses zip compression method {info.compress_type}; wheels "
                    f"use {' or '.join(COMPRESSION_METHODS.values())}"
                )
            self._check_data_scheme(name)
            if name in members:
                raise self.fail(f"member {name!r} appears twice in the archive")
            members[name] = info
        self._check_no_file_is_a_folder(members)
        self._check_local_headers(members)
        self._check_limits(members)
        return members

    def _check_no_file_is_a_folder(self, members: dict[str, zipfile.ZipInfo]) -> None:
        # ``a`` and ``a/b`` cannot both be created; other tools would each keep another one.
        folders: set[str] = set()
        for name in members:
            folder = name.rpartition("/")[0]
            while folder and folder not in folders:
                folders.add(folder)
                folder = folder.rpartition("/")[0]
        clash = sorted(folders & members.keys())
        if clash:
            raise self.fail(f"member {clash[0]!r} is both a file and a folder")

    def _check_local_headers(self, members: dict[str, zipfile.ZipInfo]) -> None:
        """Each member's local header must agree with the central directory, which zipfile
        reads: a tool that streams the local headers would otherwise unpack other content.

        The members' data is read from where the local headers say it starts, and may not run
        into the next entry or the central directory: overlapping members are a zip bomb's trick
        (zipfile's own reader refuses them too, from Python 3.13).
        """
        ends = self._entry_ends()
        for name, info in members.items():
            start = self._check_local_header(name, info)
            if start + info.compress_size > ends[info.header_offset]:
                raise self.fail(
                    f"the data of {name!r} overlaps another member or the central directory"
                )
            self.data_offsets[name] = start

    def _entry_ends(self) -> dict[int, int]:
        """Where each entry's space ends, by the offset of its local header: at the next local
        header, or at the central directory for the last one."""
        starts = sorted({info.header_offset for info in self.archive.infolist()})
        return dict(zip(starts, [*starts[1:], self.archive.start_dir], strict=True))

    def _check_local_header(self, name: str, info: zipfile.ZipInfo) -> int:
        """Check the member's local header, and return where its data starts."""
        # The name's bytes as the central directory has them, read with the header in one call.
        encoding = "utf-8" if info.flag_bits & UTF8_NAME else "cp437"
        if info.orig_filename.isascii():
            encoding = "ascii"  # the same bytes in both, and much faster than cp437's codec
        expected_name = info.orig_filename.encode(encoding)
        length = LOCAL_HEADER.size + len(expected_name)
        header = os.pread(self.descriptor, length, info.header_offset)
        if len(header) < length:
            raise self.fail(f"the local header of {name!r} is outside the archive")
        signature, _, flags, method, _, _, crc, compressed, size, name_length, extra_length = (
            LOCAL_HEADER.unpack_from(header)
        )
        if signature != b"PK\x03\x04" or method != info.compress_type:
            raise self.fail(f"the local header of {name!r} is damaged")
        if name_length != len(expected_name) or header[LOCAL_HEADER.size :] != expected_name:
            raise self.fail(f"the zip headers of {name!r} disagree on its name")
        start: int = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
        if flags & DATA_DESCRIPTOR or ZIP64_MARKER in (compressed, size):
            return start  # the central directory's sizes are checked against the data
        if size != info.file_size or compressed != info.compress_size:
            raise self.fail(
                f"the zip headers of {name!r} disagree on its size: the local header "
                f"says {size} bytes, the central directory {info.file_size}"
            )
        if crc != info.CRC:
            raise self.fail(f"the zip headers of {name!r} disagree on its checksum")
        return start

    def _check_limits(self, members: dict[str, zipfile.ZipInfo]) -> None:
        """Refuse a bomb before writing anything. The sizes are the headers' word, but the
        extraction holds every member to exactly its declared size, and reads no more than its
        declared compressed bytes, so these are the bytes that would be written."""
        total = sum(info.file_size for info in members.values())
        if total > self.limits.max_unpacked_size:
            raise WheelTooLarge(
                self.wheel,
                f"unpacks to {format_size(total)}, more than the limit of "
                f"{format_size(self.limits.max_unpacked_size)} for one wheel",
                f"--max-unpacked-size (for example --max-unpacked-size {_gib_above(total)})",
                "PINST_MAX_UNPACKED_SIZE",
            )
        compressed = sum(info.compress_size for info in members.values())
        for info in members.values():
            self._check_ratio(f"its member {info.filename!r}", info.file_size, info.compress_size)
        self._check_ratio("the wheel as a whole", total, compressed)

    def _check_ratio(self, what: str, size: int, compressed: int) -> None:
        ratio = size / max(compressed, 1)
        limit = self.limits.max_compression_ratio
        if size > RATIO_FLOOR and ratio > limit:
            raise WheelTooLarge(
                self.wheel,
                f"expands too much: {what} expands {ratio:.0f} times, from "
                f"{format_size(compressed)} to {format_size(size)}, more than the limit of "
                f"{limit} times for anything over {format_size(RATIO_FLOOR)}",
                f"--max-compression-ratio (for example --max-compression-ratio {int(ratio) + 1})",
                "PINST_MAX_COMPRESSION_RATIO",
            )

    def _check_data_scheme(self, name: str) -> None:
        """A .data member must be under a scheme, and may not land on the venv's own files
        (the scripts scheme is its bin/, the data scheme its root: see wheel/confinement.py)."""
        # A split, not a PurePosixPath: the same parts for a name that passed path_problem, at
        # a twentieth of the cost (40 ms of CPU for the benchmark's 21,656 members).
        parts = name.split("/", 2)
        if len(parts) < 2 or not parts[0].endswith(".data"):
            return
        if len(parts) < 3 or parts[1] not in SCHEME_KEYS:
            keys = ", ".join(SCHEME_KEYS)
            raise self.fail(f"member {name!r} is in .data but not under one of {keys}")
        problem = data_file_problem(parts[1], parts[2])
        if problem is not None:
            raise self.fail(f"member {name!r} {problem}")

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
        text = self._read_small(members[record_name]).decode("utf-8", errors="replace")
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as error:  # a field longer than csv allows
            raise self.fail(f"its RECORD cannot be read ({error})") from None
        record: dict[str, tuple[str, int | None]] = {}
        for row in rows:
            if not row or not row[0]:
                continue
            path, digest, size = [*row, "", ""][:3]
            # A row for a file that is not there would be installed by a tool that trusts
            # RECORD, or uninstalled later: both could reach outside the install directory.
            # A member's name has passed path_problem already.
            problem = "" if path in members else path_problem(path) or "is not in the archive"
            if problem:
                raise self.fail(f"RECORD lists {path!r}, which {problem}")
            entry = (digest, self._record_size(path, size))
            if record.setdefault(path, entry) != entry:
                raise self.fail(f"RECORD lists {path!r} twice, with different hashes or sizes")
        return record

    def _record_size(self, path: str, size: str) -> int | None:
        if not size:
            return None
        # Plain ASCII digits: int() also takes other scripts' digits and refuses huge numbers.
        if not (size.isascii() and size.isdigit() and len(size) < 20):
            raise self.fail(f"RECORD gives {path!r} the size {size!r}, which is not a number")
        return int(size)

    def _extract(
        self, info: zipfile.ZipInfo, record: dict[str, tuple[str, int | None]]
    ) -> FileRecord:
        name = info.filename
        listed = record.get(name)
        # Only the .dist-info directory's RECORD and signatures go unhashed (there is exactly one
        # such directory by now), not a file of that name in any other folder.
        folder, _, basename = name.partition("/")
        is_signature = folder.endswith(".dist-info") and basename in SIGNATURE_FILES
        if listed is None and not is_signature:
            raise self.fail(f"member {name!r} is not listed in RECORD")
        digest, declared_size = listed if listed else ("", None)
        algorithm, _, expected = digest.partition("=")
        if not is_signature and algorithm not in RECORD_HASHERS:
            raise self.fail(f"RECORD gives no sha256 (or stronger) hash for {name!r}")
        hasher = RECORD_HASHERS.get(algorithm, hashlib.sha256)()
        executable = bool((info.external_attr >> 16) & 0o111) or self._is_script(name)
        size = self._copy_member(info, hasher, 0o555 if executable else 0o444)
        if not is_signature:
            actual = record_digest(hasher.digest())
            if actual != expected.rstrip("="):
                raise self.fail(f"the content of {name!r} does not match its hash in RECORD")
            if declared_size is not None and declared_size != size:
                raise self.fail(f"{name!r} is {size} bytes but RECORD says {declared_size} bytes")
        return FileRecord(path=name, hash=digest, size=size, executable=executable)

    def _is_script(self, name: str) -> bool:
        # pip and installer make every file from .data/scripts executable, whatever the zip says.
        parts = name.split("/")
        return len(parts) > 2 and parts[0].endswith(".data") and parts[1] == "scripts"

    def _copy_member(self, info: zipfile.ZipInfo, hasher: hashlib._Hash, mode: int) -> int:
        small = info.compress_size <= CHUNK and info.file_size <= CHUNK
        size = 0
        descriptor = self._create(info.filename, mode)
        try:
            for chunk in [self._small_content(info)] if small else self._chunks(info):
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

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes, refused the moment they run past the size its headers declare.

        Stopping at the declared size and checking the CRC there, as zipfile's reader does,
        would let a longer stream with a CRC forged for its start pass as the short file, while
        other tools unpack the rest. Here the stream is read to its end, and the size and CRC are
        checked on the way: the CRC after the size, so that a lie about the size is named as one.
        """
        size, crc = 0, 0
        for chunk in self._content(info):
            size += len(chunk)
            self._check_not_longer(info, size)
            crc = zlib.crc32(chunk, crc)
            yield chunk
        self._check_whole(info, size, crc)

    def _small_content(self, info: zipfile.ZipInfo) -> bytes:
        """The whole of a member of at most CHUNK bytes (compressed and not), read with one
        pread and inflated with one call, under the same checks as ``_chunks``.

        All but 36 of the benchmark's 21,656 members are this small. Going around ``_chunks``
        and its three generators took 2% off unpacking the set in one process (1.50 s to 1.47 s,
        medians of five interleaved runs on a tmpfs).
        """
        data = self._read_at(info.filename, self.data_offsets[info.filename], info.compress_size)
        content = data
        if info.compress_type != zipfile.ZIP_STORED:
            inflater = zlib.decompressobj(RAW_DEFLATE)
            try:
                # One byte more than declared: enough to tell a longer stream, not a bomb's worth.
                content = inflater.decompress(data, info.file_size + 1)
            except zlib.error as error:
                raise self._damaged(info.filename, error) from None
            if len(content) <= info.file_size and not inflater.eof:
                raise self._damaged(info.filename, "it ends before its end-of-stream marker")
        self._check_not_longer(info, len(content))
        self._check_whole(info, len(content), zlib.crc32(content))
        return content

    def _check_not_longer(self, info: zipfile.ZipInfo, size: int) -> None:
        if size > info.file_size:
            raise self.fail(
                f"{info.filename!r} decompresses to more than the {info.file_size} bytes its "
                "zip headers declare"
            )

    def _check_whole(self, info: zipfile.ZipInfo, size: int, crc: int) -> None:
        """The size first, then the CRC: a lie about the size is named as one."""
        if size != info.file_size:
            raise self.fail(
                f"{info.filename!r} decompresses to {size} bytes, not the {info.file_size} bytes "
                "its zip headers declare"
            )
        if crc != info.CRC:
            raise self.fail(f"the content of {info.filename!r} does not match its zip checksum")

    def _content(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's content, in pieces of at most CHUNK bytes, with no check of its size."""
        compressed = self._compressed(info)
        if info.compress_type == zipfile.ZIP_STORED:
            return compressed
        return self._inflated(info.filename, compressed)

    def _compressed(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's data as stored, never more than the compressed size its central
        directory entry declares (which ``_check_local_headers`` found within its entry)."""
        offset, left = self.data_offsets[info.filename], info.compress_size
        while left > 0:
            data = self._read_at(info.filename, offset, min(left, CHUNK))
            offset += len(data)
            left -= len(data)
            yield data

    def _read_at(self, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the wheel from ``offset``, all of them (pread may return fewer)."""
        data = b""
        while len(data) < length:
            try:
                piece = os.pread(self.descriptor, length - len(data), offset + len(data))
            except OSError as error:
                raise self._damaged(name, error) from None
            if not piece:  # the wheel was cut short since its central directory was read
                raise self._damaged(name, "it ends outside the archive")
            data += piece
        return data

    def _inflated(self, name: str, compressed: Iterator[bytes]) -> Iterator[bytes]:
        """The deflate stream in ``compressed`` inflated to its end-of-stream marker, at most
        CHUNK bytes at a time: a member of any size passes through a bounded buffer."""
        inflater = zlib.decompressobj(RAW_DEFLATE)
        while not inflater.eof:
            # Input that the last call left for want of room, else the next piece (b"" at the
            # end: inflate may still hold output for the input it has taken).
            data = inflater.unconsumed_tail or next(compressed, b"")
            try:
                content = inflater.decompress(data, CHUNK)
            except zlib.error as error:
                raise self._damaged(name, error) from None
            if content:
                yield content
            elif not data:
                raise self._damaged(name, "it ends before its end-of-stream marker")

    def _damaged(self, name: str, reason: object) -> InvalidWheel:
        return self.fail(f"the compressed data of {name!r} is damaged ({reason})")

    def _read_small(self, info: zipfile.ZipInfo) -> bytes:
        """A metadata file's content (RECORD, METADATA, WHEEL, entry_points.txt), which is read
        into memory: only up to the limit. Its size is the headers' word, which ``_chunks``
        holds it to."""
        limit = self.limits.max_metadata_size
        if info.file_size > limit:
            raise WheelTooLarge(
                self.wheel,
                f"has a metadata file {info.filename!r} of {format_size(info.file_size)}, more "
                f"than the limit of {format_size(limit)} that pinst reads into memory",
                f"--max-metadata-size (for example --max-metadata-size "
                f"{info.file_size // MiB + 1}M)",
                "PINST_MAX_METADATA_SIZE",
            )
        return b"".join(self._chunks(info))

    def _read_text(self, name: str) -> str | None:
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            return None
        try:
            return self._read_small(info).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{name} is not UTF-8 text") from None

    def _metadata(self, dist_info: str) -> tuple[dict[str, str], list[str]]:
        """Name and Version, and the Requires-Dist lines (kept for the dependency check)."""
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
        return {"Name": name, "Version": version}, headers.get_all("Requires-Dist") or []

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
        from pinst.unpack.entry_points import BadEntryPoint, script_entry_points

        try:
            return script_entry_points(text)
        except BadEntryPoint as error:
            raise self.fail(str(error)) from None


def import_metadata_parsers() -> None:
    """Import what unpacking needs only once it reads a wheel's metadata (about 7 ms).

    Unpacking runs in forked workers: a parent that calls this before forking spares each of
    them the import. ``install`` does it while the interpreter is probed, when it waits anyway.
    """
    import email.parser  # noqa: F401

    import installer.utils  # noqa: F401
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


def _write_all(descriptor: int, data: bytes) -> None:
    # Plain os.write, not a file object per member: tens of thousands of them. It may write less
    # than asked (a disk that fills up), then the rest goes in another call, or fails.
    written = os.write(descriptor, data)
    while written < len(data):
        written += os.write(descriptor, memoryview(data)[written:])


def _gib_above(size: int) -> str:
    return f"{size // GiB + 1}G"


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def _remove_tree(path: Path) -> None:
    # Entry files are read-only but their directories are not, so rmtree can unlink them.
    shutil.rmtree(path, ignore_errors=True)
