"""The reclaim scenario: `pinst reclaim` against util-linux `hardlink -t`, on identical copies.

pip installs the workload into a few venvs (every file a private copy, as pip always makes
them); that tree is copied twice with `cp -a`, and each tool dedupes one copy, timed. Bytes are
counted with `tree_bytes` (hard links once) before and after, over the venvs and, for pinst,
its cache, which the entries it creates live in. `hardlink -t` links identical files whatever
their timestamps: the most it can free, with no notion of RECORD, wheels or later installs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measure import run_timed, tree_bytes
from scenarios import settle
from tools import LAUNCHER, Tool

RECLAIM_VENVS = 4  # venvs pip fills; each of the two copies holds all of them
TOOLS = ("pinst", "hardlink")


@dataclass(frozen=True)
class Reclaimed:
    tool: str
    seconds: float
    before: int  # bytes of the tool's copy (and pinst's cache) before it ran
    after: int

    @property
    def freed(self) -> int:
        return self.before - self.after


def reclaim_commands(tree: Path, cache: Path, index_url: str) -> dict[str, list[str]]:
    """The command each tool runs on its own copy of the venvs, under `tree/<tool>`."""
    return {
        "pinst": [
            sys.executable,
            "-c",
            LAUNCHER,
            "reclaim",
            "-q",
            str(tree / "pinst"),
            "--cache-dir",
            str(cache),
            "--index-url",
            index_url,
        ],
        "hardlink": ["hardlink", "-t", "-q", str(tree / "hardlink")],
    }


def measured_roots(tree: Path, cache: Path) -> dict[str, list[Path]]:
    """What each tool's bytes are counted over: pinst's entries live in its cache."""
    return {"pinst": [tree / "pinst", cache], "hardlink": [tree / "hardlink"]}


def copy_for_each_tool(source: Path, tree: Path) -> None:
    """Identical copies of the venvs, one per tool; `cp -a` keeps modes and times."""
    for tool in TOOLS:
        subprocess.run(["cp", "-a", str(source), str(tree / tool)], check=True)


def run_reclaim(
    fill_venv: Callable[[Path], None],
    pinst: Tool,
    work: Path,
    index_url: str,
    log: Path,
) -> list[Reclaimed]:
    """Fill RECLAIM_VENVS venvs with `fill_venv` (pip), copy them, and time each tool."""
    source = work / "reclaim-source"
    for number in range(RECLAIM_VENVS):
        fill_venv(source / f"venv-{number}")
    tree, cache = work / "reclaim", work / "reclaim-pinst-cache"
    tree.mkdir()
    copy_for_each_tool(source, tree)
    commands = reclaim_commands(tree, cache, index_url)
    roots = measured_roots(tree, cache)
    environments = {"pinst": pinst.environment(), "hardlink": {}}
    results = []
    for tool in TOOLS:
        settle()
        before = tree_bytes([root for root in roots[tool] if root.exists()])
        sample = run_timed(commands[tool], environments[tool], log)
        after = tree_bytes([root for root in roots[tool] if root.exists()])
        results.append(Reclaimed(tool, sample.seconds, before, after))
    return results


def reclaim_note(results: list[Reclaimed]) -> str:
    """One line for the report's notes."""
    parts = [
        f"{result.tool} freed {result.freed / 2**20:,.0f} MiB of {result.before / 2**20:,.0f} MiB "
        f"in {result.seconds:.1f} s"
        for result in results
    ]
    return f"reclaim ({RECLAIM_VENVS} venvs pip filled, copied per tool): " + "; ".join(parts)
