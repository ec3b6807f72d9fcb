"""pinst venv, list, freeze and uninstall, end to end on real venvs and real wheels."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import run_python, site_packages, venv_python
from tests.support.wheels import build_wheel

EVERY_KIND_DATA = {
    "scripts": {"demo-tool": "#!python\nprint('tool')\n"},
    "data": {"share/demo/readme.txt": "shared data\n"},
    "headers": {"demo.h": "#define DEMO 1\n"},
}


def demo_wheel_of_every_kind(directory: Path) -> Path:
    """A wheel with every kind of content: packages, a module, scripts, data and headers."""
    return build_wheel(
        directory,
        "demo",
        "1.0",
        files={
            "demo/__init__.py": "__version__ = '1.0'\n",
            "demo/sub/__init__.py": "",
            "demo_module.py": "",
        },
        entry_points={"console_scripts": {"demo": "demo:main"}},
        data=EVERY_KIND_DATA,  # type: ignore[arg-type]
    )


def files_of(venv: Path) -> set[str]:
    """Every file and directory in the venv but pinst's own state."""
    return {
        str(path.relative_to(venv))
        for path in venv.rglob("*")
        if ".pinst" not in path.relative_to(venv).parts
    }


def assert_one_error(run: object, code: int) -> None:
    assert run.returncode == code, run.output  # type: ignore[attr-defined]
    lines = run.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in run.output  # type: ignore[attr-defined]


def pip_environment() -> dict[str, str]:
    """This environment for the outer pip, without a PYTHONPATH that would show it pinst's
    own source tree (and its egg-info) as installed in the venv."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**environment, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def pip_freeze(venv: Path) -> str | None:
    """``pip freeze`` of the venv, run by the outer pip (the venvs have none); None if that pip
    cannot (pip >= 22.3 has ``--python``)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv_python(venv)), "freeze"],
        capture_output=True,
        text=True,
        env={**pip_environment(), "PIP_NO_INPUT": "1"},
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


# pinst venv


def test_venv_creates_a_venv_that_install_uses(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    venv = tmp_path / "new"
    run = pinst("venv", venv)

    assert (venv / "pyvenv.cfg").is_file()
    assert not (venv / ".pinst" / "creating").exists()
    assert run_python(venv, "import sys; print(sys.prefix != sys.base_prefix)") == "True\n"
    version = ".".join(map(str, sys.version_info[:3]))
    assert f"Created a virtual environment at {venv} with CPython {version}" in run.stderr
    assert run.stdout == ""
    build_wheel(server.directory, "present", "1.0")
    pinst("install", "present==1.0", "--venv", venv, "-i", server.url)
    assert run_python(venv, "import present") == ""


def test_venv_accepts_an_empty_directory(pinst: Pinst, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    pinst("venv", empty)
    assert (empty / "pyvenv.cfg").is_file()


def test_venv_refuses_a_venv_a_full_directory_and_a_file(pinst: Pinst, venv: Path) -> None:
    before = files_of(venv)
    run = pinst("venv", venv, check=False)
    assert_one_error(run, 1)
    assert "already a virtual environment" in run.stderr
    assert files_of(venv) == before

    full = venv.parent / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    run = pinst("venv", full, check=False)
    assert_one_error(run, 1)
    assert "not empty" in run.stderr
    assert [path.name for path in full.iterdir()] == ["keep.txt"]

    a_file = venv.parent / "file"
    a_file.write_text("mine")
    assert_one_error(pinst("venv", a_file, check=False), 1)
    assert a_file.read_text() == "mine"


def test_venv_with_an_unknown_python_is_one_error(pinst: Pinst, tmp_path: Path) -> None:
    run = pinst("venv", tmp_path / "v", "--python", "3.99", check=False)
    assert_one_error(run, 1)
    assert "--python 3.99" in run.stderr
    assert not (tmp_path / "v" / "pyvenv.cfg").exists()


# pinst list and pinst freeze


@pytest.fixture
def filled(pinst: Pinst, server: IndexServer, venv: Path) -> Path:
    """The ``venv`` fixture (with present 1.0) plus a name METADATA spells with capitals and a
    dot, a pre-release, and a wheel installed by URL (PEP 610)."""
    build_wheel(server.directory, "Zeta.Pkg", "2.0", files={"zeta_pkg.py": ""})
    build_wheel(server.directory, "alpha", "1.0rc1", files={"alpha.py": ""})
    url_wheel = build_wheel(server.directory / "direct", "by_url", "3.0", files={"by_url.py": ""})
    pinst(
        "install", "Zeta.Pkg==2.0", "alpha==1.0rc1", f"by_url @ {url_wheel.as_uri()}",
        "--venv", venv, "-i", server.url,
    )  # fmt: skip
    return venv


def test_list_shows_a_table_like_pip_list(pinst: Pinst, filled: Path) -> None:
    run = pinst("list", "--venv", filled)
    assert run.stdout == (
        "Package  Version\n"
        "-------- -------\n"
        "alpha    1.0rc1\n"
        "by_url   3.0\n"
        "present  1.0\n"
        "Zeta.Pkg 2.0\n"
    )
    assert run.stderr == ""


def test_list_json_has_name_version_and_installer(pinst: Pinst, filled: Path) -> None:
    listed = json.loads(pinst("list", "--venv", filled, "--format", "json").stdout)
    assert listed == [
        {"name": "alpha", "version": "1.0rc1", "installer": "pinst"},
        {"name": "by_url", "version": "3.0", "installer": "pinst"},
        {"name": "present", "version": "1.0", "installer": "pinst"},
        {"name": "Zeta.Pkg", "version": "2.0", "installer": "pinst"},
    ]


def test_freeze_prints_pins_and_direct_references_as_pip_does(
    pinst: Pinst, filled: Path, server: IndexServer
) -> None:
    frozen = pinst("freeze", "--venv", filled).stdout
    lines = frozen.splitlines()
    assert lines[0] == "alpha==1.0rc1"
    url = (server.directory / "direct" / "by_url-3.0-py3-none-any.whl").as_uri()
    assert lines[1].startswith(f"by_url @ {url}#sha256=")
    assert lines[2:] == ["present==1.0", "Zeta.Pkg==2.0"]
    assert pinst("list", "--venv", filled, "--format", "freeze").stdout == frozen
    expected = pip_freeze(filled)
    if expected is None:
        pytest.skip("the outer pip cannot run 'pip --python VENV freeze' (needs pip >= 22.3)")
    assert frozen == expected


def test_list_shows_what_other_installers_installed(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    wheel = build_wheel(server.directory / "pip", "by-pip", "0.5", files={"by_pip.py": ""})
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv_python(venv)), "install",
         "--no-index", "--no-deps", str(wheel)],
        capture_output=True, text=True, check=False,
        env=pip_environment(),
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"the outer pip cannot install into the venv: {result.stderr.strip()}")

    listed = json.loads(pinst("list", "--venv", venv, "--format", "json").stdout)

    assert {"name": "by-pip", "version": "0.5", "installer": "pip"} in listed
    frozen = pinst("freeze", "--venv", venv).stdout
    assert f"by-pip @ {wheel.as_uri()}#sha256=" in frozen  # pip records a path install (PEP 610)
    assert frozen == pip_freeze(venv)


