"""What a person at a terminal sees, and what a log gets: progress bars, colour, -v, -q.

pinst runs in a real subprocess with its stderr on a real pseudo-terminal (tests/support/
terminal.py) or on a pipe, against a real index on 127.0.0.1. The index holds back one wheel
for a moment so that the downloading phase lasts long enough for its bar to appear.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.index_server import Fault, IndexServer, file_path
from tests.support.runner import Pinst
from tests.support.terminal import run_on_terminal
from tests.support.wheels import build_wheel

ERASE_LINE = "\r\x1b[2K"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
ANY_ESCAPE = re.compile(r"\x1b\[")
SLOW = 1.0  # seconds the index holds back one wheel: longer than the bars' delay


@pytest.fixture
def slow_index(server: IndexServer) -> IndexServer:
    """Three projects; the largest wheel is held back, so downloading takes a second."""
    build_wheel(server.directory, "alpha", "1.0", files={"alpha/__init__.py": "A = 1\n"})
    build_wheel(server.directory, "beta", "2.0")
    slow = build_wheel(server.directory, "gamma", "3.0", files={"gamma/data.txt": "g" * 50_000})
    server.inject(file_path(slow.name), Fault(stall=SLOW))
    return server


PINS = ["alpha==1.0", "beta==2.0", "gamma==3.0"]


def install_args(server: IndexServer, venv: Path, *extra: str) -> list[str | Path]:
    return ["install", *PINS, "--venv", venv, "-i", server.url, *extra]


def terminal_env(pinst: Pinst, **extra: str) -> dict[str, str]:
    env = {**pinst.env, "TERM": "xterm-256color", **extra}
    for name in ("CI", "NO_COLOR", "FORCE_COLOR"):
        if name not in extra:
            env.pop(name, None)
    return env


def without_escapes(text: str) -> str:
    """The text as it ends up on the screen, roughly: bars erased, colour dropped."""
    lines = COLOUR.sub("", text).replace("\r\n", "\n").split("\n")
    lines = [line.rsplit("\r", 1)[-1] for line in lines]
    return "\n".join(line.replace("\x1b[2K", "") for line in lines)


def test_a_terminal_gets_progress_bars_that_are_erased(
    pinst: Pinst, slow_index: IndexServer, tmp_path: Path
) -> None:
    status, shown, _ = run_on_terminal(
        install_args(slow_index, tmp_path / "venv"), terminal_env(pinst), pinst.cwd, columns=160
    )
    assert status == 0, shown
    plain = COLOUR.sub("", shown)
    assert re.search(r"Downloading ━*╌* \d/3 wheels", plain), plain  # room for every word
    # Every bar is erased before the summary: no bar is left on the screen.
    summary = without_escapes(shown)
    assert "Downloading" not in summary and "━" not in summary, summary
    for pin in PINS:
        assert f"+ {pin}" in summary
    assert re.search(r"Installed 3 packages in \d", summary)


def drawn_lines(shown: str) -> list[str]:
    """Each state of the progress line as drawn: the text after each erase, colour dropped."""
    plain = COLOUR.sub("", shown)
    return [part.split("\r\n")[0] for part in plain.split(ERASE_LINE)[1:] if part.strip()]


def test_at_80_columns_the_progress_line_fits_and_shows_bytes_and_speed(
    pinst: Pinst, slow_index: IndexServer, tmp_path: Path
) -> None:
    status, shown, _ = run_on_terminal(
        install_args(slow_index, tmp_path / "venv"), terminal_env(pinst), pinst.cwd, columns=80
    )
    assert status == 0, shown
    lines = drawn_lines(shown)
    assert lines, shown
    assert all(len(line) < 80 for line in lines), lines
    transfer = re.compile(r"\d+(\.\d)?/\d+(\.\d)? (B|KiB|MiB) [\d.]+ (B|KiB|MiB|GiB)/s")
    # Nothing is cut: the downloads' bytes of their total, their speed, and the unpacking count.
    complete = [
        line for line in lines if transfer.search(line) and re.search(r"Unpack.* \d/3", line)
    ]
    assert complete, lines


@pytest.mark.parametrize(
    ("env", "flags"),
    [
        ({"CI": "true"}, []),
        ({"PINST_NO_PROGRESS": "1"}, []),
        ({}, ["--no-progress"]),
    ],
    ids=["CI", "PINST_NO_PROGRESS", "--no-progress"],
)
def test_no_bars_in_ci_or_when_turned_off(
    pinst: Pinst,
    slow_index: IndexServer,
    tmp_path: Path,
    env: dict[str, str],
    flags: list[str],
) -> None:
    status, shown, _ = run_on_terminal(
        install_args(slow_index, tmp_path / "venv", *flags), terminal_env(pinst, **env), pinst.cwd
    )
    assert status == 0, shown
    assert "Downloading" not in shown and ERASE_LINE not in shown
    # Plain lines still say what happened.
    plain = COLOUR.sub("", shown)
    assert "Prepared 3 packages in" in plain and "Installed 3 packages in" in plain


def test_quiet_on_a_terminal_prints_nothing(
    pinst: Pinst, slow_index: IndexServer, tmp_path: Path
) -> None:
    status, shown, _ = run_on_terminal(
        install_args(slow_index, tmp_path / "venv", "-q"), terminal_env(pinst), pinst.cwd
    )
    assert (status, shown) == (0, "")


def test_colour_on_a_terminal_only_and_never_with_no_color(
    pinst: Pinst, slow_index: IndexServer, tmp_path: Path
) -> None:
    _, coloured, _ = run_on_terminal(
        ["install", "alpha==1.0", "--venv", tmp_path / "a", "-i", slow_index.url],
        terminal_env(pinst),
        pinst.cwd,
    )
    assert "\x1b[32m+\x1b[0m" in coloured  # a green "+"
    _, no_color, _ = run_on_terminal(
        ["install", "alpha==1.0", "--venv", tmp_path / "b", "-i", slow_index.url],
        terminal_env(pinst, NO_COLOR="1"),
        pinst.cwd,
    )
    assert not COLOUR.search(no_color), no_color
    assert "+ alpha==1.0" in no_color


def test_a_log_gets_plain_lines(pinst: Pinst, slow_index: IndexServer, tmp_path: Path) -> None:
    """stderr into a pipe (a CI log): no bar, no colour, no escape code at all."""
    run = pinst(*install_args(slow_index, tmp_path / "venv"), env={"TERM": "xterm"})
    assert not ANY_ESCAPE.search(run.stderr), run.stderr
    assert "Prepared 3 packages in" in run.stderr and "+ gamma==3.0" in run.stderr


def test_force_color_colours_a_log(pinst: Pinst, slow_index: IndexServer, tmp_path: Path) -> None:
    run = pinst(
        "install", "beta==2.0", "--venv", tmp_path / "venv", "-i", slow_index.url,
        env={"FORCE_COLOR": "1"},
    )  # fmt: skip
    assert "\x1b[32m+\x1b[0m" in run.stderr
    assert "Downloading" not in run.stderr  # colour, yet still no bars in a pipe


def test_an_error_is_red_on_a_terminal(pinst: Pinst, tmp_path: Path) -> None:
    status, shown, _ = run_on_terminal(
        ["install", "-r", tmp_path / "missing.txt", "--venv", tmp_path / "venv"],
        terminal_env(pinst),
        pinst.cwd,
    )
    assert status != 0
    assert shown.startswith("\x1b[1;31merror:\x1b[0m "), shown
    assert "missing.txt" in shown


def test_verbose_shows_cache_hits_link_mode_and_timings(
    pinst: Pinst, slow_index: IndexServer, tmp_path: Path
) -> None:
    first = pinst(*install_args(slow_index, tmp_path / "one", "-v")).stderr
    assert "alpha==1.0: not in the cache, downloaded and unpacked (alpha-1.0-py3-none-any.whl)" in (
        first
    )
    second = pinst(*install_args(slow_index, tmp_path / "two", "-v")).stderr
    assert "alpha==1.0: cache hit, already unpacked (alpha-1.0-py3-none-any.whl)" in second
    assert "Prepared" not in second  # nothing was downloaded or unpacked
    assert re.search(r"^Linking with (hardlink|reflink) from .*entries-v1", second, re.MULTILINE)
    phases = re.search(r"^Time per phase: (.*)$", second, re.MULTILINE)
    assert phases and "link " in phases[1] and "record " in phases[1], second


def test_json_report_gives_time_per_phase_and_downgrades(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "delta", "2.0")
    build_wheel(server.directory, "delta", "1.5")
    venv = tmp_path / "venv"
    pinst("install", "delta==2.0", "--venv", venv, "-i", server.url)
    run = pinst("install", "delta==1.5", "--venv", venv, "-i", server.url, "--json")
    report = json.loads(run.stdout)
    (entry,) = report["packages"]
    assert (entry["action"], entry["previous_version"]) == ("downgraded", "2.0")
    timings = report["timings_seconds"]
    assert {"plan", "fetch", "link", "record"} <= set(timings)
    assert all(isinstance(took, float) and took >= 0 for took in timings.values())


def test_times_under_a_second_are_in_milliseconds(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "quick", "1.0")
    run = pinst("install", "quick==1.0", "--venv", tmp_path / "venv", "-i", server.url)
    prepared = re.search(r"Prepared 1 package in (\S+)\n", run.stderr)
    installed = re.search(r"Installed 1 package in (\S+)\n", run.stderr)
    assert prepared and installed, run.stderr
    for took in (prepared[1], installed[1]):
        assert re.fullmatch(r"\d+ms|[1-9]\d*\.\d\ds", took), took  # never "0.54s"


@pytest.mark.parametrize("columns", [80, 100, 120, 200])
def test_a_large_set_keeps_every_count_on_the_line(columns: int) -> None:
    import io

    from pinst.output.progress import Display, fitted_line

    display = Display(io.StringIO())
    finding, downloading, unpacking = (
        display.bar(label, 109, "wheels") for label in ("Finding", "Downloading", "Unpacking")
    )
    finding.done, downloading.done, unpacking.done = 109, 40, 12
    downloading.bytes, downloading.total_bytes = 50_000_000, 130_000_000
    downloading.started -= 6  # about 8 MiB/s

    line = fitted_line([finding, downloading, unpacking], columns - 1)

    assert len(line) < columns
    assert re.search(r"109/109 .*40/109 .*47\.7/124\.0 MiB [\d.]+ \w+/s .*━*╌+ 12/109", line), line
