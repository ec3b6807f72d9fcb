"""How close pure Python can come to uv's cold install: pinst, and pinst without parts of its
work, against uv, with the CPU time of each.

    python -m benchmarks.floor [--rounds 7] [--set bench] [--dir /dev/shm]

Two variants of this checkout's src/ are made in a temporary directory, each by one edit:

- ``no-record-hash``: members are not hashed and RECORD's hashes are not compared. It does
  what uv does (uv does not check RECORD) and shows what that check costs a cold install.
- ``no-members``: of each wheel, only the members of its ``.dist-info`` folder are written.
  Everything else stays: the index pages, the downloads and their hashes, the zip directories,
  RECORD read and matched to the members, the metadata and manifests, the links into the venv
  of the files that are written. It shows what pinst's Python costs before a single file of a
  package is written: a floor that no faster unpacking, native or not, would go below.

Each round installs the set with each tool in turn (in the other order every other round) from
the local nginx index, into a new venv (made untimed) with new, empty caches, all under
``--dir``, a tmpfs by default: there creating files costs what it costs, not what ext4's state
after recent deletes makes it cost (docs/internals/benchmark-history.md, "Why ext4 runs are
noisy"). Reported: medians of wall time and of the user and system CPU time of the command's
whole process tree (its workers included), and each over uv's.

The variants are measurements, not pinst: neither may be used to install anything. If the code an
edit looks for has changed, the run stops and says which edit to update.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import cache_home, wheels_directory
from benchmarks.local_index import download_wheels, nginx_executable, serve
from benchmarks.measure import CommandFailed
from benchmarks.scenarios import make_venv
from benchmarks.tools import CHECKOUT, DEFAULT_SET, SETS, Job, Pinst, Tool, Uv, newest_pip

DEFAULT_DIR = Path("/dev/shm")


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (found exactly once) with ``new`` in ``path``, relative to src/pinst."""

    path: str
    old: str
    new: str


VARIANTS: dict[str, list[Edit]] = {
    "no-record-hash": [
        Edit("unpack/extract.py", "                hasher.update(chunk)\n", ""),
        Edit(
            "wheel/record.py",
            "        if actual != check.hash.partition",
            "        if False and actual != check.hash.partition",
        ),
    ],
    "no-members": [
        Edit(
            "unpack/extract.py",
            "files = [self._extract(info, record) for info in members.values()]",
            "files = [\n"
            "                self._extract(info, record)\n"
            "                for name, info in members.items()\n"
            "                if name.startswith(dist_info + '/')\n"
            "            ]",
        ),
    ],
}


def make_variant(source: Path, into: Path, edits: Sequence[Edit]) -> Path:
    """A copy of the checkout ``source`` (its src/ only) at ``into``, with ``edits`` made."""
    shutil.copytree(
        source / "src", into / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for edit in edits:
        target = into / "src" / "pinst" / edit.path
        text = target.read_text(encoding="utf-8")
        if text.count(edit.old) != 1:
            raise SystemExit(
                f"benchmarks/floor.py: src/pinst/{edit.path} no longer holds the line this "
                f"measurement edits ({edit.old.strip()!r}) exactly once: update the edit in "
                "VARIANTS to the code as it is now."
            )
        target.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    return into


@dataclass(frozen=True)
class Times:
    wall: float
    user: float
    system: float

    @property
    def cpu(self) -> float:
        return self.user + self.system


def run_measured(tool: Tool, job: Job) -> Times:
    """Wall time of the tool's install, and the CPU time of its whole process tree."""
    make_venv(job.venv)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(tool.command(job), env=tool.environment(), capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace")
        raise CommandFailed(f"{tool.name} exited {result.returncode}:\n{output[-3000:]}")
    return Times(wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)


def median_times(rounds: Sequence[Times]) -> Times:
    return Times(
        statistics.median(times.wall for times in rounds),
        statistics.median(times.user for times in rounds),
        statistics.median(times.system for times in rounds),
    )


def report(results: dict[str, list[Times]], against: str = "uv") -> list[str]:
    """A markdown table of each tool's medians, and its wall and CPU time over ``against``'s."""
    base = median_times(results[against])
    lines = [
        f"| tool | wall | user | system | CPU | wall / {against}'s | CPU / {against}'s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rounds in results.items():
        times = median_times(rounds)
        cells = [f"{value:.3f} s" for value in (times.wall, times.user, times.system, times.cpu)]
        lines.append(
            f"| {name} | {' | '.join(cells)} | {times.wall / base.wall:.2f} | "
            f"{times.cpu / base.cpu:.2f} |"
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--set", choices=sorted(SETS), default=DEFAULT_SET)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where venvs and caches go")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    nginx = nginx_executable()
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    requirements = SETS[args.set]
    wheels = download_wheels(newest_pip(home), requirements, wheels_directory(home, args.set))
    work = Path(tempfile.mkdtemp(prefix="pinst-floor-", dir=args.dir))
    try:
        tools: list[Tool] = [Pinst()]
        for name, edits in VARIANTS.items():
            tools.append(Pinst(name, make_variant(CHECKOUT, work / name, edits)))
        tools.append(Uv())
        results: dict[str, list[Times]] = {tool.name: [] for tool in tools}
        with serve(wheels, nginx) as index:
            for number in range(args.rounds):
                for tool in tools if number % 2 == 0 else list(reversed(tools)):
                    place = Path(tempfile.mkdtemp(prefix="run-", dir=work))
                    job = Job(place / "venv", place / "cache", index.url, requirements=requirements)
                    times = run_measured(tool, job)
                    results[tool.name].append(times)
                    shutil.rmtree(place)
                    print(f"round {number + 1}/{args.rounds} {tool.name}: {times.wall:.2f} s")
    except CommandFailed as error:
        raise SystemExit(str(error)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = f"python -m benchmarks.floor --rounds {args.rounds} --set {args.set} --dir {args.dir}"
    print(f"\n    {command}\n")
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