def test_list_of_an_empty_venv_prints_nothing(pinst: Pinst, tmp_path: Path) -> None:
    pinst("venv", tmp_path / "v")
    assert pinst("list", "--venv", tmp_path / "v").stdout == ""
    assert pinst("list", "--venv", tmp_path / "v", "--format", "json").stdout == "[]\n"
    assert pinst("freeze", "--venv", tmp_path / "v").stdout == ""


def test_list_defaults_to_virtual_env(pinst: Pinst, venv: Path) -> None:
    run = pinst("freeze", env={"VIRTUAL_ENV": str(venv)})
    assert run.stdout == "present==1.0\n"


@pytest.mark.parametrize("command", ["list", "freeze", "uninstall"])
def test_commands_refuse_what_is_not_a_venv(pinst: Pinst, tmp_path: Path, command: str) -> None:
    names = ["present"] if command == "uninstall" else []
    missing = tmp_path / "missing"
    run = pinst(command, *names, "--venv", missing, check=False)
    assert_one_error(run, 1)
    assert "no virtual environment" in run.stderr
    assert not missing.exists()  # not even a lock directory was made
    plain = tmp_path / "plain"
    plain.mkdir()
    run = pinst(command, *names, "--venv", plain, check=False)
    assert_one_error(run, 1)
    assert "is not a virtual environment" in run.stderr
    assert list(plain.iterdir()) == []


# pinst uninstall


