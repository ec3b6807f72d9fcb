"""The benchmark's reclaim scenario (benchmarks/reclaim_bench.py) is wired up and measures.

Run on a tiny workload here: a few small venvs instead of pip's copies of the benchmark set.
The lead runs the real scenario with the harness.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.wheels import build_wheel

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from harness import parse_args  # noqa: E402
from reclaim_bench import RECLAIM_VENVS, reclaim_commands, reclaim_note, run_reclaim  # noqa: E402
from scenarios import ALL, DEFAULT, RECLAIM  # noqa: E402
from tools import Pinst  # noqa: E402

UV = Path(sys.executable).parent / "uv"
CONTENT = "DATA = 1\n" * 20_000  # 180 kB, so that what is freed stands out from directories


def test_reclaim_is_a_scenario_run_only_when_named() -> None:
    assert RECLAIM in ALL and RECLAIM not in DEFAULT
    assert parse_args(["--scenarios", "reclaim"]).scenarios == ["reclaim"]


def test_each_tool_works_on_its_own_copy(tmp_path: Path) -> None:
    commands = reclaim_commands(tmp_path, tmp_path / "cache", "http://127.0.0.1:1/simple")
    assert commands["hardlink"] == ["hardlink", "-t", "-q", str(tmp_path / "hardlink")]
    pinst = commands["pinst"]
    assert pinst[3:6] == ["reclaim", "-q", str(tmp_path / "pinst")]
    assert pinst[pinst.index("--cache-dir") + 1] == str(tmp_path / "cache")


@pytest.mark.skipif(shutil.which("hardlink") is None, reason="util-linux hardlink is missing")
def test_the_scenario_measures_both_tools(server: IndexServer, tmp_path: Path) -> None:
    build_wheel(server.directory, "bulky", "1.0", files={"bulky/__init__.py": CONTENT})

    def fill(venv: Path) -> None:  # as pip would: every file a copy
        env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1", "PATH": "/usr/bin"}
        subprocess.run([UV, "venv", "-q", venv], check=True, env=env)
        subprocess.run(
            [
                UV,
                "pip",
                "install",
                "-q",
                "--link-mode",
                "copy",
                "--python",
                venv / "bin/python",
                "--no-index",
                "--find-links",
                server.directory,
                "bulky==1.0",
            ],
            check=True,
            env=env,
        )

    work = tmp_path / "work"
    work.mkdir()
    results = run_reclaim(fill, Pinst(), work, server.url, tmp_path / "log")

    assert [result.tool for result in results] == ["pinst", "hardlink"]
    for result in results:
        # All but one copy of the module is freed; pinst's cache (its one copy, its folders and
        # manifests) is counted against it.
        assert result.freed >= (RECLAIM_VENVS - 1) * len(CONTENT) * 0.8, result
        assert result.seconds > 0
    assert reclaim_note(results).startswith(f"reclaim ({RECLAIM_VENVS} venvs")
