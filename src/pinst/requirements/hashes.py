"""A requirement's hashes: its ``--hash`` options and its URL's ``#sha256=`` fragment, checked, and
how the hashes of two lines for one file combine."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pinst._core.errors import PinstError
from pinst.requirements.input_file import excerpt
from pinst.requirements.model import Origin

# pip's strong hashes and their digest lengths in hex digits.
HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
# Algorithms pip recognises in a URL fragment; the weak ones are rejected with a clear message.
URL_HASH_NAMES = frozenset({"md5", "sha1", "sha224", *HASH_LENGTHS})
HASH_FORM = "Write it as --hash=sha256:<64 hex digits>; `pip hash FILE` prints one."
HEX = re.compile(r"[0-9a-f]+")


def parse_hashes(values: Iterable[str], origin: Origin, text: str) -> dict[str, frozenset[str]]:
    """The ``--hash`` values of the requirement ``text``, by algorithm; an error names the
    first that is no strong hash."""
    found: dict[str, set[str]] = {}
    for value in values:
        algorithm, digest = _parse_hash(value, origin, text)
        found.setdefault(algorithm, set()).add(digest)
    return {algorithm: frozenset(digests) for algorithm, digests in found.items()}


def _parse_hash(value: str, origin: Origin, text: str) -> tuple[str, str]:
    shown = excerpt(value)
    algorithm, colon, digest = value.partition(":")
    algorithm, digest = algorithm.lower(), digest.lower()
    if not colon:
        raise PinstError(
            f"{origin}: the hash '{shown}' of '{text}' is not of the form sha256:<hex digest>. "
            f"{HASH_FORM}"
        )
    if algorithm not in HASH_LENGTHS:
        raise PinstError(
            f"{origin}: the hash '{shown}' of '{text}' uses {algorithm}; pinst accepts sha256, "
            f"sha384 and sha512 only, as pip does. {HASH_FORM}"
        )
    if len(digest) != HASH_LENGTHS[algorithm] or not HEX.fullmatch(digest):
        raise PinstError(
            f"{origin}: the hash '{shown}' of '{text}' is not a {algorithm} digest, which is "
            f"{HASH_LENGTHS[algorithm]} hex digits. {HASH_FORM}"
        )
    return algorithm, digest


def fragment_hashes(fragment: str, origin: Origin, text: str) -> dict[str, frozenset[str]]:
    """The ``#sha256=...`` part of a URL (other fragment keys, such as egg=, mean nothing here)."""
    values = [
        f"{key}:{value}"
        for key, _, value in (part.partition("=") for part in fragment.split("&"))
        if key.lower() in URL_HASH_NAMES
    ]
    return parse_hashes(values, origin, text)


def union_hashes(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """Hashes on one line are alternatives: a file matching any of them is the one meant."""
    return {
        algorithm: first.get(algorithm, frozenset()) | second.get(algorithm, frozenset())
        for algorithm in {*first, *second}
    }


def shared_hashes(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]] | None:
    """Hashes that two lines agree on, or None when no file can satisfy both."""
    if not first or not second:
        return dict(first or second)
    shared = {
        algorithm: first[algorithm] & second[algorithm] for algorithm in first.keys() & second
    }
    return {algorithm: digests for algorithm, digests in shared.items() if digests} or None
