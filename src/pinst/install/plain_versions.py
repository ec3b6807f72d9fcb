"""Does a version specifier allow a version? Judged here for the common kinds of both, as PEP 440
(and packaging, which implements it) judges them; anything else is left to packaging.

A warm install checks the dependencies of a hundred-odd distributions, and importing
``packaging.specifiers`` (its regular expressions compiled in every run) costs that check more
than judging every specifier here does (see "Levers taken on 2026-12-06" in
docs/internals/benchmark-history.md). So ``plain_verdict`` takes:

- an installed version that is a release, or a post-release in its normal form: ``2.0.1``,
  ``2.9.0.post0``;
- clauses with the operators ``>=``, ``<=``, ``<``, ``>``, ``==``, ``!=`` and a bound that is a
  release, a post-release or a pre-release (``2.0a0``, ``2.0rc1``, and the spellings PEP 440
  normalizes to those, such as ``2.0a.0``); ``~=`` with such a bound; ``==`` and ``!=`` with a
  release prefix (``==1.*``).

It returns None for the rest (epochs, dev-releases, local versions, ``===``, an installed
pre-release), which packaging then judges. ``tests/e2e/test_check.py`` holds every verdict to
packaging's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

RELEASE = r"[0-9]+(?:\.[0-9]+)*"
RELEASE_ONLY = re.compile(RELEASE)  # a prefix before ".*"
# An installed version judged here: a release, with a post-release in its normal form.
INSTALLED = re.compile(rf"({RELEASE})(?:\.post([0-9]+))?")
# A bound: a release, with a pre-release in any of PEP 440's spellings or a post-release in its
# normal form.
BOUND = re.compile(
    rf"({RELEASE})(?:[-_.]?(a|alpha|b|beta|rc|c|pre|preview)[-_.]?([0-9]*)|\.post([0-9]+))?"
)
CLAUSE = re.compile(r"\s*(~=|>=|<=|==|!=|<|>)\s*(\S+?)\s*")
PRE_RELEASE_ORDER = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "rc": 2, "c": 2, "pre": 2, "preview": 2}
PRE, FINAL, POST = 0, 1, 2  # where a version stands among the versions of its release


class PlainVersion(NamedTuple):
    """A version as PEP 440 orders it: its release (trailing zeros dropped: 1.0 == 1), then
    pre-releases, the release itself and its post-releases, in that order."""

    release: tuple[int, ...]
    stage: int  # PRE, FINAL or POST
    number: tuple[int, int]  # (kind of pre-release, its number); (0, post number); (0, 0)


def plain_verdict(specifier: str, version: str) -> bool | None:
    """Does ``specifier`` allow ``version``, pre-releases allowed; None where packaging must
    judge (see the module's docstring)."""
    installed = _installed(version)
    if installed is None:
        return None
    for clause in specifier.split(","):
        parts = CLAUSE.fullmatch(clause)
        if parts is None:
            return None
        holds = _holds(installed, parts[1], parts[2])
        if not holds:
            return holds  # False, or None for a clause packaging must judge
    return True


def _holds(installed: PlainVersion, operator: str, bound_text: str) -> bool | None:
    if bound_text.endswith(".*"):
        prefix = bound_text[:-2]
        if operator not in ("==", "!=") or not RELEASE_ONLY.fullmatch(prefix):
            return None
        matches = _has_prefix(installed, _numbers(prefix))
        return matches if operator == "==" else not matches
    parts = BOUND.fullmatch(bound_text)
    if parts is None:
        return None
    bound = _bound(parts)
    if operator == "~=":
        # ~=V: at least V, and the same release as V's without its last number.
        numbers = _numbers(parts[1])
        if len(numbers) < 2:
            return None  # not a valid ~= (packaging refused it when it read the metadata)
        return installed >= bound and _has_prefix(installed, numbers[:-1])
    same_release = installed.release == bound.release
    if operator == ">":
        # >V allows no post-release of a final V (the installed version is no pre-release, so
        # only those share V's release and sort after it).
        return installed > bound and not (same_release and bound.stage == FINAL)
    if operator == "<" and same_release and bound.stage == POST:
        return None  # <V.postN of V itself: packaging reads that as a range of its own
    return {
        ">=": installed >= bound,
        "<=": installed <= bound,
        "<": installed < bound,  # <V excludes V's pre-releases: the installed one is none
        "==": installed == bound,
        "!=": installed != bound,
    }[operator]


def _installed(text: str) -> PlainVersion | None:
    parts = INSTALLED.fullmatch(text)
    if parts is None:
        return None
    if parts[2] is None:
        return PlainVersion(_release(parts[1]), FINAL, (0, 0))
    return PlainVersion(_release(parts[1]), POST, (0, int(parts[2])))


def _bound(parts: re.Match[str]) -> PlainVersion:
    release = _release(parts[1])
    if parts[2] is not None:
        return PlainVersion(release, PRE, (PRE_RELEASE_ORDER[parts[2]], int(parts[3] or 0)))
    if parts[4] is not None:
        return PlainVersion(release, POST, (0, int(parts[4])))
    return PlainVersion(release, FINAL, (0, 0))


def _numbers(release: str) -> list[int]:
    return [int(part) for part in release.split(".")]


def _release(text: str) -> tuple[int, ...]:
    numbers = _numbers(text)
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def _has_prefix(installed: PlainVersion, prefix: list[int]) -> bool:
    """PEP 440's prefix match: the release, padded with zeros, starts with ``prefix`` (a pre- or
    post-release part plays no part). The dropped trailing zeros come back as padding."""
    release = [*installed.release, *[0] * (len(prefix) - len(installed.release))]
    return release[: len(prefix)] == prefix
