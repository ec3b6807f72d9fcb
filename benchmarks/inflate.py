"""Inflating every deflated member of a set of wheels, and its CRC-32, with each library (issue 19).

    python -m benchmarks.inflate [--wheels DIR] [--rounds N] [--quiet-file /tmp/QUIET]
    python -m benchmarks.inflate --once NAME   # one pass of one way, for callgrind

Every deflated member of every wheel in the directory is read into memory first, so that only
inflating and CRC-32 are timed. Each way of inflating is timed once per round, the ways in
another order each round (interleaved), and the report gives each way's median, fastest and
slowest round.

The ``pinst`` ways inflate as ``src/pinst/wheel/container.py`` does: a member of at most WHOLE
bytes (compressed and not) whole, in one call with room for one byte more than declared, and a
larger one in steps of at most CHUNK bytes through a decompressor object; the CRC-32 from the
same library. libdeflate has no streaming decompressor, so its ``pinst`` way streams the large
members with zlib-ng, and computes every CRC-32 with zlib-ng, as pinst does. The ``whole`` ways
are each library's best mode: every member inflated in one call into a buffer of its declared
size, with no bound on memory (and libdeflate's own CRC-32).

The libraries are imported by name at run time, so that the module type-checks without them:
run it with a Python that has them (``pip install isal deflate zlib-ng`` in a scratch venv).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import struct
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

CHUNK = 1024 * 1024  # as in pinst.wheel.container
WHOLE = 8 * 1024 * 1024  # as in pinst.wheel.container
RAW_DEFLATE = -15
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
DEFAULT_WHEELS = Path.home() / ".cache" / "pinst-bench" / "wheels"


class Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


class ZlibLike(Protocol):
    """The part of the zlib API that zlib, zlib-ng and isal share."""

    def decompressobj(self, wbits: int, /) -> Decompressor: ...

    def decompress(self, data: bytes, wbits: int, bufsize: int, /) -> bytes: ...

    def crc32(self, data: bytes | bytearray, value: int = 0, /) -> int: ...


class Libdeflate(Protocol):
    """The ``deflate`` package: libdeflate's whole-buffer calls."""

    def deflate_decompress(self, data: bytes, originalsize: int, /) -> bytearray: ...

    def crc32(self, data: bytes | bytearray, initial: int = 0, /) -> int: ...


@dataclass(frozen=True)
class Member:
    data: bytes  # the raw deflate stream
    size: int  # declared by the zip headers
    crc: int

    @property
    def small(self) -> bool:
        """Inflated whole by pinst, in one call."""
        return len(self.data) <= WHOLE and self.size <= WHOLE


Way = Callable[[Sequence[Member]], int]


def read_members(wheels: Path) -> list[Member]:
    """Every deflated member of every wheel in the folder, its raw stream read into memory."""
    members = []
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive, open(wheel, "rb") as file:
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_DEFLATED or info.is_dir():
                    continue
                file.seek(info.header_offset)
                header = LOCAL_HEADER.unpack(file.read(LOCAL_HEADER.size))
                file.seek(header[-2] + header[-1], 1)  # past the name and the extra field
                members.append(Member(file.read(info.compress_size), info.file_size, info.CRC))
    return members


def check(member: Member, size: int, crc: int) -> None:
    if size != member.size or crc != member.crc:
        raise AssertionError(f"inflated to {size} bytes, CRC {crc:#x}: not as declared")


def inflate_whole_as_pinst(zlib: ZlibLike, member: Member) -> None:
    inflater = zlib.decompressobj(RAW_DEFLATE)
    content = inflater.decompress(member.data, member.size + 1)
    if not inflater.eof:
        raise AssertionError("the stream ends before its end-of-stream marker")
    check(member, len(content), zlib.crc32(content))


def inflate_streamed(zlib: ZlibLike, member: Member) -> None:
    """As ``_chunks`` and ``_inflated`` in pinst: input and output CHUNK bytes at a time."""
    inflater = zlib.decompressobj(RAW_DEFLATE)
    pieces = (member.data[start : start + CHUNK] for start in range(0, len(member.data), CHUNK))
    size, crc = 0, 0
    while not inflater.eof:
        data = inflater.unconsumed_tail or next(pieces, b"")
        content = inflater.decompress(data, CHUNK)
        if not content and not data:
            raise AssertionError("the stream ends before its end-of-stream marker")
        size += len(content)
        crc = zlib.crc32(content, crc)
    check(member, size, crc)


