"""Benchmark pinst against uv and pip: interleaved rounds, medians and ratios, a table in the docs.

Every tool installs benchmarks/requirements-bench.txt (109 pinned wheels, 448 MB installed)
from one local PEP 503 index that nginx serves on 127.0.0.1. Each round runs every tool in turn
(pinst, uv, pip, pinst, ...), each into a fresh venv made untimed just before, so the machine's
noise falls on all of them alike; the report gives medians, the ratio of pinst's median to each
other tool's, and the per-round ratios.

Scenarios:
  cold      every tool's cache emptied before each timed install (pip: --no-cache-dir)
  warm      every cache filled before the rounds; venvs on the same disk (hard links)
  compile   warm, with --compile-bytecode (pip compiles unless told --no-compile)
  noop      the venv already has everything: the second install is timed
  cross-fs  warm, venvs on a tmpfs the harness mounts (root only); also disk per venv
  disk      per tool: the disk used by its cache and ten venvs, hard links counted once
  cold-pypi as cold, from PyPI instead of the local index (only when named: it measures the
            network too, and needs it)
  reclaim   pinst reclaim against util-linux hardlink -t, each on its own copy of venvs that
            pip filled: bytes freed and time (only when named; needs the pinst and pip tools)

Nothing is deleted until the run ends: on this ext4, deleting venvs slowed the next installs
two to four times. Needs nginx and GNU time (apt-get install nginx time); `nox -s bench`
installs them and runs the harness, as root. The wheels are downloaded once into
~/.cache/pinst-bench/wheels, beside the harness's own up-to-date pip.

    python benchmarks/harness.py --scenarios cold,warm,noop --rounds 3 --no-write

To measure a change, name another checkout of pinst as a tool (NAME=PATH): it runs in every
round beside this one, and the report adds NAME/pinst. Such a run is only printed.

    python benchmarks/harness.py --scenarios cold --rounds 7 --tools pinst,change=../wt,uv
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
from pathlib import Path

from local_index import LocalIndex, download_wheels, serve
from machine import this_machine
from measure import GNU_TIME, CommandFailed, filesystem_used_bytes, run_timed, tree_bytes
from reclaim_bench import Reclaimed, reclaim_note, run_reclaim
from report import Install, Run, ScenarioResult, markdown, write_into
from scenarios import (
    ALL,
    DEFAULT,
    DISK,
    PYPI,
    RECLAIM,
    TIMED,
    Scenario,
    can_mount,
    make_venv,
    remove,
    settle,
    venv_root,
)
from tools import WORKLOAD, Job, Tool, git_commit, make_tools, newest_pip

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
DISK_VENVS = 10


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    """The tools, the index and the work directory one run shares across its scenarios."""

    def __init__(self, tools: list[Tool], index: LocalIndex, work: Path, log: Path) -> None:
        self.tools = tools
        self.index = index
        self.work = work
        self.log = log

    def install(self, tool: Tool, job: Job) -> Install:
        requests = self.index.requests()
        sample = run_timed(tool.command(job), tool.environment(), self.log)
        return Install(sample.seconds, sample.peak_rss_kib, self.index.requests() - requests)

    def job(self, scenario: Scenario, tool: Tool, root: Path, label: str) -> Job:
        """The venv `label` of this tool under `root`, and the tool's cache for the scenario.

        Nothing is deleted until the run ends (on this ext4, deleting a venv slowed the next
        installs two to four times), so `cold` gets a new, empty cache for every install.
        """
        cache = f"{tool.name}-{label}" if scenario.cold else tool.name
        return Job(
            venv=root / f"{tool.name}-{label}",
            cache=self.work / f"{scenario.name}-caches" / cache,
            index_url=PYPI if scenario.pypi else self.index.url,
            compile=scenario.compile,
            use_cache=not scenario.cold,
        )

    def timed_round(self, scenario: Scenario, tool: Tool, root: Path, number: int) -> Install:
        """Untimed: a fresh venv (for noop, with a first install); then the timed install."""
        job = self.job(scenario, tool, root, str(number))
        make_venv(job.venv)
        if scenario.noop:
            self.install(tool, job)
        settle()
        before = filesystem_used_bytes(root) if scenario.tmpfs else 0
        install = self.install(tool, job)
        if scenario.tmpfs:
            venv_bytes = filesystem_used_bytes(root) - before
            install = Install(install.seconds, install.peak_rss_kib, install.requests, venv_bytes)
        return install

    def warm_up(self) -> None:
        """One untimed install per tool, from an empty cache, before the first scenario.

        It compiles each tool's own modules and reads the wheels into the page cache, so the
        first timed round pays neither.
        """
        scenario = Scenario("warm-up", "warm-up", cold=True)
        for tool in self.tools:
            job = self.job(scenario, tool, self.work, "warm-up")
            self.install(tool, Job(make_venv(job.venv), job.cache, job.index_url))

    def scenario(self, scenario: Scenario, rounds: int) -> ScenarioResult:
        result = ScenarioResult(scenario, {})
        if scenario.tmpfs and (why := can_mount()):
            result.notes.append(f"skipped: {why}")
            say(f"{scenario.name}: skipped: {why}")
            return result
        tools = []
        for tool in self.tools:
            why = tool.can_compile() if scenario.compile else None
            if why:
                result.notes.append(f"{tool.name} skipped: {why}")
                say(f"{scenario.name}: {tool.name} skipped: {why}")
            else:
                tools.append(tool)
                result.installs[tool.name] = []
        with venv_root(scenario, self.work) as root:
            if not scenario.cold:
                for tool in tools:  # fill each cache, untimed
                    job = self.job(scenario, tool, root, "fill")
                    make_venv(job.venv)
                    self.install(tool, job)
            for number in range(rounds):
                for tool in tools:
                    install = self.timed_round(scenario, tool, root, number)
                    result.installs[tool.name].append(install)
                    say(
                        f"{scenario.name} round {number + 1}/{rounds} {tool.name}: "
                        f"{install.seconds:.2f} s, {install.peak_rss_kib // 1024} MiB, "
                        f"{install.requests} requests"
                    )
        return result

    def disk(self) -> dict[str, int]:
        """Per tool, from an empty cache: install into ten venvs, then count cache + venvs."""
        used = {}
        scenario = Scenario(DISK, DISK)
        for tool in self.tools:
            jobs = [self.job(scenario, tool, self.work / DISK, str(n)) for n in range(DISK_VENVS)]
            for job in jobs:
                self.install(tool, Job(make_venv(job.venv), job.cache, job.index_url))
            cache = jobs[0].cache
            venvs = [job.venv for job in jobs]
            used[tool.name] = tree_bytes([cache, *venvs] if cache.exists() else venvs)
            say(f"disk {tool.name}: {used[tool.name] / 2**20:,.0f} MiB")
        return used


def reclaim_scenario(bench: Bench) -> list[Reclaimed]:
    """pinst reclaim and hardlink -t on copies of venvs that pip filled (reclaim_bench.py)."""
    tools = {tool.name: tool for tool in bench.tools}
    if "pip" not in tools or "pinst" not in tools:
        say("reclaim: skipped: it needs the pinst and pip tools")
        return []
    pip_cache = bench.work / "reclaim-pip-cache"

    def fill(venv: Path) -> None:
        bench.install(tools["pip"], Job(make_venv(venv), pip_cache, bench.index.url))

    return run_reclaim(fill, tools["pinst"], bench.work, bench.index.url, bench.log)


def check_free_space(work_root: Path, rounds: int) -> None:
    """Warn when the work disk may fill up: nothing is deleted until the run ends, and all
    scenarios with all three tools keep about 14 GB plus 3.5 GB a round (mostly pip's copies)."""
    needed = (14 + 3.5 * rounds) * 2**30
    free = shutil.disk_usage(work_root).free
    if free < needed:
        say(
            f"warning: a full run keeps up to {needed / 2**30:.0f} GB in {work_root}, "
            f"which has {free / 2**30:.0f} GB free (fewer rounds or --work-root elsewhere)"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(DEFAULT),
        help=f"comma-separated, from {','.join(ALL)} (default: all but cold-pypi)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per scenario (default: 5)")
    parser.add_argument(
        "--tools",
        default="pinst,uv,pip",
        help="comma-separated, in round order (default: all); NAME=PATH adds another checkout "
        "of pinst, to compare a change with this one",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table, leave docs/benchmarks.md alone"
    )
    parser.add_argument(
        "--work-root",
        type=Path,
        default=Path("/var/tmp"),
        help="where the caches and venvs go; its disk is the one measured (default: /var/tmp)",
    )
    args = parser.parse_args(argv)
    args.scenarios = args.scenarios.split(",")
    args.tools = args.tools.split(",")
    unknown = [name for name in args.scenarios if name not in ALL]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)} (choose from {', '.join(ALL)})")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if any("=" in tool for tool in args.tools):
        args.no_write = True  # the docs' table compares this checkout with uv and pip only
    return args


