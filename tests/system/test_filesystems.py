"""One cache per filesystem and the link modes, on real tmpfs, XFS and btrfs mounts (root only).

The main cache stays in the test's directory on the machine's disk; venvs go on the mounted
filesystem, as they would on another partition, a RAM disk or a Docker volume.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.mounts import OWN_CACHE, disk_usage, free_bytes, mounted
from tests.support.runner import Pinst
from tests.support.trees import tree
from tests.support.venvs import make_venv, run_python, site_packages
from tests.support.wheels import build_wheel, sha256_of

BIG = 24 * 1024 * 1024  # big enough that a second copy would show in the free space


@pytest.fixture
def big_wheel(server: IndexServer) -> Path:
    return build_wheel(
        server.directory,
        "bigpkg",
        "1.0",
        files={"bigpkg/__init__.py": "X = 1\n", "bigpkg/blob.bin": os.urandom(BIG)},
    )


def install(pinst: Pinst, server: IndexServer, venv: Path, *extra: str, check: bool = True):  # type: ignore[no-untyped-def]
    return pinst("install", "bigpkg==1.0", "--venv", venv, "-i", server.url, *extra, check=check)


def blob(venv: Path) -> Path:
    return site_packages(venv) / "bigpkg" / "blob.bin"


def test_venv_on_another_filesystem_gets_a_cache_there(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path, cache_dir: Path
) -> None:
    first = install(pinst, server, tmpfs / "one")
    assert f"Created a cache for unpacked wheels at {tmpfs}/{OWN_CACHE}" in first.stderr
    second = install(pinst, server, tmpfs / "two", "--link-mode", "hardlink")
    assert "Created a cache" not in second.stderr

    assert blob(tmpfs / "one").stat().st_ino == blob(tmpfs / "two").stat().st_ino
    [cached] = (tmpfs / OWN_CACHE / "entries-v1").glob("*/files/bigpkg/blob.bin")
    assert cached.stat().st_ino == blob(tmpfs / "one").stat().st_ino
    assert not (cache_dir / "entries-v1").exists() or not list((cache_dir / "entries-v1").iterdir())
    assert list((cache_dir / "wheels-v1").glob("*/bigpkg-1.0-*.whl"))  # downloads stay in main
    single = disk_usage(tmpfs / "one")
    assert disk_usage(tmpfs / "one", tmpfs / "two") < single * 1.1
    run_python(tmpfs / "two", "import bigpkg")


@pytest.mark.parametrize("kind", ["xfs", "btrfs"])
def test_auto_reflinks_on_copy_on_write_filesystems(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmp_path: Path, kind: str
) -> None:
    with mounted(kind, tmp_path / kind, tmp_path) as mount_point:
        install(pinst, server, mount_point / "one")
        free_before = free_bytes(mount_point)
        run = install(pinst, server, mount_point / "two", "-v")
        used_by_second = free_before - free_bytes(mount_point)

        assert "Linking with reflink" in run.stderr
        assert blob(mount_point / "two").stat().st_nlink == 1
        assert used_by_second < BIG / 4, f"second venv used {used_by_second} bytes"
        blob(mount_point / "two").write_bytes(b"private edit")  # a reflink is a private copy
        [cached] = (mount_point / ".pinst-cache").glob("entries-v1/*/files/bigpkg/blob.bin")
        assert cached.stat().st_size == BIG


def test_strict_hardlink_across_filesystems_refuses_and_leaves_the_venv(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    venv = make_venv(tmpfs / "venv")
    before = tree(venv)
    run = install(
        pinst, server, venv, "--link-mode", "hardlink", "--no-per-filesystem-cache", check=False
    )
    assert run.returncode == 1
    assert "--link-mode hardlink" in run.stderr and "EXDEV" in run.stderr
    assert "tmpfs" in run.stderr and "cannot cross filesystems" in run.stderr
    assert tree(venv) == before


def test_strict_reflink_on_tmpfs_refuses(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    venv = make_venv(tmpfs / "venv")
    before = tree(venv)
    run = install(pinst, server, venv, "--link-mode", "reflink", check=False)
    assert run.returncode == 1 and "EOPNOTSUPP" in run.stderr and "tmpfs" in run.stderr
    assert tree(venv) == before


def test_auto_copies_with_one_warning_when_per_filesystem_caches_are_off(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    run = install(pinst, server, tmpfs / "venv", "--no-per-filesystem-cache")
    assert run.stderr.count("warning:") == 1
    assert "copying" in run.stderr and "--entries-cache" in run.stderr
    assert not (tmpfs / OWN_CACHE).exists()
    run_python(tmpfs / "venv", "import bigpkg")


def test_explicit_entries_cache(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    chosen = tmpfs / "my-entries"
    install(pinst, server, tmpfs / "venv", "--entries-cache", chosen, "--link-mode", "hardlink")
    [cached] = chosen.glob("entries-v1/*/files/bigpkg/blob.bin")
    assert cached.stat().st_ino == blob(tmpfs / "venv").stat().st_ino
    assert not (tmpfs / OWN_CACHE).exists()


@pytest.mark.parametrize("mode", ["copy", "symlink"])
def test_copy_and_symlink_across_filesystems(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path, mode: str
) -> None:
    venv = tmpfs / "venv"
    install(pinst, server, venv, "--link-mode", mode)
    installed = blob(venv)
    if mode == "symlink":
        assert installed.is_symlink()
        assert os.readlink(installed).startswith(str(tmpfs / OWN_CACHE))
    else:
        assert not installed.is_symlink() and installed.stat().st_nlink == 1
    run_python(venv, "import bigpkg")


def test_no_writable_directory_on_the_filesystem_copies_with_a_warning(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    # The venv is the only writable place on this filesystem: a writable bind mount of it
    # inside a read-only mount of the rest.
    venv = make_venv(tmpfs / "venvs" / "venv")
    subprocess.run(["mount", "--bind", str(venv), str(venv)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(tmpfs)], check=True)
    try:
        run = install(pinst, server, venv)
        assert "warning:" in run.stderr and "is writable" in run.stderr
        assert blob(venv).stat().st_nlink == 1
        strict = install(pinst, server, venv, "--link-mode", "hardlink", "--reinstall", check=False)
        assert strict.returncode == 1 and "EXDEV" in strict.stderr
    finally:
        subprocess.run(["umount", str(venv)], check=False)


def test_copy_mode_leaves_no_cache_on_the_venvs_filesystem(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path
) -> None:
    install(pinst, server, tmpfs / "venv", "--link-mode", "copy")
    assert not (tmpfs / OWN_CACHE).exists()
    run_python(tmpfs / "venv", "import bigpkg")


def test_entries_cache_on_another_filesystem_copies_with_a_warning(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path, tmp_path: Path
) -> None:
    run = install(pinst, server, tmpfs / "venv", "--entries-cache", tmp_path / "elsewhere")
    assert run.stderr.count("warning:") == 1 and "--entries-cache" in run.stderr
    assert blob(tmpfs / "venv").stat().st_nlink == 1


def test_first_venv_on_a_new_filesystem_needs_no_network(
    pinst: Pinst, server: IndexServer, big_wheel: Path, tmpfs: Path, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"bigpkg==1.0 --hash=sha256:{sha256_of(big_wheel)}\n")
    pinst("install", "-r", requirements, "--venv", tmp_path / "on-disk", "-i", server.url)
    before = server.total_requests()
    pinst("install", "-r", requirements, "--venv", tmpfs / "venv", "-i", server.url)
    assert server.total_requests() == before
    assert list((tmpfs / OWN_CACHE).glob("entries-v1/*/manifest.json"))
