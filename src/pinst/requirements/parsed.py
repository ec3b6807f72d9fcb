"""Everything the requirements and constraints files say, read but not yet selected.

pinst installs exactly the wheels a requirements file names, so every requirement must be an
exact pin (``name==1.0``, ``name===1.0-custom``) or a direct wheel URL or path. A range or a bare
name is accepted only when a constraints file (``-c``) pins it exactly. A constraint that is a
range (``requests<2``) needs no resolver either: as in pip, it only checks the pin of its project,
and is ignored when that project is not requested.

Reading happens in two steps. ``reading.read_requirements_files`` reads every file and raises
every error a single line can cause, before the target venv exists. ``ParsedRequirements.select``
then evaluates markers against the target interpreter and raises the errors that depend on which
lines apply there (conflicting pins, a constraint that contradicts a requirement, a line without
a hash in hash-checking mode): ``foo==1; python_version < "3.12"`` next to ``foo==2;
python_version >= "3.12"`` is a valid file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pinst.requirements.model import Pin, RequirementSet, Unpinned
from pinst.requirements.selection import select_pins


class LockedPins(Protocol):
    """A lock file's packages (``pylock.LockFile``): it selects the pins itself."""

    def pins(
        self,
        environment: Mapping[str, str],
        tags: Sequence[str],
        extras: Sequence[str] = (),
        groups: Sequence[str] = (),
    ) -> list[Pin]: ...


class ParsedRequirements:
    """Every line of the requirements and constraints files, before markers are evaluated."""

    def __init__(self, *, require_hashes: bool = False, lock: LockedPins | None = None) -> None:
        self.requirements: list[Pin | Unpinned] = []
        self.constraints: list[Pin] = []
        # Constraints that are ranges (``requests<2``): each checks the pin of its project.
        self.range_constraints: list[Unpinned] = []
        # Warnings for the user about lines that were read but change nothing (said once each).
        self.notes: list[str] = []
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.no_index = False
        # Hash-checking mode. As pip, it is on with --require-hashes or when any line
        # (requirement or constraint, whatever its marker) has a --hash option.
        self.require_hashes = require_hashes
        # What the result depends on besides the command line: each file read, with its
        # status when read, and the environment variables the files name with ${VAR}.
        self.sources: list[tuple[Path, os.stat_result]] = []
        self.variables: set[str] = set()
        # A PEP 751 lock file given with -r: its packages replace the lines above (which are
        # empty).
        self.lock = lock

    def select(
        self,
        environment: Mapping[str, str],
        tags: Sequence[str] = (),
        lock_extras: Sequence[str] = (),
        lock_groups: Sequence[str] = (),
    ) -> RequirementSet:
        """The pins that apply to a target whose marker values are ``environment``.

        ``tags`` (the target's wheel tags, most preferred first) matter only for a lock file,
        whose packages list several wheels to choose from; so do the extras and dependency
        groups to install from it."""
        if self.lock is not None:
            locked = self.lock.pins(environment, tags, lock_extras, lock_groups)
            return self._lock_selection(locked)
        pins = select_pins(
            self.requirements,
            self.constraints,
            self.range_constraints,
            environment,
            self.require_hashes,
        )
        return RequirementSet(
            pins=pins,
            index_url=self.index_url,
            extra_index_urls=list(self.extra_index_urls),
            find_links=list(self.find_links),
            no_index=self.no_index,
            require_hashes=self.require_hashes,
        )

    def _lock_selection(self, pins: list[Pin]) -> RequirementSet:
        # Every pin has its URL and hashes: no index is asked.
        return RequirementSet(
            pins=pins,
            index_url=None,
            extra_index_urls=[],
            find_links=[],
            no_index=True,
            require_hashes=True,
        )
