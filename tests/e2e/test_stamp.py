"""A repeated install answers from the venv's stamp, and only while nothing it depends on changed.

"Answered from the stamp" is observed from outside: with PYTHONPROFILEIMPORTTIME set, Python
lists every module a run imports, and a stamped answer never imports pinst's pipeline.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.requirements import pinned_module
from tests.support.runner import PIPELINE, Pinst, Run, answered_from_stamp
from tests.support.venvs import run_python, site_packages


def install(pinst: Pinst, requirements: Path, venv: Path, server: IndexServer) -> Run:
    return pinst(
        "install",
        "-r",
        requirements,
        "--venv",
        venv,
        "-i",
        server.url,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )


def test_repeated_install_answers_from_the_stamp_without_network(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        pinned_module(server, "alpha", "1.0") + pinned_module(server, "beta", "2.0")
    )
    venv = tmp_path / "venv"
    first = install(pinst, requirements, venv, server)
    assert PIPELINE in first.stderr and "Installed 2 packages" in first.stderr
    requests = len(server.requests)

    again = install(pinst, requirements, venv, server)

    assert answered_from_stamp(again)
    assert "Audited 2 packages" in again.stderr
    assert len(server.requests) == requests


def test_quiet_install_stays_quiet_when_answered_from_the_stamp(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pinned_module(server, "alpha", "1.0"))
    venv = tmp_path / "venv"
    arguments = ("install", "-q", "-r", requirements, "--venv", venv, "-i", server.url)
    pinst(*arguments)
    assert pinst(*arguments).output == ""


def test_an_edited_requirements_file_is_read_again_even_with_its_mtime_restored(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pinned_module(server, "alpha", "1.0"))
    upgrade = pinned_module(server, "alpha", "2.0")  # same length: only the content differs
    venv = tmp_path / "venv"
    install(pinst, requirements, venv, server)
    before = requirements.stat()
    requirements.write_text(upgrade)
    os.utime(requirements, ns=(before.st_atime_ns, before.st_mtime_ns))

    run = install(pinst, requirements, venv, server)

    assert "+ alpha==2.0" in run.stderr
    assert run_python(venv, "import alpha; print(alpha.V)") == "2.0\n"


def test_a_package_removed_behind_pinst_is_put_back(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        pinned_module(server, "alpha", "1.0") + pinned_module(server, "beta", "2.0")
    )
    venv = tmp_path / "venv"
    install(pinst, requirements, venv, server)
    shutil.rmtree(site_packages(venv) / "beta-2.0.dist-info")  # as `pip uninstall` would

    run = install(pinst, requirements, venv, server)

    assert "+ beta==2.0" in run.stderr
    assert run_python(venv, "import beta; print(beta.V)") == "2.0\n"


def test_environment_and_command_line_are_part_of_the_question(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("alpha==${ALPHA_VERSION}\n")
    pinned_module(server, "alpha", "1.0")
    pinned_module(server, "alpha", "2.0")
    venv = tmp_path / "venv"
    arguments = ("install", "-r", requirements, "--venv", venv, "-i", server.url)
    pinst(*arguments, env={"ALPHA_VERSION": "1.0"})

    run = pinst(*arguments, env={"ALPHA_VERSION": "2.0"})
    assert "+ alpha==2.0" in run.stderr

    verbose = pinst(*arguments, "-v", env={"ALPHA_VERSION": "2.0", "PYTHONPROFILEIMPORTTIME": "1"})
    assert PIPELINE in verbose.stderr  # -v shows details, which only a full run has


def test_a_change_that_fails_before_touching_the_venv_keeps_the_stamp(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pinned_module(server, "alpha", "1.0"))
    venv = tmp_path / "venv"
    install(pinst, requirements, venv, server)

    missing = pinst("install", "alpha==9.9", "--venv", venv, "-i", server.url, check=False)

    assert missing.returncode == 1  # not on the index: nothing was changed
    assert answered_from_stamp(install(pinst, requirements, venv, server))
