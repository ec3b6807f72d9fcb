"""Benchmark pinst against uv (and pip where it applies) in one interleaved run.

Each round installs the benchmark set with every tool in turn (A B A B ...), into a fresh venv
made untimed just before; the table reports medians and the median of per-round ratios, which
holds up better than raw times on a noisy 2-core machine.

Scenarios so far:
  warm-hardlink   every wheel already in the tool's cache; venv beside the cache (ext4)
  cross-fs        every wheel already in the cache; the cache on ext4, venvs on a tmpfs
                  (root only: the harness mounts it). Also reports the disk each venv costs.

    python benchmarks/harness.py --scenario cross-fs --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
WORKLOAD = HERE / "requirements-bench.txt"
SRC = HERE.parent / "src"


def run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def make_venv(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    run([sys.executable, "-m", "venv", "--without-pip", str(path)])
    return path


def pinst_install(venv: Path, cache: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run(
        [
            sys.executable,
            "-m",
            "pinst",
            "install",
            "-q",
            "-r",
            str(WORKLOAD),
            "--venv",
            str(venv),
            "--cache-dir",
            str(cache),
        ],
        env=env,
    )


def uv_install(venv: Path, cache: Path) -> None:
    run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "-r",
            str(WORKLOAD),
            "--python",
            str(venv / "bin/python"),
            "--cache-dir",
            str(cache),
            "--link-mode",
            "hardlink",
        ]
    )


TOOLS: dict[str, Callable[[Path, Path], None]] = {"pinst": pinst_install, "uv": uv_install}


def used_bytes(path: Path) -> int:
    os.sync()
    status = os.statvfs(path)
    return (status.f_blocks - status.f_bfree) * status.f_frsize


def measure(
    venv_root: Path, caches: dict[str, Path], rounds: int
) -> dict[str, list[tuple[float, int]]]:
    results: dict[str, list[tuple[float, int]]] = {tool: [] for tool in TOOLS}
    for round_number in range(rounds):
        for tool, install in TOOLS.items():
            venv = make_venv(venv_root / f"{tool}-{round_number}")
            before = used_bytes(venv_root)
            started = time.perf_counter()
            install(venv, caches[tool])
            elapsed = time.perf_counter() - started
            results[tool].append((elapsed, used_bytes(venv_root) - before))
            print(f"round {round_number} {tool}: {elapsed:.2f}s", file=sys.stderr)
    return results


def report(scenario: str, results: dict[str, list[tuple[float, int]]]) -> str:
    times = {tool: [t for t, _ in rows] for tool, rows in results.items()}
    disks = {tool: [d for _, d in rows] for tool, rows in results.items()}
    ratios = [p / u for p, u in zip(times["pinst"], times["uv"], strict=True)]
    disk_ratio = statistics.median(disks["pinst"]) / max(statistics.median(disks["uv"]), 1)
    lines = [
        f"| {scenario} | {statistics.median(times['pinst']):.2f} s | "
        f"{statistics.median(times['uv']):.2f} s | {statistics.median(ratios):.2f} | "
        f"{statistics.median(disks['pinst']) / 2**20:.0f} MiB | "
        f"{statistics.median(disks['uv']) / 2**20:.0f} MiB | {disk_ratio:.3f} |"
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scenario", choices=["warm-hardlink", "cross-fs"], default="warm-hardlink"
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pinst-bench-", dir="/var/tmp"))
    caches = {tool: work / f"{tool}-cache" for tool in TOOLS}
    venv_root = work / "venvs"
    venv_root.mkdir()
    try:
        if args.scenario == "cross-fs":
            run(["mount", "-t", "tmpfs", "-o", "size=6g", "pinst-bench", str(venv_root)])
        for tool, install in TOOLS.items():  # fill each cache (untimed)
            install(make_venv(venv_root / f"{tool}-warmup"), caches[tool])
        results = measure(venv_root, caches, args.rounds)
        print(
            "| scenario | pinst | uv | pinst/uv time | pinst disk/venv | uv disk/venv | disk ratio |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        print(report(args.scenario, results))
    finally:
        if args.scenario == "cross-fs":
            subprocess.run(["umount", "-l", str(venv_root)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