def as_pinst(zlib: ZlibLike) -> Way:
    def inflate(members: Sequence[Member]) -> int:
        for member in members:
            if member.small:
                inflate_whole_as_pinst(zlib, member)
            else:
                inflate_streamed(zlib, member)
        return len(members)

    return inflate


def whole(zlib: ZlibLike) -> Way:
    def inflate(members: Sequence[Member]) -> int:
        for member in members:
            content = zlib.decompress(member.data, RAW_DEFLATE, max(member.size, 1))
            check(member, len(content), zlib.crc32(content))
        return len(members)

    return inflate


def libdeflate_as_pinst(libdeflate: Libdeflate, streaming: ZlibLike) -> Way:
    def inflate(members: Sequence[Member]) -> int:
        for member in members:
            if member.small:
                content = libdeflate.deflate_decompress(member.data, member.size + 1)
                check(member, len(content), streaming.crc32(content))
            else:
                inflate_streamed(streaming, member)
        return len(members)

    return inflate


def libdeflate_whole(libdeflate: Libdeflate) -> Way:
    def inflate(members: Sequence[Member]) -> int:
        for member in members:
            content = libdeflate.deflate_decompress(member.data, member.size + 1)
            check(member, len(content), libdeflate.crc32(content))
        return len(members)

    return inflate


def available_ways() -> dict[str, Way]:
    """Each way whose library this Python has, by name."""
    modules: dict[str, object] = {}
    for name in ("zlib", "zlib_ng.zlib_ng", "isal.isal_zlib", "deflate"):
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            print(f"# {name} is not installed: skipped", file=sys.stderr)
    ways: dict[str, Way] = {}
    for label, name in (
        ("zlib", "zlib"),
        ("zlib-ng", "zlib_ng.zlib_ng"),
        ("isal", "isal.isal_zlib"),
    ):
        if name in modules:
            ways[f"{label}/pinst"] = as_pinst(cast(ZlibLike, modules[name]))
            ways[f"{label}/whole"] = whole(cast(ZlibLike, modules[name]))
    if "deflate" in modules:
        libdeflate = cast(Libdeflate, modules["deflate"])
        streaming = cast(ZlibLike, modules.get("zlib_ng.zlib_ng", modules["zlib"]))
        ways["libdeflate/pinst"] = libdeflate_as_pinst(libdeflate, streaming)
        ways["libdeflate/whole"] = libdeflate_whole(libdeflate)
    ways["none"] = len  # reading only: the baseline to subtract from an instruction count
    return ways


def wait_for_quiet(quiet_file: Path | None) -> None:
    """Time only while the machine's owner says it is quiet (the file exists)."""
    if quiet_file is None:
        return
    while not quiet_file.exists():
        print(f"# waiting for {quiet_file}", file=sys.stderr)
        time.sleep(30)


def timed_rounds(
    ways: dict[str, Way], members: Sequence[Member], rounds: int, quiet_file: Path | None
) -> dict[str, list[float]]:
    """Seconds per round of each way, the order rotated each round."""
    names = [name for name in ways if name != "none"]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            wait_for_quiet(quiet_file)
            gc.collect()
            started = time.perf_counter()
            ways[name](members)
            seconds[name].append(time.perf_counter() - started)
        print(f"# round {round_number + 1} of {rounds} done", file=sys.stderr)
    return seconds


def report(seconds: dict[str, list[float]], members: Sequence[Member]) -> str:
    out_mb = sum(member.size for member in members) / 1e6
    reference = statistics.median(seconds.get("zlib/pinst", next(iter(seconds.values()))))
    lines = [
        f"{len(members)} deflated members, {out_mb:.0f} MB out, "
        f"{len(next(iter(seconds.values())))} interleaved rounds",
        "",
        "| way | median s | fastest | slowest | spread | MB/s | of zlib/pinst |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, times in sorted(seconds.items(), key=lambda item: statistics.median(item[1])):
        median = statistics.median(times)
        spread = (max(times) - min(times)) / median
        lines.append(
            f"| {name} | {median:.3f} | {min(times):.3f} | {max(times):.3f} | {spread:.0%} "
            f"| {out_mb / median:.0f} | {median / reference:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quiet-file", type=Path, default=None)
    parser.add_argument("--once", metavar="WAY", help="one pass of one way, untimed")
    args = parser.parse_args(argv)
    members = read_members(args.wheels)
    ways = available_ways()
    if args.once is not None:
        ways[args.once](members)
        return
    print(report(timed_rounds(ways, members, args.rounds, args.quiet_file), members))


if __name__ == "__main__":
    main()
