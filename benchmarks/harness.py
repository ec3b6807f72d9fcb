"""Benchmark pinst against uv and pip: interleaved rounds, medians and ratios, a table in the docs.

Every tool installs one set of pinned wheels, benchmarks/requirements-bench.txt (109 wheels;
the default, `--set bench`) or benchmarks/requirements-data.txt (127 wheels
of a data-science stack pinst was not tuned on, `--set data`), from one local PEP 503 index
that nginx serves on 127.0.0.1. Each round runs every tool in turn
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
  cold-pypi as cold, from PyPI instead of the local index (by default only when PyPI answers
            a HEAD request within 3 s: it measures the network too)
  many-venvs per tool, from an empty cache: --venvs venvs one after another, beside the cache
            and again on a tmpfs; total time, disk and peak memory (uv links as by default)
  reclaim   --venvs venvs by pip and by uv --link-mode copy, copied twice: `pinst reclaim` on
            one copy, util-linux `hardlink -t` on the other; time, memory and bytes freed

Nothing is deleted until the run ends: on an ext4 without a journal, deleting venvs slows the
next installs of every tool (docs/internals/benchmark-history.md says by how much, and why).
Needs nginx and GNU time (apt-get install nginx time); `nox -s bench` installs them and runs the
harness, as root. The wheels are downloaded once into ~/.cache/pinst-bench/wheels, beside the
harness's own up-to-date pip.

    python -m benchmarks.harness --scenarios cold,warm,noop --rounds 3 --no-write
    python -m benchmarks.harness --set data --scenarios many-venvs,reclaim --venvs 20 --no-write

To measure a change, name another checkout of pinst as a tool (NAME=PATH): it runs in every
round beside this one, and the report adds NAME/pinst. Such a run is only printed.

    python -m benchmarks.harness --scenarios cold --rounds 7 --tools pinst,change=../wt,uv
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.local_index import LocalIndex, download_wheels, nginx_executable, serve
from benchmarks.machine import this_machine
from benchmarks.measure import (
    GNU_TIME,
    CommandFailed,
    filesystem_used_bytes,
    run_quiet,
    run_timed,
    tree_bytes,
)
from benchmarks.report import (
    Batch,
    Install,
    ManyVenvsResult,
    Reclaimed,
    ReclaimResult,
    Run,
    ScenarioResult,
    markdown,
    write_into,
)
from benchmarks.scenarios import (
    ALL,
    DEFAULT,
    DISK,
    MANY_VENVS,
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
from benchmarks.tools import DEFAULT_SET, SETS, Job, Pinst, Tool, git_commit, make_tools, newest_pip

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
DISK_VENVS = 10


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    """The tools, the index and the work directory one run shares across its scenarios."""

    def __init__(
        self, tools: list[Tool], index: LocalIndex, work: Path, log: Path, requirements: Path
    ) -> None:
        self.tools = tools
        self.index = index
        self.work = work
        self.log = log
        self.requirements = requirements

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
            requirements=self.requirements,
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
            self.install(tool, replace(job, venv=make_venv(job.venv)))

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
                self.install(tool, replace(job, venv=make_venv(job.venv)))
            cache = jobs[0].cache
            venvs = [job.venv for job in jobs]
            used[tool.name] = tree_bytes([cache, *venvs] if cache.exists() else venvs)
            say(f"disk {tool.name}: {used[tool.name] / 2**20:,.0f} MiB")
        return used

    def many_venvs(self, count: int, on_tmpfs: bool) -> ManyVenvsResult:
        """Per tool, from an empty cache: `count` venvs one after another, beside the cache or
        on a tmpfs. uv links as it does by default (what a user gets)."""
        name = f"{MANY_VENVS}-tmpfs" if on_tmpfs else MANY_VENVS
        scenario = Scenario(name, name, tmpfs=on_tmpfs)
        result = ManyVenvsResult("on a tmpfs" if on_tmpfs else "beside the cache", count, {})
        if on_tmpfs and (why := can_mount()):
            result.notes.append(f"skipped: {why}")
            return result
        for tool in self.tools:
            # A root of its own for each tool, and on the tmpfs a tmpfs of its own, unmounted
            # after it: the venvs of two tools that copy every file do not fit in one.
            own = replace(scenario, name=f"{name}-{tool.name}")
            with venv_root(own, self.work) as root:
                batch = result.batches[tool.name] = self.batch(own, tool, root, count)
            say(
                f"{name} {tool.name}: {count} venvs in {batch.seconds:.2f} s, "
                f"{batch.disk_bytes / 2**20:,.0f} MiB, {batch.peak_rss_kib // 1024} MiB peak"
            )
        return result

    def batch(self, scenario: Scenario, tool: Tool, root: Path, count: int) -> Batch:
        """The disk is counted on the venvs' filesystem: on the tmpfs, all it lost (the venvs,
        and pinst's per-filesystem cache); beside the cache, du of the cache and the venvs."""
        jobs = [self.job(scenario, tool, root, str(n)) for n in range(count)]
        before = filesystem_used_bytes(root) if scenario.tmpfs else 0
        installs = []
        for job in jobs:
            make_venv(job.venv)
            settle()
            installs.append(self.install(tool, replace(job, uv_link_mode=None)))
        if scenario.tmpfs:
            disk = filesystem_used_bytes(root) - before
        else:
            cache = jobs[0].cache
            disk = tree_bytes([cache, *(j.venv for j in jobs)] if cache.exists() else [root])
        seconds = sum(install.seconds for install in installs)
        return Batch(seconds, max(i.peak_rss_kib for i in installs), disk)

    def reclaim(self, count: int) -> ReclaimResult:
        """`count` venvs by pip and by uv --link-mode copy, copied twice; then `pinst reclaim`
        on one copy and util-linux `hardlink` on the other, each timed, du before and after."""
        result = ReclaimResult(count, 0, {})
        tools = {tool.name: tool for tool in self.tools}
        pinst = tools.get("pinst")
        missing = [name for name in ("pinst", "uv", "pip") if name not in tools]
        why = (
            f"needs {', '.join(missing)} among --tools"
            if missing
            else (pinst.can_reclaim() if isinstance(pinst, Pinst) else "no pinst")
        )
        if why or not shutil.which("hardlink"):
            result.notes.append(f"skipped: {why or 'no hardlink (apt-get install util-linux)'}")
            return result
        assert isinstance(pinst, Pinst)
        scenario = Scenario(RECLAIM, RECLAIM)
        source = self.work / "reclaim-venvs"
        for number in range(count):
            for tool in (tools["pip"], tools["uv"]):
                job = self.job(scenario, tool, source, str(number))
                self.install(tool, replace(job, venv=make_venv(job.venv), uv_link_mode="copy"))
        settle()
        result.before_bytes = tree_bytes([source])
        for name, deduplicator in deduplicators(pinst, self.work, self.index.url).items():
            run_quiet(["cp", "-a", str(source), str(deduplicator.directory)])
            settle()
            sample = run_timed(deduplicator.command, deduplicator.env, self.log)
            after = tree_bytes([path for path in deduplicator.counted if path.exists()])
            result.runs[name] = Reclaimed(
                sample.seconds, sample.peak_rss_kib, result.before_bytes - after
            )
            freed = result.runs[name].freed_bytes
            say(f"reclaim {name}: {sample.seconds:.2f} s, {freed / 2**20:,.0f} MiB freed")
        return result


