"""Link modes on one filesystem (the cache and the venv side by side on the test's disk)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import site_packages
from tests.support.wheels import build_wheel


def cached_copy(cache_dir: Path, relative: str) -> Path:
    [found] = cache_dir.glob(f"entries-v1/*/files/{relative}")
    return found


@pytest.fixture
def wheel(server: IndexServer) -> Path:
    return build_wheel(server.directory, "linked", "1.0", files={"linked/__init__.py": "X = 1\n"})


def install(pinst: Pinst, server: IndexServer, venv: Path, *extra: str) -> str:
    return pinst("install", "linked==1.0", "--venv", venv, "-i", server.url, *extra).stderr


def test_hardlink_shares_the_cache_inode(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "a", "--link-mode", "hardlink")
    install(pinst, server, tmp_path / "b", "--link-mode", "hardlink")
    source = cached_copy(cache_dir, "linked/__init__.py")
    in_a = site_packages(tmp_path / "a") / "linked" / "__init__.py"
    in_b = site_packages(tmp_path / "b") / "linked" / "__init__.py"
    assert in_a.stat().st_ino == in_b.stat().st_ino == source.stat().st_ino
    assert source.stat().st_nlink == 3


def test_cache_files_are_read_only(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "a", "--link-mode", "hardlink")
    source = cached_copy(cache_dir, "linked/__init__.py")
    assert stat.S_IMODE(source.stat().st_mode) == 0o444


def test_copy_is_private_and_writable(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "a", "--link-mode", "copy")
    source = cached_copy(cache_dir, "linked/__init__.py")
    copied = site_packages(tmp_path / "a") / "linked" / "__init__.py"
    assert copied.stat().st_ino != source.stat().st_ino
    assert stat.S_IMODE(copied.stat().st_mode) == 0o644
    assert copied.stat().st_mtime_ns == source.stat().st_mtime_ns
    copied.write_text("X = 2\n")
    assert source.read_text() == "X = 1\n"


def test_symlink_points_into_the_cache(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "a", "--link-mode", "symlink")
    linked = site_packages(tmp_path / "a") / "linked" / "__init__.py"
    assert linked.is_symlink()
    assert Path(os.readlink(linked)) == cached_copy(cache_dir, "linked/__init__.py")


def test_upgrade_never_writes_through_a_hard_link(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    build_wheel(server.directory, "linked", "2.0", files={"linked/__init__.py": "X = 2\n"})
    venv = tmp_path / "a"
    install(pinst, server, venv, "--link-mode", "hardlink")
    pinst("install", "linked==2.0", "--venv", venv, "-i", server.url, "--link-mode", "hardlink")
    contents = sorted(
        p.read_text() for p in cache_dir.glob("entries-v1/*/files/linked/__init__.py")
    )
    assert contents == ["X = 1\n", "X = 2\n"]


def test_strict_reflink_refuses_where_the_filesystem_cannot(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path
) -> None:
    if _supports_reflink(tmp_path):
        pytest.skip("the test directory's filesystem supports reflinks")
    venv = tmp_path / "venv"
    run = pinst(
        "install",
        "linked==1.0",
        "--venv",
        venv,
        "-i",
        server.url,
        "--link-mode",
        "reflink",
        check=False,
    )
    assert run.returncode == 1
    assert "--link-mode reflink" in run.stderr and "EOPNOTSUPP" in run.stderr
    assert not (venv / "lib").exists() or not (site_packages(venv) / "linked").exists()


def test_auto_links_rather_than_copies(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "a")
    linked = site_packages(tmp_path / "a") / "linked" / "__init__.py"
    source = cached_copy(cache_dir, "linked/__init__.py")
    shares_inode = linked.stat().st_ino == source.stat().st_ino
    assert shares_inode or _supports_reflink(tmp_path)


def _supports_reflink(directory: Path) -> bool:
    from pinst._core.link import reflink_file

    source = directory / ".probe-source"
    source.write_text("x")
    try:
        reflink_file(str(source), str(directory / ".probe-target"))
    except OSError:
        return False
    finally:
        source.unlink()
    (directory / ".probe-target").unlink()
    return True


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to an unprivileged user needs root")
def test_editing_a_hard_linked_file_fails_instead_of_changing_the_cache(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    # Root ignores file modes, so the edit runs as an ordinary user, as most users are.
    tmp_path.chmod(0o755)
    install(pinst, server, tmp_path / "a", "--link-mode", "hardlink")
    target = site_packages(tmp_path / "a") / "linked" / "__init__.py"
    edit = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            "-c",
            f"open({str(target)!r}, 'a').write('X = 2')",
        ],
        capture_output=True,
        text=True,
    )
    assert edit.returncode != 0 and "Permission denied" in edit.stderr
    assert cached_copy(cache_dir, "linked/__init__.py").read_text() == "X = 1\n"


def test_pinst_link_mode_sets_the_default(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    pinst(
        "install",
        "linked==1.0",
        "--venv",
        tmp_path / "a",
        "-i",
        server.url,
        env={"PINST_LINK_MODE": "symlink"},
    )
    assert (site_packages(tmp_path / "a") / "linked" / "__init__.py").is_symlink()
    bad = pinst(
        "install",
        "linked==1.0",
        "--venv",
        tmp_path / "b",
        "-i",
        server.url,
        env={"PINST_LINK_MODE": "teleport"},
        check=False,
    )
    assert bad.returncode == 2 and "PINST_LINK_MODE" in bad.stderr
