"""Hostile wheels are refused before anything reaches the venv, and nothing is written outside the
cache's temporary area.

Every wheel here is served by a real index on 127.0.0.1 and installed through the real command
line into a venv that already holds a package. ``refused`` checks the same things for each: exit
status 1 with one ``error:`` paragraph that names the wheel and the problem, and no traceback; the
venv and everything else under the test's directory byte for byte as before; and nothing of the
wheel in the cache: no entry, no leftover in ``tmp-v1``, and no download either, unless the wheel
was refused only for its size (then the download waits for a run with a raised limit). Names that
aim outside carry ``MARKER``, which must then appear nowhere on disk.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinst.wheel.confinement import data_file_problem, path_problem, script_name_problem
from tests.support.hostile import NAME, RECORD, hostile
from tests.support.index_server import IndexServer, file_path
from tests.support.runner import Pinst, peak_rss_bytes
from tests.support.venvs import run_python, site_packages
from tests.support.wheels import Members, build_wheel, patch_header, record_hash, sha256_of

MARKER = "pinst-escaped"
MiB = 1024 * 1024

Snapshot = dict[str, tuple[int, bytes]]


def snapshot(root: Path, skip: Path) -> Snapshot:
    """Every path under ``root`` but ``skip``: its mode, and its content or link target."""
    state: Snapshot = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if Path(folder, name) != skip]
        for name in folders + files:
            path = Path(folder, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                content = os.readlink(path).encode()
            elif stat.S_ISREG(mode):
                content = hashlib.sha256(path.read_bytes()).digest()
            else:
                content = b""
            state[str(path.relative_to(root))] = (mode, content)
    return state


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


Install = Callable[..., str]


@pytest.fixture
def refused(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, tmp_path: Path
) -> Install:
    """Install ``hostile==1.0`` from the index; check that it was refused and left no trace."""

    def install(
        wheel: Path, *options: str, env: dict[str, str] | None = None, keeps_download: bool = False
    ) -> str:
        before = snapshot(tmp_path, skip=cache_dir)
        args = ["install", f"{NAME}==1.0", "--venv", venv, "-i", server.url, *options]
        run = pinst(*args, check=False, env=env)
        assert run.returncode == 1, run.output
        *_, last = run.stderr.splitlines()
        assert last.startswith("error: ") and "error:" not in run.stderr[: -len(last)], run.stderr
        assert wheel.name in last, last
        assert changes(before, snapshot(tmp_path, skip=cache_dir)) == []
        assert not (site_packages(venv) / NAME).exists()
        assert_nothing_cached(cache_dir, sha256_of(wheel), keeps_download)
        assert_marker_nowhere(tmp_path)
        return last

    return install


def assert_nothing_cached(cache_dir: Path, sha256: str, keeps_download: bool) -> None:
    assert not (cache_dir / "entries-v1" / sha256).exists()
    # A wheel over the limits is no invalid wheel: its download stays, for a raised limit.
    assert (cache_dir / "wheels-v1" / sha256).exists() == keeps_download
    leftovers = list((cache_dir / "tmp-v1").iterdir()) if (cache_dir / "tmp-v1").exists() else []
    assert leftovers == []


def assert_marker_nowhere(tmp_path: Path) -> None:
    found = [
        *tmp_path.rglob(f"*{MARKER}*"),
        *Path("/tmp").glob(f"*{MARKER}*"),
        *Path("/etc").glob(f"*{MARKER}*"),
    ]
    assert found == [], f"a file escaped: {found}"


def edit_record(edit: Callable[[list[list[str]]], None]) -> Callable[[Members], None]:
    """A ``tamper`` that edits RECORD's rows."""

    def tamper(members: Members) -> None:
        rows = list(csv.reader(io.StringIO(members[RECORD].decode())))
        edit(rows)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        members[RECORD] = out.getvalue().encode()

    return tamper


# -- Paths --------------------------------------------------------------------------------------

