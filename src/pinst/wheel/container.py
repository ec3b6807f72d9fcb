"""A wheel's zip container, trusted only as far as it is checked: its members and their bytes.

Before a byte is written: every member's name keeps to ``wheel/confinement.py``'s rule (and a
``.data`` member lies under a scheme), no symlinks, no encryption, only stored or deflate data,
no duplicate members, no file that is also a folder, no local header that disagrees with the
central directory, no member whose data runs into another's, and the whole within the
``UnpackLimits`` (see ``_core/limits.py``). While a member is read: no member decompresses to
another size, or another CRC-32, than its zip headers declare.

zipfile only reads the central directory. Each member's data is read here with ``pread``, from
where its local header says it starts and never past the compressed size its entry declares,
and a member of up to ``WHOLE`` bytes (nearly all of them, and most of a wheel's bytes) is read
with one call and inflated with one, by libdeflate where it is installed (the ``deflate``
package, a dependency where it has wheels). A larger one is inflated at most ``CHUNK`` bytes
per call, so that memory stays bounded for a member of any size. Streaming and CRC-32 are
zlib-ng's where it is installed (likewise), else the standard zlib's. Each is much faster
than going through ``ZipFile.open``, whose reader costs Python and system calls for each member
(a seek and a read for every piece, through a shared file object): see "What made the warm path
fast" and "Inflating" in docs/internals/benchmark-history.md.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pinst._core.disk_usage import format_size
from pinst._core.limits import RATIO_FLOOR, GiB, MiB, UnpackLimits
from pinst.wheel.confinement import data_file_problem, path_problem
from pinst.wheel.errors import InvalidWheel, WheelTooLarge


class Libdeflate(Protocol):
    """What is used of the ``deflate`` package, which this module type-checks without."""

    DeflateError: type[Exception]

    def deflate_decompress(self, data: bytes, originalsize: int, /) -> bytearray: ...


if TYPE_CHECKING:
    # Checked as the standard zlib, whose API zlib-ng copies: zlib-ng's own stubs declare
    # ``error`` as an exception instance, which an ``except`` cannot name.
    import zlib

    libdeflate: Libdeflate | None
else:
    try:
        # Inflates faster than the standard zlib, and computes CRC-32 faster (see "What made
        # the warm path fast" in docs/internals/benchmark-history.md).
        from zlib_ng import zlib_ng as zlib
    except ImportError:  # not installed, or no wheel for this platform: slower, the same
        import zlib
    try:
        # Inflates a whole buffer faster than zlib-ng, but cannot stream and gives no reason
        # for a failure: it takes only what ``content`` reads whole, and a stream it refuses
        # goes through zlib's API again for the reason (see "Inflating" in
        # docs/internals/benchmark-history.md).
        import deflate as libdeflate
    except ImportError:  # not installed, or no wheel for this platform: zlib's API inflates all
        libdeflate = None

CHUNK = 1024 * 1024  # the most a streamed member is inflated by per call
# The largest member read and inflated whole. libdeflate inflates a buffer faster than zlib-ng
# streams it, and the members between CHUNK and this hold much of a set's bytes (see "Levers
# taken on 2026-12-06" in docs/internals/benchmark-history.md); a worker then holds at most this
# and its compressed bytes at once.
WHOLE = 8 * 1024 * 1024
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")
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
RAW_DEFLATE = -15  # zlib's window bits for a deflate stream without zlib's header, as in zips


class WheelArchive:
    """The members of one open wheel, checked (``checked_members``), then read (``pieces``,
    ``read_text``) under checks of their sizes and CRC-32s. Every refusal is an
    ``InvalidWheel``, or a ``WheelTooLarge`` for a wheel beyond the limits."""

    def __init__(
        self, wheel: Path, archive: zipfile.ZipFile, descriptor: int, limits: UnpackLimits
    ) -> None:
        self.wheel = wheel
        self.archive = archive
        self.descriptor = descriptor  # the wheel's, for pread
        self.limits = limits
        self.data_offsets: dict[str, int] = {}  # where each member's data starts in the wheel

    def fail(self, problem: str) -> InvalidWheel:
        return InvalidWheel(self.wheel, problem)

    # -- The members, checked before a byte is written -----------------------------------------

    def checked_members(self) -> dict[str, zipfile.ZipInfo]:
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

    def _check_data_scheme(self, name: str) -> None:
        """A .data member must be under a scheme, and may not land on the venv's own files
        (the scripts scheme is its bin/, the data scheme its root: see wheel/confinement.py)."""
        # A split, not a PurePosixPath: the same parts for a name that passed path_problem, at
        # a fraction of the cost.
        parts = name.split("/", 2)
        if len(parts) < 2 or not parts[0].endswith(".data"):
            return
        if len(parts) < 3 or parts[1] not in SCHEME_KEYS:
            keys = ", ".join(SCHEME_KEYS)
            raise self.fail(f"member {name!r} is in .data but not under one of {keys}")
        problem = data_file_problem(parts[1], parts[2])
        if problem is not None:
            raise self.fail(f"member {name!r} {problem}")

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
        reading holds every member to exactly its declared size, and reads no more than its
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

    # -- A member's bytes, held to its headers while they are read -----------------------------

    def is_read_whole(self, info: zipfile.ZipInfo) -> bool:
        """Whether ``content`` may read this member (at most ``WHOLE`` bytes, compressed and
        not), rather than ``pieces``."""
        return info.compress_size <= WHOLE and info.file_size <= WHOLE

    def pieces(self, info: zipfile.ZipInfo) -> Iterable[bytes | bytearray]:
        """The member's bytes, in pieces: one piece for a member that is read whole, else
        pieces of at most ``CHUNK`` bytes, read as they are used."""
        if self.is_read_whole(info):
            return [self.content(info)]
        return self._chunks(info)

    def read_text(self, name: str) -> str | None:
        """A metadata file's text (METADATA, WHEEL, entry_points.txt), or None if the wheel
        has no member of that name."""
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            return None
        try:
            return self.read_small(info).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{name} is not UTF-8 text") from None

    def read_small(self, info: zipfile.ZipInfo) -> bytes:
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

    def content(self, info: zipfile.ZipInfo) -> bytes | bytearray:
        """The whole of a member that ``is_read_whole``, read with one pread and inflated with
        one call, under the same checks as ``_chunks``.

        Going around ``_chunks`` and its three generators takes a little off unpacking (see
        "Where pinst is behind uv, session by session" in docs/internals/benchmark-history.md).
        """
        data = self._read_at(info.filename, self.data_offsets[info.filename], info.compress_size)
        content: bytes | bytearray = data
        if info.compress_type != zipfile.ZIP_STORED:
            content = self._inflated_whole(info, data)
        self._check_whole(info, len(content), zlib.crc32(content))
        return content

    def _inflated_whole(self, info: zipfile.ZipInfo, data: bytes) -> bytes | bytearray:
        """The deflate stream ``data`` inflated in one call, into room for one byte more than
        declared: enough to tell a longer stream, not a bomb's worth."""
        if libdeflate is not None:
            try:
                return libdeflate.deflate_decompress(data, info.file_size + 1)
            except libdeflate.DeflateError:
                # Damaged, cut short or longer than room: zlib's API tells which, in the same
                # words with libdeflate or without it.
                pass
        inflater = zlib.decompressobj(RAW_DEFLATE)
        try:
            content = inflater.decompress(data, info.file_size + 1)
        except zlib.error as error:
            raise self._damaged(info.filename, error) from None
        if len(content) <= info.file_size and not inflater.eof:
            raise self._damaged(info.filename, "it ends before its end-of-stream marker")
        return content

    def _check_not_longer(self, info: zipfile.ZipInfo, size: int) -> None:
        if size > info.file_size:
            raise self.fail(
                f"{info.filename!r} decompresses to more than the {info.file_size} bytes its "
                "zip headers declare"
            )

    def _check_whole(self, info: zipfile.ZipInfo, size: int, crc: int) -> None:
        """The size first, then the CRC: a lie about the size is named as one."""
        self._check_not_longer(info, size)
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


def _gib_above(size: int) -> str:
    return f"{size // GiB + 1}G"
