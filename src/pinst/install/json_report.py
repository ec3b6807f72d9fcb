"""The report ``pinst install --json`` and ``pinst sync --json`` print on stdout.

Every package the run looked at gets one entry with the same keys (None where a key does not
apply), so that a script never has to test whether a key is there. The human messages still
go to stderr; on failure nothing is printed here, and the exit status and stderr say why.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pinst.install.dependency_check import Problem
    from pinst.install.prepared import Prepared
    from pinst.venv.installed import InstalledDistribution

REPORT_FORMAT = 1  # bumped when a key changes meaning or goes away; new keys do not bump it


class PackageEntry(NamedTuple):
    name: str
    version: str | None  # what the venv holds after the run; None once removed
    action: str  # "installed", "upgraded", "downgraded", "reinstalled", "removed", "unchanged"
    previous_version: str | None = None  # what the venv held before, for a replaced or removed
    wheel: str | None = None  # the wheel's filename, for what this run installed
    sha256: str | None = None
    source: str | None = None  # "unpacked", "downloaded" or "fetched": see prepared.Source
    link_mode: str | None = None


class RunReport:
    def __init__(self, venv: str, started: float, timings: dict[str, float]) -> None:
        self.venv = venv
        self.started = started  # time.perf_counter() when the run began
        # None when nothing was linked (a no-op, a sync that removes).
        self.link_mode: str | None = None
        self.packages: list[PackageEntry] = []
        self.timings = timings  # seconds per phase (Reporter.phase)
        self.problems: list[Problem] = []  # the broken requirements the run left (see check)

    def add_prepared(self, item: Prepared, link_mode: str) -> None:
        old, version = item.change.replaces, item.manifest.version
        action = "installed" if old is None else _version_change(old.version, version)
        self.packages.append(
            PackageEntry(
                name=item.change.pin.name,
                version=version,
                action=action,
                previous_version=None if old is None else old.version,
                wheel=item.manifest.wheel_filename,
                sha256=item.manifest.sha256,
                source=item.source.value,
                link_mode=link_mode,
            )
        )

    def add_removed(self, gone: InstalledDistribution) -> None:
        self.packages.append(
            PackageEntry(gone.name, None, "removed", previous_version=gone.version)
        )

    def add_unchanged(self, name: str, version: str | None) -> None:
        self.packages.append(PackageEntry(name, version, "unchanged"))

    def as_dict(self) -> dict[str, object]:
        return {
            "format": REPORT_FORMAT,
            "venv": self.venv,
            "link_mode": self.link_mode,
            "duration_seconds": round(time.perf_counter() - self.started, 6),
            "timings_seconds": {phase: round(took, 6) for phase, took in self.timings.items()},
            "packages": [entry._asdict() for entry in sorted(self.packages, key=_by_name)],
            "broken_requirements": [problem.as_dict() for problem in self.problems],
        }

    def to_json(self) -> str:
        import json  # only a --json run pays for it

        return json.dumps(self.as_dict(), indent=2)


def _version_change(old: str | None, new: str) -> str:
    if old == new:
        return "reinstalled"
    from packaging.version import InvalidVersion, Version  # only when a version changes

    try:
        return "downgraded" if Version(new) < Version(old or "") else "upgraded"
    except InvalidVersion:  # a version PEP 440 cannot order: call it an upgrade
        return "upgraded"


def _by_name(entry: PackageEntry) -> str:
    return entry.name