OUTSIDE = [
    f"../../{MARKER}.py",
    f"{NAME}/../../../{MARKER}.py",
    f"{{tmp}}/{MARKER}.py",  # absolute
    f"C:/{MARKER}.py",
    f"C:\\{MARKER}.py",
    f"..\\..\\{MARKER}.py",
    f"{NAME}\\..\\..\\{MARKER}.py",
    f"{NAME}-1.0.data/scripts/../../{MARKER}",
    f"{NAME}-1.0.data/purelib/../../../etc/{MARKER}",
    f"{NAME}-1.0.data/data/../../../../../../../../../../tmp/{MARKER}",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_a_member_whose_path_leads_outside(
    refused: Install, server: IndexServer, tmp_path: Path, path: str
) -> None:
    # Listed in RECORD with its right hash: only the path is wrong.
    path = path.format(tmp=tmp_path)
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", path: "escaped = True\n"})
    message = refused(wheel)
    assert f"member {path!r}" in message
    assert "outside the install directory" in message or "absolute" in message


@pytest.mark.parametrize("path", [f"./{NAME}/x.py", f"{NAME}//x.py", f"{NAME}/./x.py"])
def test_a_member_path_in_disguise(refused: Install, server: IndexServer, path: str) -> None:
    # `hostile//x.py` is `hostile/x.py` on disk: a second name for one file.
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", path: "x = 1\n"})
    message = refused(wheel)
    assert f"member {path!r}" in message and "empty or '.' path component" in message


def test_a_symlink_member(refused: Install, server: IndexServer) -> None:
    link = f"{NAME}/link.py"
    wheel = hostile(
        server,
        files={f"{NAME}/__init__.py": "", link: f"../../../../../../{MARKER}"},
        modes={link: stat.S_IFLNK | 0o777},
    )
    assert f"member {link!r} is a symbolic link" in refused(wheel)


def test_a_member_missing_from_record(refused: Install, server: IndexServer) -> None:
    def tamper(members: Members) -> None:
        members[f"{NAME}/unlisted.py"] = b"import os\n"

    message = refused(hostile(server, tamper=tamper))
    assert f"'{NAME}/unlisted.py' is not listed in RECORD" in message


def test_a_record_hash_that_does_not_match(refused: Install, server: IndexServer) -> None:
    def tamper(members: Members) -> None:
        members[f"{NAME}/__init__.py"] = b"x = 2\n"  # the same size, other bytes

    message = refused(hostile(server, tamper=tamper))
    assert f"the content of '{NAME}/__init__.py' does not match its hash in RECORD" in message


def test_a_record_size_that_does_not_match(refused: Install, server: IndexServer) -> None:
    def edit(rows: list[list[str]]) -> None:
        rows[0][2] = str(int(rows[0][2]) + 1)

    message = refused(hostile(server, tamper=edit_record(edit)))
    assert f"'{NAME}/__init__.py' is 6 bytes but RECORD says 7 bytes" in message


def test_a_dist_info_that_does_not_match_the_filename(
    refused: Install, server: IndexServer
) -> None:
    def tamper(members: Members) -> None:
        for name in [name for name in members if name.startswith(f"{NAME}-1.0.dist-info/")]:
            members[name.replace(NAME, "other", 1)] = members.pop(name).replace(
                f"{NAME}-1.0.dist-info".encode(), b"other-1.0.dist-info"
            )

    message = refused(hostile(server, tamper=tamper))
    assert "other-1.0.dist-info does not match the filename" in message


def test_a_duplicate_member(refused: Install, server: IndexServer) -> None:
    # The same bytes twice: only the duplicate itself is wrong.
    wheel = hostile(server, duplicates=[f"{NAME}/__init__.py"])
    assert f"member '{NAME}/__init__.py' appears twice" in refused(wheel)


def test_a_member_that_is_both_a_file_and_a_folder(refused: Install, server: IndexServer) -> None:
    wheel = hostile(
        server, files={f"{NAME}/__init__.py": "", f"{NAME}/sub": "", f"{NAME}/sub/x": ""}
    )
    assert f"member '{NAME}/sub' is both a file and a folder" in refused(wheel)


# -- Zip headers --------------------------------------------------------------------------------

DATA = b"0123456789abcdef" * 4096  # 64 KiB that deflate shrinks a lot
# Over a MiB: unpacked in pieces through a bounded buffer, where DATA is read and inflated whole.
STREAMED_DATA = DATA * 48
DATA_MEMBER = f"{NAME}/data.bin"


@pytest.mark.parametrize(
    ("headers", "declared", "expected"),
    [
        # Both headers say smaller, with a CRC forged for that many bytes: zipfile alone would
        # hand out the short file and never see the rest of the stream.
        ("both", 1000, "decompresses to more than the 1000 bytes its zip headers declare"),
        ("both", len(DATA) + 1000, f"decompresses to {len(DATA)} bytes, not the"),
        ("local", 1000, "the local header says 1000 bytes, the central directory 65536"),
        ("local", len(DATA) + 1000, "the local header says 66536 bytes"),
        ("central", 1000, "the local header says 65536 bytes, the central directory 1000"),
    ],
)
def test_a_zip_header_that_lies_about_a_size(
    refused: Install, server: IndexServer, headers: str, declared: int, expected: str
) -> None:
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", DATA_MEMBER: DATA})
    patch_header(
        wheel,
        DATA_MEMBER,
        central=headers in ("both", "central"),
        local=headers in ("both", "local"),
        size=declared,
        crc=zlib.crc32(DATA[:declared]),
    )
    message = refused(wheel)
    assert repr(DATA_MEMBER) in message and expected in message


def with_data_member(server: IndexServer, data: bytes = DATA) -> Path:
    return hostile(server, files={f"{NAME}/__init__.py": "", DATA_MEMBER: data})


def compressed_size(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as archive:
        return archive.getinfo(DATA_MEMBER).compress_size


def patch_local_header(wheel: Path, at: int, replacement: bytes) -> None:
    """Overwrite bytes of the data member's local header, ``at`` bytes into it."""
    with zipfile.ZipFile(wheel) as archive:
        start = archive.getinfo(DATA_MEMBER).header_offset + at
    data = bytearray(wheel.read_bytes())
    data[start : start + len(replacement)] = replacement
    wheel.write_bytes(bytes(data))


def damage_deflate_data(wheel: Path) -> None:
    # The data starts after the 30 bytes of the local header and the name (no extra field).
    patch_local_header(wheel, 30 + len(DATA_MEMBER), b"\xff" * 16)  # not a deflate block


def cut_stream_short(wheel: Path) -> None:
    # Both headers declare half the compressed bytes: the stream stops before its end marker.
    patch_header(wheel, DATA_MEMBER, compressed_size=compressed_size(wheel) // 2)


def declare_fewer_bytes(wheel: Path) -> None:
    patch_header(wheel, DATA_MEMBER, size=1000, crc=zlib.crc32(DATA[:1000]))


DAMAGED_DATA = [
    (damage_deflate_data, "is damaged (Error -3 while decompressing data: invalid block type)"),
    (cut_stream_short, "is damaged (it ends before its end-of-stream marker)"),
]
LONGER_THAN_DECLARED = (
    declare_fewer_bytes,
    "decompresses to more than the 1000 bytes its zip headers declare",
)


@pytest.mark.parametrize("data", [DATA, STREAMED_DATA], ids=["read whole", "streamed"])
@pytest.mark.parametrize(("damage", "expected"), DAMAGED_DATA)
def test_damaged_compressed_data(
    refused: Install,
    server: IndexServer,
    damage: Callable[[Path], None],
    expected: str,
    data: bytes,
) -> None:
    wheel = with_data_member(server, data)
    damage(wheel)
    message = refused(wheel)
    assert f"the compressed data of {DATA_MEMBER!r} {expected}" in message


def test_member_data_that_runs_into_the_next_member(refused: Install, server: IndexServer) -> None:
    # Overlapping members let a zip bomb inflate the same bytes again and again.
    wheel = with_data_member(server)
    patch_header(wheel, DATA_MEMBER, compressed_size=compressed_size(wheel) + 100)
    expected = f"the data of {DATA_MEMBER!r} overlaps another member or the central directory"
    assert expected in refused(wheel)


def test_a_local_header_that_names_another_file(refused: Install, server: IndexServer) -> None:
    # A tool that streams the local headers would unpack the data under this other name.
    wheel = with_data_member(server)
    patch_local_header(wheel, 30, DATA_MEMBER.replace("data", "evil").encode())
    assert f"the zip headers of {DATA_MEMBER!r} disagree on its name" in refused(wheel)


def test_an_encrypted_member(refused: Install, server: IndexServer) -> None:
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", DATA_MEMBER: DATA})
    patch_header(wheel, DATA_MEMBER, flag_bits=0x1)
    assert f"member {DATA_MEMBER!r} is encrypted" in refused(wheel)


def test_a_compression_method_wheels_do_not_use(refused: Install, server: IndexServer) -> None:
    wheel = hostile(server, compression=zipfile.ZIP_BZIP2)  # decompressed with no output bound
    assert "compression method 12; wheels use stored or deflate" in refused(wheel)


# -- Zip bombs ----------------------------------------------------------------------------------

BOMB = f"{NAME}/bomb.bin"


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_zip_bomb_over_the_size_limit(refused: Install, server: IndexServer, how: str) -> None:
    # 300 MiB of zeros in a 300 KB wheel, refused before a byte is written (the limit is
    # lowered to keep the test fast; the default 16G works the same way).
    wheel = hostile(server, zeros={BOMB: 300 * MiB})
    if how == "option":
        message = refused(wheel, "--max-unpacked-size", "100M", keeps_download=True)
    else:
        message = refused(wheel, env={"PINST_MAX_UNPACKED_SIZE": "100M"}, keeps_download=True)
    assert "unpacks to 300.0 MiB, more than the limit of 100.0 MiB" in message
    assert "--max-unpacked-size" in message and "PINST_MAX_UNPACKED_SIZE" in message


@pytest.mark.parametrize("declared", [1024, 2 * MiB], ids=["read whole", "streamed"])
def test_a_zip_bomb_whose_headers_lie_stops_at_the_declared_size(
    refused: Install, server: IndexServer, declared: int
) -> None:
    # Headers that declare a small size slip past any check of declared sizes; the stream is
    # cut off as soon as it runs past them, with the default limits.
    wheel = hostile(server, zeros={BOMB: 300 * MiB})
    patch_header(wheel, BOMB, size=declared, crc=zlib.crc32(bytes(declared)))
    message = refused(wheel)
    expected = f"{BOMB!r} decompresses to more than the {declared} bytes its zip headers declare"
    assert expected in message


def test_a_member_that_expands_too_much(refused: Install, server: IndexServer) -> None:
    wheel = hostile(server, zeros={BOMB: 100 * MiB})  # about 1000:1, as deflate allows at most
    message = refused(wheel, keeps_download=True)
    assert f"expands too much: its member {BOMB!r} expands" in message
    assert "more than the limit of 200 times for anything over 64.0 MiB" in message
    assert "--max-compression-ratio" in message and "PINST_MAX_COMPRESSION_RATIO" in message


def test_many_small_members_that_expand_too_much_together(
    refused: Install, server: IndexServer
) -> None:
    # Each 2 MiB member is below the size where one member's ratio counts; the wheel is not.
    wheel = hostile(server, zeros={f"{NAME}/part{n}.bin": 2 * MiB for n in range(40)})
    message = refused(wheel, keeps_download=True)
    assert "the wheel as a whole expands" in message and "--max-compression-ratio" in message


def test_raised_limits_let_a_trusted_wheel_in_with_flat_memory(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    hostile(server, zeros={BOMB: 300 * MiB}, files={f"{NAME}/__init__.py": ""})
    options = ["--max-compression-ratio", "2000", "--max-unpacked-size", "1G"]
    args = ["install", f"{NAME}==1.0", "--venv", venv, "-i", server.url, *options]
    peak = peak_rss_bytes(pinst, *args)  # measured from a small parent, as there
    assert (site_packages(venv) / BOMB).stat().st_size == 300 * MiB
    assert peak < 150 * 1000 * 1000, f"peak RSS {peak / 1e6:.0f} MB while unpacking"


def test_a_wheel_over_the_limit_is_kept_for_a_run_with_a_raised_limit(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path
) -> None:
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", DATA_MEMBER: os.urandom(3 * MiB)})
    install = ["install", f"{NAME}==1.0", "--venv", venv, "-i", server.url]
    run = pinst(*install, "--max-unpacked-size", "2M", check=False)
    assert run.returncode == 1 and "more than the limit of 2.0 MiB" in run.stderr
    assert not (cache_dir / "entries-v1" / sha256_of(wheel)).exists()

    pinst(*install, env={"PINST_MAX_UNPACKED_SIZE": "4M"})
    assert (site_packages(venv) / DATA_MEMBER).stat().st_size == 3 * MiB
    assert server.requests[file_path(wheel.name)] == 1  # the first run's download was kept


@pytest.mark.parametrize(
    ("options", "env", "named"),
    [
        (["--max-unpacked-size", "lots"], {}, "--max-unpacked-size 'lots'"),
        (["--max-unpacked-size", "0"], {}, "--max-unpacked-size '0'"),
        ([], {"PINST_MAX_UNPACKED_SIZE": "-1G"}, "PINST_MAX_UNPACKED_SIZE '-1G'"),
        (["--max-compression-ratio", "1.5"], {}, "--max-compression-ratio '1.5'"),
        ([], {"PINST_MAX_COMPRESSION_RATIO": "many"}, "PINST_MAX_COMPRESSION_RATIO 'many'"),
    ],
)
def test_a_bad_limit_is_a_usage_error(
    pinst: Pinst, tmp_path: Path, options: list[str], env: dict[str, str], named: str
) -> None:
    run = pinst("install", "six==1.17.0", "--venv", tmp_path / "v", *options, env=env, check=False)
    assert run.returncode == 2, run.output
    assert run.stderr.startswith(f"error: {named} is not a valid limit")
    assert not (tmp_path / "v").exists()


# -- RECORD -------------------------------------------------------------------------------------

RECORD_OUTSIDE = [
    f"../../{MARKER}.py",
    f"{NAME}/../../{MARKER}.py",
    f"{NAME}-1.0.data/scripts/../../{MARKER}",
    f"{NAME}-1.0.data/purelib/../../../etc/{MARKER}",
    f"/etc/{MARKER}",
    f"C:\\{MARKER}",
]


@pytest.mark.parametrize("path", RECORD_OUTSIDE)
def test_a_record_row_that_leads_outside(refused: Install, server: IndexServer, path: str) -> None:
    # A tool that trusts RECORD (to install, or later to uninstall) would follow it out.
    def edit(rows: list[list[str]]) -> None:
        rows.insert(0, [path, record_hash(b"x"), "1"])

    message = refused(hostile(server, tamper=edit_record(edit)))
    assert f"RECORD lists {path!r}, which" in message
    assert "outside the install directory" in message or "absolute" in message


def test_a_record_row_for_a_file_not_in_the_archive(refused: Install, server: IndexServer) -> None:
    def edit(rows: list[list[str]]) -> None:
        rows.insert(0, [f"{NAME}/ghost.py", record_hash(b"boo"), "3"])

    message = refused(hostile(server, tamper=edit_record(edit)))
    assert f"RECORD lists '{NAME}/ghost.py', which is not in the archive" in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows.insert(0, ["x" * 200_000]), "its RECORD cannot be read"),
        (lambda rows: rows[0].__setitem__(2, "\u00b2"), "the size '\u00b2', which is not a number"),
        (lambda rows: rows[0].__setitem__(2, "9" * 5000), "which is not a number"),
        (lambda rows: rows.append([rows[0][0], rows[0][1], "7"]), "twice, with different"),
    ],
    ids=["field-too-long", "superscript-size", "huge-size", "conflicting-rows"],
)
def test_a_record_that_cannot_be_trusted(
    refused: Install, server: IndexServer, edit: Callable[[list[list[str]]], None], expected: str
) -> None:
    # Each of these crashed pinst with a traceback before.
    assert expected in refused(hostile(server, tamper=edit_record(edit)))


# -- Without zlib-ng ----------------------------------------------------------------------------
# pinst inflates with zlib-ng where it is installed, and with the standard zlib where it is not
# (a platform it has no wheels for): the same wheels unpack, and the same damage is refused.


@pytest.fixture
def without_zlib_ng(pinst: Pinst, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables for pinst under which ``import zlib_ng`` fails."""
    hiding = tmp_path_factory.mktemp("without-zlib-ng")
    (hiding / "zlib_ng.py").write_text("raise ImportError('zlib_ng is hidden by the test')\n")
    return {"PYTHONPATH": os.pathsep.join([str(hiding), pinst.env["PYTHONPATH"]])}


def inflating_module(pinst: Pinst, env: dict[str, str]) -> str:
    """The module that pinst's unpacking inflates with, in this environment."""
    code = "import pinst.wheel.container; print(pinst.wheel.container.zlib.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**pinst.env, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_without_zlib_ng_the_standard_zlib_unpacks(
    pinst: Pinst, server: IndexServer, tmp_path: Path, without_zlib_ng: dict[str, str]
) -> None:
    installed = importlib.util.find_spec("zlib_ng") is not None
    assert inflating_module(pinst, {}) == ("zlib_ng.zlib_ng" if installed else "zlib")
    assert inflating_module(pinst, without_zlib_ng) == "zlib"
    # Each over a MiB, inflated or read in several pieces: text compresses, noise does not.
    text = b"".join(b"line %d\n" % n for n in range(300_000))
    noise = os.urandom(3 * MiB)
    files: dict[str, bytes | str] = {"plain/text.txt": text, "plain/noise.bin": noise}
    build_wheel(server.directory, "plain", "1.0", files=files)
    venv = tmp_path / "plain-venv"
    pinst("install", "plain==1.0", "--venv", venv, "-i", server.url, env=without_zlib_ng)
    assert (site_packages(venv) / "plain" / "text.txt").read_bytes() == text
    assert (site_packages(venv) / "plain" / "noise.bin").read_bytes() == noise


@pytest.mark.parametrize(("damage", "expected"), [*DAMAGED_DATA, LONGER_THAN_DECLARED])
def test_without_zlib_ng_damaged_streams_are_refused(
    refused: Install,
    server: IndexServer,
    without_zlib_ng: dict[str, str],
    damage: Callable[[Path], None],
    expected: str,
) -> None:
    wheel = with_data_member(server)
    damage(wheel)
    message = refused(wheel, env=without_zlib_ng)
    assert repr(DATA_MEMBER) in message and expected in message


# -- Entry points and the venv's own files ------------------------------------------------------
# One rule (confinement.py) for every path a wheel names: a script's name is a file name in
# bin/, and nothing a wheel installs may land on the venv's interpreter, activation scripts,
# pyvenv.cfg or pinst's own .pinst/ state.

PYTHON_X_Y = f"python{sys.version_info[0]}.{sys.version_info[1]}"
DATA_DIR = f"{NAME}-1.0.data"


def with_script(server: IndexServer, name: str, section: str = "console_scripts") -> Path:
    return hostile(
        server,
        files={f"{NAME}/__init__.py": "def main():\n    return 0\n"},
        entry_points={section: {name: f"{NAME}:main"}},
    )


@pytest.mark.parametrize("section", ["console_scripts", "gui_scripts"])
@pytest.mark.parametrize(
    "name",
    [
        f"../../../../../../../../../../tmp/{MARKER}",
        f"/tmp/{MARKER}",
        f"sub/{MARKER}",
        f"..\\..\\{MARKER}",
        "..",
    ],
)
def test_an_entry_point_whose_name_is_a_path(
    refused: Install, server: IndexServer, name: str, section: str
) -> None:
    message = refused(with_script(server, name, section))
    kind = section.removesuffix("_scripts")
    line = f"{name} = {NAME}:main"
    assert f"entry_points.txt, line 2 ({line!r}), names the {kind} script" in message
    assert "which is a path, not a file name in the scripts directory" in message


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("python", "interpreter bin/python"),
        ("python3", "interpreter bin/python3"),
        (PYTHON_X_Y, f"interpreter bin/{PYTHON_X_Y}"),
        ("pythonw", "interpreter bin/pythonw"),
        ("pypy3", "interpreter bin/pypy3"),
        ("activate", "activation script bin/activate"),
        ("activate.fish", "activation script bin/activate.fish"),
        ("Activate.ps1", "activation script bin/activate.ps1"),
    ],
)
def test_an_entry_point_named_as_the_venvs_own_file(
    refused: Install, server: IndexServer, venv: Path, name: str, what: str
) -> None:
    message = refused(with_script(server, name))
    assert f"names the console script {name!r}, which would replace the venv's {what}" in message
    assert run_python(venv, "import sys; print(sys.prefix)").strip() == str(venv)


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("scripts/python", "interpreter bin/python"),
        (f"scripts/{PYTHON_X_Y}", f"interpreter bin/{PYTHON_X_Y}"),
        ("scripts/activate", "activation script bin/activate"),
        ("data/bin/python", "interpreter bin/python"),
        ("data/bin/python3/x", "interpreter bin/python3"),
        ("data/bin/activate.csh", "activation script bin/activate.csh"),
        ("data/pyvenv.cfg", "pyvenv.cfg"),
        ("data/PyVenv.CFG", "pyvenv.cfg"),
        ("data/bin", "bin/ directory with a file"),
        ("data/lib64", "lib64/ directory with a file"),
    ],
)
def test_a_data_file_that_lands_on_the_venvs_own_file(
    refused: Install, server: IndexServer, venv: Path, path: str, what: str
) -> None:
    member = f"{DATA_DIR}/{path}"
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", member: "#!/bin/sh\necho owned\n"})
    message = refused(wheel)
    assert f"member {member!r} would replace the venv's {what}" in message
    assert run_python(venv, "print('still here')") == "still here\n"


