"""Another user cannot plant what pinst reuses: caches, entries, interpreter facts (root only).

On a shared mount every user may create names at the top: ``/dev/shm``, a tmpfs ``/tmp``, a
shared data disk. A real second user (``nobody``, through setpriv) makes pinst's folders there
before root runs pinst, with a copy of a real entry whose file they edited; root's install must
not take that file. The mount is a real tmpfs, world-writable and sticky as those are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.mounts import OWN_CACHE, mounted, require_root
from tests.support.runner import Pinst
from tests.support.venvs import site_packages
from tests.support.wheels import build_wheel, sha256_of

REAL = "X = 'from the wheel'\n"
PLANTED = "X = 'planted by nobody'\n"


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mode 1777, where ``nobody`` can reach it (the test's own folder is private)."""
    require_root()
    outer = Path(tempfile.mkdtemp(prefix="pinst-trust-"))
    outer.chmod(0o755)
    try:
        with mounted("tmpfs", outer / "mnt", tmp_path, tmpfs_size="64m") as mount_point:
            assert mount_point.stat().st_mode & 0o7777 == 0o1777
            yield mount_point
    finally:
        shutil.rmtree(outer, ignore_errors=True)


@pytest.fixture
def wheel(server: IndexServer) -> Path:
    return build_wheel(server.directory, "victim", "1.0", files={"victim/__init__.py": REAL})


def as_nobody(script: str) -> None:
    """Run a shell script as the unprivileged user ``nobody``: the other user on the machine."""
    subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-euc", script],
        check=True,
    )


def real_entry(pinst: Pinst, server: IndexServer, cache_dir: Path, tmp_path: Path) -> Path:
    """The entry root's own install unpacks into the main cache: what an attacker would copy."""
    pinst("install", "victim==1.0", "--venv", tmp_path / "on-disk", "-i", server.url)
    [entry] = (cache_dir / "entries-v1").iterdir()
    return entry


def plant(folder: Path, entry: Path, bait: Path) -> None:
    """As ``nobody``: ``folder`` becomes a pinst cache holding ``entry`` with its file edited."""
    shutil.copytree(entry, bait)  # where nobody can read it
    subprocess.run(["chmod", "-R", "a+rX", str(bait)], check=True)
    edited = f"{folder}/entries-v1/{entry.name}/files/victim/__init__.py"
    as_nobody(
        f"mkdir -p '{folder}/entries-v1' '{folder}/tmp-v1'\n"
        f"cp '{entry.parent.parent / 'CACHEDIR.TAG'}' '{folder}/' 2>/dev/null || true\n"
        f"cp -r '{bait}' '{folder}/entries-v1/{entry.name}'\n"
        f"chmod -R u+w '{folder}'\n"
        f"printf \"X = 'planted by nobody'\\n\" > '{edited}'\n"
    )


def installed_text(venv: Path) -> str:
    return (site_packages(venv) / "victim" / "__init__.py").read_text()


def install(pinst: Pinst, server: IndexServer, venv: Path, *extra: str, check: bool = True):  # type: ignore[no-untyped-def]
    return pinst("install", "victim==1.0", "--venv", venv, "-i", server.url, *extra, check=check)


def test_a_cache_folder_another_user_made_first_is_refused_and_the_next_place_used(
    pinst: Pinst,
    server: IndexServer,
    wheel: Path,
    shared: Path,
    cache_dir: Path,
    tmp_path: Path,
) -> None:
    entry = real_entry(pinst, server, cache_dir, tmp_path)
    plant(shared / OWN_CACHE, entry, shared / "bait-1")
    plant(shared / ".pinst-cache", entry, shared / "bait-2")  # the name older pinst used
    work = shared / "work"
    work.mkdir()  # root's own folder on the mount: another place for a cache

    run = install(pinst, server, work / "venv", "--link-mode", "hardlink")

    assert installed_text(work / "venv") == REAL
    assert f"not using the cache for unpacked wheels at {shared / OWN_CACHE}" in run.stderr
    assert "belongs to nobody (uid 65534)" in run.stderr
    assert f"pinst used {work / '.pinst-cache'}" in run.stderr
    linked = site_packages(work / "venv") / "victim" / "__init__.py"
    [cached] = (work / ".pinst-cache").glob("entries-v1/*/files/victim/__init__.py")
    assert cached.stat().st_ino == linked.stat().st_ino  # still hard links
    assert (work / ".pinst-cache").stat().st_mode & 0o022 == 0


