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
METADATA, parsed only for the lines naming those).

A warm install must not pay for packaging's parsers: a marker is evaluated only for a dependency
that is not met (a met one is fine whether it counts or not), and a specifier is judged by
``install/plain_versions.py`` when it and the installed version are of the common kinds (an
installed release or post-release; release, pre- and post-release bounds), so a healthy set of
such versions imports neither ``packaging.markers`` nor ``packaging.specifiers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pinst._core.names import canonical_name
from pinst.install.plain_versions import plain_verdict
from pinst.venv.installed import InstalledDistribution, installed_distributions
from pinst.wheel.dependencies import Dependency, leading_name, parse_requires_dist, requires_dist

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from pinst.cache.manifest import Manifest
    from pinst.output.report import Reporter
    from pinst.venv.target import Venv


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
        self.verdicts: dict[tuple[str, str], bool] = {}  # (specifier, version): allowed

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
        key = (specifier, version)
        if key not in self.verdicts:
            verdict = plain_verdict(specifier, version)
            self.verdicts[key] = verdict if verdict is not None else _contains(specifier, version)
        return self.verdicts[key]

    def _applies(self, marker: str) -> bool:
        if not marker:
            return True
        if marker not in self.marker_results:
            self.marker_results[marker] = self._evaluate(marker)
        return self.marker_results[marker]

    def _evaluate(self, marker: str) -> bool:
        environment = {**self.environment, "extra": ""}
        verdict = plain_marker_verdict(marker, environment)
        if verdict is not None:
            return verdict
        from packaging.markers import InvalidMarker, Marker  # heavy: only for the rare markers

        try:
            return Marker(marker).evaluate(environment)
        except (InvalidMarker, ValueError, KeyError):
            return True  # a marker this interpreter cannot evaluate: count the dependency


def plain_marker_verdict(marker: str, environment: Mapping[str, str]) -> bool | None:
    """The value of a marker built only of ``VARIABLE OP "value"`` comparisons, ``and``, ``or``
    and parentheses, as packaging computes it; None for any other marker.

    Nearly every marker in real wheels is of this kind (``extra == "test"``, ``sys_platform ==
    "win32"``, ``python_version < "3.11"``): judging them here keeps packaging's marker parser,
    and the modules it imports, off the path of a warm install.
    """
    tokens = MARKER_TOKENS.findall(marker)
    if "".join("".join(token) for token in tokens) != "".join(marker.split()):
        return None  # something the tokens do not cover: ``in``, ``~=``, a stray character
    reader = _MarkerReader([next(part for part in token if part) for token in tokens], environment)
    try:
        verdict = reader.expression()
    except _NotPlain:
        return None
    return verdict if reader.at_end() else None


# A marker's tokens: parentheses, operators, quoted values, and words (variables, and, or).
MARKER_TOKENS = re.compile(r"""\s*(?:([()])|(==|!=|<=|>=|<|>)|('[^']*'|"[^"]*")|([a-z_]+))""")
VERSION_LIKE = re.compile(r"\s*[vV]?[0-9]")


class _NotPlain(Exception):
    """The marker needs packaging's full reading."""


class _MarkerReader:
    """Reads ``or`` of ``and`` of comparisons or parenthesised markers, as PEP 508 nests them."""

    def __init__(self, tokens: list[str], environment: Mapping[str, str]) -> None:
        self.tokens = tokens
        self.position = 0
        self.environment = environment

    def at_end(self) -> bool:
        return self.position == len(self.tokens)

    def expression(self) -> bool:
        verdict = self.conjunction()
        while self.take("or"):
            verdict = self.conjunction() or verdict
        return verdict

    def conjunction(self) -> bool:
        verdict = self.atom()
        while self.take("and"):
            verdict = self.atom() and verdict
        return verdict

    def atom(self) -> bool:
        if self.take("("):
            verdict = self.expression()
            if not self.take(")"):
                raise _NotPlain
            return verdict
        variable, operator, quoted = self.next(), self.next(), self.next()
        if quoted[:1] not in ("'", '"') or variable not in self.environment:
            raise _NotPlain
        return _compare(self.environment[variable], operator, quoted[1:-1], variable == "extra")

    def take(self, token: str) -> bool:
        if self.position < len(self.tokens) and self.tokens[self.position] == token:
            self.position += 1
            return True
        return False

    def next(self) -> str:
        if self.at_end():
            raise _NotPlain
        self.position += 1
        return self.tokens[self.position - 1]


def _compare(left: str, operator: str, right: str, is_extra: bool) -> bool:
    """``left OPERATOR right`` as packaging judges it, where that is plain; else _NotPlain."""
    if is_extra:  # extras compare as normalized names
        left, right = canonical_name(left), canonical_name(right)
    elif VERSION_LIKE.match(right):  # compared as versions: of the kinds plain_verdict takes
        verdict = plain_verdict(f"{operator}{right.strip()}", left)
        if verdict is None:
            raise _NotPlain
        return verdict
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    raise _NotPlain


def _contains(specifier: str, version: str) -> bool:
    """PEP 440 in full, pre-releases allowed as pip's check allows them."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except (InvalidVersion, InvalidSpecifier):
        return True  # a version PEP 440 cannot order: pinst cannot judge it


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
        reporter.warn(broken_requirements_warning(venv, problems))
    return problems


def broken_requirements_warning(venv: Venv, problems: Sequence[Problem]) -> str:
    listed = "".join(f"\n  {problem.describe()}" for problem in problems)
    return (
        f"packages in {venv.path} lack what they require (pinst installs exactly the pins it "
        f"is given, and resolves no dependencies):{listed}\nPin these too, in the versions "
        "required (a resolver such as 'uv pip compile' or 'pip-compile' writes every one); "
        "'pinst check' lists them again."
    )
