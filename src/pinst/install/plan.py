"""Compare the pins with what the venv has: what to install, replace, remove, or leave alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from pinst._core.urls import strip_credentials
from pinst.requirements.model import Pin
from pinst.venv.installed import InstalledDistribution
from pinst.wheel.filename import checked_wheel_filename, filename_from_url

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


class Change(NamedTuple):
    pin: Pin
    replaces: InstalledDistribution | None  # the installed version this change removes


class Plan(NamedTuple):
    changes: list[Change]
    unchanged: list[Pin]
    removals: list[InstalledDistribution]  # sorted by name

    @property
    def empty(self) -> bool:
        return not self.changes and not self.removals


def make_plan(
    pins: list[Pin],
    installed: dict[NormalizedName, InstalledDistribution],
    reinstall: bool,
    remove_unlisted: bool = False,
) -> Plan:
    """``remove_unlisted`` (sync): also remove every installed distribution no pin names.

    The pins are those whose markers hold for the venv: a package pinned only for another
    platform or Python is not listed for this venv, and goes, as in ``uv pip sync``."""
    changes: list[Change] = []
    unchanged: list[Pin] = []
    for pin in pins:
        current = installed.get(pin.name)
        if current is not None and not reinstall and satisfies(current, pin):
            unchanged.append(pin)
        else:
            changes.append(Change(pin, current))
    removals = _unlisted(pins, installed) if remove_unlisted else []
    return Plan(changes, unchanged, removals)


def _unlisted(
    pins: list[Pin], installed: dict[NormalizedName, InstalledDistribution]
) -> list[InstalledDistribution]:
    listed = {pin.name for pin in pins}
    return [installed[name] for name in sorted(installed) if name not in listed]


def satisfies(installed: InstalledDistribution, pin: Pin) -> bool:
    """Is the installed distribution exactly what the pin asks for?"""
    if pin.url is not None and not pin.locked:
        return installed.direct_url() == strip_credentials(pin.url) and _same_version(
            installed.version, wheel_version_from_url(pin.url)
        )
    if pin.version is None:
        return False
    if pin.arbitrary_equality:
        return installed.version == pin.version
    return _matches_pin(installed.version, pin.version)


def _same_version(left: str | None, right: str | None) -> bool:
    """Equal versions (``1.0`` is ``1.0.0``): a direct URL's wheel is that exact file."""
    return _compare(left, right, local_builds=False)


def _matches_pin(installed: str | None, pinned: str) -> bool:
    """PEP 440's ``==``: an installed ``2.0+cpu`` satisfies a pin of ``2.0``."""
    return _compare(installed, pinned, local_builds=True)


def _compare(left: str | None, right: str | None, local_builds: bool) -> bool:
    if left is None or right is None:
        return False
    if left == right:
        return True  # the usual case, answered without packaging's version parser
    from packaging.version import InvalidVersion, Version

    from pinst._core.versions import pin_matches

    try:
        candidate, wanted = Version(left), Version(right)
    except InvalidVersion:
        return False  # different texts, and not both versions: not the same
    return pin_matches(candidate, wanted) if local_builds else candidate == wanted


def wheel_version_from_url(url: str) -> str | None:
    try:
        return str(checked_wheel_filename(filename_from_url(url))[1])
    except ValueError:  # packaging's InvalidWheelFilename
        return None
