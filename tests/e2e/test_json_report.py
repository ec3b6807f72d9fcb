"""``--json`` on install and sync: a report on stdout, the human lines still on stderr.

Real subprocesses, a real index on 127.0.0.1 and real venvs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.index_server import IndexServer
from tests.support.requirements import pinned_wheel
from tests.support.runner import Pinst, Run
from tests.support.wheels import build_wheel, sha256_of

KEYS = {
    "name",
    "version",
    "action",
    "previous_version",
    "wheel",
    "sha256",
    "source",
    "link_mode",
}


def requirements(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(lines))
    return path


def report(run: Run) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(run.stdout)
    assert parsed["format"] == 1
    assert isinstance(parsed["duration_seconds"], float) and parsed["duration_seconds"] >= 0
    for entry in parsed["packages"]:
        assert set(entry) == KEYS  # the same keys on every entry, None where one does not apply
    return parsed


def by_name(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in parsed["packages"]}


def json_run(pinst: Pinst, command: str, reqs: Path, venv: Path, server: IndexServer) -> Run:
    return pinst(command, "-r", reqs, "--venv", venv, "-i", server.url, "--json")


def test_a_cold_install_reports_each_wheel_fetched_with_its_hash(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    alpha, alpha_wheel = pinned_wheel(server, "alpha", "1.0")
    beta, beta_wheel = pinned_wheel(server, "beta", "2.0")
    reqs = requirements(tmp_path, "r.txt", alpha, beta)
    venv = tmp_path / "venv"

    run = json_run(pinst, "install", reqs, venv, server)

    parsed = report(run)
    assert parsed["venv"] == str(venv)
    assert parsed["link_mode"] in {"reflink", "hardlink", "copy"}
    assert [entry["name"] for entry in parsed["packages"]] == ["alpha", "beta"]
    for entry, wheel, version in [
        (by_name(parsed)["alpha"], alpha_wheel, "1.0"),
        (by_name(parsed)["beta"], beta_wheel, "2.0"),
    ]:
        assert entry["action"] == "installed"
        assert entry["version"] == version and entry["previous_version"] is None
        assert entry["wheel"] == wheel.name
        assert entry["sha256"] == sha256_of(wheel)
        assert entry["source"] == "fetched"
        assert entry["link_mode"] == parsed["link_mode"]
    # The human lines are still there, on stderr only.
    assert "+ alpha==1.0" in run.stderr and "Installed 2 packages" in run.stderr
    assert "+ alpha" not in run.stdout


def test_a_second_venv_reports_the_wheel_as_already_unpacked(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    alpha, _ = pinned_wheel(server, "alpha", "1.0")
    reqs = requirements(tmp_path, "r.txt", alpha)
    json_run(pinst, "install", reqs, tmp_path / "one", server)

    run = json_run(pinst, "install", reqs, tmp_path / "two", server)

    assert by_name(report(run))["alpha"]["source"] == "unpacked"


def test_an_upgrade_reports_the_previous_version(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    old, _ = pinned_wheel(server, "alpha", "1.0")
    new, new_wheel = pinned_wheel(server, "alpha", "2.0")
    venv = tmp_path / "venv"
    json_run(pinst, "install", requirements(tmp_path, "old.txt", old), venv, server)

    run = json_run(pinst, "install", requirements(tmp_path, "new.txt", new), venv, server)

    entry = by_name(report(run))["alpha"]
    assert entry["action"] == "upgraded"
    assert entry["version"] == "2.0" and entry["previous_version"] == "1.0"
    assert entry["wheel"] == new_wheel.name


def test_a_repeated_json_install_still_prints_the_report(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """A repeated plain install is answered from the stamp, which prints no JSON: a --json run
    must never write a stamp, so that the same --json command reports again."""
    alpha, _ = pinned_wheel(server, "alpha", "1.0")
    reqs = requirements(tmp_path, "r.txt", alpha)
    venv = tmp_path / "venv"
    json_run(pinst, "install", reqs, venv, server)

    for _ in range(2):
        run = json_run(pinst, "install", reqs, venv, server)
        parsed = report(run)
        assert parsed["link_mode"] is None  # nothing was linked
        assert parsed["packages"] == [
            {
                "name": "alpha",
                "version": "1.0",
                "action": "unchanged",
                "previous_version": None,
                "wheel": None,
                "sha256": None,
                "source": None,
                "link_mode": None,
            }
        ]
        assert "Audited 1 package" in run.stderr
    assert not (venv / ".pinst" / "last-install").exists()


def test_a_plain_install_stamp_does_not_answer_a_json_run(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    alpha, _ = pinned_wheel(server, "alpha", "1.0")
    reqs = requirements(tmp_path, "r.txt", alpha)
    venv = tmp_path / "venv"
    pinst("install", "-r", reqs, "--venv", venv, "-i", server.url)
    pinst("install", "-r", reqs, "--venv", venv, "-i", server.url)  # answered from the stamp

    run = json_run(pinst, "install", reqs, venv, server)

    assert by_name(report(run))["alpha"]["action"] == "unchanged"


def test_sync_reports_removed_upgraded_and_unchanged(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    old, _ = pinned_wheel(server, "old", "1.0")
    new_old, _ = pinned_wheel(server, "old", "2.0")
    kept, _ = pinned_wheel(server, "kept", "1.0")
    gone, _ = pinned_wheel(server, "gone", "1.0")
    venv = tmp_path / "venv"
    json_run(pinst, "install", requirements(tmp_path, "a.txt", old, kept, gone), venv, server)

    run = json_run(pinst, "sync", requirements(tmp_path, "b.txt", new_old, kept), venv, server)

    entries = by_name(report(run))
    assert entries["gone"]["action"] == "removed"
    assert entries["gone"]["version"] is None and entries["gone"]["previous_version"] == "1.0"
    assert entries["old"]["action"] == "upgraded" and entries["old"]["previous_version"] == "1.0"
    assert entries["kept"]["action"] == "unchanged" and entries["kept"]["version"] == "1.0"
    assert "- gone==1.0" in run.stderr


def test_a_sync_that_only_removes_reports_the_removals(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    kept, _ = pinned_wheel(server, "kept", "1.0")
    gone, _ = pinned_wheel(server, "gone", "1.0")
    venv = tmp_path / "venv"
    json_run(pinst, "install", requirements(tmp_path, "a.txt", kept, gone), venv, server)

    run = json_run(pinst, "sync", requirements(tmp_path, "b.txt", kept), venv, server)

    parsed = report(run)
    assert parsed["link_mode"] is None
    assert {entry["name"]: entry["action"] for entry in parsed["packages"]} == {
        "gone": "removed",
        "kept": "unchanged",
    }


def test_a_reinstall_reports_reinstalled(pinst: Pinst, server: IndexServer, tmp_path: Path) -> None:
    alpha, _ = pinned_wheel(server, "alpha", "1.0")
    reqs = requirements(tmp_path, "r.txt", alpha)
    venv = tmp_path / "venv"
    json_run(pinst, "install", reqs, venv, server)

    run = pinst("install", "-r", reqs, "--venv", venv, "-i", server.url, "--json", "--reinstall")

    entry = by_name(report(run))["alpha"]
    assert entry["action"] == "reinstalled" and entry["previous_version"] == "1.0"
    assert entry["source"] == "unpacked"


def test_a_failed_install_prints_nothing_on_stdout(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "alpha", "1.0")
    venv = tmp_path / "venv"

    run = pinst("install", "missing==1.0", "--venv", venv, "-i", server.url, "--json", check=False)

    assert run.returncode != 0
    assert run.stdout == ""
    assert "error:" in run.stderr and "missing" in run.stderr


def test_quiet_json_prints_only_the_report(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    alpha, _ = pinned_wheel(server, "alpha", "1.0")
    reqs = requirements(tmp_path, "r.txt", alpha)

    run = pinst("install", "-r", reqs, "--venv", tmp_path / "v", "-i", server.url, "--json", "-q")

    assert by_name(report(run))["alpha"]["action"] == "installed"
    assert run.stderr == ""
