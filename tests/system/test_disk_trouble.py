"""A full disk and a read-only venv: one clear error, and the venv and cache as they were.

The full disks are real: small tmpfs mounts (root only; they skip otherwise, and CI runs as root).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.mounts import mounted, remount_read_only
from tests.support.runner import Pinst
from tests.support.trees import tree
from tests.support.venvs import fingerprint, run_python
from tests.support.wheels import build_wheel

BIG = 6 * 1024 * 1024  # random, so it stays this big in the wheel too


def demo(server: IndexServer, version: str, payload: int = 0) -> None:
    files: dict[str, bytes | str] = {"demo/__init__.py": f"VERSION = {version!r}\n"}
    if payload:
        files["demo/payload.bin"] = os.urandom(payload)
    build_wheel(server.directory, "demo", version, files=files)


def test_a_full_disk_during_an_upgrade_puts_the_old_version_back(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo(server, "1.0")
    demo(server, "2.0", payload=BIG)
    with mounted("tmpfs", tmp_path / "small", tmp_path, tmpfs_size="4m") as small:
        venv = small / "venv"
        pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
        before = fingerprint(venv)

        run = pinst(
            "install", "demo==2.0", "--venv", venv, "-i", server.url,
            "--link-mode", "copy", "--no-per-filesystem-cache", check=False,
        )  # fmt: skip

        assert run.returncode == 1
        assert "No space left on device" in run.stderr
        assert "put the venv back as it was" in run.stderr
        assert fingerprint(venv) == before
        assert run_python(venv, "import demo; print(demo.VERSION)") == "1.0\n"
        assert not list((venv / ".pinst").glob("journal*"))
        assert not list((venv / ".pinst").glob("backup-*"))


def test_a_full_cache_disk_keeps_nothing_unverified(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo(server, "2.0", payload=BIG)
    with mounted("tmpfs", tmp_path / "small", tmp_path, tmpfs_size="2m") as small:
        cache, venv = small / "cache", small / "venv"

        run = pinst(
            "install", "demo==2.0", "--venv", venv, "-i", server.url, "--cache-dir", cache,
            check=False,
        )  # fmt: skip

        assert run.returncode == 1
        assert "No space left on device" in run.stderr
        assert str(cache) in run.stderr
        assert tree(cache / "wheels-v1") == []
        assert tree(cache / "entries-v1") == []
        assert tree(cache / "tmp-v1") == []
        assert not venv.exists()  # pinst made it for this run, and removed it again


def test_a_read_only_venv_is_refused_clearly(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo(server, "1.0")
    demo(server, "2.0")
    with mounted("tmpfs", tmp_path / "ro", tmp_path, tmpfs_size="64m") as mount:
        venv = mount / "venv"
        pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
        before = fingerprint(venv)
        remount_read_only(mount)

        run = pinst("install", "demo==2.0", "--venv", venv, "-i", server.url, check=False)

        assert run.returncode == 1
        assert "Read-only file system" in run.stderr
        assert str(venv) in run.stderr
        assert fingerprint(venv) == before
