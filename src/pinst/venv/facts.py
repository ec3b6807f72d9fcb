"""Where the interpreter facts are kept between runs, under the trust rule (``_core/trust.py``).

``venv/target.py`` probes an interpreter once and keeps what it learned in the main cache's
``interpreters-v1``; the next run believes that file. So the folder and the file must be ones
nobody else could have written: otherwise pinst probes again, and says so once.
"""

from __future__ import annotations

import os
from pathlib import Path

from pinst._core.trust import UntrustedPath, read_trusted_file, trusted_directory, warn_once


def facts_file(folder: Path | None, key: str) -> Path | None:
    """The file for the facts named ``key``; None if there is no folder for them, or one pinst
    may not trust: the facts are then probed each run and kept nowhere."""
    if folder is None:
        return None
    try:
        trusted_directory(folder)
    except UntrustedPath as untrusted:
        warn_once(
            f"not using the interpreter facts in {untrusted.path}: {untrusted.reason}. pinst "
            "probes the interpreter instead, and keeps its facts nowhere until that is fixed "
            f"(chmod go-w {untrusted.path}, or remove it)."
        )
        return None
    return folder / f"{key}.json"


def read_facts(path: Path) -> str | None:
    """The facts kept in ``path``; None if there are none, or none pinst may believe."""
    try:
        return read_trusted_file(path)
    except UntrustedPath as untrusted:
        warn_once(
            f"not using the interpreter facts {path}: {untrusted.reason}. pinst probes the "
            "interpreter again and replaces that file with its own."
        )
        return None


def write_facts(path: Path, text: str) -> None:
    """Replace ``path`` whole; never writable by others, whatever the umask, since the file is
    believed when read back."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)
