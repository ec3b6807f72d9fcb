"""The one rule for every path a wheel names: where it may land in a venv, and where not.

A wheel names paths in four places: its zip members, its RECORD rows, the files under
``<name>.data/<scheme>/`` (which land in the venv's scheme directories, the ``data`` scheme
being the venv's root) and its console and GUI entry points (which become files in ``bin/``).
A venv's RECORD files name paths too, and uninstalling follows them. None of these is trusted.

A path a wheel names must be, before it is joined to any directory:

- relative: no leading ``/``, no backslash and no ``:`` (a Windows drive or separator that
  another tool would honour), no NUL;
- normalised: no ``..`` component, no empty or ``.`` component (``a//b`` and ``./a`` are second
  names for ``a/b`` and ``a``);
- short enough for the filesystem: each component at most ``NAME_MAX`` bytes in UTF-8, the whole
  at most ``PATH_LIMIT`` bytes, so that it fits Linux's PATH_MAX under any install directory.

Such a path joined to a directory stays lexically inside it. Wheels cannot carry symbolic links
(``wheel/container.py`` refuses them), so nothing a wheel installs can redirect a later path.

It must also not land on the venv's own files (``venv_file_problem``): the interpreter links and
the activation scripts in ``bin/``, ``pyvenv.cfg``, the skeleton directories themselves (``bin``,
``lib``, ``lib64``, ``include``: a file may go under them, not replace them) and pinst's state
directory ``.pinst/`` with everything under it. The reserved names are a fixed list, as uv's are,
not what a venv's ``bin/`` happens to hold: a wheel is checked once, when it is unpacked into the
cache, for every venv it will ever go into, so the verdict cannot depend on one venv; and a venv
made by another tool holds scripts (``pip``, say) that packages may legitimately replace.
"""

from __future__ import annotations

import re

NAME_MAX = 255  # bytes in one path component, on Linux's common filesystems
# Half of Linux's PATH_MAX (4096): the other half is left for the directory the path goes in.
PATH_LIMIT = 2048
SCRIPTS_DIR = "bin"  # the scripts scheme, relative to a POSIX venv's root (the data scheme)
SCHEME_IN_VENV = {"scripts": SCRIPTS_DIR + "/", "data": ""}  # the others are under lib/, include/
# The interpreter links a venv creator makes (python, python3, python3.12, python3.13t,
# pythonw, pypy3.10, graalpy) and its activation scripts (activate, activate.fish,
# Activate.ps1, activate_this.py), compared case-insensitively: some filesystems are.
INTERPRETER = re.compile(r"(python|pypy|graalpy)[0-9.]*[tw]?")
ACTIVATION = re.compile(r"(de)?activate(\.[a-z0-9]+)?|activate_this\.py")
SKELETON = {SCRIPTS_DIR, "lib", "lib64", "include"}
CONFIGURATION = "pyvenv.cfg"
STATE = ".pinst"  # pinst.STATE_DIR, spelled out: this module imports nothing of pinst's


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a relative path inside a directory, or None if it can be one.

    The answer completes "member 'x' ...": it names what is wrong with the path.
    """
    if not path:
        return "is an empty path"
    if "\x00" in path:
        return "has a NUL character in its name"
    if path.startswith("/") or "\\" in path or ":" in path:
        return "has an absolute or non-portable path"
    parts = path.removesuffix("/").split("/")
    if ".." in parts:
        return "points outside the install directory"
    if "" in parts or "." in parts:
        # ``a//b`` and ``./a`` are ``a/b`` and ``a`` on disk: a duplicate in disguise.
        return "has an empty or '.' path component"
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > NAME_MAX:  # only then can a component be too long: most paths stop here
        return _length_problem(parts, size)
    return None


def _length_problem(parts: list[str], size: int) -> str | None:
    if size > PATH_LIMIT:
        return (
            f"is {size} bytes long, longer than the {PATH_LIMIT} bytes pinst allows for a path "
            "in a wheel (half of Linux's PATH_MAX, leaving room for the install directory)"
        )
    for part in parts:
        length = len(part.encode("utf-8", "surrogatepass"))
        if length > NAME_MAX:
            return (
                f"has a name of {length} bytes ({part[:40]!r}...), longer than the {NAME_MAX} "
                "bytes a file name may have on the filesystem (NAME_MAX)"
            )
    return None


def venv_file_problem(path: str) -> str | None:
    """Why ``path``, relative to a venv's root, is one of the venv's own files, or None.

    ``path`` must have passed ``path_problem``.
    """
    folded = path.removesuffix("/").casefold()
    top, _, rest = folded.partition("/")
    if top == STATE:
        return f"would go into {STATE}/, pinst's own state directory in the venv"
    if top == CONFIGURATION:
        return f"would replace the venv's {CONFIGURATION}"
    if not rest and top in SKELETON:
        return f"would replace the venv's {top}/ directory with a file"
    if top == SCRIPTS_DIR:
        name = rest.partition("/")[0]  # bin/python/x would need the interpreter as a folder
        if INTERPRETER.fullmatch(name):
            return f"would replace the venv's interpreter {SCRIPTS_DIR}/{name}"
        if ACTIVATION.fullmatch(name):
            return f"would replace the venv's activation script {SCRIPTS_DIR}/{name}"
    return None


def data_file_problem(scheme: str, path: str) -> str | None:
    """Why ``<name>.data/<scheme>/<path>`` cannot be installed, or None if it can be.

    The scripts scheme is the venv's ``bin/``, the data scheme its root: there, a path may land
    on the venv's own files. The other schemes' directories hold none of them.
    """
    problem = path_problem(path)
    if problem is None and scheme in SCHEME_IN_VENV:
        problem = venv_file_problem(SCHEME_IN_VENV[scheme] + path)
    return problem


def script_name_problem(name: str) -> str | None:
    """Why a console or GUI entry point's ``name`` cannot be a file in ``bin/``, or None.

    The entry points specification lets a name hold almost any character; a script's name is
    a file name in the scripts directory, so it may hold no path separator at all.
    """
    if "/" in name or "\\" in name or name in (".", ".."):
        return "is a path, not a file name in the scripts directory"
    return path_problem(name) or venv_file_problem(f"{SCRIPTS_DIR}/{name}")


def is_inside(path: str, directory: str) -> bool:
    """True if the normalised absolute ``path`` is ``directory`` or below it."""
    return path == directory or path.startswith(directory.removesuffix("/") + "/")