def test_uninstall_removes_every_file_and_script_and_nothing_else(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    demo_wheel_of_every_kind(server.directory)
    before = files_of(venv)
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    run_python(venv, "import demo.sub, demo_module")  # bytecode that no RECORD lists
    assert (venv / "bin" / "demo").is_file()

    run = pinst("uninstall", "demo", "--venv", venv)

    assert run.stderr.splitlines()[0] == "- demo==1.0"
    assert run.stderr.splitlines()[1].startswith("Uninstalled 1 package in ")
    # As pip does, the scheme's headers directory stays, empty, once made: no RECORD lists it.
    headers = Path("include", "site", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    left = files_of(venv) - before
    assert left <= {str(headers.parent), str(headers)}
    assert all(not any((venv / path).iterdir()) for path in left if path == str(headers))
    assert before <= files_of(venv)
    assert run_python(venv, "import present; print('ok')") == "ok\n"
    assert not list((venv / ".pinst").glob("journal*"))
    assert not list((venv / ".pinst").glob("backup-*"))


def test_uninstall_normalises_names_and_takes_several(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    build_wheel(server.directory, "My.Package", "1.0", files={"my_package.py": ""})
    pinst("install", "my-package==1.0", "--venv", venv, "-i", server.url)

    run = pinst("uninstall", "MY_package", "Present", "--venv", venv)

    lines = run.stderr.splitlines()
    assert lines[:2] == ["- my-package==1.0", "- present==1.0"]
    assert lines[2].startswith("Uninstalled 2 packages in ") and len(lines) == 3
    assert pinst("freeze", "--venv", venv).stdout == ""


def test_uninstall_of_what_is_not_installed_warns_and_succeeds(pinst: Pinst, venv: Path) -> None:
    pinst("uninstall", "present", "--venv", venv)

    run = pinst("uninstall", "present", "absent", "--venv", venv)

    assert run.returncode == 0
    assert run.stderr.splitlines() == [
        "warning: Skipping present as it is not installed.",
        "warning: Skipping absent as it is not installed.",
    ]
    assert pinst("uninstall", "-q", "present", "--venv", venv).stderr == ""


def test_uninstall_then_install_again_is_a_full_install(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    """The stamp of the install that made the venv must not answer "Audited" any more."""
    pinst("install", "present==1.0", "--venv", venv, "-i", server.url)
    pinst("uninstall", "present", "--venv", venv)

    run = pinst("install", "present==1.0", "--venv", venv, "-i", server.url)

    assert "+ present==1.0" in run.stderr
    assert run_python(venv, "import present; print('ok')") == "ok\n"


def test_uninstall_drops_the_project_from_the_cache_record(
    pinst: Pinst, venv: Path, cache_dir: Path
) -> None:
    (record,) = (cache_dir / "venvs-v1").glob("*.json")
    assert "present" in json.loads(record.read_text())["entries"]

    pinst("uninstall", "present", "--venv", venv)

    assert json.loads(record.read_text())["entries"] == {}


def test_a_failed_uninstall_puts_every_file_back(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    demo_wheel_of_every_kind(server.directory)
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    # A RECORD row naming the package directory itself: once its files are moved aside, moving
    # the directory onto their non-empty backup fails (ENOTEMPTY), midway through the removal.
    record = site_packages(venv) / "demo-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "demo,,\n")
    before = files_of(venv)

    run = pinst("uninstall", "present", "demo", "--venv", venv, check=False)

    assert_one_error(run, 1)
    assert "put the venv back as it was" in run.stderr
    assert files_of(venv) == before
    assert run_python(venv, "import demo, present; print(demo.__version__)") == "1.0\n"
    assert not (venv / ".pinst" / "journal").exists()


def test_uninstall_repairs_an_interrupted_run_first(
    pinst: Pinst, server: IndexServer, venv: Path
) -> None:
    demo_wheel_of_every_kind(server.directory)
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    (venv / ".pinst" / "journal").write_text("present\n")  # as a run killed while changing it

    run = pinst("uninstall", "demo", "--venv", venv)

    assert "a previous pinst run was stopped while changing 1 package" in run.stderr
    assert "- demo==1.0" in run.stderr
    assert pinst("freeze", "--venv", venv).stdout == ""
    assert not (venv / ".pinst" / "journal").exists()


def test_uninstall_waits_for_the_venv_lock(pinst: Pinst, venv: Path) -> None:
    with open(venv / ".pinst" / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiting = pinst.start("uninstall", "present", "--venv", venv)
        time.sleep(1)
        assert waiting.poll() is None, "uninstall did not wait for the lock"
        assert (site_packages(venv) / "present").is_dir()
    _, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    assert f"Waiting for another pinst to finish with {venv}" in stderr
    assert not (site_packages(venv) / "present").exists()


def test_uninstall_usage_errors(pinst: Pinst, venv: Path) -> None:
    assert pinst("uninstall", "--venv", venv, check=False).returncode == 2
    run = pinst("uninstall", "present==1.0", "--venv", venv, check=False)
    assert_one_error(run, 2)
    assert "not a project name" in run.stderr
    assert (site_packages(venv) / "present").is_dir()


def test_a_reader_that_goes_away_is_no_error(pinst: Pinst, venv: Path) -> None:
    """`pinst list | head -1`: output to a closed pipe stops quietly, with no traceback."""
    process = pinst.start("list", "--venv", venv)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before pinst has printed anything: its first write fails

    stderr = process.stderr.read()
    process.wait(timeout=60)

    assert "Traceback" not in stderr and "error" not in stderr
