"""SIGKILL at random moments (downloading, unpacking, linking, writing records): the next run
completes, the venv equals an uninterrupted install, and the cache holds nothing half-made.

Real subprocesses and a real local index; the moment of each kill is drawn from a seeded random
generator over the length of an uninterrupted run, so that kills land in every phase.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.index_server import Fault, IndexServer, file_path
from tests.support.runner import Pinst, wait_for_pause
from tests.support.venvs import fingerprint, run_python, site_packages
from tests.support.wheels import build_wheel, many_files, sha256_of

TRIALS = 24
NEW = "2.0"
OLD = "1.0"
UPGRADED = ("alpha", "beta")  # installed at OLD before each trial: the kill may hit an upgrade
FRESH = ("gamma", "delta", "epsilon")


def build_set(server: IndexServer) -> tuple[str, str]:
    """The requirements files: the old versions, and the set to install."""
    old, new = [], []
    for name in UPGRADED + FRESH:
        for version, lines in ((OLD, old), (NEW, new)):
            if version == OLD and name not in UPGRADED:
                continue
            wheel = build_wheel(
                server.directory,
                name,
                version,
                files=many_files(name, version),
                entry_points={"console_scripts": {f"{name}-tool": f"{name}:VERSION"}},
            )
            lines.append(f"{name}=={version} --hash=sha256:{sha256_of(wheel)}\n")
    return "".join(old), "".join(new)


def test_sigkill_at_random_moments_is_repaired_by_the_next_run(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    old, new = build_set(server)
    (tmp_path / "old.txt").write_text(old)
    (tmp_path / "new.txt").write_text(new)
    reference = tmp_path / "reference"
    cold = timed_upgrade(pinst, tmp_path, reference, server)
    warm = timed_upgrade(pinst, tmp_path, tmp_path / "warm", server)
    expected = fingerprint(reference)
    generator = random.Random(20261123)
    phases_hit = set()

    for trial in range(TRIALS):
        cold_cache = trial % 3 == 0  # downloading and unpacking, else linking and recording
        cache = tmp_path / f"cache-{trial}" if cold_cache else pinst.cache_dir
        venv = tmp_path / f"venv-{trial}"
        arguments = ("-i", server.url, "--cache-dir", cache)
        pinst("install", "-r", tmp_path / "old.txt", "--venv", venv, *arguments)
        # Stratified: each kind of trial spreads its kills evenly over its run, with jitter.
        kind_trials = range(0, TRIALS, 3) if cold_cache else [t for t in range(TRIALS) if t % 3]
        stratum = list(kind_trials).index(trial)
        fraction = (stratum + generator.random()) / len(kind_trials)
        delay = fraction * (cold if cold_cache else warm) * 1.1

        outcome = kill_after(pinst, delay, "-r", tmp_path / "new.txt", "--venv", venv, *arguments)
        phases_hit.add(phase_of(outcome, venv, cache))
        rerun = pinst("install", "-r", tmp_path / "new.txt", "--venv", venv, *arguments)

        assert fingerprint(venv) == expected, f"trial {trial}: killed after {delay:.3f}s"
        assert not list((venv / ".pinst").glob("journal*")), rerun.output
        assert not list((venv / ".pinst").glob("backup-*"))
        assert not list(site_packages(venv).glob(".pinst-probe-*"))
        assert leftovers(cache) == [], f"trial {trial}"
        verify = pinst("cache", "verify", "--cache-dir", cache)
        assert "damaged" not in verify.output.lower(), verify.output
        assert run_python(venv, "import alpha, epsilon; print(alpha.VERSION)") == f"{NEW}\n"

    # Kills landed while the cache was being filled and while the venv was being changed.
    assert {"preparing", "changing the venv"} <= phases_hit, phases_hit


def timed_upgrade(pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer) -> float:
    """Install the old set, then time the upgrade to the new one (with the shared cache)."""
    pinst("install", "-r", tmp_path / "old.txt", "--venv", venv, "-i", server.url)
    started = time.monotonic()
    pinst("install", "-r", tmp_path / "new.txt", "--venv", venv, "-i", server.url)
    return time.monotonic() - started


def phase_of(outcome: str, venv: Path, cache: Path) -> str:
    """What the killed run was doing, from what it left behind."""
    if outcome == "finished":
        return "finished"
    if (venv / ".pinst" / "journal").exists():
        return "changing the venv"
    if leftovers(cache):
        return "preparing"
    return "starting or between phases"


def kill_after(pinst: Pinst, delay: float, *args: str | Path) -> str:
    """Start `pinst install`, SIGKILL it after ``delay`` seconds; "killed" or "finished"."""
    process = pinst.start("install", *args, output=False)
    try:
        process.wait(timeout=delay)
        return "finished"
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return "killed"


def leftovers(cache: Path) -> list[str]:
    temporary = cache / "tmp-v1"
    return sorted(path.name for path in temporary.iterdir()) if temporary.exists() else []


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_upgrade_puts_the_old_version_back(
    pinst: Pinst, server: IndexServer, tmp_path: Path, signal_number: int
) -> None:
    """Ctrl-C or SIGTERM in the middle of linking: the run rolls back before it exits."""
    venv = tmp_path / "venv"
    before, process = upgrade_paused_midway(pinst, server, tmp_path, venv)
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert fingerprint(venv) == before
    assert run_python(venv, "import alpha; print(alpha.VERSION)") == f"{OLD}\n"
    assert not list((venv / ".pinst").glob("journal*"))


def upgrade_paused_midway(
    pinst: Pinst, server: IndexServer, tmp_path: Path, venv: Path
) -> tuple[dict[str, str], subprocess.Popen[str]]:
    """Install the old set into ``venv``, then start the upgrade and wait until it pauses in
    the middle of linking: the venv's fingerprint before, and the running pinst."""
    old, new = build_set(server)
    (tmp_path / "old.txt").write_text(old)
    (tmp_path / "new.txt").write_text(new)
    pinst("install", "-r", tmp_path / "old.txt", "--venv", venv, "-i", server.url)
    before = fingerprint(venv)
    process = pinst.start(
        "install",
        "-r",
        tmp_path / "new.txt",
        "--venv",
        venv,
        "-i",
        server.url,
        env={"PINST_TEST_PAUSE_AFTER_LINKS": "200"},
    )  # see faults.py
    wait_for_pause(venv)
    return before, process