@pytest.mark.parametrize("path", ["data/.pinst/lock", "data/.pinst/journal", "data/.pinst"])
def test_a_data_file_in_pinsts_own_state(refused: Install, server: IndexServer, path: str) -> None:
    # A journal planted by a wheel would send the next run to "repair" packages it names.
    member = f"{DATA_DIR}/{path}"
    wheel = hostile(server, files={f"{NAME}/__init__.py": "", member: "present\n"})
    message = refused(wheel)
    assert f"member {member!r} would go into .pinst/, pinst's own state directory" in message


def test_data_and_scripts_beside_the_venvs_own_files_still_install(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    # What pip installs from .data, and script names that merely start like reserved ones.
    site = f"lib/{PYTHON_X_Y}/site-packages"
    build_wheel(
        server.directory,
        "tools",
        "1.0",
        files={"tools/__init__.py": "def main():\n    print('ran')\n"},
        data={
            "data": {f"{site}/tools_extra.py": "X = 1\n", "share/tools/a.txt": "a"},
            "scripts": {"python-tools": "#!python\nprint('script')\n"},
        },
        entry_points={
            "console_scripts": {"pythonista": "tools:main", "activate-tools": "tools:main"}
        },
    )
    pinst("install", "tools==1.0", "--venv", venv, "-i", server.url)
    assert (site_packages(venv) / "tools_extra.py").is_file()
    assert (venv / "share" / "tools" / "a.txt").read_text() == "a"
    for script in ("python-tools", "pythonista", "activate-tools"):
        result = subprocess.run([venv / "bin" / script], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    assert run_python(venv, "import tools_extra; print(tools_extra.X)") == "1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[console_scripts]\nfoo = \n",
            "line 2 ('foo ='), gives the console script 'foo' the "
            "object reference '', which is not of the form 'module:function'",
        ),
        ("[console_scripts]\nfoo = hostile\n", "the object reference 'hostile', which is not"),
        ("[gui_scripts]\n# a comment\nfoo\n", "line 3 ('foo'), is not of the form 'name = "),
        (
            "[console_scripts]\n = hostile:main\n",
            "line 2 ('= hostile:main'), gives a console script no name",
        ),
        ("[console_scripts]\nfoo = os; import x:main\n", "the object reference 'os; import x:"),
    ],
    ids=["empty-reference", "module-only", "no-equals", "no-name", "code-in-reference"],
)
def test_an_entry_point_that_cannot_be_read(
    refused: Install, server: IndexServer, text: str, expected: str
) -> None:
    wheel = hostile(server, entry_points_text=text)
    message = refused(wheel)
    assert "is not a valid wheel: its entry_points.txt, line " in message and expected in message