def test_a_recorded_cache_another_user_planted_is_refused_and_the_files_copied(
    pinst: Pinst,
    server: IndexServer,
    wheel: Path,
    shared: Path,
    cache_dir: Path,
    tmp_path: Path,
) -> None:
    # Root's cache on this mount was recorded; the tmpfs came back empty after a reboot, and
    # another user made the folder before root's next install.
    entry = real_entry(pinst, server, cache_dir, tmp_path)
    planted = shared / ".pinst-cache"
    (cache_dir / "filesystems-v1.json").write_text(json.dumps({"roots": [str(planted)]}))
    plant(planted, entry, shared / "bait-1")
    plant(shared / OWN_CACHE, entry, shared / "bait-2")

    run = install(pinst, server, shared / "venv")

    assert installed_text(shared / "venv") == REAL
    assert f"not using the cache for unpacked wheels at {planted}: it belongs to nobody" in (
        run.stderr
    )
    assert f"unpacked into the main cache {cache_dir} and copied from there" in run.stderr
    assert "warning: copying files into" in run.stderr
    assert (site_packages(shared / "venv") / "victim" / "__init__.py").stat().st_nlink == 1


def test_a_symlink_planted_in_place_of_the_cache_is_not_followed(
    pinst: Pinst,
    server: IndexServer,
    wheel: Path,
    shared: Path,
    cache_dir: Path,
    tmp_path: Path,
) -> None:
    entry = real_entry(pinst, server, cache_dir, tmp_path)
    plant(shared / "elsewhere", entry, shared / "bait")
    as_nobody(
        f"ln -s '{shared}/elsewhere' '{shared}/{OWN_CACHE}'\n"
        f"ln -s '{shared}/elsewhere' '{shared}/.pinst-cache'\n"
    )

    run = install(pinst, server, shared / "venv")

    assert installed_text(shared / "venv") == REAL
    assert f"{shared / OWN_CACHE}: it is a symlink (to {shared}/elsewhere)" in run.stderr
    assert "belongs to nobody" in run.stderr


def test_the_per_user_folder_is_private_and_an_older_cache_of_ones_own_still_used(
    pinst: Pinst, server: IndexServer, wheel: Path, shared: Path, cache_dir: Path
) -> None:
    install(pinst, server, shared / "one")
    assert (shared / OWN_CACHE).stat().st_mode & 0o777 == 0o700
    # A cache an older pinst made as this user, mode 0755, under the old name: still trusted.
    older = shared / "older"
    older.mkdir(mode=0o755)
    (older / ".pinst-cache").mkdir(mode=0o755)
    records = json.loads((cache_dir / "filesystems-v1.json").read_text())
    (cache_dir / "filesystems-v1.json").write_text(
        json.dumps({"roots": [str(older / ".pinst-cache"), *records["roots"]]})
    )

    run = install(pinst, server, shared / "two", "--link-mode", "hardlink")

    assert "warning" not in run.stderr
    assert list((older / ".pinst-cache").glob("entries-v1/*/files/victim/__init__.py"))


def test_a_main_cache_another_user_owns_is_not_used(
    pinst: Pinst, server: IndexServer, wheel: Path, cache_dir: Path, tmp_path: Path
) -> None:
    cache_dir.mkdir()
    os.chown(cache_dir, 65534, 65534)

    run = install(pinst, server, tmp_path / "venv", check=False)

    assert run.returncode == 1
    assert f"pinst does not use {cache_dir}: it belongs to nobody (uid 65534)" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "venv").exists()


def test_a_cache_reached_through_ones_own_symlink_is_used(
    pinst: Pinst, server: IndexServer, wheel: Path, cache_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "bigger-disk").mkdir()
    cache_dir.symlink_to(tmp_path / "bigger-disk")

    run = install(pinst, server, tmp_path / "venv")

    assert "warning" not in run.stderr
    assert list((tmp_path / "bigger-disk").glob("entries-v1/*/files/victim/__init__.py"))


def test_a_failed_run_removes_the_cache_it_made_at_the_mount_point(
    pinst: Pinst, server: IndexServer, wheel: Path, shared: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"victim==1.0 --hash=sha256:{'0' * 64}\n")  # not the wheel's

    run = pinst(
        "install", "-r", requirements, "--venv", shared / "venv", "-i", server.url, check=False
    )

    assert run.returncode == 1 and "hash" in run.stderr
    assert sorted(os.listdir(shared)) == []
    recorded = cache_dir / "filesystems-v1.json"
    assert not recorded.exists() or json.loads(recorded.read_text())["roots"] == []
    # and the next, good run makes it again
    requirements.write_text(f"victim==1.0 --hash=sha256:{sha256_of(wheel)}\n")
    pinst("install", "-r", requirements, "--venv", shared / "venv", "-i", server.url)
    assert (shared / OWN_CACHE).is_dir()


def tamper_facts(cache_dir: Path) -> Path:
    """Edit the one facts file as another user could: no tags, so no wheel would fit."""
    [facts] = (cache_dir / "interpreters-v1").glob("*.json")
    data = json.loads(facts.read_text())
    facts.write_text(json.dumps({**data, "tags": ["cp0-planted-none"]}))
    return facts


