"""The target venv and the facts about its interpreter that an install needs.

pinst runs the target's interpreter once with a small probe script (``venv/_interpreter_probe.py``,
standard library only, so that any Python answers it) for its raw facts, computes the wheel tags
from them in its own process (``venv/interpreter_tags.py``), and caches the result, keyed by the
interpreter's real path, size and mtime: a warm install never starts a second Python. Targets
are CPython 3.8 and newer and PyPy 3; an older Python is refused in words.
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
from pinst._core.errors import PinstError
from pinst.venv.facts import facts_file, read_facts, write_facts
from pinst.venv.state import VenvLock, state_dir

CREATING_MARK = "creating"  # in the venv's state directory while pinst creates the venv

PROBE_SCRIPT = Path(__file__).with_name("_interpreter_probe.py")
FACTS_FORMAT = 4
OLDEST_TARGET = (3, 8)
SUPPORTED_TARGETS = "CPython 3.8 to 3.14 and PyPy 3.8 or newer"
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "headers")


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
    if not _needs_creating(path):
        _check_is_venv(path)
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


@contextmanager
def lock_venv(path: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the venv's lock (see ``venv/state.py``) for the block; a venv is made for it if
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


def create_venv(path: Path, python: str | None, facts_cache: Path | None = None) -> None:
    import subprocess  # only for a new venv or interpreter: a warm run never needs it

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
            f"{_telling_line(result.stderr or result.stdout, result.returncode)}. "
            "Check that the directory is writable and that this Python has the venv module."
        )


def check_python(executable: Path, asked: str, facts_cache: Path | None) -> None:
    """Before a venv is made from ``--python``: it is a Python that runs, and one pinst supports.

    A record in the facts cache says both for an interpreter probed before, such as the real
    interpreter a venv's ``bin/python`` leads to. A probe's answer here is not cached: a base
    installation's scheme is not a venv's (Debian puts it under /usr/local)."""
    if facts_cache is not None and (facts_cache / f"{_interpreter_key(executable)}.json").is_file():
        return
    status, stdout, stderr = _probe(executable, lambda: None)
    try:
        facts = json.loads(stdout) if status == 0 else None
    except ValueError:
        facts = None
    if not isinstance(facts, dict):
        raise PinstError(_not_a_python(asked, executable, stderr or stdout, status))
    _check_supported(facts, executable)


def _not_a_python(asked: str, executable: Path, output: str, status: int) -> str:
    where = f"the command {executable.name} found on PATH ({executable})"
    if os.sep in asked:
        where = str(executable)
    said = f"it said '{_telling_line(output, status)}'"
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


def _telling_line(output: str, status: int) -> str:
    """The line of a failed command's output that says what went wrong, without its final
    punctuation (the message around it has its own): the last line of a traceback, else the
    first line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return f"exit status {status}"
    line = lines[-1] if any(line.startswith("Traceback") for line in lines) else lines[0]
    line = line.rstrip(" .:")
    return line if len(line) <= 200 else line[:200] + "..."


def _check_supported(facts: dict[str, object], executable: Path) -> None:
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


def inspect_interpreter(
    executable: Path, facts_cache: Path | None, while_probing: Callable[[], None] = lambda: None
) -> Interpreter:
    """Facts about the venv interpreter ``executable``, probed once per real interpreter.

    Tags, markers and the scheme's layout belong to the interpreter binary, not to the venv that
    runs it: a venv changes only ``sys.prefix``. So the facts are cached per real interpreter
    (path, size, mtime) and their paths rebased onto each venv's prefix: a new venv of a Python
    pinst has seen before costs no subprocess, and no tag computation.

    A probe takes about 40 ms, nearly all of it in the other Python: ``while_probing`` runs
    meanwhile, so that work the run needs next is done in that time, not after it.
    """
    prefix = str(executable.absolute().parent.parent)  # <venv>/bin/python
    cached = facts_file(facts_cache, _interpreter_key(executable))
    text = read_facts(cached) if cached is not None else None
    if text is not None:
        interpreter = _read_record(text, prefix)
        if interpreter is not None:
            return interpreter
    record = _describe(_run_probe(executable, _also_import_tags(while_probing)), executable)
    interpreter = _interpreter_from_json(record)
    if cached is not None:
        write_facts(cached, json.dumps(record))
    return interpreter


def _also_import_tags(while_probing: Callable[[], None]) -> Callable[[], None]:
    """``while_probing``, after importing what computes the tags (``packaging.tags`` takes a
    fair part of a probe's time): done while the probe runs, not after it."""

    def both() -> None:
        import pinst.venv.interpreter_tags  # noqa: F401

        while_probing()

    return both


def _read_record(text: str, prefix: str) -> Interpreter | None:
    """The cached facts as they hold for the venv at ``prefix``; None for a record that is
    damaged, of an older format, or that would send files anywhere but into the venv."""
    try:
        facts = _rebased(json.loads(text), prefix)
        return None if facts is None else _interpreter_from_json(facts)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # probe again and overwrite it