def cache_home() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "pinst-bench"


def command_line(args: argparse.Namespace) -> str:
    return (
        f"python benchmarks/harness.py --scenarios {','.join(args.scenarios)} "
        f"--rounds {args.rounds} --tools {','.join(args.tools)}"
    )


def general_notes(tools: list[str], scenarios: list[str]) -> list[str]:
    notes = []
    if "compile" in scenarios:
        notes.append(
            "compile: each cache was filled by a compiling install; pinst keeps the `.pyc` "
            "files in its cache and links them, uv and pip compile in every venv."
        )
    if "pinst" in tools:
        notes.append("pinst links with its default `--link-mode auto` (hard links here).")
    if "uv" in tools:
        notes.append("uv runs with `--link-mode hardlink`; across filesystems it copies.")
    if "pip" in tools:
        notes.append(
            "pip has no link modes: it always copies. It gets `--no-compile` but in compile, "
            "and, from the local index, `--trusted-host 127.0.0.1`, without which it caches "
            "nothing from an http:// index."
        )
    return notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        raise SystemExit("nginx not found: apt-get install nginx (nox -s bench does, as root)")
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(f"{GNU_TIME} not found: apt-get install time (nox -s bench does, as root)")
    check_free_space(args.work_root, args.rounds)
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    pip = newest_pip(home)
    wheels = download_wheels(pip, WORKLOAD, home / "wheels")
    tools = make_tools(args.tools, pip)
    versions = {tool.name: tool.version() for tool in tools}  # pinst's: the commit measured
    log = home / "last-run.log"
    log.write_text("")
    work = Path(tempfile.mkdtemp(prefix="pinst-bench-", dir=args.work_root))
    try:
        machine = this_machine(work, nginx)
        with serve(wheels, nginx) as index:
            say(f"serving {len(wheels)} wheels at {index.url}; tool output in {log}")
            bench = Bench(tools, index, work, log)
            bench.warm_up()
            timed = [bench.scenario(TIMED[n], args.rounds) for n in args.scenarios if n in TIMED]
            disk = bench.disk() if DISK in args.scenarios else {}
            reclaimed = reclaim_scenario(bench) if RECLAIM in args.scenarios else []
    except CommandFailed as error:
        raise SystemExit(f"{error}\n(the whole output is in {log})") from None
    finally:
        remove(work)
    run = Run(
        date=datetime.date.today().isoformat(),
        commit=versions.get("pinst") or git_commit(),
        machine=machine,
        versions=versions,
        rounds=args.rounds,
        command=command_line(args),
        timed=timed,
        disk=disk,
        notes=[
            *general_notes(args.tools, args.scenarios),
            *([reclaim_note(reclaimed)] if reclaimed else []),
        ],
    )
    block = markdown(run)
    print(block)
    if not args.no_write:
        write_into(DOCS_PAGE, block)
        say(f"wrote the figures into {DOCS_PAGE}")


if __name__ == "__main__":
    main()