@dataclass(frozen=True)
class Deduplicator:
    """How the reclaim scenario runs one deduplicator over its own copy of the venvs."""

    directory: Path  # its copy
    command: list[str]
    env: dict[str, str]
    counted: list[Path]  # what du counts after it: its copy, and any cache it moved files into


def deduplicators(pinst: Pinst, work: Path, index_url: str) -> dict[str, Deduplicator]:
    pinst_copy, hardlink_copy = work / "reclaim-pinst", work / "reclaim-hardlink"
    cache = work / "reclaim-caches" / "pinst-reclaim"
    return {
        "pinst reclaim": Deduplicator(
            pinst_copy,
            pinst.reclaim_command(pinst_copy, cache, index_url),
            pinst.environment(),
            [pinst_copy, cache],
        ),
        "hardlink": Deduplicator(
            hardlink_copy,
            ["hardlink", "-t", str(hardlink_copy)],
            dict(os.environ),
            [hardlink_copy],
        ),
    }


def pypi_reachable(timeout: float = 3.0, url: str = PYPI + "/") -> bool:
    """Whether PyPI (or `url`) answers a HEAD request within `timeout` seconds."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):
        return False


def default_scenarios() -> list[str]:
    """All but cold-pypi, and cold-pypi too when PyPI answers (with a note when it does not)."""
    if pypi_reachable():
        return [*DEFAULT, "cold-pypi"]
    say("note: PyPI did not answer a HEAD request within 3 s: cold-pypi is skipped")
    return list(DEFAULT)


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
        help=f"comma-separated, from {','.join(ALL)} (default: all, cold-pypi only when PyPI "
        "answers)",
    )
    parser.add_argument(
        "--set",
        default=DEFAULT_SET,
        choices=sorted(SETS),
        help=f"the requirements every tool installs (default: {DEFAULT_SET}, the one pinst was "
        "tuned on; data: a data-science stack it was not)",
    )
    parser.add_argument(
        "--venvs",
        type=int,
        default=20,
        help="how many venvs many-venvs makes per tool, and reclaim per pip and uv (default: 20)",
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
    args.scenarios = args.scenarios.split(",") if args.scenarios else default_scenarios()
    args.tools = args.tools.split(",")
    unknown = [name for name in args.scenarios if name not in ALL]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)} (choose from {', '.join(ALL)})")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.venvs < 1:
        parser.error("--venvs must be at least 1")
    if any("=" in tool for tool in args.tools):
        args.no_write = True  # the docs' table compares this checkout with uv and pip only
    return args


def cache_home() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "pinst-bench"


def wheels_directory(home: Path, name: str) -> Path:
    """Where a set's wheels are kept: the default set's where they always were."""
    return home / "wheels" if name == DEFAULT_SET else home / f"wheels-{name}"


def command_line(args: argparse.Namespace) -> str:
    return (
        f"python -m benchmarks.harness --set {args.set} --scenarios {','.join(args.scenarios)} "
        f"--rounds {args.rounds} --venvs {args.venvs} --tools {','.join(args.tools)}"
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
    if "uv" in tools and MANY_VENVS in scenarios:
        notes.append("many-venvs: uv runs with its default link mode (hard links on Linux).")
    if "pip" in tools:
        notes.append(
            "pip has no link modes: it always copies. It gets `--no-compile` but in compile, "
            "and, from the local index, `--trusted-host 127.0.0.1`, without which it caches "
            "nothing from an http:// index."
        )
    return notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    nginx = nginx_executable()
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(f"{GNU_TIME} not found: apt-get install time (nox -s bench does, as root)")
    check_free_space(args.work_root, args.rounds)
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    pip = newest_pip(home)
    requirements = SETS[args.set]
    wheels = download_wheels(pip, requirements, wheels_directory(home, args.set))
    tools = make_tools(args.tools, pip)
    versions = {tool.name: tool.version() for tool in tools}  # pinst's: the commit measured
    log = home / "last-run.log"
    log.write_text("")
    work = Path(tempfile.mkdtemp(prefix="pinst-bench-", dir=args.work_root))
    try:
        machine = this_machine(work, nginx)
        with serve(wheels, nginx) as index:
            say(f"serving {len(wheels)} wheels at {index.url}; tool output in {log}")
            bench = Bench(tools, index, work, log, requirements)
            bench.warm_up()
            timed = [bench.scenario(TIMED[n], args.rounds) for n in args.scenarios if n in TIMED]
            disk = bench.disk() if DISK in args.scenarios else {}
            many = []
            if MANY_VENVS in args.scenarios:
                many = [bench.many_venvs(args.venvs, on_tmpfs) for on_tmpfs in (False, True)]
            reclaim = bench.reclaim(args.venvs) if RECLAIM in args.scenarios else None
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
        notes=general_notes(args.tools, args.scenarios),
        many=many,
        reclaim=reclaim,
    )
    block = markdown(run)
    print(block)
    if not args.no_write:
        write_into(DOCS_PAGE, block)
        say(f"wrote the figures into {DOCS_PAGE}")


if __name__ == "__main__":
    main()
