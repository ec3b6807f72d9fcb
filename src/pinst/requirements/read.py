"""What the user asked for, from wherever it comes: requirements files, requirements on the
command line and constraints files (``reading.py``), or one PEP 751 lock file alone
(``pylock.py``).

The one place that knows both formats, so that neither reader imports the other: a lock file's
reader builds on the requirements model, and the requirements model needs of a lock file only
that it selects its pins (``parsed.LockedPins``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pinst._core.errors import PinstError
from pinst._core.limits import DEFAULT_MAX_REQUIREMENTS_SIZE
from pinst.requirements.parsed import ParsedRequirements
from pinst.requirements.reading import is_lock_path, read_requirements_files


def read_requirements(
    requirement_files: Sequence[Path],
    requirement_args: Sequence[str] = (),
    constraint_files: Sequence[Path] = (),
    require_hashes: bool = False,
    max_size: int = DEFAULT_MAX_REQUIREMENTS_SIZE,
) -> ParsedRequirements:
    """Read the requirements files, command-line requirements and constraints files, or the one
    lock file given with ``-r``; each file may hold at most ``max_size`` bytes."""
    locks = [path for path in requirement_files if is_lock_path(path)]
    if locks:
        return _read_lock(locks, requirement_files, requirement_args, constraint_files, max_size)
    return read_requirements_files(
        requirement_files, requirement_args, constraint_files, require_hashes, max_size
    )


def _read_lock(
    locks: Sequence[Path],
    requirement_files: Sequence[Path],
    requirement_args: Sequence[str],
    constraint_files: Sequence[Path],
    max_size: int,
) -> ParsedRequirements:
    """A lock file is complete by itself: mixing it with other requirements would need a
    resolver to reconcile them, so it must come alone."""
    if len(requirement_files) > 1 or requirement_args or constraint_files:
        raise PinstError(
            f"{locks[0]} is a lock file, which must be the only requirements source: pinst "
            "cannot combine it with other -r files, -c files or requirements on the command "
            "line. Give the lock file alone, or regenerate it to include the other packages."
        )
    from pinst.requirements.pylock import read_lock  # only now: packaging's lock support

    lock, status = read_lock(locks[0], max_size)
    parsed = ParsedRequirements(require_hashes=True, lock=lock)
    parsed.sources.append((Path(os.path.normpath(locks[0].absolute())), status))
    return parsed
