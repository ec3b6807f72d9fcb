"""One requirement line, without its options: ``name==1.0`` or ``name===1.0-custom`` (an exact
pin), a range or a bare name (which only a constraint can pin), ``name[extra] @ url``, or a bare
wheel URL or path; each with an optional ``; marker``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError
from pinst._core.limits import MAX_REQUIREMENT_LENGTH
from pinst._core.names import canonical_name
from pinst.requirements.direct_reference import SDIST_SUFFIXES, URL_START, direct_pin
from pinst.requirements.hashes import parse_hashes
from pinst.requirements.input_file import excerpt
from pinst.requirements.model import Origin, Pin, Unpinned

if TYPE_CHECKING:
    # packaging's parser is imported only for lines the fast path below does not take.
    from packaging.requirements import Requirement

# NAME==VERSION with a version in PEP 440's canonical form (1.2.3, 2.0rc1, 2.9.0.post0,
# 1.0.dev2): nearly every line of a lock file, parsed without packaging's parser.
SIMPLE_PIN = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*==\s*"
    r"(?P<version>[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)\s*"
)


# ``name @ url`` (with extras, if any): a direct reference in PEP 508's form.
NAMED_URL = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
TRAILING_EXTRAS = re.compile(r"(.+)(\[[^\]]*\])")
SINGLE_EQUALS = re.compile(r"([A-Za-z0-9._\[\], -]+?)\s*=\s*([^=\s].*)")


def parse_requirement(
    text: str, origin: Origin, base: Path, hash_values: list[str]
) -> Pin | Unpinned:
    """The requirement ``text``, its options split off (``hash_values`` are its ``--hash``
    values); a relative path in it is relative to ``base``."""
    if len(text) > MAX_REQUIREMENT_LENGTH:
        raise PinstError(
            f"{origin}: the requirement '{excerpt(text)}' is longer than the "
            f"{MAX_REQUIREMENT_LENGTH} characters pinst accepts for one (its --hash options "
            "aside); no name, URL or marker comes near that. Check the line."
        )
    hashes = parse_hashes(hash_values, origin, text)
    if NAMED_URL.match(text):
        return _pep508_requirement(text, origin, base, hashes)
    location, extras_and_marker = _split_bare_location(text)
    if URL_START.match(location) or _looks_like_path(location):
        # packaging parses the extras and marker when given a stand-in name to go with them.
        placeholder = _parse_pep508(f"placeholder{extras_and_marker}", origin, text)
        return direct_pin(
            location,
            None,
            hashes,
            origin,
            text,
            base,
            extras=_canonical_extras(placeholder.extras),
            marker=placeholder.marker,
        )
    return _pep508_requirement(text, origin, base, hashes)


def _pep508_requirement(
    text: str, origin: Origin, base: Path, hashes: dict[str, frozenset[str]]
) -> Pin | Unpinned:
    simple = SIMPLE_PIN.fullmatch(text)
    if simple:
        # What packaging would make of it, without its parser: most lines of a lock file.
        return Pin(
            name=canonical_name(simple["name"]),
            version=simple["version"],
            arbitrary_equality=False,
            url=None,
            extras=frozenset(),
            hashes=hashes,
            marker=None,
            origin=origin,
            text=text,
        )
    requirement = _parse_pep508(text, origin, text)
    name = canonical_name(requirement.name)
    extras = _canonical_extras(requirement.extras)
    if requirement.url is not None:
        return direct_pin(
            requirement.url,
            name,
            hashes,
            origin,
            text,
            base,
            extras=extras,
            marker=requirement.marker,
        )
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1:
        (specifier,) = specifiers
        if specifier.operator == "===" or (
            specifier.operator == "==" and not specifier.version.endswith(".*")
        ):
            return Pin(
                name=name,
                version=specifier.version,
                arbitrary_equality=specifier.operator == "===",
                url=None,
                extras=extras,
                hashes=hashes,
                marker=requirement.marker,
                origin=origin,
                text=text,
            )
    return Unpinned(name, requirement.specifier, extras, hashes, requirement.marker, origin, text)


def _parse_pep508(requirement: str, origin: Origin, text: str) -> Requirement:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(requirement)
    except InvalidRequirement as error:
        reason = (str(error).splitlines() or ["invalid requirement"])[0].rstrip(".")
        raise PinstError(
            f"{origin}: could not parse '{excerpt(text)}': {reason}.{_did_you_mean(text)} Write "
            "requirements as NAME==VERSION, NAME @ URL, or the path or URL of a wheel."
        ) from None


def _did_you_mean(text: str) -> str:
    """Suggest ``==`` for the common slip ``six=1.17``."""
    match = SINGLE_EQUALS.fullmatch(text)
    if match is None:
        return ""
    suggestion = f"{match.group(1).strip()}=={match.group(2)}"
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(suggestion)
    except InvalidRequirement:
        return ""
    return f" Did you mean '{excerpt(suggestion)}'?"


def _canonical_extras(extras: Iterable[str]) -> frozenset[str]:
    return frozenset(canonical_name(extra) for extra in extras)


def _split_bare_location(text: str) -> tuple[str, str]:
    """``./x.whl[extra] ; marker`` -> (``./x.whl``, ``[extra] ; marker``)."""
    # A URL may contain ';', so after one only a ';' next to whitespace starts the marker (pip
    # wants '; ').
    separator = r"\s;|;\s" if URL_START.match(text) else ";"
    location, *marker = re.split(separator, text, maxsplit=1)
    location = location.strip()
    extras = ""
    with_extras = TRAILING_EXTRAS.fullmatch(location)
    if with_extras is not None:
        location, extras = with_extras.groups()
    return location, extras + "".join(f" ;{part}" for part in marker)


def _looks_like_path(location: str) -> bool:
    return (
        any(separator in location for separator in {"/", os.sep, os.altsep or "/"})
        or location.startswith(".")
        or location.lower().endswith((".whl", *SDIST_SUFFIXES))
    )
