"""``pinst venv PATH``: create a virtual environment, as ``uv venv`` does, for pinst to fill.

It refuses anything at PATH but an empty directory: an existing venv is never replaced behind the
user's back, and ``python -m venv`` into a full directory would mix the two. The venv is made
under the venv's lock, as ``pinst install`` makes one, so the two cannot race.
"""

from __future__ import annotations

from pathlib import Path

from pinst import STATE_DIR
from pinst._core.errors import PinstError
from pinst.cache.layout import Cache
from pinst.output.report import Reporter
from pinst.venv.lock import lock_venv
from pinst.venv.state import state_dir
from pinst.venv.target import CREATING_MARK, open_venv, venv_python

IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}  # as their projects spell them


def make_venv(path: Path, python: str | None, cache: Cache, reporter: Reporter) -> None:
    path = path.absolute()
    _check_free(path)
    if path.is_dir():
        # An empty directory is as good as a missing one: give it only the state directory the
        # lock lives in, which the venv creation of ``open_venv`` knows to build around.
        state_dir(path).mkdir(exist_ok=True)
    with lock_venv(path, reporter.info):
        _check_free(path)  # another pinst may have made one while this one waited
        venv = open_venv(path, python, cache.interpreters_if_present())
    interpreter = venv.interpreter
    reporter.info(
        f"Created a virtual environment at {path} with "
        f"{IMPLEMENTATIONS.get(interpreter.implementation, interpreter.implementation)} "
        f"{interpreter.python_version} ({_base_interpreter(path) or venv_python(path)})"
    )
    reporter.info(f"Activate with: source {venv_python(path).parent / 'activate'}")


def _check_free(path: Path) -> None:
    if not path.exists():
        return
    if not path.is_dir():
        raise PinstError(
            f"{path} exists and is not a directory, so pinst cannot create a virtual "
            "environment there. Choose another path, or remove that file first."
        )
    if (state_dir(path) / CREATING_MARK).exists():
        return  # a venv a killed pinst was making: ``open_venv`` clears it and starts over
    entries = {entry.name for entry in path.iterdir()} - {STATE_DIR}
    if (path / "pyvenv.cfg").exists():
        raise PinstError(
            f"{path} is already a virtual environment; pinst does not replace it. Install into "
            f"it with 'pinst install --venv {path}', or remove it first to create a new one."
        )
    if entries:
        raise PinstError(
            f"{path} is a directory that is not empty, so pinst does not create a virtual "
            "environment there. Choose a new or empty directory."
        )


def _base_interpreter(path: Path) -> str | None:
    """The interpreter the venv was made from, as ``pyvenv.cfg`` names it (Python 3.11+)."""
    try:
        lines = (path / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "executable":
            return value.strip()
    return None
