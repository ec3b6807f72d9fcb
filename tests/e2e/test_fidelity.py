"""Fidelity: real wheels installed by pinst and by ``pip install --no-deps --no-compile`` agree.

Every file, byte for byte, with the same executable bits, and RECORDs that list the same files
with the same hashes. Allowed differences: the entry-point scripts each installer generates from
its own template, INSTALLER (``pinst`` vs ``pip``), and the venv's own path in rewritten
``#!python`` lines.
"""

from __future__ import annotations

import configparser
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runner import Pinst
from tests.support.venvs import make_venv, site_packages

pytestmark = pytest.mark.network

DATA = Path(__file__).parents[1] / "data"
PYPI = "https://pypi.org/simple"
# What `python -m venv` makes itself, and pinst's own state (.pinst: the venv's stamp and lock):
# not part of any installed project.
VENV_OWN = {"pyvenv.cfg", "lib64", ".pinst"}


def pip_install(venv: Path, requirements: Path) -> None:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "--isolated",
            "install",
            "--no-deps",
            "--no-compile",
            "--index-url",
            PYPI,
            "-r",
            str(requirements),
        ],
        check=True,
        env=env,
        capture_output=True,
    )


def installed_files(venv: Path) -> dict[str, Path]:
    files = {}
    for path in venv.rglob("*"):
        relative = path.relative_to(venv).as_posix()
        if relative.split("/")[0] in VENV_OWN or path.is_dir():
            continue
        if relative.startswith("bin/") and (
            path.name.startswith(("python", "activate", "Activate"))
        ):
            continue
        files[relative] = path
    return files


def entry_point_scripts(venv: Path) -> set[str]:
    names = set()
    for entry_points in site_packages(venv).glob("*.dist-info/entry_points.txt"):
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(entry_points)
        for section in ("console_scripts", "gui_scripts"):
            if parser.has_section(section):
                names.update(f"bin/{name}" for name in parser.options(section))
    return names


def all_record_rows(venv: Path, skipped: set[str]) -> set[tuple[str, ...]]:
    rows = set()
    for record in site_packages(venv).glob("*.dist-info/RECORD"):
        with open(record, newline="") as file:
            for row in csv.reader(file):
                target = os.path.normpath(record.parent.parent / row[0])
                relative = Path(target).relative_to(venv).as_posix()
                if relative in skipped or relative.endswith("/INSTALLER"):
                    continue
                rows.add((relative, *row[1:]))
    return rows


def test_pinst_installs_real_wheels_exactly_as_pip(pinst: Pinst, tmp_path: Path) -> None:
    requirements = DATA / "fidelity-requirements.txt"
    ours = make_venv(tmp_path / "pinst-venv")
    theirs = make_venv(tmp_path / "pip-venv")
    pinst("install", "-r", requirements, "--venv", ours, "--index-url", PYPI)
    pip_install(theirs, requirements)

    our_files, their_files = installed_files(ours), installed_files(theirs)
    generated = entry_point_scripts(theirs)
    assert generated == entry_point_scripts(ours)
    assert {"bin/pycodestyle", "bin/jupyter-qtconsole"} <= generated
    assert set(our_files) == set(their_files)

    for relative, theirs_path in their_files.items():
        ours_path = our_files[relative]
        assert bool(ours_path.stat().st_mode & 0o111) == bool(theirs_path.stat().st_mode & 0o111), (
            relative
        )
        if relative in generated or relative.endswith(("/INSTALLER", "/RECORD")):
            continue
        their_bytes = theirs_path.read_bytes().replace(bytes(theirs), bytes(ours))
        assert ours_path.read_bytes() == their_bytes, relative

    rewritten = {"bin/jsonpointer", "bin/bottle.py"}
    assert (ours / "bin/jsonpointer").read_text().startswith(f"#!{ours}/bin/python\n")
    skipped = generated | rewritten
    assert all_record_rows(ours, skipped) == all_record_rows(theirs, skipped)
    for name in (*generated, *rewritten):
        assert any(row[0] == name for row in all_record_rows(ours, set())), name

    # Covered features really were present.
    for expected in (
        "lib/python3.11/site-packages/pyzmq.libs",
        "include/site/python3.11/pybind11_global",  # as the requirement spells it, like pip
        "share/cmake/pybind11",
    ):
        assert any(path.startswith(expected) for path in our_files), expected
    assert any(path.endswith("-nspkg.pth") for path in our_files)
    assert not (site_packages(ours) / "jaraco" / "__init__.py").exists()


def test_real_packages_run_after_install(pinst: Pinst, tmp_path: Path) -> None:
    """The README's example: real pinned packages from the real index, then used."""
    venv = tmp_path / "venv"
    requirements = Path(__file__).parents[2] / "examples" / "requirements.txt"
    run = pinst("install", "-r", requirements, "--venv", venv)
    assert "+ requests==" in run.stderr
    python = str(venv / "bin" / "python")
    code = "import requests, rich, click; print(requests.__version__)"
    subprocess.run([python, "-c", code], check=True, capture_output=True)
    result = subprocess.run(
        [venv / "bin" / "markdown-it", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "markdown" in result.stdout.lower()