def test_other_entry_point_groups_are_left_to_their_programs(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    # A plugin group's lines need not be scripts: pinst neither reads nor refuses them.
    text = "[myapp.plugins]\nanything goes = here\n[console_scripts]\nok = ok:main\n"
    build_wheel(
        server.directory,
        "ok",
        "1.0",
        files={"ok/__init__.py": "def main():\n    return 0\n"},
        entry_points_text=text,
    )
    pinst("install", "ok==1.0", "--venv", venv, "-i", server.url)
    assert subprocess.run([venv / "bin" / "ok"]).returncode == 0


# -- Names too long for the filesystem ----------------------------------------------------------


def test_a_member_name_longer_than_the_filesystem_allows(
    refused: Install, server: IndexServer
) -> None:
    member = f"{NAME}/{'a' * 256}.py"
    message = refused(hostile(server, files={f"{NAME}/__init__.py": "", member: ""}))
    assert f"member {member!r} has a name of 259 bytes" in message
    assert "longer than the 255 bytes a file name may have on the filesystem" in message
    assert "same name" not in message


def test_a_member_path_longer_than_pinst_allows(refused: Install, server: IndexServer) -> None:
    member = f"{NAME}/" + "/".join(["d" * 200] * 15) + "/x.py"
    message = refused(hostile(server, files={f"{NAME}/__init__.py": "", member: ""}))
    assert f"member {member!r} is {len(member)} bytes long, longer than the 2048 bytes" in message


def test_a_script_name_longer_than_the_filesystem_allows(
    refused: Install, server: IndexServer
) -> None:
    name = "é" * 128  # 128 characters, 256 bytes
    message = refused(with_script(server, name))
    assert f"names the console script {name!r}, which has a name of 256 bytes" in message


# -- A cache entry an earlier pinst unpacked ----------------------------------------------------


def test_a_cache_entry_with_a_script_that_escapes_is_refused_at_install(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, tmp_path: Path
) -> None:
    # An earlier pinst checked no entry point names: its entries in the cache may hold any.
    wheel = with_script(server, "tool")
    pinst("install", f"{NAME}==1.0", "--venv", tmp_path / "first", "-i", server.url)
    manifest_path = cache_dir / "entries-v1" / sha256_of(wheel) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["entry_points"] = [[f"../../../{MARKER}", NAME, "main", "console"]]
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps(manifest))
    before = snapshot(venv, skip=venv / ".pinst")

    run = pinst("install", f"{NAME}==1.0", "--venv", venv, "-i", server.url, check=False)

    assert run.returncode == 1, run.output
    assert run.stderr.count("error:") == 1 and "Traceback" not in run.stderr
    assert f"{wheel.name} cannot be installed: its console script '../../../{MARKER}'" in run.stderr
    assert "pinst cache clean" in run.stderr
    assert changes(before, snapshot(venv, skip=venv / ".pinst")) == []
    assert_marker_nowhere(tmp_path)


