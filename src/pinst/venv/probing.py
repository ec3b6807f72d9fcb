"""Asking a Python what it is: the probe run in it, and what its answer may and may not be.

pinst runs an interpreter once with a small probe script (``venv/_interpreter_probe.py``,
standard library only, so that any Python answers it) for its raw facts, and computes the wheel
tags from them in its own process (``venv/interpreter_tags.py``). Targets are CPython 3.8 and
newer and PyPy 3; an older Python is refused in words. This module also finds the Python that
``--python`` names. Only a new venv or an interpreter not seen before needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from pinst._core.errors import PinstError
from pinst.venv.interpreter import interpreter_from_record

PROBE_SCRIPT = Path(__file__).with_name("_interpreter_probe.py")
OLDEST_TARGET = (3, 8)
SUPPORTED_TARGETS = "CPython 3.8 to 3.14 and PyPy 3.8 or newer"


def find_python(python: str | None) -> str:
    """Resolve ``--python`` (a path, a command name, or a version such as ``3.12``)."""
    if python is None:
        return sys.executable
    if os.sep in python or Path(python).is_file():
        if Path(python).is_file() and os.access(python, os.X_OK):
            return python
        raise PinstError(f"--python {python}: no executable file at that path.")
    candidates = [python]
    if python[:1].isdigit():
        candidates = [f"python{python}"]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise PinstError(
        f"--python {python}: no such interpreter on PATH. Pass the path of a Python executable, "
        "a command name such as python3.12, or a version such as 3.12 that has a "
        "python3.12 command on PATH."
    )


def probe(executable: Path, while_probing: Callable[[], None]) -> tuple[int, str, str]:
    """Run the probe in ``executable``: its exit status, stdout and stderr.

    ``-E -s``: the user's PYTHONPATH, PYTHONHOME and user site-packages are no part of what the
    interpreter is (``-I`` would say both, but Python 2.7 does not know it and must answer)."""
    import subprocess

    with subprocess.Popen(
        [str(executable), "-E", "-s", str(PROBE_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as running:
        try:
            while_probing()
        finally:
            stdout, stderr = running.communicate()  # also when while_probing failed: no zombie
    return running.returncode, stdout, stderr


def run_probe(executable: Path, while_probing: Callable[[], None]) -> str:
    """The probe's answer from a venv's interpreter, or the reason it gave none."""
    status, stdout, stderr = probe(executable, while_probing)
    if status != 0:
        raise PinstError(
            f"Could not inspect the interpreter {executable}: "
            f"{telling_line(stderr or stdout, status)}. Check that it runs, or recreate the venv."
        )
    return stdout


def record_from_answer(answer: str, executable: Path) -> dict[str, object]:
    """The record pinst caches for an interpreter: its probe's answer, with the wheel tags
    computed from it."""
    from pinst.venv.interpreter_tags import (
        supported_tags,
    )  # only for an interpreter not seen before

    try:
        facts = json.loads(answer)
        if not isinstance(facts, dict):
            raise TypeError("not a JSON object")
        check_supported(facts, executable)
        record: dict[str, object] = {
            key: facts[key] for key in ("executable", "prefix", "cache_tag", "scheme", "markers")
        }
        record.update(
            version=facts["version_info"][:3],
            implementation=facts["implementation"],
            tags=supported_tags(facts),
        )
        interpreter_from_record(record)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise PinstError(
            f"The interpreter {executable} answered pinst's probe with facts pinst cannot read "
            f"({type(error).__name__}: {error}). Check that it is one of {SUPPORTED_TARGETS}, "
            "or recreate the venv."
        ) from None
    return record


def check_supported(facts: dict[str, object], executable: Path) -> None:
    """Refuse, in words, an interpreter older than pinst can install for."""
    version = facts.get("version_info")
    implementation = str(facts.get("implementation", "Python"))
    if not isinstance(version, list) or len(version) < 3:
        raise PinstError(
            f"The interpreter {executable} did not say which Python version it is. Check that "
            f"it is a Python pinst supports ({SUPPORTED_TARGETS})."
        )
    name = {"cpython": "CPython", "pypy": "PyPy"}.get(implementation, implementation)
    dotted = ".".join(str(part) for part in version[:3])
    if tuple(version[:2]) < OLDEST_TARGET:
        raise PinstError(
            f"{executable} is {name} {dotted}, which pinst cannot install for: its targets are "
            f"{SUPPORTED_TARGETS}. Pass --python with one of those, or recreate the venv with "
            "one."
        )


def not_a_python(asked: str, executable: Path, output: str, status: int) -> str:
    """Why ``--python asked`` (found at ``executable``) gave no answer, and what to pass instead."""
    where = f"the command {executable.name} found on PATH ({executable})"
    if os.sep in asked:
        where = str(executable)
    said = f"it said '{telling_line(output, status)}'"
    if not output.strip():
        said = f"it exited with status {status} and printed no answer"
    message = f"--python {asked}: {where} is not a working Python: {said}. "
    if "pyenv" not in output:
        return message + f"Pass --python the path of a working Python ({SUPPORTED_TARGETS})."
    listed = _pyenv_versions(output)
    real = executable.parent.parent / "versions" / (listed or "?") / "bin" / executable.name
    example = f", such as {real}" if listed and real.is_file() else ""
    return (
        message + "It is a pyenv shim of a version pyenv has not selected here: pass the "
        f"interpreter's full path{example}, or select that version first "
        f"('pyenv shell {listed or 'VERSION'}', or 'pyenv global' / 'pyenv local')."
    )


def _pyenv_versions(output: str) -> str | None:
    """The first version a pyenv shim lists as having the command (after "exists in these
    Python versions:"), if it lists one."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if "exists in these Python versions" in line:
            following = [entry.strip() for entry in lines[index + 1 :] if entry.strip()]
            return following[0] if following else None
    return None


def telling_line(output: str, status: int) -> str:
    """The line of a failed command's output that says what went wrong, without its final
    punctuation (the message around it has its own): the last line of a traceback, else the
    first line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return f"exit status {status}"
    line = lines[-1] if any(line.startswith("Traceback") for line in lines) else lines[0]
    line = line.rstrip(" .:")
    return line if len(line) <= 200 else line[:200] + "..."
