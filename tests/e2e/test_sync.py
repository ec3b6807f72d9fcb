"""pinst sync: the venv ends holding exactly the requirements, in one change or not at all.

Real subprocesses, a real index on 127.0.0.1 and real venvs; a venv after a sync is compared
file by file with a fresh install of the same requirements.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.requirements import pinned
from tests.support.runner import Pinst, Run, wait_for_pause
from tests.support.trees import tree
from tests.support.venvs import fingerprint, run_python


def tool(name: str) -> dict[str, dict[str, str]]:
    return {"console_scripts": {f"{name}-tool": f"{name}:main"}}


@pytest.fixture
def before(pinst: Pinst, server: IndexServer, wanted: Path, tmp_path: Path) -> Path:
    """A venv with old==1.0 (to upgrade), kept==1.0 (listed as is), gone==1.0 with a script and
    a package named pip (neither listed: sync removes them, pip too, as uv pip sync does).

    ``wanted`` comes first: its wheels are on the index before the index pages are cached."""
    lines = [
        pinned(server, "old", "1.0"),
        pinned(server, "kept", "1.0"),
        pinned(server, "gone", "1.0", entry_points=tool("gone")),
        pinned(server, "pip", "1.0"),
    ]
    (tmp_path / "before.txt").write_text("".join(lines))
    venv = tmp_path / "venv"
    pinst("install", "-r", tmp_path / "before.txt", "--venv", venv, "-i", server.url)
    assert (venv / "bin" / "gone-tool").is_file()
    return venv


@pytest.fixture
def wanted(server: IndexServer, tmp_path: Path) -> Path:
    path = tmp_path / "wanted.txt"
    path.write_text(
        pinned(server, "old", "2.0")
        + pinned(server, "kept", "1.0")
        + pinned(server, "new", "1.0", entry_points=tool("new"))
    )
    return path


def sync(
    pinst: Pinst,
    requirements: Path,
    venv: Path,
    server: IndexServer,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> Run:
    return pinst("sync", "-r", requirements, "--venv", venv, "-i", server.url, check=check, env=env)


def test_sync_removes_upgrades_and_installs_into_what_a_fresh_install_makes(
    pinst: Pinst, server: IndexServer, before: Path, wanted: Path, tmp_path: Path
) -> None:
    run = sync(pinst, wanted, before, server)

    prepared, *lines = run.stderr.splitlines()
    assert prepared.startswith("Prepared 2 packages in ")  # new and old 2.0: downloaded, unpacked
    assert lines[:5] == ["- gone==1.0", "- pip==1.0", "+ new==1.0", "- old==1.0", "+ old==2.0"]
    # The counts match the lines: two "+", three "-" (one old version replaced, two unlisted).
    assert lines[5].startswith("Installed 2 packages, replaced 1, uninstalled 2 in ")
    assert not (before / "bin" / "gone-tool").exists()
    assert (before / "bin" / "new-tool").is_file()
    fresh = tmp_path / "fresh"
    pinst("install", "-r", wanted, "--venv", fresh, "-i", server.url)
    assert fingerprint(before) == fingerprint(fresh)
    assert pinst("freeze", "--venv", before).stdout == "kept==1.0\nnew==1.0\nold==2.0\n"
    assert not list((before / ".pinst").glob("journal*"))
    assert not list((before / ".pinst").glob("backup-*"))


def test_a_second_sync_is_audited_from_the_stamp(
    pinst: Pinst, server: IndexServer, before: Path, wanted: Path
) -> None:
    sync(pinst, wanted, before, server)
    requests = len(server.requests)

    again = sync(pinst, wanted, before, server, env={"PYTHONPROFILEIMPORTTIME": "1"})

    assert "Audited 3 packages in " in again.stderr
    assert "pinst.install.run" not in again.stderr  # answered from the stamp
    assert len(server.requests) == requests


def test_an_install_stamp_never_answers_a_sync(
    pinst: Pinst, server: IndexServer, before: Path, wanted: Path
) -> None:
    """The same options after install: the stamp holds for install, but sync has work to do."""
    pinst("install", "-r", wanted, "--venv", before, "-i", server.url)
    assert "Audited" in pinst("install", "-r", wanted, "--venv", before, "-i", server.url).stderr

    run = sync(pinst, wanted, before, server)

    assert run.stderr.splitlines()[:2] == ["- gone==1.0", "- pip==1.0"]
    assert run.stderr.splitlines()[2].startswith("Uninstalled 2 packages in ")
    assert "Audited 3 packages" in sync(pinst, wanted, before, server).stderr


def test_a_sync_that_only_removes_updates_the_cache_record(
    pinst: Pinst, server: IndexServer, before: Path, tmp_path: Path, cache_dir: Path
) -> None:
    only_kept = tmp_path / "kept.txt"
    only_kept.write_text(pinned(server, "kept", "1.0"))

    run = sync(pinst, only_kept, before, server)

    assert run.stderr.splitlines()[:3] == ["- gone==1.0", "- old==1.0", "- pip==1.0"]
    assert pinst("freeze", "--venv", before).stdout == "kept==1.0\n"
    (record,) = (cache_dir / "venvs-v1").glob("*.json")
    assert list(json.loads(record.read_text())["entries"]) == ["kept"]
    assert run_python(before, "import kept; print('ok')") == "ok\n"


def test_a_sync_that_cannot_find_a_pin_changes_nothing(
    pinst: Pinst, server: IndexServer, before: Path, wanted: Path
) -> None:
    wanted.write_text(wanted.read_text() + "missing==9.9\n")
    files = tree(before)

    run = sync(pinst, wanted, before, server, check=False)

    assert run.returncode == 1 and "missing" in run.stderr
    assert tree(before) == files
    assert pinst("freeze", "--venv", before).stdout == "gone==1.0\nkept==1.0\nold==1.0\npip==1.0\n"


def test_a_sync_stopped_while_linking_puts_back_what_it_removed(
    pinst: Pinst, server: IndexServer, before: Path, wanted: Path
) -> None:
    """SIGTERM halfway through linking: the removals are undone along with the upgrade."""
    state = fingerprint(before)

    process = pinst.start(
        "sync",
        "-r",
        wanted,
        "--venv",
        before,
        "-i",
        server.url,
        env={"PINST_TEST_PAUSE_AFTER_LINKS": "3"},  # see faults.py
    )
    wait_for_pause(before)
    assert not (before / "bin" / "gone-tool").exists()  # removed by now: moved aside
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert fingerprint(before) == state
    assert (before / "bin" / "gone-tool").is_file()
    assert run_python(before, "import gone, old; print(old.__version__)") == "1.0\n"
    assert not list((before / ".pinst").glob("journal*"))
    assert not list((before / ".pinst").glob("backup-*"))


def test_sync_needs_requirements(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("sync", "--venv", tmp_path / "venv", check=False)

    assert run.returncode == 2
    assert "sync needs -r FILE or NAME==VERSION arguments" in run.stderr
    assert "pinst sync --help" in run.stderr
    assert not (tmp_path / "venv").exists()


def test_a_sync_with_an_empty_file_changes_nothing(
    pinst: Pinst, server: IndexServer, venv: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing pinned yet\n")

    run = pinst("sync", "-r", empty, "--venv", venv, "-i", server.url, check=False)

    assert run.returncode == 1
    assert "would remove every package" in run.stderr
    assert run_python(venv, "import present; print('still here')") == "still here\n"
