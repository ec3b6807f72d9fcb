"""Which lines apply to one target, and the one pin per project they make: markers evaluated,
exact constraints applied to requirements, range constraints checked, duplicate pins of one
project combined (their hashes intersected), and hash-checking mode enforced."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError
from pinst.requirements.hashes import shared_hashes
from pinst.requirements.model import Pin, Unpinned
from pinst.wheel.filename import checked_wheel_filename, filename_from_url

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

PIN_ADVICE = (
    "generate a fully pinned file with `pip-compile --generate-hashes` or "
    "`uv pip compile --generate-hashes`"
)
HASH_ADVICE = (
    "Add --hash=sha256:<digest> to each (`pip hash FILE` prints it), or regenerate the file "
    "with `pip-compile --generate-hashes` or `uv pip compile --generate-hashes`."
)


def select_pins(
    requirements: Iterable[Pin | Unpinned],
    constraints: Iterable[Pin],
    range_constraints: Iterable[Unpinned],
    environment: Mapping[str, str],
    require_hashes: bool,
) -> list[Pin]:
    """One pin per project, in first-seen order: the requirements and constraints whose markers
    hold in ``environment`` (a target's marker values), combined."""
    marker_environment = {**environment, "extra": ""}
    constraint_pins = _merge_constraints(
        [line for line in constraints if _applies(line, marker_environment)]
    )
    pins: dict[NormalizedName, Pin] = {}
    for requirement in requirements:
        if _applies(requirement, marker_environment):
            pin = _constrain(requirement, constraint_pins.get(requirement.name))
            earlier = pins.get(pin.name)
            pins[pin.name] = pin if earlier is None else _merge_duplicates(earlier, pin)
    for constraint in range_constraints:
        if constraint.name in pins and _applies(constraint, marker_environment):
            pins[constraint.name] = _within_range(pins[constraint.name], constraint)
    if require_hashes:
        _check_all_hashed(pins.values())
    return list(pins.values())


def check_unpinned_are_constrained(
    requirements: Iterable[Pin | Unpinned], constraints: Iterable[Pin]
) -> None:
    """Every requirement that is no exact pin has an exact constraint (whose marker may yet not
    apply to the target: ``select_pins`` finds that out)."""
    constrained = {constraint.name for constraint in constraints}
    for requirement in requirements:
        if isinstance(requirement, Unpinned) and requirement.name not in constrained:
            raise _not_pinned(requirement, "")


def _not_pinned(requirement: Unpinned, why: str) -> PinstError:
    return PinstError(
        f"{requirement.origin}: '{requirement.text}' does not pin an exact version{why}. pinst "
        f"is resolver-free: pin one version, such as '{requirement.name}==<version>', pin it in "
        f"a constraints file (-c), or {PIN_ADVICE}."
    )


def _applies(line: Pin | Unpinned, environment: dict[str, str]) -> bool:
    if line.marker is None:
        return True
    try:
        return line.marker.evaluate(environment)
    except (ValueError, KeyError) as error:
        raise PinstError(
            f"{line.origin}: cannot evaluate the marker '{line.marker}' of '{line.text}' for the "
            f"target interpreter: {error}. Fix the marker."
        ) from None


def _merge_constraints(constraints: Iterable[Pin]) -> dict[NormalizedName, Pin]:
    merged: dict[NormalizedName, Pin] = {}
    for constraint in constraints:
        earlier = merged.get(constraint.name)
        if earlier is not None and not _same_artifact(earlier, constraint):
            raise PinstError(
                f"{constraint.origin}: conflicting constraints for {constraint.name}: "
                f"'{constraint.text}' here and '{earlier.text}' at {earlier.origin}. Keep one "
                "of them, or give them markers that do not overlap."
            )
        merged[constraint.name] = constraint if earlier is None else _combine(earlier, constraint)
    return merged


def _constrain(requirement: Pin | Unpinned, constraint: Pin | None) -> Pin:
    """The pin for ``requirement`` once the constraint for its project (if any) applies."""
    if constraint is None:
        if isinstance(requirement, Unpinned):
            raise _not_pinned(requirement, " (no constraint for it applies to this target)")
        return requirement
    if isinstance(requirement, Unpinned):
        if not requirement.specifier.contains(_pinned_version(constraint), prereleases=True):
            raise PinstError(
                f"{constraint.origin}: the constraint '{constraint.text}' does not satisfy the "
                f"requirement '{requirement.text}' at {requirement.origin}. Change one of them "
                "so the pinned version satisfies the requirement."
            )
        # The requirement, pinned to the constraint's version or URL.
        pinned = constraint._replace(
            extras=requirement.extras,
            hashes=requirement.hashes,
            origin=requirement.origin,
            text=requirement.text,
        )
        # The constraint chose the version, so later messages about it point there.
        return _combine(constraint, pinned)._replace(marker=requirement.marker)
    if not _same_artifact(requirement, constraint):
        raise PinstError(
            f"{requirement.origin}: '{requirement.text}' disagrees with the constraint "
            f"'{constraint.text}' at {constraint.origin}. Change one of them so both pin the "
            "same version."
        )
    return _combine(requirement, constraint)


def _within_range(pin: Pin, constraint: Unpinned) -> Pin:
    """``pin`` if the range constraint allows its version (with the constraint's hashes, if
    any, as pip applies them); else an error naming both lines."""
    version = _pinned_version(pin)
    if not constraint.specifier.contains(version, prereleases=True):
        raise PinstError(
            f"{pin.origin}: '{pin.text}' pins version {version}, which the constraint "
            f"'{constraint.text}' at {constraint.origin} does not allow. Change the pin or the "
            "constraint so that they agree."
        )
    hashes = shared_hashes(pin.hashes, constraint.hashes)
    if hashes is None:
        raise PinstError(
            f"{pin.origin}: the hashes of '{pin.text}' and of the constraint "
            f"'{constraint.text}' at {constraint.origin} have no digest in common, so no file "
            "can match both. Give both lines the hashes of the file you mean."
        )
    return pin._replace(hashes=hashes)


def _merge_duplicates(earlier: Pin, later: Pin) -> Pin:
    if not _same_artifact(earlier, later):
        raise PinstError(
            f"{later.origin}: conflicting pins for {later.name}: '{later.text}' here and "
            f"'{earlier.text}' at {earlier.origin}. pinst installs exactly one version of each "
            "project: remove one of them, or give them markers that do not overlap."
        )
    return _combine(earlier, later)


def _same_artifact(first: Pin, second: Pin) -> bool:
    if first.url is not None and second.url is not None:
        return first.url == second.url
    first_version, second_version = _pinned_version(first), _pinned_version(second)
    if first.arbitrary_equality or second.arbitrary_equality:
        return first_version == second_version
    from packaging.utils import canonicalize_version

    return canonicalize_version(first_version) == canonicalize_version(second_version)


def _pinned_version(pin: Pin) -> str:
    if pin.version is not None:
        return pin.version
    assert pin.url is not None  # a Pin has a version or a URL
    return str(checked_wheel_filename(filename_from_url(pin.url))[1])


def _combine(kept: Pin, other: Pin) -> Pin:
    """``kept`` with what ``other`` adds; both must name the same artifact."""
    hashes = shared_hashes(kept.hashes, other.hashes)
    if hashes is None:
        raise PinstError(
            f"{other.origin}: the hashes of '{other.text}' and of '{kept.text}' at "
            f"{kept.origin} have no digest in common, so no file can match both. Give both "
            "lines the hashes of the file you mean."
        )
    # A direct URL is the more specific pin: `foo==1.0` and `foo @ .../foo-1.0-...whl` is the URL.
    exact = other if other.is_direct and not kept.is_direct else kept
    return kept._replace(
        version=exact.version,
        arbitrary_equality=exact.arbitrary_equality,
        url=exact.url,
        extras=kept.extras | other.extras,
        hashes=hashes,
    )


def _check_all_hashed(pins: Iterable[Pin]) -> None:
    missing = [pin for pin in pins if not pin.hashes]
    if not missing:
        return
    first, *others = missing
    also = ", ".join(f"{pin.origin} '{pin.text}'" for pin in others)
    raise PinstError(
        f"{first.origin}: '{first.text}' has no hash, but hash-checking mode is on "
        "(--require-hashes was given, or some line has a --hash), so every requirement needs "
        f"one.{f' Also without a hash: {also}.' if also else ''} {HASH_ADVICE}"
    )