def children_like(parent: int) -> list[int]:
    """The child processes of ``parent`` that run what it runs: the workers it forked."""
    command = Path(f"/proc/{parent}/cmdline").read_bytes()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "stat").read_text()
            same = (entry / "cmdline").read_bytes() == command
        except (OSError, ValueError):
            continue  # not a process, or one that has just ended
        # The command in the stat line is in parentheses and may hold spaces: count after it.
        if same and int(status.rpartition(")")[2].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def wait_for_workers(process: subprocess.Popen[str], count: int) -> list[int]:
    deadline = time.monotonic() + 60
    while len(workers := children_like(process.pid)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "pinst never started its workers"
        time.sleep(0.02)
    return workers


def assert_killed_worker_reported(
    process: subprocess.Popen[str], doing: str, aftermath: str
) -> None:
    """pinst ends with its one paragraph for a worker killed with SIGKILL: no traceback."""
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in stderr
    assert f"worker process {doing} was killed by SIGKILL (signal 9)" in stderr
    assert aftermath in stderr


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="pinst forks workers only on 2+ cores")
def test_a_killed_unpack_worker_is_reported_and_nothing_is_installed(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """A worker killed as the out-of-memory killer would: one paragraph that says so, and the
    venv untouched; the next run installs everything."""
    _, new = build_set(server)
    (tmp_path / "new.txt").write_text(new)
    venv = tmp_path / "venv"
    pinst("venv", venv)
    before = fingerprint(venv)
    # The workers are forked before any download; holding one keeps the run from ending.
    held = next(path for path in server.directory.iterdir() if path.name.startswith("gamma"))
    server.inject(file_path(held.name), Fault(stall=60))
    process = pinst.start("install", "-r", tmp_path / "new.txt", "--venv", venv, "-i", server.url)

    os.kill(wait_for_workers(process, 2)[0], signal.SIGKILL)
    server.release_stalls()

    assert_killed_worker_reported(process, "unpacking wheels", "Nothing was installed")
    assert fingerprint(venv) == before
    again = pinst("install", "-r", tmp_path / "new.txt", "--venv", venv, "-i", server.url)
    assert again.returncode == 0
    assert run_python(venv, "import gamma; print(gamma.VERSION)") == f"{NEW}\n"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="pinst forks workers only on 2+ cores")
def test_a_killed_link_worker_is_reported_and_the_venv_rolled_back(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    before, process = upgrade_paused_midway(pinst, server, tmp_path, venv)
    paused = int((venv / ".pinst" / "test-paused").read_text())
    assert paused != process.pid, "the packages were linked in threads, not worker processes"
    os.kill(paused, signal.SIGKILL)

    assert_killed_worker_reported(
        process, "linking packages into the venv", "pinst put the venv back as it was"
    )
    assert fingerprint(venv) == before
    assert run_python(venv, "import alpha; print(alpha.VERSION)") == f"{OLD}\n"
