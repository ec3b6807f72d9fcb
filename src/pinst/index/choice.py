"""Choosing the one wheel that installs an exact pin on the target interpreter.

The finder (``finder.py``) gathers a project's files; this module chooses among them (or, for a
direct-URL pin, makes the file its URL names). No resolving happens here: the pin names the
version, so the only choice is among that version's files, by the target's tag preference
order. When nothing fits, the error says why (wrong version, sdists only, no matching tags,
Requires-Python) and shows what does exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pinst._core.errors import PinstError
from pinst._core.urls import redact
from pinst._core.versions import pin_matches
from pinst.index.files import DistributionFile, split_hash_fragment
from pinst.index.tags import rank_wheel
from pinst.wheel.filename import WheelFilename, filename_from_url

if TYPE_CHECKING:
    from pinst.requirements.model import Pin
    from pinst.venv.interpreter import Interpreter

NEAREST_VERSIONS = 5
TAGS_SHOWN = 5


def choose_wheel(
    pin: Pin,
    files: Sequence[DistributionFile],
    interpreter: Interpreter,
    warn: Callable[[str], None],
) -> DistributionFile:
    """The best wheel among ``files`` for ``pin`` (an exact version) on ``interpreter``."""
    if pin.version is None:
        raise ValueError(f"{pin.text}: a pin without a version is a direct URL; use direct_file")
    of_the_version = same_version(pin)
    matching = [file for file in files if of_the_version(file.filename)]
    if not matching:
        raise _no_such_version(pin, files)
    wheels = [file for file in matching if file.filename.endswith(".whl")]
    if not wheels:
        raise _sdists_only(pin, matching)
    tag_rank = interpreter.tag_rank
    ranked = [
        (rank, file) for file in wheels if (rank := rank_wheel(file.filename, tag_rank)) is not None
    ]
    if not ranked:
        raise _no_compatible_wheel(pin, wheels, interpreter)
    allowed = [
        (rank, file)
        for rank, file in ranked
        if _admits(file.requires_python, interpreter.python_version)
    ]
    if not allowed:
        raise _python_excluded(pin, [file for _, file in ranked], interpreter)
    best = min(_preferred(pin, allowed), key=lambda pair: pair[0])[1]
    if best.yanked:
        reason = f": {best.yanked_reason}" if best.yanked_reason else " (no reason given)"
        warn(
            f"{pin.origin}: {pin.text} selects {best.filename}, which is yanked{reason}. "
            "Installing it because it is pinned exactly; consider moving to another version."
        )
    return best


def _preferred(
    pin: Pin, allowed: list[tuple[tuple[int, ...], DistributionFile]]
) -> list[tuple[tuple[int, ...], DistributionFile]]:
    """The candidates to take the best tag among, narrowed in pip's order of preference: files
    whose hash the pin lists (where the index tells the file's hash), files not yanked (PEP 592),
    files of the highest version.

    A pin matches more than one version only through local builds: ``==2.3.0`` matches
    ``2.3.0``, ``2.3.0+cpu`` and ``2.3.0+cu121`` (PEP 440), and, as pip does, the highest wins
    unless the pin's hashes name another.
    """
    current = [pair for pair in allowed if _listed_by(pin, pair[1])] or allowed
    current = [pair for pair in current if not pair[1].yanked] or current
    texts = {_file_version(file.filename) for _, file in current}
    if len(texts) == 1:
        return current  # one version, the usual case: nothing to parse
    version = {text: _parse_version(text) if text else None for text in texts}
    newest = max(parsed for parsed in version.values() if parsed is not None)
    return [pair for pair in current if version[_file_version(pair[1].filename)] == newest]


def _listed_by(pin: Pin, file: DistributionFile) -> bool:
    """Does the index give ``file`` a hash that the pin lists? (False when it gives none.)"""
    return any(digest in pin.hashes.get(algorithm, ()) for algorithm, digest in file.hashes.items())


def direct_file(pin: Pin) -> DistributionFile:
    """The file a direct-URL pin (https, http or file://) names."""
    if pin.url is None:
        raise ValueError(f"{pin.text}: not a direct URL pin")
    url, hashes = split_hash_fragment(pin.url)
    filename = filename_from_url(url)
    if not filename.endswith(".whl"):
        raise PinstError(
            f"{pin.origin}: {pin.text} points at {filename or redact(url)}, which is not a "
            "wheel. pinst installs wheels only; build one with `pip wheel` and point at it."
        )
    return DistributionFile(
        filename=filename,
        url=url,
        hashes=hashes,
        requires_python=None,
        yanked=False,
        yanked_reason=None,
        origin=redact(url),
    )


def _file_version(filename: str) -> str | None:
    """The version text in a wheel or sdist filename, as written (``===`` compares it raw)."""
    if filename.endswith(".whl"):
        wheel = WheelFilename.split(filename)
        return wheel.version if wheel else None
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            name_and_version = filename[: -len(suffix)]
            return name_and_version.rpartition("-")[2] if "-" in name_and_version else None
    return None


def same_version(pin: Pin) -> Callable[[str], bool]:
    """Whether a wheel or sdist filename is of the pin's version: by the version's value (so
    ``1.0`` is ``1.0.0``, and ``1.0+cpu`` a build of it, as PEP 440 has it), or its text for
    ``===``.

    The answer is kept per version text: a project's page repeats each version in dozens of
    filenames (PyPI lists thousands of files for some projects: see
    docs/internals/benchmark-history.md, section "Cold installs from PyPI: the pages"), and
    parsing a version costs more than looking it up.
    """
    pinned = pin.version
    wanted = None if pinned is None or pin.arbitrary_equality else _parse_version(pinned)
    known: dict[str, bool] = {}

    def matches(filename: str) -> bool:
        text = _file_version(filename)
        if text is None or pinned is None:
            return False
        answer = known.get(text)
        if answer is None:
            if pin.arbitrary_equality:
                answer = text == pinned
            else:
                parsed = _parse_version(text)
                answer = parsed is not None and wanted is not None and pin_matches(parsed, wanted)
            known[text] = answer
        return answer

    return matches


def _parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _admits(requires_python: str | None, python_version: str) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True  # a broken Requires-Python on the index should not block a deliberate pin


def _where(files: Sequence[DistributionFile]) -> str:
    origins = sorted({file.origin for file in files})
    return ", ".join(origins) if origins else "the configured indexes"


def _no_such_version(pin: Pin, files: Sequence[DistributionFile]) -> PinstError:
    versions = {
        version
        for file in files
        if (text := _file_version(file.filename)) and (version := _parse_version(text))
    }
    newest = sorted(versions, reverse=True)[:NEAREST_VERSIONS]
    available = (
        f"the newest available are {', '.join(str(v) for v in newest)}"
        if newest
        else "it lists no installable files at all"
    )
    return PinstError(
        f"{pin.origin}: {pin.text}: no file for version {pin.version} on {_where(files)}; "
        f"{available}. Fix the pin in {pin.origin}."
    )


def _sdists_only(pin: Pin, sdists: Sequence[DistributionFile]) -> PinstError:
    names = ", ".join(file.filename for file in sdists)
    return PinstError(
        f"{pin.origin}: {pin.text}: {_where(sdists)} has only source distributions for "
        f"version {pin.version} ({names}). pinst installs wheels only; build one with "
        "`pip wheel` and use --find-links to point pinst at the directory it is in."
    )


def _no_compatible_wheel(
    pin: Pin, wheels: Sequence[DistributionFile], interpreter: Interpreter
) -> PinstError:
    names = ", ".join(file.filename for file in wheels)
    best_tags = ", ".join(interpreter.tags[:TAGS_SHOWN])
    return PinstError(
        f"{pin.origin}: {pin.text}: none of the wheels on {_where(wheels)} fits the target "
        f"Python {interpreter.python_version} ({interpreter.executable}). The wheels are: "
        f"{names}. The target accepts tags such as {best_tags}. Pin a version that has a "
        "wheel for this platform, or build one with `pip wheel` and use --find-links."
    )


def _python_excluded(
    pin: Pin, wheels: Sequence[DistributionFile], interpreter: Interpreter
) -> PinstError:
    specs = sorted({file.requires_python or "" for file in wheels} - {""})
    return PinstError(
        f"{pin.origin}: {pin.text}: the wheels for this version require Python "
        f"{' or '.join(specs)}, and the target is Python {interpreter.python_version} "
        f"({interpreter.executable}). Pin a version that supports it, or use another Python "
        "with --python."
    )
