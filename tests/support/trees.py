"""Snapshots of directory trees, to show that a failed run changed nothing."""

from __future__ import annotations

from pathlib import Path

# The venv's lock (a lock file in the venv, taken before pinst looks at it) is the one trace a
# failed run may leave; a journal, a backup or a stamp left behind would be a change.
LOCK_TRACES = {".pinst", ".pinst/lock"}


def tree(path: Path) -> list[str]:
    """Every path below ``path``, relative and sorted; empty if ``path`` does not exist."""
    if not path.exists():
        return []
    found = (p.relative_to(path).as_posix() for p in path.rglob("*"))
    return sorted(relative for relative in found if relative not in LOCK_TRACES)
