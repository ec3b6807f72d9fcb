"""Is any installed distribution missing what it requires, or holding the wrong version of it?

pinst resolves nothing: it installs exactly the pins it is given, so a file that pins flask but
not werkzeug installs cleanly and leaves ``import flask`` broken. This is ``pip check``'s answer
to that, used twice: after an install or sync that changed a venv (``warn_after_change``, one
warning) and by ``pinst check`` (``problems_in``, the whole venv).

The rules are pip's: a dependency counts if its marker holds for the venv's interpreter with
``extra`` set to ``""`` (so a dependency of an extra never counts); it is missing if no
distribution of its normalized name (PEP 503) is installed, and in conflict if the installed
version is outside its specifier, pre-releases allowed. An installed version that is not PEP 440
cannot be judged and is taken as it is.

After an install, only what the run could have broken is checked, as pip checks after an
install: the dependencies of the distributions it installed (from their manifests: no file is
read), and the dependencies other distributions have on what it installed or removed (from their
METADATA, read only for the lines naming those). Markers and specifiers are parsed only for a
dependency that is not plainly met, so a healthy warm install imports ``packaging.specifiers``
at most, never ``packaging.markers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinst.dependencies import Dependency, leading_name, parse_requires_dist, requires_dist
from pinst.installed import InstalledDistribution, installed_distributions
from pinst.names import canonical_name

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from pinst.manifest import Manifest
    from pinst.report import Reporter
    from pinst.target import Venv


class Problem(NamedTuple):
    name: str  # the distribution that requires, normalized
    version: str
    requirement: str  # the dependency as its METADATA writes it, without the marker
    dependency: str  # the required project, normalized; "" for a line that is not PEP 508
    installed: str | None  # the version the venv holds; None when it holds none

    @property
    def kind(self) -> str:
        if not self.dependency:
            return "invalid"
        return "missing" if self.installed is None else "conflict"

    def describe(self) -> str:
        """One line, in pip's words where pip has some."""
        head = f"{self.name} {self.version}"
        if self.kind == "invalid":
            return f"{head} has a requirement that is not valid PEP 508: {self.requirement!r}"
        if self.kind == "missing":
            return f"{head} requires {self.requirement}, which is not installed"
        installed = f"{self.dependency} {self.installed}"
        return f"{head} requires {self.requirement}, but {installed} is installed"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "version": self.version,
            "requirement": self.requirement,
            "dependency": self.dependency or None,
            "installed_version": self.installed,
            "problem": self.kind,
        }


class Checker:
    """Judges dependencies against one venv's distributions and interpreter."""

    def __init__(
        self,
        installed: Mapping[NormalizedName, InstalledDistribution],
        environment: Mapping[str, str],
    ) -> None:
        self.installed = installed
        self.environment = environment
        self.marker_results: dict[str, bool] = {}

    def problems_of(
        self, distribution: InstalledDistribution, dependencies: Iterable[Dependency]
    ) -> Iterator[Problem]:
        for dependency in dependencies:
            present = self.installed.get(dependency.name) if dependency.name else None
            if present is not None and self._allows(dependency.specifier, present.version):
                continue
            if dependency.name and not self._applies(dependency.marker):
                continue
            version = None if present is None else present.version
            yield Problem(
                distribution.name, distribution.version, dependency.text, dependency.name, version
            )

    def _allows(self, specifier: str, version: str) -> bool:
        if not specifier:
            return True
        # Only now: a dependency without a specifier, or a venv without dependencies, never
        # pays for importing these.
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version

        try:
            return SpecifierSet(specifier).contains(Version(version), prereleases=True)
        except (InvalidVersion, InvalidSpecifier):
            return True  # a version PEP 440 cannot order: pinst cannot judge it

    def _applies(self, marker: str) -> bool:
        if not marker:
            return True
        if marker not in self.marker_results:
            self.marker_results[marker] = self._evaluate(marker)
        return self.marker_results[marker]

    def _evaluate(self, marker: str) -> bool:
        from packaging.markers import InvalidMarker, Marker

        try:
            return Marker(marker).evaluate({**self.environment, "extra": ""})
        except (InvalidMarker, ValueError, KeyError):
            return True  # a marker this interpreter cannot evaluate: count the dependency


def problems_in(venv: Venv) -> list[Problem]:
    """Every broken requirement in the venv, whoever installed what (``pinst check``)."""
    installed = installed_distributions(venv.interpreter.scheme)
    checker = Checker(installed, venv.interpreter.markers)
    problems: list[Problem] = []
    for name in sorted(installed):
        distribution = installed[name]
        dependencies = parse_requires_dist(requires_dist(distribution.dist_info))
        problems += checker.problems_of(distribution, dependencies)
    return problems


def problems_after_change(
    venv: Venv, installed_now: Sequence[Manifest], removed: Sequence[str]
) -> list[Problem]:
    """What the run that installed ``installed_now`` and removed ``removed`` left broken."""
    installed = installed_distributions(venv.interpreter.scheme)
    checker = Checker(installed, venv.interpreter.markers)
    own = {canonical_name(manifest.name): manifest for manifest in installed_now}
    changed: set[str] = {*own, *removed}
    problems: list[Problem] = []
    for name in sorted(installed):
        distribution = installed[name]
        manifest = own.get(name)
        if manifest is not None and manifest.dependencies is not None:
            dependencies = manifest.dependencies
        elif manifest is not None:  # an entry unpacked before manifests kept dependencies
            dependencies = parse_requires_dist(requires_dist(distribution.dist_info))
        else:  # untouched: only its dependencies on what changed can have broken
            lines = requires_dist(distribution.dist_info)
            dependencies = parse_requires_dist([x for x in lines if leading_name(x) in changed])
        problems += checker.problems_of(distribution, dependencies)
    return problems


def warn_after_change(
    venv: Venv, installed_now: Sequence[Manifest], removed: Sequence[str], reporter: Reporter
) -> list[Problem]:
    """Warn once, listing every broken requirement the run left; return them for --json."""
    problems = problems_after_change(venv, installed_now, removed)
    if problems:
        reporter.warn(broken_requirements_warning(problems))
    return problems


def broken_requirements_warning(problems: Sequence[Problem]) -> str:
    listed = "".join(f"\n  {problem.describe()}" for problem in problems)
    return (
        "the venv's packages do not have what they require; pinst installs exactly the pins "
        f"it is given and resolves no dependencies:{listed}\nPin the missing packages and the "
        "right versions too (a resolver such as 'uv pip compile' or 'pip-compile' writes the "
        "full list); 'pinst check' lists these again."
    )
