"""Replacing a venv's file with a link to the identical file in the cache, atomically.

The link is made under a temporary name in the file's own directory, then renamed over the
file (``os.replace``, one atomic step): at every instant the path holds either the original or
an identical link, so a run killed anywhere leaves every venv importable, and the next run
finishes the job. A temporary a killed run left behind is removed by the next one, which holds
the venv's lock as this one did.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from pinst.reclaim.scan import VerifiedFile, unchanged

TEMPORARY_PREFIX = ".pinst-reclaim-"


def replace_with_link(source: str, file: VerifiedFile, link: Callable[[str, str], None]) -> bool:
    """Put a link to ``source`` where ``file`` is; False if the file changed since it was
    hashed (it is then left as it is)."""
    directory = os.path.dirname(file.absolute)
    temporary = os.path.join(directory, f"{TEMPORARY_PREFIX}{secrets.token_hex(6)}")
    link(source, temporary)
    try:
        # Checked as late as can be: a file edited after it was hashed must not be replaced.
        if not unchanged(file):
            os.unlink(temporary)
            return False
        os.replace(temporary, file.absolute)
    except BaseException:
        _unlink_quietly(temporary)
        raise
    return True


def remove_stale_temporaries(site_packages: Path) -> int:
    """Remove the temporaries of a reclaim that was killed; only call it holding the lock."""
    removed = 0
    for folder, names, files in os.walk(site_packages, followlinks=False):
        names[:] = [name for name in names if name != "__pycache__"]
        for name in files:
            if name.startswith(TEMPORARY_PREFIX):
                _unlink_quietly(os.path.join(folder, name))
                removed += 1
    return removed


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
