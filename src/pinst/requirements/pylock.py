"""PEP 751 lock files (``pylock.toml``, ``pylock.<name>.toml``) given with ``-r``.

A lock file already names, for every environment it covers, the exact file of each package with
its hashes. So pinst asks no index: it selects the packages whose markers hold for the target
interpreter and, of each, the wheel its tags prefer, and installs that wheel from the URL or path
the lock gives. Reading (``read_lock``) happens before the venv exists, so a malformed lock is
reported before anything is touched; selecting (``LockFile.pins``) needs the target interpreter.

The pins are marked ``locked``: like uv, pinst records them as index installs (no PEP 610
``direct_url.json``), since the lock names a registry's file, not a URL the user chose.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple, cast

from pinst._core.errors import PinstError
from pinst._core.limits import DEFAULT_MAX_REQUIREMENTS_SIZE, TooLarge
from pinst._core.toml import toml_parser
from pinst.requirements.direct_reference import direct_pin
from pinst.requirements.hashes import HASH_LENGTHS
from pinst.requirements.input_file import NotReadable, read_input_file, too_large_file
from pinst.requirements.model import Origin, Pin
from pinst.wheel.filename import checked_wheel_filename

if TYPE_CHECKING:
    from packaging.markers import Environment
    from packaging.pylock import Package, PackageWheel, Pylock

WHEELS_ONLY = (
    "pinst installs wheels only: regenerate the lock with wheels for this environment, or "
    "install it with pip or uv."
)


class LockFile(NamedTuple):
    """A validated lock file, its packages not yet selected for a target."""

    path: Path
    lock: Pylock

    def pins(
        self,
        environment: Mapping[str, str],
        tags: Sequence[str],
        extras: Sequence[str] = (),
        groups: Sequence[str] = (),
    ) -> list[Pin]:
        """The wheel of each package the lock selects for a target with these markers and tags,
        with these extras, and with these dependency groups besides the lock's default ones."""
        from packaging.pylock import PackageWheel, PylockSelectError
        from packaging.tags import Tag

        chosen_extras = self._known("extra", extras, self.lock.extras)
        chosen_groups = self._known("dependency group", groups, self.lock.dependency_groups)
        try:
            selected = list(
                self.lock.select(
                    environment=cast("Environment", environment),
                    tags=[Tag(*tag.split("-")) for tag in tags],
                    extras=chosen_extras,
                    dependency_groups={*(self.lock.default_groups or ()), *chosen_groups},
                )
            )
        except PylockSelectError as error:
            raise PinstError(
                f"{self.path}: the lock file does not fit the target interpreter: {error}. "
                "Use a lock file made for this Python and platform."
            ) from None
        pins: list[Pin] = []
        for package, source in selected:
            if not isinstance(source, PackageWheel):
                raise self._not_a_wheel(package, type(source).__name__)
            pins.append(self._pin(package, source))
        return pins

    def _known(self, kind: str, asked: Sequence[str], offered: Sequence[str] | None) -> set[str]:
        """The names asked for, each of which the lock must offer (names compared normalised)."""
        from packaging.utils import canonicalize_name

        offered_names = {canonicalize_name(name): name for name in offered or ()}
        unknown = [name for name in asked if canonicalize_name(name) not in offered_names]
        if unknown:
            listed = ", ".join(sorted(offered_names.values())) or "none"
            raise PinstError(
                f"{self.path}: the lock file has no {kind} {unknown[0]!r}; it has: {listed}. "
                f"Check the name, or make the lock with that {kind}."
            )
        return {offered_names[canonicalize_name(name)] for name in asked}

    def _pin(self, package: Package, wheel: PackageWheel) -> Pin:
        location = wheel.url if wheel.url is not None else wheel.path
        assert location is not None  # the lock was validated: a wheel has a url or a path
        origin = Origin(self.path, None)
        text = f"{package.name}=={package.version}" if package.version else package.name
        hashes = _hashes(wheel.hashes, origin, text)
        # Paths are relative to the lock file's directory (PEP 751).
        pin = direct_pin(location, package.name, hashes, origin, text, self.path.parent)
        # The version decides whether the installed copy already fits (plan.satisfies); the
        # lock may omit it, but the wheel's filename always has it.
        version = package.version or checked_wheel_filename(wheel.filename)[1]
        return pin._replace(version=str(version), locked=True)

    def _not_a_wheel(self, package: Package, kind: str) -> PinstError:
        what = {
            "PackageSdist": "has no wheel for the target interpreter, only a source distribution",
            "PackageVcs": "comes from a version-control repository",
            "PackageDirectory": "comes from a local directory",
            "PackageArchive": "comes from a source archive",
        }.get(kind, "has no wheel")
        return PinstError(
            f"{self.path}: the package {package.name} {what}; {WHEELS_ONLY} Nothing was changed."
        )


def read_lock(
    path: Path, max_size: int = DEFAULT_MAX_REQUIREMENTS_SIZE
) -> tuple[LockFile, os.stat_result]:
    """Parse and validate the lock file, of at most ``max_size`` bytes; every error names the
    file and says what to fix."""
    pylock = _pylock_module(path)
    parser = toml_parser()
    try:
        content, status = read_input_file(path, max_size)
    except OSError as error:
        raise PinstError(
            f"cannot read the lock file {path}: {error.strerror or error}. Check the path."
        ) from None
    except NotReadable as error:
        raise PinstError(
            f"the lock file {path} is {error}, not a regular file or a pipe; pinst does not "
            "read from it, as it may never end. Give the lock file's path."
        ) from None
    except TooLarge as error:
        raise PinstError(too_large_file(f"the lock file {path}", error.limit)) from None
    try:
        data = parser.loads(content.decode("utf-8"))
    except (parser.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PinstError(f"{path}: the lock file is not valid TOML: {error}. Fix it.") from None
    try:
        lock = pylock.Pylock.from_dict(data)
    except pylock.PylockValidationError as error:
        raise PinstError(
            f"{path}: not a valid PEP 751 lock file: {error}. Regenerate it with the tool "
            "that made it."
        ) from None
    return LockFile(path, lock), status


def _pylock_module(path: Path) -> ModuleType:
    """``packaging.pylock``, which can select packages from packaging 26.1 on."""
    try:
        module = importlib.import_module("packaging.pylock")
    except ImportError:
        module = None
    if module is None or not hasattr(module.Pylock, "select"):
        raise PinstError(
            f"reading the lock file {path} needs packaging 26.1 or later, and an older one is "
            "installed. Upgrade it (`pip install -U packaging`) in pinst's environment."
        )
    return module


def _hashes(hashes: Mapping[str, str], origin: Origin, text: str) -> dict[str, frozenset[str]]:
    """The lock's hashes that pinst can check (sha256, sha384, sha512); at least one is needed."""
    usable = {
        algorithm: frozenset({digest.lower()})
        for algorithm, digest in hashes.items()
        if algorithm in HASH_LENGTHS
    }
    if not usable:
        raise PinstError(
            f"{origin}: {text} has no sha256, sha384 or sha512 hash (only "
            f"{', '.join(sorted(hashes)) or 'none'}), so pinst cannot verify its wheel. "
            "Regenerate the lock with sha256 hashes."
        )
    return usable
