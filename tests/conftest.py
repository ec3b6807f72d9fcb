"""Shared fixtures: a real index on 127.0.0.1, a private cache, and pinst run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.wheels import build_wheel

SRC = Path(__file__).resolve().parents[1] / "src"


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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(tmp_path / "index") as running:
        yield running


@pytest.fixture
def venv(pinst: Pinst, server: IndexServer, tmp_path: Path) -> Path:
    """An existing venv with one package installed: a failed run must leave all of it alone."""
    build_wheel(server.directory, "present", "1.0")
    path = tmp_path / "venv"
    pinst("install", "present==1.0", "--venv", path, "-i", server.url)
    return path


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def pinst(cache_dir: Path, tmp_path: Path) -> Pinst:
    work = tmp_path / "work"
    work.mkdir()
    return Pinst(cache_dir, work)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def run_python(venv: Path, code: str) -> str:
    result = subprocess.run(
        [str(venv_python(venv)), "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
