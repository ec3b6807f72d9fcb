"""The results of a run, as markdown tables, and their place in docs/benchmarks.md."""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.machine import Machine
from benchmarks.scenarios import Scenario

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
MISSING = "—"
WIDTH = 99  # the page's prose is wrapped at 100 columns
OTHER_TOOLS = ("uv", "pip")  # any other tool is a build of pinst


@dataclass(frozen=True)
class Install:
    """One timed install."""

    seconds: float
    peak_rss_kib: int
    requests: int  # served by the local index during the install
    venv_bytes: int | None = None  # what the venv's filesystem lost (tmpfs only)


@dataclass
class ScenarioResult:
    scenario: Scenario
    installs: dict[str, list[Install]]  # per tool, one per round
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """One tool's N installs, one after another, from an empty cache."""

    seconds: float  # the sum of the installs' times
    peak_rss_kib: int  # the largest of the installs'
    disk_bytes: int  # the venvs and the tool's cache on their filesystem, hard links once


@dataclass
class ManyVenvsResult:
    where: str  # where the venvs were: "beside the cache" or "on a tmpfs"
    venvs: int
    batches: dict[str, Batch]  # per tool
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reclaimed:
    """One deduplicator's run over its own copy of the same venvs."""

    seconds: float
    peak_rss_kib: int
    freed_bytes: int  # du before less du after (the copy and any cache it moved files into)


