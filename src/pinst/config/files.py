"""Finding and reading pinst's config files: a project's and the user's.

The project file is ``pinst.toml`` (top-level keys) or the ``[tool.pinst]`` table of
``pyproject.toml``, in the working directory or the nearest parent that has either; in one
directory, ``pinst.toml`` wins (as ``uv.toml`` does for uv). The user file is ``pinst.toml`` in the
user config directory, or the file ``PINST_CONFIG_FILE`` names. ``PINST_NO_CONFIG`` (or
``--no-config``) skips them all.

Finding costs a few ``stat`` calls and reads nothing that cannot hold pinst's settings: a
``pyproject.toml`` that never mentions ``pinst`` is not parsed, so a run without config files
never imports the TOML parser. Every path looked at, found or not, is reported in ``examined``:
the install stamp depends on them, so creating or editing any of them is seen (see venv/stamp.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pinst._core.errors import UsageError
from pinst._core.toml import toml_parser

PROJECT_FILE = "pinst.toml"
PYPROJECT = "pyproject.toml"
USER_FILE = "pinst.toml"
# What the user file's location depends on (platformdirs reads these): part of the stamp too.
USER_DIR_VARIABLES = ("HOME", "XDG_CONFIG_HOME", "APPDATA")
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"", "0", "false", "no", "off"})


class ConfigFile(NamedTuple):
    path: Path
    label: str  # how ``pinst config`` and error messages name it
    table: Mapping[str, object]  # pinst's keys, as written

    @property
    def directory(self) -> Path:
        """Relative paths in the file are relative to this."""
        return self.path.parent


class Discovery:
    def __init__(self) -> None:
        self.files: list[ConfigFile] = []  # by precedence: project, then user
        self.examined: list[tuple[str, os.stat_result | None]] = []
        # The environment variables the user file's location depends on.
        self.variables: tuple[str, ...] = ()


def discover(
    no_config: bool = False, environ: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> Discovery:
    """The config files that apply, unless ``no_config`` or ``PINST_NO_CONFIG`` says none."""
    found = Discovery()
    if no_config or is_true(environ.get("PINST_NO_CONFIG", ""), "PINST_NO_CONFIG"):
        return found
    project = _project_file(Path.cwd() if cwd is None else cwd, found)
    if project is not None:
        found.files.append(project)
    user = _user_file(environ, found)
    if user is not None:
        found.files.append(user)
    return found


def is_true(text: str, variable: str) -> bool:
    """An environment variable's yes or no: 1/true/yes/on or 0/false/no/off (or empty)."""
    if text.strip().lower() in TRUE:
        return True
    if text.strip().lower() in FALSE:
        return False
    raise UsageError(f"{variable}={text!r} is neither yes nor no; use 1 or 0 (or true or false).")


def _project_file(start: Path, found: Discovery) -> ConfigFile | None:
    for directory in (start, *start.parents):
        path = directory / PROJECT_FILE
        content = _read(path, found)
        if content is not None:
            return _trusted(ConfigFile(path, f"file {path}", _parse(path, content)), start, found)
        path = directory / PYPROJECT
        content = _read(path, found)
        # Only a file that mentions pinst can have [tool.pinst]: the others are not parsed.
        if content is not None and b"pinst" in content:
            table = _tool_table(path, _parse(path, content))
            if table is not None:
                project = ConfigFile(path, f"file {path} [tool.pinst]", table)
                return _trusted(project, start, found)
    return None


def _trusted(project: ConfigFile, start: Path, found: Discovery) -> ConfigFile | None:
    """The project file, unless someone who could not change the working directory could have
    written it: then it is left out, with a warning.

    The search goes up through directories of other users (``/tmp``, ``/home``, a shared
    disk), and a file found there chooses the index, and so the code, that your installs run
    (as git's ``safe.directory`` check guards the same walk). A file of yours, root's, or the
    owner of the directory you run pinst in (whose project it is, and who can already change
    its requirements files) is used; one that any user may write is not.
    """
    from pinst._core.trust import config_file_problem, warn_once

    status = dict(found.examined)[str(project.path)]
    assert status is not None  # it was just read
    problem = config_file_problem(status, start)
    if problem is None:
        return project
    warn_once(
        f"pinst ignores the config file {project.path}: {problem}. If it is meant for this "
        "project, make it yours and writable only by you (chown, chmod go-w); otherwise "
        "remove it. The run goes on without it."
    )
    return None


def _user_file(environ: Mapping[str, str], found: Discovery) -> ConfigFile | None:
    named = environ.get("PINST_CONFIG_FILE")
    if named:
        path = Path(named).absolute()
        content = _read(path, found)
        if content is None:
            raise UsageError(
                f"PINST_CONFIG_FILE names {path}, which does not exist. Correct the path, or "
                "unset the variable."
            )
        return ConfigFile(path, f"file {path} (PINST_CONFIG_FILE)", _parse(path, content))
    from platformdirs import user_config_dir

    found.variables = USER_DIR_VARIABLES
    path = Path(user_config_dir("pinst", appauthor=False)) / USER_FILE
    content = _read(path, found)
    if content is None:
        return None
    return ConfigFile(path, f"user file {path}", _parse(path, content))


def _read(path: Path, found: Discovery) -> bytes | None:
    """The file's bytes, or None if there is none; either way ``path`` counts as examined."""
    try:
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())  # the version read, for the stamp
            content = file.read()
    except (FileNotFoundError, NotADirectoryError):
        found.examined.append((str(path), None))
        return None
    except OSError as error:
        raise UsageError(
            f"cannot read the config file {path}: {error.strerror or error}. Fix its "
            "permissions, or skip config files with --no-config (or PINST_NO_CONFIG=1)."
        ) from None
    found.examined.append((str(path), status))
    return content


def _parse(path: Path, content: bytes) -> dict[str, object]:
    parser = toml_parser()
    try:
        document: dict[str, object] = parser.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, parser.TOMLDecodeError) as error:
        raise UsageError(f"{path} is not valid TOML: {error}. Correct it.") from None
    return document


def _tool_table(path: Path, document: dict[str, object]) -> Mapping[str, object] | None:
    tool = document.get("tool")
    table = tool.get("pinst") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{path}: tool.pinst must be a table of settings, such as [tool.pinst].")
    return table
