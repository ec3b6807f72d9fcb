"""The target venv and the facts about its interpreter that an install needs.

``packaging`` can only compute tags and marker values for the interpreter it runs in, so pinst
runs the target's interpreter once with a small probe script and caches the answer, keyed by the
interpreter's real path, size and mtime: a warm install never starts a second Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pinst import STATE_DIR
from pinst.errors import PinstError
from pinst.facts_cache import facts_file, read_facts, write_facts
from pinst.venv_state import VenvLock, state_dir

CREATING_MARK = "creating"  # in the venv's state directory while pinst creates the venv

PROBE_SCRIPT = Path(__file__).with_name("_interpreter_probe.py")
FACTS_FORMAT = 3


class Scheme(NamedTuple):
    """Where each kind of wheel content goes in this venv (the wheel spec's install scheme)."""

    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    headers: Path

    def kept_directories(self) -> list[str]:
        """The directories removing a package never removes, even when it leaves them empty."""
        return [str(path) for path in (self.purelib, self.platlib, self.scripts, self.headers)]

    def path_for(self, key: str) -> Path:
        return {
            "purelib": self.purelib,
            "platlib": self.platlib,
            "scripts": self.scripts,
            "data": self.data,
            "headers": self.headers,
        }[key]


class Interpreter:
    """What pinst needs to know about the venv's Python to choose and install wheels for it."""

    def __init__(
        self,
        *,
        executable: Path,
        version: tuple[int, int, int],
        implementation: str,
        cache_tag: str,
        scheme: Scheme,
        markers: dict[str, str],
        tags: tuple[str, ...],
    ) -> None:
        self.executable = executable
        self.version = version
        self.implementation = implementation
        self.cache_tag = cache_tag  # names bytecode files: "cpython-311" in mod.cpython-311.pyc
        self.scheme = scheme
        self.markers = markers
        self.tags = tags  # most preferred first, as ``packaging.tags.sys_tags()`` gives them

    def _facts(self) -> tuple[object, ...]:
        return (
            self.executable,
            self.version,
            self.implementation,
            self.cache_tag,
            self.scheme,
            self.markers,
            self.tags,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Interpreter) and self._facts() == other._facts()

    def __repr__(self) -> str:
        return f"Interpreter{self._facts()!r}"

    @cached_property
    def tag_rank(self) -> dict[str, int]:
        """Tag -> position in preference order (lower is better)."""
        return {tag: rank for rank, tag in enumerate(self.tags)}

    @property
    def python_version(self) -> str:
        return ".".join(str(part) for part in self.version)


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

    The caller holds the venv's lock (``lock_venv``), whose directory may already be there.
    ``while_probing`` runs while the interpreter is probed, if it is (see
    ``inspect_interpreter``).
    """
    path = path.absolute()
    created = False
    if _needs_creating(path):
        creating = state_dir(path) / CREATING_MARK
        creating.parent.mkdir(parents=True, exist_ok=True)
        creating.touch()  # a run killed while creating leaves it: the next one starts over
        try:
            create_venv(path, python)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)  # nothing there was anybody else's
            raise
        creating.unlink()
        created = True
    else:
        _check_is_venv(path)
    interpreter = inspect_interpreter(venv_python(path), facts_cache, while_probing)
    return Venv(path=path, interpreter=interpreter, created=created)


@contextmanager
def lock_venv(path: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the venv's lock (see ``venv_state.py``) for the block; a venv is made for it if
    needed. A path that is there must be a venv (or one pinst was making)."""
    if not _needs_creating(path):
        _check_is_venv(path)
    try:
        lock = VenvLock(path, on_wait).__enter__()
    except OSError as error:
        raise PinstError(
            f"cannot lock the venv {path} ({error.strerror}): pinst needs to create "
            f"{state_dir(path)} there. Check that the directory is writable, or choose "
            "another --venv."
        ) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def existing_venv(path: Path, facts_cache: Path | None) -> Venv:
    """The venv at ``path``, for a command that reads or removes and so never creates one."""
    path = path.absolute()
    if not path.exists():
        raise PinstError(
            f"there is no virtual environment at {path}. Pass --venv with the path of one, or "
            f"create one with 'pinst venv {path}'."
        )
    _check_is_venv(path)
    interpreter = inspect_interpreter(venv_python(path), facts_cache)
    return Venv(path=path, interpreter=interpreter, created=False)


def _needs_creating(path: Path) -> bool:
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


def _check_is_venv(path: Path) -> None:
    if not path.is_dir():
        raise PinstError(
            f"--venv {path} is not a directory. Point --venv at a virtual environment, "
            "or at a path that does not exist yet for pinst to create one there."
        )
    if not (path / "pyvenv.cfg").is_file() or not venv_python(path).exists():
        raise PinstError(
            f"{path} is not a virtual environment (it has no pyvenv.cfg or no "
            f"{venv_python(path).relative_to(path)}). pinst only installs into venvs: pass "
            "--venv with a new path and pinst will create one, or create it with "
            f"'python -m venv {path}'."
        )


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


def create_venv(path: Path, python: str | None) -> None:
    import subprocess  # only for a new venv or interpreter: a warm run never needs it

    executable = find_python(python)
    result = subprocess.run(
        [executable, "-m", "venv", "--without-pip", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise PinstError(
            f"Could not create a virtual environment at {path} with {executable}: "
            f"{detail[-1] if detail else 'exit status ' + str(result.returncode)}. "
            "Check that the directory is writable and that this Python has the venv module."
        )


def inspect_interpreter(
    executable: Path, facts_cache: Path | None, while_probing: Callable[[], None] = lambda: None
) -> Interpreter:
    """Facts about the venv interpreter ``executable``, probed once per real interpreter.

    Tags, markers and the scheme's layout belong to the interpreter binary, not to the venv that
    runs it: a venv changes only ``sys.prefix``. So the facts are cached per real interpreter
    (path, size, mtime) and their paths rebased onto each venv's prefix: a new venv of a Python
    pinst has seen before costs no subprocess.

    A probe takes about 40 ms, nearly all of it in the other Python: ``while_probing`` runs
    meanwhile, so that work the run needs next is done in that time, not after it.
    """
    prefix = str(executable.absolute().parent.parent)  # <venv>/bin/python
    cached = facts_file(facts_cache, _interpreter_key(executable))
    text = read_facts(cached) if cached is not None else None
    if text is not None:
        try:
            facts = _rebased(json.loads(text), prefix)
            if facts is not None:
                return _interpreter_from_json(facts)
        except (ValueError, KeyError, TypeError, AssertionError):
            pass  # a damaged or old record: probe again and overwrite it
    raw = _run_probe(executable, while_probing)
    if cached is not None:
        write_facts(cached, raw)
    return _interpreter_from_json(json.loads(raw))


def _rebased(facts: dict[str, object], prefix: str) -> dict[str, object] | None:
    """The facts as the same interpreter would report them from ``prefix``, if derivable."""
    old = str(facts["prefix"])
    scheme = facts["scheme"]
    assert isinstance(scheme, dict)
    paths = [str(facts["executable"]), *map(str, scheme.values())]
    if not all(path == old or path.startswith(old + os.sep) for path in paths):
        return None  # a layout not under the prefix: only a fresh probe can tell

    def rebase(path: object) -> str:
        return prefix + str(path)[len(old) :]

    return {
        **facts,
        "prefix": prefix,
        "executable": rebase(facts["executable"]),
        "scheme": {key: rebase(path) for key, path in scheme.items()},
    }


def _interpreter_key(executable: Path) -> str:
    real = executable.resolve()
    stat = real.stat()
    ident = f"{FACTS_FORMAT}|{real}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def _run_probe(executable: Path, while_probing: Callable[[], None]) -> str:
    import subprocess

    import packaging

    packaging_parent = str(Path(packaging.__file__).parent.parent)
    env = dict(os.environ, PYTHONPATH=packaging_parent)
    env.pop("PYTHONHOME", None)
    with subprocess.Popen(
        [str(executable), "-s", str(PROBE_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as probe:
        try:
            while_probing()
        finally:
            stdout, stderr = probe.communicate()  # also when while_probing failed: no zombie
    if probe.returncode != 0:
        detail = stderr.strip().splitlines()
        raise PinstError(
            f"Could not inspect the interpreter {executable}: "
            f"{detail[-1] if detail else 'exit status ' + str(probe.returncode)}. "
            "Check that it runs, or recreate the venv."
        )
    return stdout


def _interpreter_from_json(data: dict[str, object]) -> Interpreter:
    scheme = data["scheme"]
    assert isinstance(scheme, dict)
    version = data["version"]
    assert isinstance(version, list)
    markers = data["markers"]
    assert isinstance(markers, dict)
    tags = data["tags"]
    assert isinstance(tags, list)
    return Interpreter(
        executable=Path(str(data["executable"])),
        version=(int(version[0]), int(version[1]), int(version[2])),
        implementation=str(data["implementation"]),
        cache_tag=str(data["cache_tag"]),
        scheme=Scheme(**{key: Path(value) for key, value in scheme.items()}),
        markers={str(k): str(v) for k, v in markers.items()},
        tags=tuple(str(tag) for tag in tags),
    )
