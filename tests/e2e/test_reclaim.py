"""``pinst reclaim``: venvs made by pip and uv get their verified files linked to pinst's cache.

The venvs are real: ``python -m venv`` with pip, and uv 0.13.9's ``uv pip install --link-mode
copy`` (each file a full copy, as uv makes them when its cache is on another filesystem), filled
from the test index server.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pinst._core.link import hardlink_file
from pinst.reclaim.link import replace_with_link
from pinst.reclaim.scan import VerifiedFile
from pinst.venv.lock import VenvLock
from tests.support.index_server import Fault, IndexServer, closed_port_url, file_path
from tests.support.mounts import mounted
from tests.support.runner import Pinst
from tests.support.terminal import run_on_terminal
from tests.support.venvs import run_python
from tests.support.wheels import build_wheel, record_hash, sha256_of

UV = Path(sys.executable).parent / "uv"
PYENV = Path.home() / ".pyenv" / "versions"
PYTHONS = {
    version: PYENV / full / "bin" / "python"
    for version, full in (
        ("3.6", "3.6.15"),
        ("3.8", "3.8.18"),
        ("3.12", "3.12.1"),
        ("3.13", "3.13.0"),
    )
}
BIG = "VALUE = 1\n" * 4000  # 40 kB: big enough to see in the space freed


def python_for(version: str) -> Path:
    python = PYTHONS[version]
    if not python.exists():
        pytest.skip(f"Python {version} is not installed at {python}")
    return python


def uv_venv(
    path: Path, python: Path, server: IndexServer, *pins: str, uv_cache: Path | None = None
) -> Path:
    """A venv made by uv, every file a private copy (a real one when ``uv_cache`` is on another
    filesystem: within XFS or btrfs, uv's copy shares its blocks)."""
    cache = uv_cache or path.parent / "uv-cache"
    env = {**os.environ, "UV_CACHE_DIR": str(cache), "UV_NO_CONFIG": "1"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([UV, "venv", "-q", "-p", python, path], check=True, env=env)
    subprocess.run(
        [
            UV,
            "pip",
            "install",
            "-q",
            "--link-mode",
            "copy",
            "--python",
            path / "bin" / "python",
            # uv asks the test server for HEAD, which it does not answer: the folder will do.
            "--no-index",
            "--find-links",
            server.directory,
            *pins,
        ],
        check=True,
        env=env,
    )
    return path


def pip_venv(path: Path, server: IndexServer, *pins: str) -> Path:
    """A venv made by ``python -m venv``, filled by its own pip."""
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    subprocess.run(
        [
            path / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--index-url",
            server.url,
            *pins,
        ],
        check=True,
    )
    return path


def site_packages_of(venv: Path) -> Path:
    [found] = venv.glob("lib/python*/site-packages")
    return found


def publish(server: IndexServer) -> dict[str, Path]:
    return {
        "alpha": build_wheel(
            server.directory,
            "alpha",
            "1.0",
            files={"alpha/__init__.py": BIG, "alpha/run.sh": "#!/bin/sh\necho run\n"},
            executable=["alpha/run.sh"],
            entry_points={"console_scripts": {"alpha": "alpha:main"}},
        ),
        "beta": build_wheel(
            server.directory, "beta", "2.0", files={"beta/__init__.py": "B = 2\n" * 3000}
        ),
    }


def reclaim(pinst: Pinst, *args: str | Path, check: bool = True) -> dict[str, object]:
    run = pinst("reclaim", *args, "--json", check=check)
    return dict(json.loads(run.stdout))


def inode(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


def identity(path: Path) -> tuple[int, int, int, int, int]:
    """What replacing a file would change (reading it changes only its atime)."""
    status = os.lstat(path)
    return status.st_ino, status.st_mode, status.st_mtime_ns, status.st_nlink, status.st_size


def snapshot(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every path under ``root``: inode, mode, mtime, link count."""
    found = {}
    for folder, names, files in os.walk(root):
        for name in names + files:
            path = os.path.join(folder, name)
            status = os.lstat(path)
            found[path] = (status.st_ino, status.st_mode, status.st_mtime_ns, status.st_nlink)
    return found


# Finding venvs ----------------------------------------------------------------------------------


def test_finds_venvs_of_every_python_without_entering_them_or_following_links(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    projects = tmp_path / "projects"
    old = uv_venv(projects / "old" / ".venv", python_for("3.8"), server, "alpha==1.0")
    new = uv_venv(projects / "deep" / "er" / "venv", python_for("3.13"), server, "beta==2.0")
    # Something that looks like a venv inside a venv's tree is not another venv.
    fake = site_packages_of(old) / "fixture_venv"
    (fake / "lib" / "python3.8" / "site-packages").mkdir(parents=True)
    (fake / "pyvenv.cfg").write_text("home = /usr\n")
    # A venv reached only through a symbolic link out of the given folder is not touched.
    outside = uv_venv(tmp_path / "elsewhere" / "venv", python_for("3.12"), server, "beta==2.0")
    (projects / "link").symlink_to(outside.parent)

    report = reclaim(pinst, projects, "--dry-run")

    assert [venv["path"] for venv in report["venvs"]] == [str(new), str(old)]  # type: ignore[index]
    direct = reclaim(pinst, outside, "--dry-run")  # a venv given directly
    assert [venv["path"] for venv in direct["venvs"]] == [str(outside)]  # type: ignore[index]


def test_a_folder_without_venvs_says_so(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("reclaim", tmp_path, "--dry-run")
    assert "Found no venv there" in run.stderr


def test_a_path_that_is_not_a_folder_is_a_clear_error(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("reclaim", tmp_path / "nowhere", check=False)
    assert run.returncode == 2
    assert "is not a directory" in run.stderr and "nowhere" in run.stderr


# Linking to real entries ------------------------------------------------------------------------


def test_pip_venv_files_become_links_to_the_entry_a_later_install_uses(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    wheels = publish(server)
    venv = pip_venv(tmp_path / "pip-venv", server, "alpha==1.0", "beta==2.0")
    package = site_packages_of(venv) / "alpha"
    before = (package / "__init__.py").stat()

    report = reclaim(pinst, venv, "-i", server.url)

    entry = cache_dir / "entries-v1" / sha256_of(wheels["alpha"]) / "files" / "alpha"
    assert inode(package / "__init__.py") == inode(entry / "__init__.py")
    assert inode(package / "run.sh") == inode(entry / "run.sh")
    assert os.access(package / "run.sh", os.X_OK)  # executables stay executable
    assert not (package / "__init__.py").stat().st_mode & 0o222  # read-only, like pinst's own
    assert (package / "__init__.py").read_text() == BIG
    assert before.st_ino != (package / "__init__.py").stat().st_ino
    total = report["total"]
    # The cache grew by the downloaded wheels and their entries: that space is not freed.
    growth = report["venvs"][0]["bytes"]["cache_growth"]  # type: ignore[index]
    files = cache_dir.glob("entries-v1/*/files/**/*")
    entries = sum(path.stat().st_size for path in files if path.is_file())
    assert growth == entries + sum(wheel.stat().st_size for wheel in wheels.values())
    # pip itself has no wheel on the test index: its files are adopted; ours come from wheels.
    adopted = report["venvs"][0]["adopted_distributions"]  # type: ignore[index]
    assert adopted == total["distributions"] - 2  # type: ignore[index]
    run_python(venv, "import alpha, beta; assert alpha.VALUE == 1 and beta.B == 2")
    # A later pinst install of the same pins links the very same inodes.
    pinst("install", "alpha==1.0", "--venv", tmp_path / "pinst-venv", "-i", server.url)
    installed = site_packages_of(tmp_path / "pinst-venv") / "alpha" / "__init__.py"
    assert inode(installed) == inode(package / "__init__.py")


def test_a_uv_copy_venv_is_reclaimed_and_the_space_is_freed(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    publish(server)
    python = python_for("3.12")
    first = uv_venv(tmp_path / "p" / "one", python, server, "alpha==1.0", "beta==2.0")
    second = uv_venv(tmp_path / "p" / "two", python, server, "alpha==1.0", "beta==2.0")

    dry = reclaim(pinst, tmp_path / "p", "-i", server.url, "--dry-run")
    report = reclaim(pinst, tmp_path / "p", "-i", server.url)

    one = site_packages_of(first) / "beta" / "__init__.py"
    two = site_packages_of(second) / "beta" / "__init__.py"
    assert inode(one) == inode(two)
    # The first venv's copies pay for the entries; the second's are freed outright.
    freed = report["total"]["freed_computed"]  # type: ignore[index]
    assert freed >= 0.95 * (len(BIG) + 6 * 3000)
    # The dry run downloads nothing, so it cannot know the size of the wheels, nor of their
    # members that are never installed (RECORD): a few KiB here.
    assert abs(dry["total"]["freed_computed"] - freed) < 5000  # type: ignore[index, operator]
    again = reclaim(pinst, tmp_path / "p", "-i", server.url)
    assert again["total"]["linked_files"] == 0  # type: ignore[index]
    assert again["total"]["already_shared_files"] == report["total"]["linked_files"]  # type: ignore[index]


# Only verified files ----------------------------------------------------------------------------


def test_files_that_are_not_verified_are_left_exactly_as_they_are(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "alpha==1.0", "beta==2.0")
    site = site_packages_of(venv)
    edited = site / "alpha" / "__init__.py"
    edited.write_text(BIG + "# my fix\n")
    unlisted = site / "alpha" / "notes.txt"
    unlisted.write_text("mine\n")
    # A RECORD row that leads out of the venv, to a file with exactly the hash it gives.
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    record = next(site.glob("beta-2.0.dist-info")) / "RECORD"
    relative = os.path.relpath(outside, site)
    with record.open("a") as rows:
        rows.write(f"{relative},{record_hash(b'precious' + bytes([10]))},9\n")
    script = venv / "bin" / "alpha"
    kept = {path: identity(path) for path in (edited, unlisted, outside, script)}

    report = reclaim(pinst, venv, "-i", server.url)

    for path, status in kept.items():
        assert identity(path) == status, path
    assert edited.read_text().endswith("# my fix\n")
    left = report["total"]["left_alone"]  # type: ignore[index]
    assert left["edited"] == 1
    assert left["unlisted"] == 1
    assert left["outside-venv"] == 1
    assert left["outside-site-packages"] >= 1  # the console script
    assert left["no-hash"] >= 2  # the RECORD files
    assert inode(site / "beta" / "__init__.py")[1] != 0
    assert os.stat(site / "beta" / "__init__.py").st_nlink == 2  # linked to the cache


def test_a_dry_run_changes_nothing(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "alpha==1.0")
    before = snapshot(venv)

    run = pinst("reclaim", venv, "-i", server.url, "--dry-run")

    assert snapshot(venv) == before
    assert not cache_dir.exists()
    assert "Would free" in run.stderr and "Nothing was changed" in run.stderr


def test_copy_and_symlink_modes_are_refused(pinst: Pinst, tmp_path: Path) -> None:
    for mode in ("copy", "symlink"):
        run = pinst("reclaim", tmp_path, "--link-mode", mode, check=False)
        assert run.returncode == 2
        assert f"--link-mode {mode} cannot reclaim space" in run.stderr


# Adopted entries --------------------------------------------------------------------------------


def test_offline_the_venv_files_are_adopted_and_shared_then_moved_to_the_real_entry(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    wheels = publish(server)
    python = python_for("3.12")
    first = uv_venv(tmp_path / "p" / "one", python, server, "beta==2.0")
    second = uv_venv(tmp_path / "p" / "two", python, server, "beta==2.0")

    report = reclaim(pinst, tmp_path / "p", "--offline")

    one = site_packages_of(first) / "beta" / "__init__.py"
    two = site_packages_of(second) / "beta" / "__init__.py"
    assert inode(one) == inode(two)
    [adopted] = (cache_dir / "entries-v1").glob("adopted-*")
    assert inode(adopted / "files" / "beta" / "__init__.py") == inode(one)
    assert report["venvs"][0]["adopted_distributions"] == 1  # type: ignore[index]
    pinst("cache", "prune")
    assert adopted.is_dir()  # registered venvs keep it

    reclaim(pinst, tmp_path / "p", "-i", server.url)  # the wheel can be had now

    real = cache_dir / "entries-v1" / sha256_of(wheels["beta"]) / "files" / "beta"
    assert inode(one) == inode(two) == inode(real / "__init__.py")
    pinst("cache", "prune")
    assert not adopted.exists()  # no venv uses it any more


# Registered --------------------------------------------------------------------------------------


def test_reclaimed_venvs_are_registered_for_prune_and_info(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "alpha==1.0")
    reclaim(pinst, venv, "-i", server.url)

    pinst("cache", "prune")

    info = json.loads(pinst("cache", "info", "--json").stdout)
    assert info["venvs"]["live"] == 1
    assert info["total"]["entries"] == 1
    assert info["total"]["saved_by_linking"] >= len(BIG)


def test_a_venv_on_another_filesystem_links_to_a_cache_there_and_the_space_is_measured(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    python = python_for("3.12")
    with mounted("tmpfs", tmp_path / "other", tmp_path, "256m") as other:
        uv_venv(other / "a", python, server, "alpha==1.0", "beta==2.0")
        second = uv_venv(other / "b", python, server, "alpha==1.0", "beta==2.0")

        report = reclaim(pinst, other, "--offline")

        package = site_packages_of(second) / "alpha" / "__init__.py"
        # A fresh tmpfs is world-writable and sticky, like /tmp: the folder is named for its user.
        own_cache = other / f".pinst-cache-{os.geteuid()}"
        [cached] = (own_cache / "entries-v1").glob("*/files/alpha/__init__.py")
        assert inode(package) == inode(cached)
        [filesystem] = report["filesystems"]  # type: ignore[misc]
        assert filesystem["filesystem"].startswith("tmpfs")
        # Nothing else writes to this filesystem: what it reports is what reclaim freed.
        assert filesystem["freed_measured"] >= filesystem["freed_computed"] > len(BIG)


def test_on_xfs_the_files_become_reflinks_that_stay_private_and_writable(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    blob = os.urandom(4 * 2**20)  # large enough to stand out from the cache's own folders
    build_wheel(server.directory, "large", "1.0", files={"large/blob.bin": blob})
    python = python_for("3.12")
    with mounted("xfs", tmp_path / "xfs", tmp_path) as xfs:
        elsewhere = tmp_path / "uv-cache"  # uv copies for real from another filesystem
        uv_venv(xfs / "a", python, server, "alpha==1.0", "large==1.0", uv_cache=elsewhere)
        second = uv_venv(xfs / "b", python, server, "alpha==1.0", "large==1.0", uv_cache=elsewhere)

        # As venvs made long ago are: on disk. XFS writes new files late (delayed allocation),
        # and until then its free space counts them in ways that blur the measure.
        os.sync()

        report = reclaim(pinst, xfs, "--offline")

        assert [venv["link_mode"] for venv in report["venvs"]] == ["reflink", "reflink"]  # type: ignore[index]
        package = site_packages_of(second) / "alpha"
        [cached] = (xfs / ".pinst-cache" / "entries-v1").glob("*/files/alpha/__init__.py")
        assert inode(package / "__init__.py") != inode(cached)  # a clone, not the same file
        assert (package / "__init__.py").stat().st_mode & 0o200  # private: writable
        assert os.access(package / "run.sh", os.X_OK)
        [filesystem] = report["filesystems"]  # type: ignore[misc]
        assert filesystem["freed_measured"] >= len(blob), report  # the clones share blocks


# Safe at every instant ---------------------------------------------------------------------------


def test_a_killed_reclaim_leaves_every_file_whole_and_the_next_run_finishes(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    files = {f"many/m{number}.py": f"N = {number}\n" * 200 for number in range(400)}
    build_wheel(server.directory, "many", "1.0", files=files)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "many==1.0")
    site = site_packages_of(venv)
    (site / "many" / ".pinst-reclaim-0123456789ab").write_text("left by a killed run\n")

    running = pinst.start("reclaim", venv, "--offline", output=False)
    deadline = time.monotonic() + 60
    while running.poll() is None and time.monotonic() < deadline:
        if any((site / relative).stat().st_nlink > 1 for relative in files):
            break  # linking has begun: kill it in the middle
        time.sleep(0.002)
    running.send_signal(signal.SIGKILL)
    running.wait()

    for relative, content in files.items():
        assert (site / relative).read_text() == content
    run_python(venv, "import many.m399")
    report = reclaim(pinst, venv, "--offline")
    assert report["total"]["left_alone"].get("unlisted", 0) == 0  # type: ignore[union-attr]
    assert not list(site.rglob(".pinst-reclaim-*"))
    assert all((site / relative).stat().st_nlink == 2 for relative in files)


def test_a_file_changed_after_it_was_hashed_is_not_replaced(tmp_path: Path) -> None:
    cached = tmp_path / "cached.py"
    cached.write_text("X = 1\n")
    mine = tmp_path / "mine.py"
    mine.write_text("X = 1\n")
    checked = VerifiedFile("mine.py", str(mine), "sha256=...", 6, False, os.lstat(mine))
    time.sleep(0.01)
    mine.write_text("X = 2\n")  # edited between the hash and the link

    assert not replace_with_link(str(cached), checked, hardlink_file)

    assert mine.read_text() == "X = 2\n" and inode(mine) != inode(cached)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cached.py", "mine.py"]
    unchanged = VerifiedFile("mine.py", str(mine), "sha256=...", 6, False, os.lstat(mine))
    assert replace_with_link(str(cached), unchanged, hardlink_file)
    assert inode(mine) == inode(cached)


def test_reclaim_waits_for_a_pinst_install_that_holds_the_venv(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "beta==2.0")
    with VenvLock(venv, lambda _message: None):
        running = pinst.start("reclaim", venv, "--offline")
        time.sleep(1.5)
        assert running.poll() is None  # waiting, not linking
        assert (site_packages_of(venv) / "beta" / "__init__.py").stat().st_nlink == 1
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == 0
    assert "Waiting for another pinst" in stderr
    assert (site_packages_of(venv) / "beta" / "__init__.py").stat().st_nlink == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="only root reclaims other users' venvs")
def test_root_skips_other_users_venvs_unless_asked(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "beta==2.0")
    os.chown(venv, 12345, 12345)

    report = reclaim(pinst, venv, "--offline")

    assert "--all-users" in str(report["venvs"][0]["skipped"])  # type: ignore[index]
    assert (site_packages_of(venv) / "beta" / "__init__.py").stat().st_nlink == 1
    report = reclaim(pinst, venv, "--offline", "--all-users")
    assert report["venvs"][0]["skipped"] is None  # type: ignore[index]
    assert (site_packages_of(venv) / "beta" / "__init__.py").stat().st_nlink == 2


# The report ---------------------------------------------------------------------------------------


def test_a_terminal_sees_a_progress_bar_then_a_report_read_at_a_glance(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheels = publish(server)
    python = python_for("3.12")
    for name in ("one", "two"):
        uv_venv(tmp_path / "p" / name, python, server, "alpha==1.0", "beta==2.0")
    server.inject(file_path(wheels["beta"].name), Fault(stall=1.0))  # long enough for a bar
    env = {**pinst.env, "TERM": "xterm-256color"}
    env.pop("CI", None)

    status, shown, _ = run_on_terminal(
        ["reclaim", tmp_path / "p", "-i", server.url], env, pinst.cwd
    )

    assert status == 0, shown
    assert re.search(r"Reclaiming \S* \d/2 venvs", re.sub(r"\x1b\[[0-9;]*m", "", shown)), shown
    assert "Found 2 venvs" in shown
    assert re.search(r"\d+ files of 4 distributions were linked to the cache", shown), shown
    assert "Left alone:" in shown and "outside site-packages (scripts, data files)" in shown
    assert "not in the wheel" not in shown  # what uv adds (uv_cache.json) is the installer's
    assert re.search(r"Freed \S+ \S+ on \w+ mounted at /, (measured|computed)", shown), shown


# Trouble with one venv, or with the index --------------------------------------------------------


def test_a_venv_reached_through_a_symbolic_link_is_reclaimed(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    uv_venv(tmp_path / "real" / "venv", python_for("3.12"), server, "beta==2.0")
    (tmp_path / "alias").symlink_to(tmp_path / "real")

    report = reclaim(pinst, tmp_path / "alias" / "venv", "--offline")

    assert report["total"]["linked_files"] >= 3  # type: ignore[index]
    assert "outside-venv" not in report["total"]["left_alone"]  # type: ignore[index, operator]


def test_an_index_that_cannot_be_reached_is_said_once_and_the_files_are_adopted(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    venv = uv_venv(tmp_path / "venv", python_for("3.12"), server, "alpha==1.0", "beta==2.0")

    run = pinst("reclaim", venv, "-i", closed_port_url(), "--json")

    assert run.stderr.count("warning:") == 1, run.stderr
    assert "adopts the venvs' own verified files" in run.stderr
    assert json.loads(run.stdout)["venvs"][0]["adopted_distributions"] == 2


def test_a_venv_that_cannot_be_changed_is_skipped_and_the_others_are_reclaimed(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    publish(server)
    python = python_for("3.12")
    broken = uv_venv(tmp_path / "p" / "broken", python, server, "beta==2.0")
    fine = uv_venv(tmp_path / "p" / "fine", python, server, "beta==2.0")
    (broken / ".pinst").write_text("not pinst's state folder\n")  # so its lock cannot be made

    report = reclaim(pinst, tmp_path / "p", "--offline")

    first, second = report["venvs"]  # type: ignore[misc]
    assert first["path"] == str(broken) and first["skipped"].startswith("stopped: ")
    assert str(broken / ".pinst") in first["skipped"]
    assert second["path"] == str(fine) and second["skipped"] is None
    assert second["linked_files"] >= 3


def test_venvs_of_pip_and_uv_and_two_pythons_share_one_adopted_entry(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    publish(server)
    by_pip = pip_venv(tmp_path / "p" / "pip", server, "beta==2.0")
    by_uv = uv_venv(tmp_path / "p" / "uv", python_for("3.13"), server, "beta==2.0")

    reclaim(pinst, tmp_path / "p", "--offline")

    # Each installer writes its own INSTALLER (and pip its .pyc files): the wheel's files agree.
    module = Path("beta") / "__init__.py"
    assert inode(site_packages_of(by_pip) / module) == inode(site_packages_of(by_uv) / module)
    adopted = list((cache_dir / "entries-v1").glob("adopted-*/files/beta/__init__.py"))
    assert len(adopted) == 1


def test_an_old_python_venv_filled_by_its_old_pip_is_reclaimed(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    wheels = publish(server)
    venv = tmp_path / "py36"
    subprocess.run([python_for("3.6"), "-m", "venv", venv], check=True)
    subprocess.run(  # pip 18 and the test index: a folder of wheels will do
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            server.directory,
            "beta==2.0",
        ],
        check=True,
    )

    reclaim(pinst, venv, "-i", server.url)

    entry = cache_dir / "entries-v1" / sha256_of(wheels["beta"]) / "files" / "beta"
    assert inode(site_packages_of(venv) / "beta" / "__init__.py") == inode(entry / "__init__.py")
    run_python(venv, "import beta; assert beta.B == 2")
