"""pinst run as a user runs it: ``python -m pinst`` in a subprocess with a private cache, and
what the tests read from such a run (its output, its peak memory, the modules it imported)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
# The module whose import shows that a run went through the install pipeline rather than
# answering from the venv's stamp.
PIPELINE = "pinst.install.run"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Pinst:
    """Runs ``python -m pinst`` in a subprocess with a private cache, as a user would."""

    def __init__(self, cache_dir: Path, cwd: Path) -> None:
        self.cache_dir = cache_dir
        self.cwd = cwd
        # No PINST_* setting, and no user config file, of whoever runs the tests.
        self.env = {name: value for name, value in os.environ.items() if "PINST_" not in name}
        self.env["XDG_CONFIG_HOME"] = str(cache_dir.parent / "user-config")
        self.env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
        )
        self.env["PINST_CACHE_DIR"] = str(cache_dir)
        self.env["PINST_RETRY_BASE_DELAY"] = "0.01"
        self.env.pop("VIRTUAL_ENV", None)

    def start(
        self, *args: str | Path, env: dict[str, str] | None = None, output: bool = True
    ) -> subprocess.Popen[str]:
        """Start pinst without waiting for it (``output``: capture stdout and stderr)."""
        where = subprocess.PIPE if output else subprocess.DEVNULL
        return subprocess.Popen(
            [sys.executable, "-m", "pinst", *map(str, args)],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            stdout=where,
            stderr=where,
            text=True,
        )

    def __call__(
        self, *args: str | Path, check: bool = True, env: dict[str, str] | None = None
    ) -> Run:
        result = subprocess.run(
            [sys.executable, "-m", "pinst", *map(str, args)],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        run = Run(result.returncode, result.stdout, result.stderr)
        if check and run.returncode != 0:
            raise AssertionError(f"pinst {' '.join(map(str, args))} failed:\n{run.output}")
        assert "Traceback" not in run.output, run.output
        return run


def answered_from_stamp(run: Run) -> bool:
    """A run under ``PYTHONPROFILEIMPORTTIME`` that audited the venv without the pipeline."""
    return "Audited" in run.stderr and PIPELINE not in run.stderr


def wait_for_pause(venv: Path) -> None:
    """Wait until a pinst started with a test pause has reached it (its marker file exists)."""
    marker = venv / ".pinst" / "test-paused"
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, "pinst never reached the pause"
        time.sleep(0.02)


# Linux starts a forked child's peak RSS at its parent's RSS, so the test process, which has
# just written a 1 GiB file, must not be pinst's parent: a small Python in between runs pinst
# and reports its children's peak.
MEASURE = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(status)
"""


def peak_rss_bytes(pinst: Pinst, *args: str | Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "pinst", *map(str, args)],
        cwd=pinst.cwd,
        env=pinst.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def imported_modules(stderr: str) -> set[str]:
    """The modules named in a run's ``-X importtime`` lines."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def imported_at_startup(pinst: Pinst) -> set[str]:
    """What this Python imports before any program runs (site, .pth files): not pinst's."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        env=pinst.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return imported_modules(result.stderr)
