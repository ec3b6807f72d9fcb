"""The benchmark harness's report (benchmarks/report.py): the figures issue 4's goals are set in.

The goals are ratios of medians in one run: pinst's median time over uv's. The per-round
ratios are shown beside them, to tell the machine's noise from a real difference.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.harness import deduplicators, parse_args, pypi_reachable
from benchmarks.machine import Machine
from benchmarks.report import (
    Batch,
    Install,
    ManyVenvsResult,
    Reclaimed,
    ReclaimResult,
    Run,
    ScenarioResult,
    markdown,
)
from benchmarks.scenarios import TIMED
from benchmarks.tools import SETS, Job, Pinst, Uv, make_tools

CHECKOUT = Path(__file__).parents[2]
MiB = 2**20


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
        command="python -m benchmarks.harness --scenarios cold --rounds 3 --tools pinst,uv",
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


def test_many_venvs_gives_totals_per_tool_and_pinst_over_uv_for_time_and_disk() -> None:
    run = a_run(pinst=[1.0], uv=[1.0])
    beside = ManyVenvsResult(
        "beside the cache",
        20,
        {"pinst": Batch(10.0, 100 * 1024, 500 * MiB), "uv": Batch(20.0, 50 * 1024, 400 * MiB)},
    )
    on_tmpfs = ManyVenvsResult("on a tmpfs", 20, {}, notes=["skipped: mounting needs root"])
    run = Run(**{**run.__dict__, "many": [beside, on_tmpfs]})

    page = markdown(run)

    assert "| many-venvs: in total | pinst | uv | pinst/uv |" in page
    assert "| time, 20 venvs beside the cache | 10.0 s | 20.0 s | **0.50** |" in page
    assert "| disk, 20 venvs beside the cache | 500 MiB | 400 MiB | **1.25** |" in page
    assert "| peak memory, 20 venvs beside the cache | 100 MiB | 50 MiB |  |" in page
    assert "on a tmpfs |" not in page
    assert "| scenario |" in page  # the cold scenario's table stays
    assert "| scenario |" not in markdown(Run(**{**run.__dict__, "timed": []}))
    assert "- many-venvs on a tmpfs: skipped: mounting needs root" in page


def test_reclaim_reports_time_memory_and_bytes_freed_by_each_deduplicator() -> None:
    run = a_run(pinst=[1.0], uv=[1.0])
    reclaim = ReclaimResult(
        2,
        900 * MiB,
        {
            "pinst reclaim": Reclaimed(3.0, 80 * 1024, 420 * MiB),
            "hardlink": Reclaimed(1.5, 4 * 1024, 410 * MiB),
        },
    )
    page = markdown(Run(**{**run.__dict__, "reclaim": reclaim}))

    assert "2 venvs by pip and 2 by uv --link-mode copy, 900 MiB in all" in page
    assert "| reclaim | time | peak memory | freed |" in page
    assert "| pinst reclaim | 3.00 s | 80 MiB | 420 MiB |" in page
    assert "| hardlink | 1.50 s | 4 MiB | 410 MiB |" in page


def test_a_skipped_reclaim_says_why_and_gives_no_table() -> None:
    run = a_run(pinst=[1.0], uv=[1.0])
    reclaim = ReclaimResult(2, 0, {}, notes=["skipped: this checkout has no `pinst reclaim` yet"])

    page = markdown(Run(**{**run.__dict__, "reclaim": reclaim}))

    assert "| reclaim |" not in page
    assert "- reclaim: skipped: this checkout has no `pinst reclaim` yet" in page


def test_the_set_is_chosen_by_name_and_every_tool_installs_it() -> None:
    args = parse_args(["--set", "data", "--scenarios", "many-venvs,reclaim", "--venvs", "2"])
    assert (args.set, args.venvs, args.scenarios) == ("data", 2, ["many-venvs", "reclaim"])
    assert parse_args(["--scenarios", "warm"]).set == "bench"
    job = Job(Path("v"), Path("c"), "http://127.0.0.1/simple", requirements=SETS["data"])
    for tool in make_tools(["pinst", "uv", "pip"], Path("pip")):
        assert str(SETS["data"]) in tool.command(job)
    with pytest.raises(SystemExit):
        parse_args(["--set", "nonesuch"])
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "warm", "--venvs", "0"])


def test_uv_links_as_by_default_unless_a_link_mode_is_given() -> None:
    job = Job(Path("v"), Path("c"), "http://127.0.0.1/simple")
    assert "--link-mode" in Uv().command(job)
    assert "--link-mode" not in Uv().command(Job(**{**job.__dict__, "uv_link_mode": None}))
    copying = Uv().command(Job(**{**job.__dict__, "uv_link_mode": "copy"}))
    assert copying[copying.index("--link-mode") + 1] == "copy"


def test_the_harness_runs_as_a_module_of_the_benchmarks_package() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.harness", "--help"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "--set {bench,data}" in result.stdout
    assert "many-venvs" in result.stdout and "reclaim" in result.stdout


def test_pypi_counts_as_unreachable_when_nothing_answers_in_time() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert not pypi_reachable(timeout=1.0, url=f"http://127.0.0.1:{port}/")


def test_reclaim_runs_each_deduplicator_on_its_own_copy_and_counts_only_what_it_used() -> None:
    work = Path("/work-dir")
    runs = deduplicators(Pinst(), work, "http://127.0.0.1:8080/simple")

    pinst, hardlink = runs["pinst reclaim"], runs["hardlink"]
    assert pinst.directory != hardlink.directory
    assert pinst.command[pinst.command.index("reclaim") :][:3] == [
        "reclaim",
        "-q",
        str(pinst.directory),
    ]
    assert hardlink.command == ["hardlink", "-t", str(hardlink.directory)]
    # pinst's cache holds what it reclaimed: counted for pinst, never for hardlink
    assert pinst.counted == [pinst.directory, work / "reclaim-caches" / "pinst-reclaim"]
    assert hardlink.counted == [hardlink.directory]
