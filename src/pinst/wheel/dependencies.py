"""A distribution's dependencies: its METADATA's ``Requires-Dist`` lines, read once and kept small.

A wheel's lines are parsed when it is unpacked and kept in its entry's manifest, already in the
form the dependency check needs (``Dependency``), so that checking a venv after a warm install
imports neither ``packaging.requirements`` nor ``packaging.markers`` for the common lines. Lines
whose marker mentions only ``extra`` are settled there and then, as ``pip check`` settles them:
it evaluates markers with ``extra`` set to ``""``, so a dependency of an extra never counts
(``pytest; extra == "test"`` is dropped; ``six; extra != "x"`` always counts).

A distribution another installer put into the venv has no manifest: its METADATA's headers are
read here instead, and its lines parsed the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from pinst._core.names import canonical_name

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

# The project name a requirement starts with (PEP 508), to skip lines that cannot matter
# without parsing them.
LEADING_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
# Words a marker may hold besides its variables; anything else named in one is a variable.
MARKER_WORDS = frozenset(("and", "or", "not", "in"))
FOLD = re.compile(r"\r?\n[ \t]*")  # a header folded over lines, as the email parser keeps it
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
NOT_A_NAME = cast("NormalizedName", "")


class Dependency(NamedTuple):
    text: str  # as shown to the user: the line without its marker ("werkzeug>=3.1")
    name: NormalizedName  # normalized (PEP 503); "" when the line is not valid PEP 508
    specifier: str  # "" for any version
    marker: str  # "" when it always applies; else evaluated for the venv's interpreter


def parse_requires_dist(lines: Sequence[str]) -> tuple[Dependency, ...]:
    """The dependencies that may count, from ``Requires-Dist`` values, in their order.

    A line that is not valid PEP 508 is kept with no name, so that the check can say so, as
    ``pip check`` does, instead of quietly passing over it.
    """
    if not lines:
        return ()
    from packaging.requirements import InvalidRequirement, Requirement

    found: list[Dependency] = []
    for folded in lines:
        line = FOLD.sub(" ", folded).strip()
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            found.append(Dependency(line, NOT_A_NAME, "", ""))
            continue
        marker = str(requirement.marker) if requirement.marker is not None else ""
        if marker and _only_extra(marker):
            settled = _holds_without_extra(marker)
            if settled is False:
                continue
            if settled:
                marker = ""
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        specifier = str(requirement.specifier)
        text = f"{requirement.name}{extras}{specifier}"
        if requirement.url:
            text = f"{requirement.name}{extras} @ {requirement.url}"
        found.append(Dependency(text, canonical_name(requirement.name), specifier, marker))
    return tuple(found)


def _holds_without_extra(marker: str) -> bool | None:
    """The value of a marker that names only ``extra``, with none asked for; None if it cannot
    be evaluated (the check then evaluates it again, and counts the dependency)."""
    from packaging.markers import Marker

    try:
        return Marker(marker).evaluate({"extra": ""})
    except (ValueError, KeyError):  # what packaging raises for a marker it cannot evaluate
        return None


def _only_extra(marker: str) -> bool:
    """Does ``marker`` name no variable but ``extra``? Its value is then the same everywhere."""
    return set(WORD.findall(QUOTED.sub("", marker))) <= MARKER_WORDS | {"extra"}


def requires_dist(dist_info: Path) -> list[str]:
    """The ``Requires-Dist`` values of an installed distribution's METADATA, [] if unreadable.

    Only the headers are read, not the body (a long description), and without the email
    package: a header folded over several lines is joined again.
    """
    values: list[str] = []
    current: str | None = None
    try:
        with open(dist_info / "METADATA", encoding="utf-8", errors="replace") as metadata:
            for line in metadata:
                if not line.strip():
                    break  # the end of the headers
                if line[0] in " \t":
                    if current is not None:
                        current += " " + line.strip()
                    continue
                if current is not None:
                    values.append(current)
                    current = None
                key, _, value = line.partition(":")
                if key.strip().lower() == "requires-dist":
                    current = value.strip()
    except OSError:
        return []
    if current is not None:
        values.append(current)
    return values


def leading_name(line: str) -> NormalizedName:
    """The normalized project name a ``Requires-Dist`` line starts with, "" if none."""
    found = LEADING_NAME.match(line)
    return canonical_name(found[1]) if found else NOT_A_NAME
