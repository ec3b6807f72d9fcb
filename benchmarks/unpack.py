"""Unpacking every wheel of a set into a fresh cache, in one process, for pinst checkouts in turn.

    python -m benchmarks.unpack [--rounds 7] [--dir /dev/shm] [--checkout NAME=PATH ...]

Only pinst's unpacking is timed (``unpack/extract.py`` and ``wheel/container.py``, every check
included): no download, no worker process, no venv. Each round unpacks the whole set once per
checkout (this one is ``pinst``), the checkouts in another order each round, each into a new
cache under ``--dir``, in a process of its own that hashes the wheels before the clock starts.
The default directory is a tmpfs, because on this machine's ext4 the time to create a file
depends on what was deleted in the last minutes more than on the change being measured (see
"Why ext4 runs are noisy" in docs/internals/benchmark-history.md). The report gives each
checkout's median wall, user and system time, and each other checkout's median over pinst's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.tools import CHECKOUT, clean_environment

DEFAULT_WHEELS = Path.home() / ".cache" / "pinst-bench" / "wheels"
DEFAULT_DIR = Path("/dev/shm")

# Run in a process of its own with a checkout's src/ on its path: prints the times as JSON.
UNPACK_ALL = """
import hashlib, json, os, sys, time
from pathlib import Path
from pinst.cache.layout import Cache
from pinst.unpack.extract import import_metadata_parsers, unpack
wheels = sorted(Path(sys.argv[1]).glob("*.whl"))
digests = [hashlib.sha256(wheel.read_bytes()).hexdigest() for wheel in wheels]
import_metadata_parsers()
cache = Cache(Path(sys.argv[2]))
cache.ensure()
started, before = time.perf_counter(), os.times()
for wheel, digest in zip(wheels, digests):
    unpack(wheel, digest, cache)
after = os.times()
print(json.dumps({"wall": time.perf_counter() - started, "user": after.user - before.user,
                  "system": after.system - before.system}))
"""


def unpack_once(checkout: Path, wheels: Path, directory: Path) -> dict[str, float]:
    """The times of one checkout unpacking every wheel into a new cache in ``directory``."""
    cache = Path(tempfile.mkdtemp(prefix="unpack-", dir=directory))
    environment = {**clean_environment(), "PYTHONPATH": str(checkout / "src")}
    try:
        output = subprocess.run(
            [sys.executable, "-c", UNPACK_ALL, str(wheels), str(cache)],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    times: dict[str, float] = json.loads(output)
    return times


def checkouts(named: Sequence[str]) -> dict[str, Path]:
    chosen = {"pinst": CHECKOUT}
    for item in named:
        name, _, path = item.partition("=")
        if not path or name in chosen:
            raise SystemExit(f"--checkout takes NAME=PATH, a new name each: {item!r}")
        chosen[name] = Path(path).resolve()
    return chosen


def report(results: dict[str, list[dict[str, float]]]) -> list[str]:
    lines = [
        "| checkout | wall | user | system | wall / pinst's |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    base = statistics.median(times["wall"] for times in results["pinst"])
    for name, rounds in results.items():
        medians = [
            statistics.median(times[key] for times in rounds) for key in ("wall", "user", "system")
        ]
        cells = [f"{value:.3f} s" for value in medians]
        lines.append(f"| {name} | {' | '.join(cells)} | {medians[0] / base:.2f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the caches go")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--checkout", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args(argv)
    chosen = checkouts(args.checkout)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    for number in range(args.rounds):
        order = list(chosen) if number % 2 == 0 else list(reversed(chosen))
        for name in order:
            times = unpack_once(chosen[name], args.wheels, args.dir)
            results[name].append(times)
            print(f"round {number + 1}/{args.rounds} {name}: {times['wall']:.3f} s", flush=True)
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
