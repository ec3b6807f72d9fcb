"""What ``pinst reclaim`` did (or, with ``--dry-run``, would do): text to read, JSON for scripts.

Two figures for space: ``computed`` from the files (the bytes of each venv file whose last link
was replaced, less what the new cache entries take), and, after a real run, ``measured`` by
each filesystem itself (its free space after the run less before; on a busy filesystem other
writers show in it too). A dry run has only the computed one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from pinst._core.disk_usage import format_size
from pinst.output.report import plural
from pinst.reclaim.scan import LEFT


@dataclass
class VenvResult:
    path: str
    filesystem: str
    skipped: str | None = None  # why the venv was left alone entirely
    link_mode: str | None = None
    entries_cache: str | None = None
    distributions: int = 0
    linked_distributions: int = 0
    adopted_distributions: int = 0  # their wheel could not be had: see reclaim/entries.py
    linked_files: int = 0
    already_shared: int = 0
    left: Counter[str] = field(default_factory=Counter)
    released: int = 0  # bytes of venv files whose every link was replaced
    cache_growth: int = 0  # bytes of the entries this venv's files needed made

    @property
    def freed(self) -> int:
        return self.released - self.cache_growth

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "filesystem": self.filesystem,
            "skipped": self.skipped,
            "link_mode": self.link_mode,
            "entries_cache": self.entries_cache,
            "distributions": self.distributions,
            "linked_distributions": self.linked_distributions,
            "adopted_distributions": self.adopted_distributions,
            "linked_files": self.linked_files,
            "already_shared_files": self.already_shared,
            "left_alone": dict(sorted(self.left.items())),
            "bytes": {
                "released": self.released,
                "cache_growth": self.cache_growth,
                "freed": self.freed,
            },
        }


@dataclass
class ReclaimReport:
    dry_run: bool
    venvs: list[VenvResult] = field(default_factory=list)
    measured: dict[str, int] = field(default_factory=dict)  # filesystem -> free space gained

    def computed_by_filesystem(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for venv in self.venvs:
            totals[venv.filesystem] = totals.get(venv.filesystem, 0) + venv.freed
        return totals

    def left_alone(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for venv in self.venvs:
            total.update(venv.left)
        return total

    def to_json(self) -> str:
        done = [venv for venv in self.venvs if venv.skipped is None]
        return json.dumps(
            {
                "dry_run": self.dry_run,
                "venvs": [venv.to_json() for venv in self.venvs],
                "total": {
                    "venvs": len(self.venvs),
                    "skipped_venvs": len(self.venvs) - len(done),
                    "distributions": sum(venv.linked_distributions for venv in done),
                    "linked_files": sum(venv.linked_files for venv in done),
                    "already_shared_files": sum(venv.already_shared for venv in done),
                    "left_alone": dict(sorted(self.left_alone().items())),
                    "freed_computed": sum(venv.freed for venv in done),
                },
                "filesystems": [
                    {
                        "filesystem": filesystem,
                        "freed_computed": computed,
                        "freed_measured": self.measured.get(filesystem),
                    }
                    for filesystem, computed in sorted(self.computed_by_filesystem().items())
                ],
            },
            indent=2,
        )

    def lines(self) -> list[str]:
        if not self.venvs:
            return [
                "Found no venv there: a venv is a folder with a pyvenv.cfg and a "
                "lib/pythonX.Y/site-packages. Give the folders that hold your projects' venvs."
            ]
        verb = "would be" if self.dry_run else "were"
        done = [venv for venv in self.venvs if venv.skipped is None]
        lines = [f"Found {plural(len(self.venvs), 'venv')}"]
        lines += [_venv_line(venv, self.dry_run) for venv in self.venvs]
        files = sum(venv.linked_files for venv in done)
        dists = sum(venv.linked_distributions for venv in done)
        adopted = sum(venv.adopted_distributions for venv in done)
        shared = sum(venv.already_shared for venv in done)
        adopted_note = f", {adopted} of them adopted (no wheel found)" if adopted else ""
        lines.append(
            f"{plural(files, 'file')} of {plural(dists, 'distribution')} {verb} linked to the "
            f"cache{adopted_note}; {plural(shared, 'file')} already shared it"
        )
        left = self.left_alone()
        if left:
            lines.append(f"Left alone: {plural(sum(left.values()), 'file')}")
            lines += [f"  {count:>7}  {LEFT[key]}" for key, count in left.most_common()]
        lines += self._space_lines()
        if self.dry_run:
            lines.append("Nothing was changed (--dry-run).")
        return lines

    def _space_lines(self) -> list[str]:
        lines = []
        for filesystem, computed in sorted(self.computed_by_filesystem().items()):
            if self.dry_run:
                lines.append(f"Would free {format_size(max(computed, 0))} on {filesystem}")
                continue
            lines.append(_freed_line(filesystem, computed, self.measured.get(filesystem, 0)))
        return lines


def _freed_line(filesystem: str, computed: int, measured: int) -> str:
    if measured >= 0:
        return (
            f"Freed {format_size(measured)} on {filesystem}, measured by the filesystem "
            f"({format_size(max(computed, 0))} computed from the files)"
        )
    # Other programs wrote more than this run freed: the measure says nothing about the run.
    return (
        f"Freed {format_size(max(computed, 0))} on {filesystem}, computed from the files (its "
        f"free space fell by {format_size(-measured)} meanwhile: other programs write there too)"
    )


def _venv_line(venv: VenvResult, dry_run: bool) -> str:
    if venv.skipped is not None:
        return f"  {venv.path}: skipped: {venv.skipped}"
    linked, freed = ("to link", "would free") if dry_run else ("linked", "freed")
    return (
        f"  {venv.path}: {plural(venv.linked_files, 'file')} of "
        f"{plural(venv.linked_distributions, 'distribution')} {linked} ({venv.link_mode}), "
        f"{freed} {format_size(max(venv.freed, 0))}"
    )
