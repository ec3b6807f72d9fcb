"""What an install or sync is asked to do: every option, from the command line and the settings.

The options come in groups, one for each part of the pipeline: ``install/run.py`` takes the
whole ``InstallOptions`` and hands each step below it only the group that step uses (reading
the requirements, finding and fetching wheels, linking them, making the plan, the stamp). Their
own module, so that none of those steps imports another for these types.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pinst._core.limits import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_INDEX_PAGE_SIZE,
    DEFAULT_MAX_REQUIREMENTS_SIZE,
    UnpackLimits,
)
from pinst._core.link import LinkMode


class RequirementOptions(NamedTuple):
    """What to install: the requirements as given, and what reading them must hold to."""

    requirement_files: Sequence[Path] = ()
    requirement_args: Sequence[str] = ()
    constraint_files: Sequence[Path] = ()
    lock_extras: Sequence[str] = ()  # a lock file's extras to install
    lock_groups: Sequence[str] = ()  # a lock file's dependency groups, besides its defaults
    require_hashes: bool = False
    max_requirements_size: int = DEFAULT_MAX_REQUIREMENTS_SIZE  # bytes per file read


class SourceOptions(NamedTuple):
    """Where wheels are looked for, besides where the requirements files say (index.sources)."""

    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    find_links: Sequence[str] = ()
    no_index: bool = False


class FetchOptions(NamedTuple):
    """How wheels are fetched and unpacked: the network, and the bounds on untrusted input."""

    offline: bool = False  # only the cache: no network request at all
    timeout: float | None = None  # seconds for each network wait; None: the HTTP default
    unpack_limits: UnpackLimits = DEFAULT_LIMITS  # how far a wheel may expand
    max_index_page_size: int = DEFAULT_MAX_INDEX_PAGE_SIZE  # bytes, on the wire and inflated


class LinkOptions(NamedTuple):
    """How the cached files get into the venv."""

    link_mode: LinkMode = LinkMode.AUTO
    entries_cache: Path | None = None  # explicit entries cache for the venv's filesystem
    per_filesystem_cache: bool = True
    compile_bytecode: bool = False


class PlanOptions(NamedTuple):
    """What the plan may change besides installing what is missing."""

    reinstall: bool = False  # replace a package even with the version installed
    sync: bool = False  # also remove every distribution the requirements do not list
    allow_remove_pinst: bool = False  # sync may remove what pinst runs from (self_protection.py)


class Invocation(NamedTuple):
    """How pinst was asked, which a stamp's answer depends on (see venv/stamp.py)."""

    command_line: Sequence[str] | None = None  # the arguments; None: never stamp the run
    # The config files looked for (a status, or None if there was none) and the environment
    # variables their location depends on.
    config_files: Sequence[tuple[str, os.stat_result | None]] = ()
    config_variables: Sequence[str] = ()


class InstallOptions(NamedTuple):
    wanted: RequirementOptions = RequirementOptions()
    venv: Path = Path(".venv")
    python: str | None = None  # the interpreter for a venv the run creates
    cache_dir: Path = Path()
    sources: SourceOptions = SourceOptions()
    fetch: FetchOptions = FetchOptions()
    link: LinkOptions = LinkOptions()
    planning: PlanOptions = PlanOptions()
    dry_run: bool = False  # say what would change, and change nothing (install/dry_run.py)
    json: bool = False  # the caller prints the returned report on stdout: never stamp the run
    no_progress: bool = False  # no progress bars even on a terminal (the caller's Reporter)
    invocation: Invocation = Invocation()