@pytest.mark.parametrize("who", ["group", "everyone"])
def test_interpreter_facts_in_a_folder_others_can_write_are_probed_again(
    pinst: Pinst, server: IndexServer, wheel: Path, cache_dir: Path, tmp_path: Path, who: str
) -> None:
    install(pinst, server, tmp_path / "one")
    tamper_facts(cache_dir)
    folder = cache_dir / "interpreters-v1"
    if who == "group":
        os.chown(folder, 0, 65534)  # nogroup: a group of others, not root's own
        folder.chmod(0o775)
    else:
        folder.chmod(0o757)

    run = install(pinst, server, tmp_path / "two")

    assert installed_text(tmp_path / "two") == REAL
    assert f"not using the interpreter facts in {folder}: it is writable by" in run.stderr
    assert "probes the interpreter instead" in run.stderr


def test_an_interpreter_facts_file_others_can_write_is_replaced(
    pinst: Pinst, server: IndexServer, wheel: Path, cache_dir: Path, tmp_path: Path
) -> None:
    install(pinst, server, tmp_path / "one")
    facts = tamper_facts(cache_dir)
    facts.chmod(0o666)

    run = install(pinst, server, tmp_path / "two")

    assert installed_text(tmp_path / "two") == REAL
    assert f"not using the interpreter facts {facts}: it is writable by every user" in run.stderr
    assert facts.stat().st_mode & 0o777 == 0o644
    assert "warning" not in install(pinst, server, tmp_path / "three").stderr


def test_a_cache_writable_only_by_ones_own_private_group_is_used(
    pinst: Pinst, server: IndexServer, wheel: Path, cache_dir: Path, tmp_path: Path
) -> None:
    # With user private groups and umask 002 every folder a user makes is group-writable, by
    # a group named after them that holds only them (root's "root" group here): still theirs.
    install(pinst, server, tmp_path / "one")
    for folder in [cache_dir, *cache_dir.iterdir()]:
        if folder.is_dir():
            folder.chmod(0o775)

    run = install(pinst, server, tmp_path / "two")

    assert "warning" not in run.stderr and installed_text(tmp_path / "two") == REAL


def test_no_cache_goes_where_others_may_write_without_the_sticky_bit(
    pinst: Pinst, server: IndexServer, wheel: Path, shared: Path
) -> None:
    shared.chmod(0o777)  # anyone could rename a folder there and put theirs in its place
    (shared / "work").mkdir(mode=0o755)

    run = install(pinst, server, shared / "work" / "venv")

    assert f"Created a cache for unpacked wheels at {shared / 'work' / '.pinst-cache'}" in (
        run.stderr
    )
    assert sorted(os.listdir(shared)) == ["work"]


def config_timeout(pinst: Pinst, cwd: Path) -> tuple[object, str]:
    """The timeout ``pinst config`` reports from ``cwd``, and what it printed on stderr."""
    pinst.cwd = cwd
    run = pinst("config", "--format", "json")
    return json.loads(run.stdout)["settings"]["timeout"]["value"], run.stderr


def test_a_config_file_another_user_left_above_the_project_is_ignored(
    pinst: Pinst, tmp_path: Path
) -> None:
    # /tmp/pinst.toml, as another user could leave it, above root's project in /tmp/project.
    require_root()
    above = tmp_path / "shared"
    project = above / "project"
    project.mkdir(parents=True)
    planted = above / "pinst.toml"
    planted.write_text('timeout = 7\nindex-url = "http://attacker.invalid/simple"\n')
    nobody = int(subprocess.check_output(["id", "-u", "nobody"]))
    os.chown(planted, nobody, -1)

    timeout, stderr = config_timeout(pinst, project)
    assert timeout == 30.0  # the default: the planted file chose nothing
    assert f"pinst ignores the config file {planted}: it belongs to nobody" in stderr
    settings = json.loads(pinst("config", "--format", "json").stdout)["settings"]
    assert settings["index-url"]["value"] == "https://pypi.org/simple"

    # The same file is the project's own when its owner owns the working directory too.
    os.chown(project, nobody, -1)
    timeout, stderr = config_timeout(pinst, project)
    assert timeout == 7 and "ignores" not in stderr


def test_a_config_file_every_user_may_write_is_ignored(pinst: Pinst, tmp_path: Path) -> None:
    require_root()
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.pinst]\ntimeout = 7\n")
    (project / "pyproject.toml").chmod(0o666)

    timeout, stderr = config_timeout(pinst, project)
    assert timeout == 30.0
    assert "is writable by every user (mode -rw-rw-rw-)" in stderr
    (project / "pyproject.toml").chmod(0o644)
    assert config_timeout(pinst, project)[0] == 7
