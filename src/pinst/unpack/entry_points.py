"""The console and GUI scripts a wheel's ``entry_points.txt`` declares, each checked.

The file is read as ``importlib.metadata`` reads it: ``[section]`` headers, ``name = value``
lines, ``#`` and ``;`` comments. Only the ``console_scripts`` and ``gui_scripts`` sections matter
to an installer (the others are plugins' business, read by the program), and in those every line
must be a script: a name that is a plain file name in ``bin/`` (``wheel/confinement.py``), and an
object reference ``module:function`` (the launcher calls the function: a bare module, which the
entry points specification allows elsewhere, gives it nothing to call). A line that is none of
this is refused with its number and text, where installer's parser fails with an empty
assertion.
"""

from __future__ import annotations

import re

from pinst.cache.manifest import EntryPoint
from pinst.wheel.confinement import script_name_problem

SCRIPT_SECTIONS = {"console_scripts": "console", "gui_scripts": "gui"}
# module:attribute, then optional [extras], which installers ignore; as loose as installer's,
# but never more: both are written into the launcher's Python code (wheel/launchers.py).
OBJECT_REFERENCE = re.compile(r"(?P<module>[\w.]+)\s*:\s*(?P<attribute>[\w.]+)\s*(?:\[.*\])?")


class BadEntryPoint(ValueError):
    """Completes "<wheel> is not a valid wheel: ...": names the line and what is wrong."""


def script_entry_points(text: str) -> tuple[EntryPoint, ...]:
    """The scripts ``text`` declares, in order; raises ``BadEntryPoint`` for a bad one."""
    scripts: list[EntryPoint] = []
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = SCRIPT_SECTIONS.get(line[1:-1].strip())
        elif section is not None:
            scripts.append(_script(line, number, section))
    return tuple(scripts)


def _script(line: str, number: int, section: str) -> EntryPoint:
    where = f"its entry_points.txt, line {number} ({line!r}),"
    name, equals, value = (part.strip() for part in line.partition("="))
    if not equals:
        raise BadEntryPoint(f"{where} is not of the form 'name = module:function'")
    if not name:
        raise BadEntryPoint(f"{where} gives a {section} script no name")
    problem = script_name_problem(name)
    if problem is not None:
        raise BadEntryPoint(f"{where} names the {section} script {name!r}, which {problem}")
    reference = OBJECT_REFERENCE.fullmatch(value)
    if reference is None:
        raise BadEntryPoint(
            f"{where} gives the {section} script {name!r} the object reference {value!r}, "
            "which is not of the form 'module:function'"
        )
    return EntryPoint(name, reference["module"], reference["attribute"], section)