def _rebased(facts: dict[str, object], prefix: str) -> dict[str, object] | None:
    """The facts as the same interpreter would report them from ``prefix``, if derivable."""
    old = facts["prefix"]
    scheme = facts["scheme"]
    if not isinstance(old, str) or not isinstance(scheme, dict):
        return None
    paths = [facts["executable"], *scheme.values()]
    if not _plain_absolute(old) or not all(_plain_under(path, old) for path in paths):
        return None  # a layout not under the prefix: only a fresh probe can tell

    def rebase(path: object) -> str:
        return prefix + str(path)[len(old) :]

    return {
        **facts,
        "prefix": prefix,
        "executable": rebase(facts["executable"]),
        "scheme": {key: rebase(path) for key, path in scheme.items()},
    }


def _plain_absolute(path: object) -> bool:
    """An absolute path with no ``..`` in it, that cannot lead out of where it seems to be."""
    return isinstance(path, str) and os.path.isabs(path) and ".." not in Path(path).parts


def _plain_under(path: object, prefix: str) -> bool:
    return _plain_absolute(path) and (path == prefix or str(path).startswith(prefix + os.sep))


def _interpreter_key(executable: Path) -> str:
    real = executable.resolve()
    stat = real.stat()
    ident = f"{FACTS_FORMAT}|{real}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def _probe(executable: Path, while_probing: Callable[[], None]) -> tuple[int, str, str]:
    """Run the probe in ``executable``: its exit status, stdout and stderr.

    ``-E -s``: the user's PYTHONPATH, PYTHONHOME and user site-packages are no part of what the
    interpreter is (``-I`` would say both, but Python 2.7 does not know it and must answer)."""
    import subprocess

    with subprocess.Popen(
        [str(executable), "-E", "-s", str(PROBE_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as probe:
        try:
            while_probing()
        finally:
            stdout, stderr = probe.communicate()  # also when while_probing failed: no zombie
    return probe.returncode, stdout, stderr


def _run_probe(executable: Path, while_probing: Callable[[], None]) -> str:
    """The probe's answer from a venv's interpreter, or the reason it gave none."""
    status, stdout, stderr = _probe(executable, while_probing)
    if status != 0:
        raise PinstError(
            f"Could not inspect the interpreter {executable}: "
            f"{_telling_line(stderr or stdout, status)}. Check that it runs, or recreate the venv."
        )
    return stdout


def _describe(answer: str, executable: Path) -> dict[str, object]:
    """The record pinst caches for an interpreter: its probe's answer, with the wheel tags
    computed from it."""
    from pinst.venv.interpreter_tags import supported_tags  # only for an interpreter not seen before

    try:
        facts = json.loads(answer)
        if not isinstance(facts, dict):
            raise TypeError("not a JSON object")
        _check_supported(facts, executable)
        record: dict[str, object] = {
            key: facts[key] for key in ("executable", "prefix", "cache_tag", "scheme", "markers")
        }
        record.update(
            version=facts["version_info"][:3],
            implementation=facts["implementation"],
            tags=supported_tags(facts),
        )
        _interpreter_from_json(record)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise PinstError(
            f"The interpreter {executable} answered pinst's probe with facts pinst cannot read "
            f"({type(error).__name__}: {error}). Check that it is one of {SUPPORTED_TARGETS}, "
            "or recreate the venv."
        ) from None
    return record


def _interpreter_from_json(data: dict[str, object]) -> Interpreter:
    """An interpreter record read back; ValueError or TypeError if it is not one."""
    scheme = data["scheme"]
    if not isinstance(scheme, dict) or sorted(scheme) != sorted(SCHEME_KEYS):
        raise ValueError(f"a scheme without exactly the keys {', '.join(SCHEME_KEYS)}")
    if not all(_plain_absolute(path) for path in scheme.values()):
        raise ValueError("a scheme path that is not absolute, or has '..' in it")
    version = data["version"]
    if not isinstance(version, list) or len(version) != 3:
        raise ValueError("a version that is not three numbers")
    markers = data["markers"]
    if not isinstance(markers, dict):
        raise TypeError("markers that are not a mapping")
    tags = data["tags"]
    if not isinstance(tags, list) or not tags:
        raise ValueError("no tags")
    return Interpreter(
        executable=Path(_text(data["executable"])),
        version=(_number(version[0]), _number(version[1]), _number(version[2])),
        implementation=_text(data["implementation"]),
        cache_tag=_text(data["cache_tag"]),
        scheme=Scheme(**{key: Path(_text(path)) for key, path in scheme.items()}),
        markers={_text(key): _text(value) for key, value in markers.items()},
        tags=tuple(_text(tag) for tag in tags),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not a whole number")
    return value
