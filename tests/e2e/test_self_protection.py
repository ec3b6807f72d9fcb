"""pinst never removes itself or what it needs from the venv it runs from, unless told to.

The newcomer's case, for real: pinst installed with pip into a venv of its own making, that venv
active, and its own ``pinst sync -r`` of a file that does not list pinst. The pinst that runs is
the installed one (no PYTHONPATH to this checkout), so what it keeps is read from the real
metadata pip wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Run
from tests.support.venvs import site_packages
from tests.support.wheels import build_wheel, sha256_of

pytestmark = [pytest.mark.network, pytest.mark.slow]  # pip fetches pinst's dependencies once

ROOT = Path(__file__).resolve().parents[2]
# pinst's own requirements that every platform the tests run on installs.
NEEDED = ("pinst", "httpx", "httpcore", "packaging", "installer", "platformdirs", "certifi")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of this checkout of pinst and of its dependencies, built and fetched once, from a
    copy of the project (a build writes build/ and *.egg-info next to the sources)."""
    base = tmp_path_factory.mktemp("pinst-wheels")
    project = base / "project"
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", project / "src", ignore=ignored)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    builder = base / "builder"
    subprocess.run([sys.executable, "-m", "venv", builder], check=True)
    wheels = base / "wheels"
    subprocess.run(
        [
            builder / "bin" / "pip",
            "wheel",
            "-q",
            "--disable-pip-version-check",
            "-w",
            wheels,
            project,
        ],
        check=True,
        env=without_this_checkout(),
    )
    return wheels


@pytest.fixture
def own_venv(wheelhouse: Path, tmp_path: Path) -> Path:
    """A venv made by ``python -m venv`` (with pip), with pinst pip-installed into it."""
    venv = tmp_path / "project-venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run(
        [
            venv / "bin" / "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "-f",
            wheelhouse,
            "pinst",
        ],
        check=True,
        env=without_this_checkout(),
    )
    return venv


def without_this_checkout() -> dict[str, str]:
    """The environment without PYTHONPATH: pip would take this checkout's src (with the
    pinst.egg-info a build leaves there) for pinst installed already, and install none."""
    env = {name: value for name, value in os.environ.items() if "PINST_" not in name}
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture
def only_six(server: IndexServer, tmp_path: Path) -> Path:
    wheel = build_wheel(server.directory, "six", "1.17.0", files={"six.py": "# six\n"})
    path = tmp_path / "only-six.txt"
    path.write_text(f"six==1.17.0 --hash=sha256:{sha256_of(wheel)}\n")
    return path


def installed_pinst(venv: Path, *args: str | Path, cwd: Path) -> Run:
    """The venv's own ``pinst``, with the venv active, as after ``source .venv/bin/activate``."""
    env = without_this_checkout()
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PINST_CACHE_DIR"] = str(cwd / "cache")
    env["XDG_CONFIG_HOME"] = str(cwd / "user-config")
    result = subprocess.run(
        [venv / "bin" / "pinst", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    run = Run(result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in run.output, run.output
    return run


def distributions(venv: Path) -> set[str]:
    return {
        entry.name.split("-")[0].lower().replace("_", "-")
        for entry in site_packages(venv).glob("*.dist-info")
    }


def test_sync_of_its_own_venv_keeps_pinst_and_what_it_needs(
    own_venv: Path, only_six: Path, server: IndexServer, tmp_path: Path
) -> None:
    synced = installed_pinst(own_venv, "sync", "-r", only_six, "-i", server.url, cwd=tmp_path)
    assert synced.returncode == 0, synced.output
    left = distributions(own_venv)
    assert {"six", *NEEDED} <= left, synced.output
    assert "pip" not in left, "pip is not what pinst runs from: sync removes it, as uv's does"
    kept = [line for line in synced.stderr.splitlines() if line.startswith("warning: kept")]
    assert len(kept) == 1, synced.output
    assert "pinst==" in kept[0] and "httpx==" in kept[0] and "--allow-remove-pinst" in kept[0]
    assert "- pip==" in synced.stderr and "- httpx" not in synced.stderr
    still = installed_pinst(own_venv, "list", "--format", "freeze", cwd=tmp_path)
    assert still.returncode == 0 and "six==1.17.0" in still.stdout, still.output


def test_the_flag_removes_pinst_too(
    own_venv: Path, only_six: Path, server: IndexServer, tmp_path: Path
) -> None:
    arguments = ("sync", "-r", only_six, "-i", server.url, "--allow-remove-pinst")
    synced = installed_pinst(own_venv, *arguments, cwd=tmp_path)
    assert synced.returncode == 0, synced.output
    assert distributions(own_venv) == {"six"}, synced.output
    assert "- pinst==" in synced.stderr and "warning: kept" not in synced.stderr


def test_uninstall_refuses_what_pinst_needs_and_removes_nothing(
    own_venv: Path, tmp_path: Path
) -> None:
    before = distributions(own_venv)
    refused = installed_pinst(own_venv, "uninstall", "pip", "httpx", cwd=tmp_path)
    assert refused.returncode == 1, refused.output
    assert refused.stderr.startswith("error: pinst runs from"), refused.output
    assert "httpx==" in refused.stderr and "--allow-remove-pinst" in refused.stderr
    assert distributions(own_venv) == before, "nothing is removed, not even pip"
    allowed = installed_pinst(own_venv, "uninstall", "httpx", "--allow-remove-pinst", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.output
    assert "httpx" not in distributions(own_venv)


def test_another_venv_is_synced_exactly(
    own_venv: Path, only_six: Path, server: IndexServer, tmp_path: Path
) -> None:
    """The rule is about the venv pinst runs from: a pinst installed in another venv goes."""
    build_wheel(server.directory, "pinst", "9.0")
    other = tmp_path / "other-venv"
    index = ("-i", server.url, "--venv", other)
    assert installed_pinst(own_venv, "install", "pinst==9.0", *index, cwd=tmp_path).returncode == 0
    synced = installed_pinst(own_venv, "sync", "-r", only_six, *index, cwd=tmp_path)
    assert synced.returncode == 0, synced.output
    assert distributions(other) == {"six"}, synced.output
    assert "- pinst==9.0" in synced.stderr