@dataclass
class ReclaimResult:
    venvs: int  # made by each of pip and uv (--link-mode copy)
    before_bytes: int  # du of one copy before any deduplication
    runs: dict[str, Reclaimed]  # "pinst reclaim", "hardlink"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    date: str
    commit: str
    machine: Machine
    versions: dict[str, str]  # tool -> version, pinst's being the commit
    rounds: int
    command: str
    timed: list[ScenarioResult]
    disk: dict[str, int]  # tool -> bytes used by its cache and ten venvs
    notes: list[str]
    many: list[ManyVenvsResult] = field(default_factory=list)
    reclaim: ReclaimResult | None = None

    @property
    def tools(self) -> list[str]:
        return list(self.versions)


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def mebibytes(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def median_of(installs: list[Install], value: Callable[[Install], float | None]) -> float | None:
    values = [v for v in map(value, installs) if v is not None]
    return statistics.median(values) if values else None


def per_round_ratios(result: ScenarioResult, tool: str, other: str) -> list[float]:
    """tool's time over other's, round by round; none unless both ran every round."""
    mine, theirs = result.installs.get(tool, []), result.installs.get(other, [])
    if not mine or len(mine) != len(theirs):
        return []
    return [a.seconds / b.seconds for a, b in zip(mine, theirs, strict=True)]


def ratio(result: ScenarioResult, tool: str, other: str) -> str:
    """tool's median time over other's, in bold: the ratio of medians that the goals of
    issue 4 are set in."""
    mine = median_of(result.installs.get(tool, []), lambda i: i.seconds)
    theirs = median_of(result.installs.get(other, []), lambda i: i.seconds)
    if mine is None or not theirs:
        return MISSING
    return f"**{mine / theirs:.2f}**"


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return [row(header), row(rule), *map(row, rows), ""]


def per_tool_table(
    run: Run,
    first: str,
    value: Callable[[Install], float | None],
    show: Callable[[float], str],
    local_only: bool = False,
) -> list[str]:
    rows = []
    for result in run.timed:
        if local_only and result.scenario.pypi:
            continue
        medians = [median_of(result.installs.get(tool, []), value) for tool in run.tools]
        if any(m is not None for m in medians):
            cells = [MISSING if m is None else show(m) for m in medians]
            rows.append([result.scenario.title, *cells])
    return table([first, *run.tools], rows) if rows else []


def compared(run: Run) -> list[tuple[str, str]]:
    """The (tool, other) pairs a ratio is given for: each build of pinst over uv and pip, and
    each other checkout of pinst (an A/B of a change) over this one."""
    builds = [tool for tool in run.tools if tool not in OTHER_TOOLS]
    others = [tool for tool in OTHER_TOOLS if tool in run.tools]
    pairs = [(build, other) for build in builds for other in others]
    if "pinst" in builds:
        pairs += [(build, "pinst") for build in builds if build != "pinst"]
    return pairs


def time_table(run: Run) -> list[str]:
    if not run.timed:
        return []  # only many-venvs, reclaim or disk ran: they have tables of their own
    pairs = compared(run)
    rows = []
    for result in run.timed:
        medians = [
            median_of(result.installs.get(tool, []), lambda i: i.seconds) for tool in run.tools
        ]
        cells = [MISSING if m is None else seconds(m) for m in medians]
        rows.append([result.scenario.title, *cells, *(ratio(result, *pair) for pair in pairs)])
    return table(["scenario", *run.tools, *(f"{a}/{b}" for a, b in pairs)], rows)


def rounds_table(run: Run) -> list[str]:
    """Each round's ratio of each compared pair, and their median: how much the machine's noise
    moved the figures within the run."""
    rows = []
    for result in run.timed:
        for tool, other in compared(run):
            ratios = per_round_ratios(result, tool, other)
            if ratios:
                listed = ", ".join(f"{value:.2f}" for value in ratios)
                median = f"{statistics.median(ratios):.2f}"
                rows.append([result.scenario.title, f"{tool}/{other}", listed, median])
    if not rows:
        return []
    header = ["scenario", "ratio", "each round", "median"]
    return ["Per-round ratios, in the order of the rounds:", "", *table(header, rows)]


def disk_table(run: Run) -> list[str]:
    rows = []
    for result in run.timed:
        if result.scenario.tmpfs:
            medians = [
                median_of(result.installs.get(t, []), lambda i: i.venv_bytes) for t in run.tools
            ]
            cells = [MISSING if m is None else mebibytes(m) for m in medians]
            rows.append(["each new venv on the tmpfs (cross-fs)", *cells])
    if run.disk:
        cells = [mebibytes(run.disk[t]) if t in run.disk else MISSING for t in run.tools]
        rows.append(["the cache and ten venvs beside it (disk)", *cells])
    return table(["disk used", *run.tools], rows) if rows else []


def ratio_of(values: dict[str, float], tool: str = "pinst", other: str = "uv") -> str:
    if tool not in values or not values.get(other):
        return MISSING
    return f"**{values[tool] / values[other]:.2f}**"


def many_venvs_table(run: Run) -> list[str]:
    """Per tool, the total time, disk and peak memory of N venvs; pinst/uv for time and disk."""
    rows = []
    for result in run.many:
        if not result.batches:
            continue
        where = f"{result.venvs} venvs {result.where}"
        times = {tool: batch.seconds for tool, batch in result.batches.items()}
        disks = {tool: float(batch.disk_bytes) for tool, batch in result.batches.items()}
        peaks = {tool: batch.peak_rss_kib * 1024.0 for tool, batch in result.batches.items()}
        for label, values, show, with_ratio in (
            ("time", times, seconds, True),
            ("disk", disks, mebibytes, True),
            ("peak memory", peaks, mebibytes, False),
        ):
            cells = [show(values[t]) if t in values else MISSING for t in run.tools]
            rows.append([f"{label}, {where}", *cells, ratio_of(values) if with_ratio else ""])
    if not rows:
        return []
    header = ["many-venvs: in total", *run.tools, "pinst/uv"]
    return [
        "Many venvs of the set, one after another, from an empty cache:",
        "",
        *table(header, rows),
    ]


def reclaim_table(run: Run) -> list[str]:
    result = run.reclaim
    if result is None or not result.runs:
        return []
    rows = [
        [name, seconds(r.seconds), mebibytes(r.peak_rss_kib * 1024), mebibytes(r.freed_bytes)]
        for name, r in result.runs.items()
    ]
    text = (
        f"reclaim: {result.venvs} venvs by pip and {result.venvs} by uv --link-mode copy, "
        f"{mebibytes(result.before_bytes)} in all, copied once for each deduplicator:"
    )
    header = ["reclaim", "time", "peak memory", "freed"]
    return [textwrap.fill(text, WIDTH, break_on_hyphens=False), "", *table(header, rows)]


def intro(run: Run) -> list[str]:
    others = ", ".join(f"{tool} {run.versions[tool]}" for tool in run.tools if tool != "pinst")
    rounds = f"{run.rounds} round{'s' if run.rounds > 1 else ''}"
    text = (
        f"Measured on {run.date} at pinst commit `{run.commit}`, on {run.machine.describe()}"
        + (f"; against {others}. " if others else ". ")
        + f"Each scenario is one interleaved run of {rounds} ({', '.join(run.tools)}, in "
        "turn), each install into a fresh venv made untimed just before, every tool installing "
        "from the same index (the local nginx one; PyPI for cold-pypi). Times and peak memory "
        "are medians; a ratio is pinst's median time over the other tool's (below 1: pinst is "
        "faster), and the per-round ratios follow the table."
    )
    return [
        textwrap.fill(text, WIDTH, break_on_hyphens=False),
        "",
        f"    {run.command}",
        "",
    ]


def markdown(run: Run) -> str:
    lines = intro(run) + time_table(run) + rounds_table(run)
    memory = per_tool_table(run, "peak memory", lambda i: i.peak_rss_kib * 1024, mebibytes)
    if memory:
        lines += ["Peak memory: the resident set of the largest process of each install.", ""]
        lines += memory
    lines += disk_table(run)
    lines += many_venvs_table(run)
    lines += reclaim_table(run)
    requests = per_tool_table(
        run, "requests to the index", lambda i: i.requests, "{:.0f}".format, local_only=True
    )
    if requests:
        lines += ["Requests each install made to the local index:", "", *requests]
    notes = run.notes + [f"{r.scenario.name}: {note}" for r in run.timed for note in r.notes]
    notes += [f"many-venvs {m.where}: {note}" for m in run.many for note in m.notes]
    notes += [f"reclaim: {note}" for note in (run.reclaim.notes if run.reclaim else [])]
    lines += [
        textwrap.fill(
            note, WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False
        )
        for note in notes
    ]
    return "\n".join(lines).rstrip() + "\n"


def write_into(page: Path, block: str) -> None:
    """Replace what is between the page's bench markers with `block`."""
    text = page.read_text()
    before, start, rest = text.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{page} lacks the markers {START} and {END}")
    page.write_text(f"{before}{START}\n{block}{END}{after}")
