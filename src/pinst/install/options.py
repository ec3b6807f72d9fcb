"""What an install or sync is asked to do: every option, from the command line and the settings.

``install.run.install`` takes one; ``apply.py`` and ``dry_run.py`` read it. Its own module, so
that none of them imports another for its type.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pinst._core.limits import DEFAULT_INPUT_LIMITS, DEFAULT_LIMITS, InputLimits, UnpackLimits
from pinst._core.link import LinkMode


class InstallOptions(NamedTuple):
    requirement_files: Sequence[Path] = ()
    requirement_args: Sequence[str] = ()
    constraint_files: Sequence[Path] = ()
    venv: Path = Path(".venv")
    python: str | None = None
    index_url: str | None = None
    extra_index_urls: Sequence[str] = ()
    find_links: Sequence[str] = ()
    no_index: bool = False
    offline: bool = False  # only the cache: no network request at all
    cache_dir: Path = Path()
    link_mode: LinkMode = LinkMode.AUTO
    require_hashes: bool = False
    reinstall: bool = False
    compile_bytecode: bool = False
    entries_cache: Path | None = None  # explicit entries cache for the venv's filesystem
    per_filesystem_cache: bool = True
    command_line: Sequence[str] | None = None  # the arguments, for the stamp (see venv/stamp.py)
    timeout: float | None = None  # seconds for each network wait; None: the HTTP default
    unpack_limits: UnpackLimits = DEFAULT_LIMITS
    input_limits: InputLimits = DEFAULT_INPUT_LIMITS  # index pages, requirements files
    sync: bool = False  # also remove every distribution the requirements do not list
    json: bool = False  # the caller prints the returned report on stdout: never stamp the run
    no_progress: bool = False  # no progress bars even on a terminal (the caller's Reporter)
    lock_extras: Sequence[str] = ()  # a lock file's extras to install
    lock_groups: Sequence[str] = ()  # a lock file's dependency groups, besides its defaults
    allow_remove_pinst: bool = False  # sync may remove what pinst runs from (self_protection.py)
    dry_run: bool = False  # say what would change, and change nothing (install/dry_run.py)
    # The config files looked for (a status, or None if there was none) and the environment
    # variables their location depends on: the stamp depends on them too.
    config_files: Sequence[tuple[str, os.stat_result | None]] = ()
    config_variables: Sequence[str] = ()
