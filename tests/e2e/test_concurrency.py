"""Many pinst processes at once on one cache, and two on one venv."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.requirements import pinned
from tests.support.runner import Pinst, wait_for_pause
from tests.support.venvs import fingerprint
from tests.support.wheels import many_files

NAMES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
PROCESSES = 8


def test_eight_processes_share_one_cold_cache(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    lines = {name: pinned(server, name, files=many_files(name, "1.0")) for name in NAMES}
    # Overlapping sets: each takes four consecutive packages of the six, wrapping around.
    sets = [[NAMES[(start + k) % len(NAMES)] for k in range(4)] for start in range(PROCESSES)]
    files = []
    for index, names in enumerate(sets):
        requirements = tmp_path / f"requirements-{index}.txt"
        requirements.write_text("".join(lines[name] for name in names))
        files.append(requirements)

    running = [
        pinst.start("install", "-r", files[i], "--venv", tmp_path / f"venv-{i}", "-i", server.url)
        for i in range(PROCESSES)
    ]
    results = [(process.wait(timeout=300), process.stderr.read()) for process in running]  # type: ignore[union-attr]

    for code, stderr in results:
        assert code == 0, stderr
        assert "Traceback" not in stderr
    for index in range(PROCESSES):
        serial = tmp_path / f"serial-{index}"
        pinst(
            "install",
            "-r",
            files[index],
            "--venv",
            serial,
            "-i",
            server.url,
            "--cache-dir",
            tmp_path / f"serial-cache-{index}",
        )
        assert fingerprint(tmp_path / f"venv-{index}") == fingerprint(serial), index
    assert pinst("cache", "verify").returncode == 0
    assert not list((pinst.cache_dir / "tmp-v1").iterdir())


def test_a_second_pinst_on_the_same_venv_waits_then_has_nothing_to_do(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "".join(pinned(server, name, files=many_files(name, "1.0")) for name in NAMES[:3])
    )
    venv = tmp_path / "venv"
    arguments = ("install", "-r", requirements, "--venv", venv, "-i", server.url)
    first = pinst.start(*arguments, env={"PINST_TEST_PAUSE_AFTER_LINKS": "50"})
    wait_for_pause(venv)  # the first holds the venv's lock, halfway through linking

    second = pinst.start(*arguments)
    time.sleep(1.0)
    assert second.poll() is None  # still waiting for the lock
    (venv / ".pinst" / "test-paused").unlink()  # let the first go on

    assert first.wait(timeout=120) == 0
    assert second.wait(timeout=120) == 0
    second_output = second.stderr.read()  # type: ignore[union-attr]
    assert "Waiting for another pinst to finish with" in second_output
    assert "Audited 3 packages" in second_output
    assert "Installed" not in second_output
