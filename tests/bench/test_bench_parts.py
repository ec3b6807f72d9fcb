"""The pure parts of the benchmarks package, run without a benchmark: the figures the report
computes and how it writes them, which scenarios a run selects, and what it says of the machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from benchmarks import harness
from benchmarks.harness import command_line, general_notes, parse_args, wheels_directory
from benchmarks.machine import Machine, filesystem_of, nginx_version
from benchmarks.measure import tail, tree_bytes
from benchmarks.report import (
    MISSING,
    Install,
    ScenarioResult,
    mebibytes,
    median_of,
    per_round_ratios,
    ratio,
    ratio_of,
    seconds,
    table,
)
from benchmarks.scenarios import ALL, DEFAULT, DISK, MANY_VENVS, RECLAIM, TIMED

# -- Figures ------------------------------------------------------------------------------------


def installs(*times: float) -> list[Install]:
    return [Install(seconds=value, peak_rss_kib=1024, requests=0) for value in times]


def cold(**times: list[float]) -> ScenarioResult:
    return ScenarioResult(
        TIMED["cold"], {tool: installs(*values) for tool, values in times.items()}
    )


def test_times_show_two_decimals_under_ten_seconds_and_one_above() -> None:
    assert [seconds(value) for value in (0.4, 9.994, 10.0, 61.26)] == [
        "0.40 s",
        "9.99 s",
        "10.0 s",
        "61.3 s",
    ]


def test_sizes_are_whole_mebibytes_with_thousands_separated() -> None:
    assert mebibytes(2**20) == "1 MiB"
    assert mebibytes(1.6 * 2**20) == "2 MiB"
    assert mebibytes(2048 * 2**20) == "2,048 MiB"


def test_the_median_leaves_out_what_was_not_measured() -> None:
    measured = installs(3.0, 1.0, 2.0, 10.0)
    assert median_of(measured, lambda install: install.seconds) == 2.5
    assert (
        median_of(measured, lambda install: install.seconds if install.seconds < 5 else None) == 2.0
    )
    assert median_of(measured, lambda install: None) is None
    assert median_of([], lambda install: install.seconds) is None


def test_the_ratio_is_of_medians_not_the_median_of_ratios() -> None:
    result = cold(pinst=[1.0, 1.5, 1.8], uv=[1.0, 1.2, 1.5])
    assert ratio(result, "pinst", "uv") == "**1.25**"
    assert per_round_ratios(result, "pinst", "uv") == pytest.approx([1.0, 1.25, 1.2])


def test_no_ratio_without_both_tools_or_with_rounds_missing() -> None:
    assert ratio(cold(pinst=[1.0]), "pinst", "uv") == MISSING
    assert ratio(cold(pinst=[1.0], uv=[0.0]), "pinst", "uv") == MISSING  # no division by zero
    assert per_round_ratios(cold(pinst=[1.0, 2.0], uv=[1.0]), "pinst", "uv") == []
    assert per_round_ratios(cold(uv=[1.0]), "pinst", "uv") == []


def test_a_ratio_of_totals_needs_both_and_a_nonzero_divisor() -> None:
    assert ratio_of({"pinst": 3.0, "uv": 4.0}) == "**0.75**"
    assert ratio_of({"pinst": 3.0}) == MISSING
    assert ratio_of({"pinst": 3.0, "uv": 0.0}) == MISSING
    assert ratio_of({"change": 1.0, "pinst": 2.0}, "change", "pinst") == "**0.50**"


def test_a_table_aligns_figures_right_and_ends_with_a_blank_line() -> None:
    assert table(["scenario", "pinst"], [["warm", "1.00 s"]]) == [
        "| scenario | pinst |",
        "| --- | ---: |",
        "| warm | 1.00 s |",
        "",
    ]


# -- Scenario selection -------------------------------------------------------------------------


def test_cold_pypi_runs_only_when_named_or_when_pypi_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "cold-pypi" in ALL and "cold-pypi" not in DEFAULT
    assert [name for name in ALL if name != "cold-pypi"] == DEFAULT
    assert ALL[-3:] == [DISK, MANY_VENVS, RECLAIM]
    monkeypatch.setattr(harness, "pypi_reachable", lambda: True)
    assert parse_args([]).scenarios == [*DEFAULT, "cold-pypi"]
    monkeypatch.setattr(harness, "pypi_reachable", lambda: False)
    assert parse_args([]).scenarios == DEFAULT
    assert parse_args(["--scenarios", "cold-pypi"]).scenarios == ["cold-pypi"]


def test_scenarios_and_tools_are_taken_in_the_order_given() -> None:
    args = parse_args(["--scenarios", "noop,cold", "--tools", "uv,pinst", "--rounds", "3"])
    assert (args.scenarios, args.tools, args.rounds) == (["noop", "cold"], ["uv", "pinst"], 3)
    assert command_line(args) == (
        "python -m benchmarks.harness --set bench --scenarios noop,cold --rounds 3 --venvs 20 "
        "--tools uv,pinst"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scenarios", "warm,tepid"], "unknown scenarios: tepid"),
        (["--scenarios", "warm", "--rounds", "0"], "--rounds must be at least 1"),
    ],
)
def test_an_unknown_scenario_or_no_rounds_is_refused(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(arguments)
    assert message in capsys.readouterr().err


def test_another_checkout_in_the_run_leaves_the_docs_alone() -> None:
    assert not parse_args(["--scenarios", "warm"]).no_write
    assert parse_args(["--scenarios", "warm", "--tools", "pinst,change=../wt"]).no_write


def test_the_notes_speak_only_of_the_tools_and_scenarios_that_ran() -> None:
    notes = " ".join(general_notes(["pinst", "uv"], ["warm"]))
    assert "pinst links" in notes and "uv runs with `--link-mode hardlink`" in notes
    assert "pip" not in notes and "compile:" not in notes and "many-venvs" not in notes
    assert any(note.startswith("compile:") for note in general_notes(["pip"], ["compile"]))
    assert any("many-venvs" in note for note in general_notes(["uv"], [MANY_VENVS]))


def test_each_set_keeps_its_wheels_in_its_own_folder(tmp_path: Path) -> None:
    assert wheels_directory(tmp_path, "bench") == tmp_path / "wheels"
    assert wheels_directory(tmp_path, "data") == tmp_path / "wheels-data"


# -- The machine --------------------------------------------------------------------------------


def test_the_machine_is_described_in_one_line() -> None:
    machine = Machine(2, "AMD EPYC", "6.18", "ext4 (rw,relatime)", "3.11.7", "1.22.1")
    assert machine.describe() == (
        "2 cores (AMD EPYC), Linux 6.18, ext4 (rw,relatime), Python 3.11.7, nginx 1.22.1"
    )


def test_the_filesystem_is_the_innermost_mount_without_valued_options() -> None:
    described = filesystem_of(Path("/proc/self"))
    assert described.startswith("proc (")
    assert "=" not in described


def test_nginx_version_is_read_from_what_it_prints_on_standard_error(tmp_path: Path) -> None:
    fake = tmp_path / "nginx"
    fake.write_text("#!/bin/sh\necho 'nginx version: nginx/1.22.1' >&2\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert nginx_version(str(fake)) == "1.22.1"


# -- Measuring disk -----------------------------------------------------------------------------


def test_a_hard_linked_file_is_counted_once(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "blob").write_bytes(os.urandom(256 * 1024))
    alone = tree_bytes([one])
    os.link(one / "blob", two / "blob")
    assert tree_bytes([one, two]) == alone + os.lstat(two).st_blocks * 512
    (two / "copy").write_bytes((one / "blob").read_bytes())
    assert tree_bytes([one, two]) >= alone + 256 * 1024


def test_a_log_shows_only_its_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("".join(f"line {number}\n" for number in range(50)))
    assert tail(log, lines=2) == "line 48\nline 49"
