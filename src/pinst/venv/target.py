"""The target venv: found where ``--venv`` (or ``VIRTUAL_ENV``) says, opened, or created.

A path that is there must be a virtual environment: pinst never installs into a Python
installation's own site-packages. A missing one is created with ``python -m venv`` from
``--python`` (or pinst's own Python); a run killed while creating it leaves a mark, and the
next run clears what it began and starts over. What the venv's interpreter is comes from
``venv/facts.py``; its lock is ``venv/lock.py``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pinst import STATE_DIR
from pinst._core.errors import PinstError
from pinst.venv.facts import check_python, inspect_interpreter
from pinst.venv.interpreter import Interpreter
from pinst.venv.state import state_dir

CREATING_MARK = "creating"  # in the venv's state directory while pinst creates the venv


class Venv(NamedTuple):
    path: Path
    interpreter: Interpreter
    created: bool  # pinst made it in this run (so it can remove it again if the install fails)


def default_venv_path() -> Path:
    active = os.environ.get("VIRTUAL_ENV")
    return Path(active) if active else Path(".venv")


def venv_python(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def open_venv(
    path: Path,
    python: str | None,
    facts_cache: Path | None,
    while_probing: Callable[[], None] = lambda: None,
) -> Venv:
    """Return the venv at ``path``, creating it with ``python`` (or pinst's Python) if missing.

    The caller holds the venv's lock (``venv/lock.py``), whose directory may already be there.
    ``while_probing`` runs while the interpreter is probed, if it is (see
    ``inspect_interpreter``).
    """
    path = path.absolute()
    if not needs_creating(path):
        check_is_venv(path)
        interpreter = inspect_interpreter(venv_python(path), facts_cache, while_probing)
        return Venv(path=path, interpreter=interpreter, created=False)
    creating = state_dir(path) / CREATING_MARK
    creating.parent.mkdir(parents=True, exist_ok=True)
    creating.touch()  # a run killed while creating leaves it: the next one starts over
    try:
        create_venv(path, python, facts_cache)
        creating.unlink()
        interpreter = inspect_interpreter(venv_python(path), facts_cache, while_probing)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)  # nothing there was anybody else's
        raise
    return Venv(path=path, interpreter=interpreter, created=True)


def existing_venv(path: Path, facts_cache: Path | None) -> Venv:
    """The venv at ``path``, for a command that reads or removes and so never creates one."""
    path = path.absolute()
    if not path.exists():
        raise PinstError(
            f"there is no virtual environment at {path}. Pass --venv with the path of one, or "
            f"create one with 'pinst venv {path}'."
        )
    check_is_venv(path)
    interpreter = inspect_interpreter(venv_python(path), facts_cache)
    return Venv(path=path, interpreter=interpreter, created=False)


def needs_creating(path: Path) -> bool:
    """True if nothing is at ``path`` but what pinst made to lock it or began to make there."""
    if not path.exists():
        return True
    if not path.is_dir() or ((path / "pyvenv.cfg").exists() and not _being_created(path)):
        return False
    if _being_created(path):
        _clear_unfinished(path)
        return True
    return {entry.name for entry in path.iterdir()} == {STATE_DIR}


def _being_created(path: Path) -> bool:
    return (state_dir(path) / CREATING_MARK).exists()


def _clear_unfinished(path: Path) -> None:
    """Remove what a killed run left of a venv it was creating (pinst's own state stays)."""
    for entry in path.iterdir():
        if entry.name == STATE_DIR:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def check_is_venv(path: Path) -> None:
    """Refuse, in words that say what to do instead, a ``path`` that is not a venv."""
    if not path.is_dir():
        raise PinstError(
            f"--venv {path} is not a directory. Point --venv at a virtual environment, "
            "or at a path that does not exist yet for pinst to create one there."
        )
    if (path / "pyvenv.cfg").is_file() and venv_python(path).exists():
        return
    installed = _installation_python(path)
    if installed is not None and not (path / "pyvenv.cfg").exists():
        raise PinstError(
            f"{path} looks like a Python installation, not a virtual environment: it has "
            f"{installed} but no pyvenv.cfg. pinst only installs into venvs, never into an "
            "interpreter's own site-packages: pass --venv with a new path and pinst will create "
            f"a venv there (add --python {installed} to make it from this Python)."
        )
    raise PinstError(
        f"{path} is not a virtual environment (it has no pyvenv.cfg or no "
        f"{venv_python(path).relative_to(path)}). pinst only installs into venvs: pass "
        "--venv with a new path and pinst will create one, or create it with "
        f"'python -m venv {path}'."
    )


def _installation_python(path: Path) -> Path | None:
    """The interpreter of the Python installation at ``path`` (``/usr``, a pyenv version)."""
    names = ["python.exe"] if sys.platform == "win32" else ["bin/python3", "bin/python"]
    return next((path / name for name in names if (path / name).is_file()), None)


def create_venv(path: Path, python: str | None, facts_cache: Path | None = None) -> None:
    import subprocess  # only for a new venv or interpreter: a warm run never needs it

    from pinst.venv.probing import find_python, telling_line  # likewise

    executable = find_python(python)
    if python is not None:  # pinst's own Python runs, and is one it supports
        check_python(Path(executable), python, facts_cache)
    result = subprocess.run(
        [executable, "-m", "venv", "--without-pip", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        raise PinstError(
            f"Could not create a virtual environment at {path} with {executable}: "
            f"{telling_line(result.stderr or result.stdout, result.returncode)}. "
            "Check that the directory is writable and that this Python has the venv module."
        )
