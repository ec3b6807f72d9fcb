"""Every inflating backend pinst may run with unpacks the same bytes, and refuses the same damage
in the same words.

pinst inflates a small member with libdeflate where the ``deflate`` package is installed, and
streams large members and computes CRC-32s with zlib-ng where it is installed, else with the
standard zlib (``wheel/container.py``). Which ones a machine has depends on the wheels its
platform gets: whichever it is, a wheel must unpack to the same files, and a damaged one must be
refused with the same message. Backends that this Python lacks are skipped, visibly; in CI,
where both are installed with pinst, a missing one fails.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import zipfile
import zlib as standard_zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import pinst.wheel.container as container
from pinst._core.limits import DEFAULT_LIMITS
from pinst.wheel.errors import InvalidWheel
from tests.support.wheels import build_wheel, patch_header

HAS_LIBDEFLATE = importlib.util.find_spec("deflate") is not None
HAS_ZLIB_NG = importlib.util.find_spec("zlib_ng") is not None
# CI runs on Linux x86-64, where both are dependencies of pinst with wheels: there a missing one
# must fail the tests it is needed for, not skip them.
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
MiB = 1024 * 1024
SMALL = "sample/small.txt"  # read and inflated whole
MEDIUM = "sample/medium.txt"  # over CHUNK, and still read and inflated whole
LARGE = "sample/large.txt"  # over WHOLE: streamed in pieces
TEXT = b"".join(b"line %d of a text that deflate shrinks\n" % n for n in range(1000))
FILES: dict[str, bytes] = {
    "sample/__init__.py": b"",
    SMALL: TEXT,
    "sample/empty.txt": b"",
    "sample/noise.bin": os.urandom(200_000),  # stored in deflate's stored blocks
    MEDIUM: TEXT * (2 * container.CHUNK // len(TEXT)),
    LARGE: TEXT * (container.WHOLE // len(TEXT) + 1),
}


def zlib_api() -> ModuleType:
    """The zlib API that pinst streams with when zlib-ng is installed, else the standard zlib."""
    if HAS_ZLIB_NG:
        return importlib.import_module("zlib_ng.zlib_ng")
    return standard_zlib


BACKENDS = [
    pytest.param(
        lambda: (importlib.import_module("deflate"), zlib_api()),
        id="libdeflate",
        marks=pytest.mark.skipif(
            not HAS_LIBDEFLATE and not IN_CI, reason="deflate is not installed"
        ),
    ),
    pytest.param(
        lambda: (None, importlib.import_module("zlib_ng.zlib_ng")),
        id="zlib-ng",
        marks=pytest.mark.skipif(not HAS_ZLIB_NG and not IN_CI, reason="zlib-ng is not installed"),
    ),
    pytest.param(lambda: (None, standard_zlib), id="zlib"),
]
Backend = Callable[[], tuple[ModuleType | None, ModuleType]]


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Callable[[Backend], None]:
    def chosen(backend: Backend) -> None:
        libdeflate, zlib = backend()
        monkeypatch.setattr(container, "libdeflate", libdeflate)
        monkeypatch.setattr(container, "zlib", zlib)

    return chosen


def unpacked(wheel: Path) -> dict[str, bytes]:
    """Every member's bytes, read as pinst's unpacking reads them."""
    with open(wheel, "rb", buffering=0) as raw, zipfile.ZipFile(raw) as archive:
        checked = container.WheelArchive(wheel, archive, raw.fileno(), DEFAULT_LIMITS)
        members = checked.checked_members()
        return {name: b"".join(checked.pieces(info)) for name, info in members.items()}


def refusal(wheel: Path) -> str:
    with pytest.raises(InvalidWheel) as refused:
        unpacked(wheel)
    return str(refused.value)


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return build_wheel(tmp_path, "sample", "1.0", files={**FILES})


def test_members_up_to_whole_are_read_whole_and_larger_ones_streamed(wheel: Path) -> None:
    with open(wheel, "rb", buffering=0) as raw, zipfile.ZipFile(raw) as archive:
        checked = container.WheelArchive(wheel, archive, raw.fileno(), DEFAULT_LIMITS)
        members = checked.checked_members()
        assert checked.is_read_whole(members[SMALL])
        assert checked.is_read_whole(members[MEDIUM])
        assert not checked.is_read_whole(members[LARGE])
        assert len(list(checked.pieces(members[LARGE]))) > 1


def test_what_pinst_inflates_with_where_each_is_installed() -> None:
    assert (container.libdeflate is not None) == HAS_LIBDEFLATE
    assert container.zlib.__name__ == ("zlib_ng.zlib_ng" if HAS_ZLIB_NG else "zlib")


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_unpacks_the_same_bytes(
    wheel: Path, backend: Backend, use: Callable[[Backend], None]
) -> None:
    use(backend)
    content = unpacked(wheel)
    for name, data in FILES.items():
        assert content[name] == data, name


def flip_data(member: str) -> Callable[[Path], None]:
    def damage(wheel: Path) -> None:
        with zipfile.ZipFile(wheel) as archive:
            info = archive.getinfo(member)
        # The data starts after the 30 bytes of the local header and the name (no extra field).
        start = info.header_offset + 30 + len(member)
        data = bytearray(wheel.read_bytes())
        data[start : start + 16] = b"\xff" * 16  # not a deflate block
        wheel.write_bytes(bytes(data))

    return damage


def cut_short(member: str) -> Callable[[Path], None]:
    def damage(wheel: Path) -> None:
        with zipfile.ZipFile(wheel) as archive:
            half = archive.getinfo(member).compress_size // 2
        patch_header(wheel, member, compressed_size=half)

    return damage


def declare_fewer_bytes(member: str) -> Callable[[Path], None]:
    def damage(wheel: Path) -> None:
        patch_header(wheel, member, size=1000, crc=standard_zlib.crc32(FILES[member][:1000]))

    return damage


def declare_one_byte_fewer(member: str) -> Callable[[Path], None]:
    # Exactly the room that a whole inflation gets: the stream fills it, and is one too many.
    def damage(wheel: Path) -> None:
        size = len(FILES[member]) - 1
        patch_header(wheel, member, size=size, crc=standard_zlib.crc32(FILES[member][:size]))

    return damage


def declare_another_checksum(member: str) -> Callable[[Path], None]:
    def damage(wheel: Path) -> None:
        patch_header(wheel, member, crc=standard_zlib.crc32(FILES[member]) ^ 1)

    return damage


DAMAGES = [flip_data, cut_short, declare_fewer_bytes, declare_one_byte_fewer]


def damages() -> list[object]:
    params: list[object] = []
    for member, where in ((SMALL, "whole"), (MEDIUM, "whole-over-chunk"), (LARGE, "streamed")):
        for damage in [*DAMAGES, declare_another_checksum]:
            params.append(pytest.param(damage(member), id=f"{damage.__name__}-{where}"))
    return params


@pytest.mark.parametrize("damage", damages())
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_refuses_damage_in_the_same_words(
    tmp_path: Path,
    backend: Backend,
    use: Callable[[Backend], None],
    damage: Callable[[Path], None],
) -> None:
    wheel = build_wheel(tmp_path, "sample", "1.0", files={**FILES})
    damage(wheel)
    use(lambda: (None, standard_zlib))
    expected = refusal(wheel)
    use(backend)
    assert refusal(wheel) == expected
