"""The command line as someone used to pip or uv types it: their options that mean what pinst
does anyway are accepted, those that ask for what pinst never does stop with what to do
instead, ``--dry-run`` shows the plan and changes nothing, and a mistake shows the usage of the
command it was made in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.trees import tree
from tests.support.venvs import site_packages
from tests.support.wheels import build_wheel


@pytest.fixture
def six(server: IndexServer) -> str:
    build_wheel(server.directory, "six", "1.17.0", files={"six.py": "# six\n"})
    return "six==1.17.0"


def change_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[:2] in {"+ ", "- ", "~ "}]


@pytest.mark.parametrize("spelling", ["--no-deps", "-U", "--upgrade", "--pre"])
def test_options_that_mean_what_pinst_does_are_accepted(
    pinst: Pinst, server: IndexServer, six: str, tmp_path: Path, spelling: str
) -> None:
    venv = tmp_path / "venv"
    run = pinst("install", spelling, six, "--venv", venv, "-i", server.url)
    assert "+ six==1.17.0" in run.stderr
    assert (site_packages(venv) / "six.py").is_file()


@pytest.mark.parametrize(
    ("arguments", "advice"),
    [
        (["-e", "."], "pip install -e ."),
        (["--editable", "."], "build a wheel"),
        (["--target", "lib"], "--venv PATH"),
        (["--prefix", "/opt/app"], "--venv PATH"),
        (["--root", "/tmp/root"], "--venv PATH"),
        (["--user"], "--venv PATH"),
        (["--system"], "--venv PATH"),
    ],
)
@pytest.mark.parametrize("command", ["install", "sync"])
def test_options_pinst_does_not_have_say_what_to_do_instead(
    pinst: Pinst, tmp_path: Path, command: str, arguments: list[str], advice: str
) -> None:
    venv = tmp_path / "venv"
    run = pinst(command, *arguments, "six==1.17.0", "--venv", venv, check=False)
    assert run.returncode == 2, run.output
    assert run.stdout == ""
    assert run.stderr.startswith(f"error: {arguments[0]}: "), run.stderr
    assert run.stderr.count("\n") == 1, "one paragraph, without argparse's usage"
    assert advice in run.stderr
    assert ".." not in run.stderr.replace("...", "")  # one full stop, as a person writes
    assert not venv.exists() and not pinst.cache_dir.exists()


@pytest.mark.parametrize(
    ("arguments", "usage"),
    [
        (["install", "--bogus", "six==1.17.0"], "usage: pinst install "),
        (["sync", "-r", "x.txt", "--no-binary", ":all:"], "usage: pinst sync "),
        (["cache", "prune", "--all"], "usage: pinst cache prune "),
        (["uninstall", "six", "-y"], "usage: pinst uninstall "),
    ],
)
def test_an_unknown_option_shows_the_usage_of_its_command(
    pinst: Pinst, arguments: list[str], usage: str
) -> None:
    run = pinst(*arguments, check=False)
    assert run.returncode == 2
    assert run.stderr.startswith(usage), run.stderr
    command = usage.removeprefix("usage: ").strip()
    assert f"{command}: error: unrecognized arguments: " in run.stderr


def test_bare_pinst_prints_its_help_as_a_usage_error(pinst: Pinst) -> None:
    run = pinst(check=False)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("usage: pinst ")
    for command in ("install", "sync", "uninstall", "cache", "completion"):
        assert f"    {command}" in run.stderr


def test_a_dry_run_into_a_missing_venv_creates_nothing(
    pinst: Pinst, server: IndexServer, six: str, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run = pinst("install", six, "--venv", venv, "-i", server.url, "--dry-run")
    assert f"Would create a virtual environment at {venv}" in run.stderr
    assert change_lines(run.stderr) == ["+ six==1.17.0"]
    assert "Would install 1 package (dry run: nothing was changed)" in run.stderr
    assert not venv.exists()
    assert not pinst.cache_dir.exists(), "a dry run downloads nothing and writes no cache"
    assert not server.requests, "a dry run asks no index"


def test_a_dry_run_of_a_sync_prints_what_the_sync_then_does(
    pinst: Pinst, server: IndexServer, venv: Path, six: str, tmp_path: Path
) -> None:
    build_wheel(server.directory, "present", "2.0")
    build_wheel(server.directory, "extra", "1.0")
    pinst("install", "extra==1.0", "--venv", venv, "-i", server.url)
    wanted = tmp_path / "wanted.txt"
    wanted.write_text(f"{six}\npresent==2.0\n")
    before = tree(venv)
    # A cache that has not seen present's index page without 2.0 on it.
    sync = ("sync", "-r", wanted, "--venv", venv, "-i", server.url, "--cache-dir", tmp_path / "c")
    dry = pinst(*sync, "--dry-run")
    assert tree(venv) == before, "a dry run changes nothing in the venv"
    assert "Would install 2 packages, uninstall 1 package" in dry.stderr
    real = pinst(*sync)
    assert sorted(change_lines(dry.stderr)) == sorted(change_lines(real.stderr))
    again = pinst(*sync, "--dry-run")
    assert "Audited 2 packages: nothing would change" in again.stderr


def test_a_dry_run_reports_in_text_only(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("install", "six==1.17.0", "--dry-run", "--json", check=False)
    assert run.returncode == 2
    assert "--dry-run prints what would change as text only" in run.stderr
