"""The benchmark harness's report (benchmarks/report.py): the figures issue 4's goals are set in.

The goals are ratios of medians in one run: pinst's median time over uv's. The per-round
ratios are shown beside them, to tell the machine's noise from a real difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from machine import Machine  # noqa: E402
from report import Install, Run, ScenarioResult, markdown  # noqa: E402
from scenarios import TIMED  # noqa: E402
from tools import make_tools  # noqa: E402


def installs(*seconds: float) -> list[Install]:
    return [Install(seconds=value, peak_rss_kib=1024, requests=0) for value in seconds]


def a_run(pinst: list[float], uv: list[float]) -> Run:
    cold = ScenarioResult(TIMED["cold"], {"pinst": installs(*pinst), "uv": installs(*uv)})
    machine = Machine(2, "AMD EPYC", "6.18", "ext4 (rw)", "3.11.7", "1.22.1")
    return Run(
        date="2026-11-24",
        commit="abc1234",
        machine=machine,
        versions={"pinst": "abc1234", "uv": "0.13.9"},
        rounds=len(pinst),
        command="python benchmarks/harness.py --scenarios cold --rounds 3 --tools pinst,uv",
        timed=[cold],
        disk={},
        notes=[],
    )


def test_the_ratio_is_of_the_medians_and_the_rounds_are_listed() -> None:
    # Medians: pinst 1.5 s, uv 1.2 s, so 1.25; the per-round ratios are 1.0, 1.25 and 1.2,
    # whose median (1.2) is another figure, given with the rounds.
    page = markdown(a_run(pinst=[1.0, 1.5, 1.8], uv=[1.0, 1.2, 1.5]))

    cold = "| cold: empty caches, from the local index |"
    assert f"{cold} 1.50 s | 1.20 s | **1.25** |" in page
    assert f"{cold} pinst/uv | 1.00, 1.25, 1.20 | 1.20 |" in page
    assert "pinst's median time over the other tool's" in " ".join(page.split())


def test_a_tool_missing_from_the_run_gets_no_ratio() -> None:
    run = a_run(pinst=[1.0], uv=[1.0])
    run.timed[0].installs["uv"] = []

    page = markdown(run)

    assert "**" not in page.split("Peak memory")[0]
    assert "Per-round ratios" not in page


def test_another_checkout_is_compared_with_this_one_and_with_uv() -> None:
    run = a_run(pinst=[1.0, 1.5, 1.8], uv=[1.0, 1.2, 1.5])
    run.timed[0].installs["change"] = installs(0.9, 1.2, 1.5)
    run = Run(**{**run.__dict__, "versions": {**run.versions, "change": "def5678"}})

    page = markdown(run)

    cold = "| cold: empty caches, from the local index |"
    assert "| scenario | pinst | uv | change | pinst/uv | change/uv | change/pinst |" in page
    assert f"{cold} 1.50 s | 1.20 s | 1.20 s | **1.25** | **1.00** | **0.80** |" in page
    assert f"{cold} change/pinst | 0.90, 0.80, 0.83 | 0.83 |" in page


def test_a_checkout_to_compare_is_named_and_must_hold_pinst(tmp_path: Path) -> None:
    (tmp_path / "wt" / "src" / "pinst").mkdir(parents=True)
    pinst, change, uv = make_tools(["pinst", f"change={tmp_path / 'wt'}", "uv"], tmp_path)
    assert (pinst.name, change.name, uv.name) == ("pinst", "change", "uv")
    assert change.environment()["PYTHONPATH"] == str(tmp_path / "wt" / "src")
    with pytest.raises(SystemExit, match="no src/pinst"):
        make_tools([f"change={tmp_path}"], tmp_path)
    with pytest.raises(SystemExit, match="cannot name a checkout"):
        make_tools([f"uv={tmp_path / 'wt'}"], tmp_path)
    with pytest.raises(SystemExit, match="unknown tool: poetry"):
        make_tools(["poetry"], tmp_path)
