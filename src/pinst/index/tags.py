"""Which wheels a target interpreter can run, and which of them fits it best.

Kept apart from the index code so that a warm install, which only checks cached wheels against
the target, imports nothing of the network side.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pinst.wheel.filename import WheelFilename

if TYPE_CHECKING:
    from pinst.venv.interpreter import Interpreter

# A build number of more than 100 digits is no real one, and int() refuses 4300 digits.
BUILD_TAG = re.compile(r"(\d{1,100})(\D.*)?")


def wheel_rank(filename: str, interpreter: Interpreter) -> tuple[int, ...] | None:
    """A sort key for a wheel on this interpreter (lower is better); None if it cannot run there."""
    return rank_wheel(filename, interpreter.tag_rank)


def rank_wheel(filename: str, tag_rank: dict[str, int]) -> tuple[int, ...] | None:
    # The lenient split: a non-PEP 440 version, which a ``===`` pin exists for, still ranks.
    wheel = WheelFilename.split(filename)
    if wheel is None:
        return None
    ranks = [tag_rank[tag] for tag in expand_tags(*wheel.tag_sets) if tag in tag_rank]
    if not ranks:
        return None
    # The build tag breaks ties between otherwise identical wheels: the higher build wins.
    if wheel.build is None:
        return (min(ranks), 1)
    build = BUILD_TAG.fullmatch(wheel.build)
    if build is None:
        return None
    return (min(ranks), 0, -int(build[1]), *_descending(build[2] or ""))


def expand_tags(interpreters: str, abis: str, platforms: str) -> list[str]:
    """A compressed tag set (``py2.py3-none-any``) as the tags it stands for, in the lower-case
    form of ``str(packaging.tags.Tag)``: what ``packaging.tags.parse_tag`` gives, without
    importing ``packaging.tags`` on the warm path. A malformed part matches no target's tags."""
    return [
        f"{interpreter}-{abi}-{platform}"
        for interpreter in interpreters.lower().split(".")
        for abi in abis.lower().split(".")
        for platform in platforms.lower().split(".")
    ]


def _descending(text: str) -> tuple[int, ...]:
    """A key that sorts strings in reverse: negated code points, and a final 1 so that a
    longer string sorts before its own prefix."""
    return (*(-ord(char) for char in text), 1)