# -- Uninstalling by a RECORD another tool wrote ------------------------------------------------


def test_uninstall_never_follows_a_tampered_record_out_of_the_venv_or_onto_its_own_files(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    venv = tmp_path / "pip-venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)  # with pip
    wheel = build_wheel(tmp_path / "wheels", "victim", "1.0")
    subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-index", "-q", wheel], check=True
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("keep")
    site = site_packages(venv)
    (site / "escape").symlink_to(outside)  # a link another tool left, leading out
    state = venv / ".pinst" / "lock"  # pinst's own, made by every run
    state.parent.mkdir()
    state.write_text("")
    up = "../../../"  # from site-packages to the venv's root
    rows = [
        f"{up}../outside/secret.txt",
        str(outside / "secret.txt"),
        "escape/secret.txt",
        f"{up}bin/python",
        f"{up}bin/{PYTHON_X_Y}",
        f"{up}bin/activate",
        f"{up}pyvenv.cfg",
        f"{up}.pinst/lock",
    ]
    record = site / "victim-1.0.dist-info" / "RECORD"
    with record.open("a", newline="") as file:
        csv.writer(file).writerows([row, "", ""] for row in rows)
    kept = [outside / "secret.txt", venv / "bin" / "python", venv / "bin" / PYTHON_X_Y]
    kept += [venv / "bin" / "activate", venv / "pyvenv.cfg", state]
    before = {path: path.read_bytes() for path in kept}

    pinst("uninstall", "victim", "--venv", venv)

    assert not (site / "victim").exists() and not (site / "victim-1.0.dist-info").exists()
    assert {path: path.read_bytes() for path in kept} == before
    assert run_python(venv, "import sys; print(sys.prefix)").strip() == str(venv)


# -- The rule itself, for any string ------------------------------------------------------------

BASE = "/venv/lib/site-packages"
PIECES = ["a", "é", ".", "..", "/", "\\", ":", "\x00", "python", "3", "bin", "activate"]
PIECES += [".pinst", "pyvenv.cfg", "PyVenv.CFG", "lib64", "é" * 100]  # a component too long
PATHS = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@given(PATHS)
@settings(max_examples=500)
def test_a_path_the_rule_accepts_stays_below_its_directory(path: str) -> None:
    if path_problem(path) is not None:
        return
    joined = os.path.join(BASE, path)
    assert os.path.normpath(joined) == joined.removesuffix("/")  # nothing to normalise away
    assert os.path.normpath(joined).startswith(BASE + "/")
    assert all(len(part.encode()) <= 255 for part in path.split("/"))


@given(PATHS)
@settings(max_examples=500)
def test_a_script_name_the_rule_accepts_is_a_file_in_bin(name: str) -> None:
    if script_name_problem(name) is not None:
        return
    assert os.path.dirname(os.path.normpath(os.path.join("/venv/bin", name))) == "/venv/bin"
    assert name.casefold() not in {"python", "python3", "activate"}


@given(PATHS)
@settings(max_examples=500)
def test_a_data_file_the_rule_accepts_misses_the_venvs_own_files(path: str) -> None:
    if data_file_problem("data", path) is not None:
        return
    top = os.path.normpath(os.path.join("/venv", path)).split("/")[2].casefold()
    assert top not in {".pinst", "pyvenv.cfg"}
