"""Pinned requirements files: pip's format, minus everything that would need a resolver.

pinst installs exactly the wheels a requirements file names, so every requirement must be an
exact pin (``name==1.0``, ``name===1.0-custom``) or a direct wheel URL or path. A range or a bare
name is accepted only when a constraints file (``-c``) pins it exactly. A constraint that is a
range (``requests<2``) needs no resolver either: as in pip, it only checks the pin of its project,
and is ignored when that project is not requested.

Reading happens in two steps. ``read_requirements_files`` reads every file and raises every error a
single line can cause, before the target venv exists. ``ParsedRequirements.select`` then evaluates
markers against the target interpreter and raises the errors that depend on which lines apply
there (conflicting pins, a constraint that contradicts a requirement, a line without a hash in
hash-checking mode): ``foo==1; python_version < "3.12"`` next to ``foo==2; python_version >=
"3.12"`` is a valid file.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pinst._core.errors import PinstError
from pinst._core.limits import (
    DEFAULT_MAX_REQUIREMENTS_SIZE,
    MAX_REQUIREMENT_LENGTH,
    TooLarge,
    read_at_most,
)
from pinst._core.names import canonical_name
from pinst._core.urls import redact, url_problem
from pinst.wheel.filename import checked_wheel_filename, filename_from_url

if TYPE_CHECKING:
    # packaging's parser is imported only for lines the fast path below does not take.
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName


# pip's strong hashes and their digest lengths in hex digits.
HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
# Algorithms pip recognises in a URL fragment; the weak ones are rejected with a clear message.
URL_HASH_NAMES = frozenset({"md5", "sha1", "sha224", *HASH_LENGTHS})
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
VCS_SCHEMES = ("git", "hg", "svn", "bzr")

PIN_ADVICE = (
    "generate a fully pinned file with `pip-compile --generate-hashes` or "
    "`uv pip compile --generate-hashes`"
)
HASH_ADVICE = (
    "Add --hash=sha256:<digest> to each (`pip hash FILE` prints it), or regenerate the file "
    "with `pip-compile --generate-hashes` or `uv pip compile --generate-hashes`."
)
CONFIG_SETTINGS_NOTE = (
    "--config-settings is ignored: it passes options to a build backend, and pinst installs "
    "wheels, which need no build."
)
HASH_FORM = "Write it as --hash=sha256:<64 hex digits>; `pip hash FILE` prints one."

SHORT_OPTIONS = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-i": "--index-url",
    "-f": "--find-links",
    "-e": "--editable",
    "-C": "--config-settings",
}
VALUE_OPTIONS = frozenset(
    {
        "--requirement",
        "--constraint",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--editable",
        "--hash",
        "--no-binary",
        "--only-binary",
        "--trusted-host",
        "--use-feature",
        "--config-settings",
    }
)
# Options a requirement's own line may carry, as in pip.
REQUIREMENT_OPTIONS = frozenset({"--hash", "--config-settings"})
FLAG_OPTIONS = frozenset({"--no-index", "--require-hashes", "--pre", "--prefer-binary"})
INCLUDE_HINT = (
    "; paths in -r and -c lines are relative to the directory of the file that contains them"
)
KNOWN_OPTIONS = (
    "-r, -c, -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --require-hashes "
    "and --hash (and ignores --pre, --prefer-binary, --only-binary, --trusted-host, "
    "--use-feature and --config-settings)"
)

# As pip: a comment starts at the beginning of a line or after whitespace, so a URL's
# ``#sha256=...`` fragment is not one.
COMMENT = re.compile(r"(^|\s+)#.*$")
# NAME==VERSION with a version in PEP 440's canonical form (1.2.3, 2.0rc1, 2.9.0.post0,
# 1.0.dev2): nearly every line of a lock file, parsed without packaging's parser.
SIMPLE_PIN = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*==\s*"
    r"(?P<version>[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)\s*"
)
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
NAMED_URL = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://|file:", re.IGNORECASE)
TRAILING_EXTRAS = re.compile(r"(.+)(\[[^\]]*\])")
SINGLE_EQUALS = re.compile(r"([A-Za-z0-9._\[\], -]+?)\s*=\s*([^=\s].*)")
QUOTING = re.compile(r"[\"'\\\\]")
HEX = re.compile(r"[0-9a-f]+")


class Origin(NamedTuple):
    """Where a requirement was written, for error messages."""

    path: Path | None  # the requirements file; None for the command line
    line: int | None  # 1-based number of the first physical line of a continued line

    def __str__(self) -> str:
        if self.path is None:
            return "the command line"
        if self.line is None:
            return str(self.path)
        return f"{self.path}:{self.line}"


COMMAND_LINE = Origin(path=None, line=None)


class Pin(NamedTuple):
    """One exact wheel to install: a version to find in the index, or a direct wheel URL."""

    name: NormalizedName
    version: str | None  # from ``==`` or ``===``; None for a direct URL
    arbitrary_equality: bool  # ``===``: compare the version as a string
    url: str | None  # https://, http:// or file:// (local paths become absolute file:// URLs)
    extras: frozenset[str]
    hashes: Mapping[str, frozenset[str]]  # "sha256"/"sha384"/"sha512" -> lowercase hex digests
    marker: Marker | None
    origin: Origin
    text: str  # the requirement as written, for messages
    # From a PEP 751 lock file: fetched from ``url``, but installed as from an index (no
    # direct_url.json) and satisfied by ``version``, as uv does.
    locked: bool = False

    @property
    def is_direct(self) -> bool:
        return self.url is not None


class Unpinned(NamedTuple):
    """A requirement such as ``name>=1`` or ``name``, which only a constraint can pin."""

    name: NormalizedName
    specifier: SpecifierSet
    extras: frozenset[str]
    hashes: Mapping[str, frozenset[str]]
    marker: Marker | None
    origin: Origin
    text: str


class RequirementSet(NamedTuple):
    """What to install into one target: one pin per project, in first-seen order."""

    pins: list[Pin]
    index_url: str | None
    extra_index_urls: list[str]
    find_links: list[str]  # URLs or absolute paths
    no_index: bool
    require_hashes: bool  # hash-checking mode: every pin carries at least one hash


class LockedPins(Protocol):
    """A lock file's packages (``pylock.LockFile``): it selects the pins itself."""

    def pins(
        self,
        environment: Mapping[str, str],
        tags: Sequence[str],
        extras: Sequence[str] = (),
        groups: Sequence[str] = (),
    ) -> list[Pin]: ...


class ParsedRequirements:
    """Every line of the requirements and constraints files, before markers are evaluated."""

    def __init__(self, *, require_hashes: bool = False, lock: LockedPins | None = None) -> None:
        self.requirements: list[Pin | Unpinned] = []
        self.constraints: list[Pin] = []
        # Constraints that are ranges (``requests<2``): each checks the pin of its project.
        self.range_constraints: list[Unpinned] = []
        # Warnings for the user about lines that were read but change nothing (said once each).
        self.notes: list[str] = []
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.no_index = False
        # Hash-checking mode. As pip, it is on with --require-hashes or when any line
        # (requirement or constraint, whatever its marker) has a --hash option.
        self.require_hashes = require_hashes
        # What the result depends on besides the command line: each file read, with its
        # status when read, and the environment variables the files name with ${VAR}.
        self.sources: list[tuple[Path, os.stat_result]] = []
        self.variables: set[str] = set()
        # A PEP 751 lock file given with -r: its packages replace the lines above (which are
        # empty).
        self.lock = lock

    def select(
        self,
        environment: Mapping[str, str],
        tags: Sequence[str] = (),
        lock_extras: Sequence[str] = (),
        lock_groups: Sequence[str] = (),
    ) -> RequirementSet:
        """The pins that apply to a target whose marker values are ``environment``.

        ``tags`` (the target's wheel tags, most preferred first) matter only for a lock file,
        whose packages list several wheels to choose from; so do the extras and dependency
        groups to install from it."""
        if self.lock is not None:
            locked = self.lock.pins(environment, tags, lock_extras, lock_groups)
            return self._lock_selection(locked)
        marker_environment = {**environment, "extra": ""}
        constraints = _merge_constraints(
            [line for line in self.constraints if _applies(line, marker_environment)]
        )
        pins: dict[NormalizedName, Pin] = {}
        for requirement in self.requirements:
            if _applies(requirement, marker_environment):
                pin = _constrain(requirement, constraints.get(requirement.name))
                earlier = pins.get(pin.name)
                pins[pin.name] = pin if earlier is None else _merge_duplicates(earlier, pin)
        for constraint in self.range_constraints:
            if constraint.name in pins and _applies(constraint, marker_environment):
                pins[constraint.name] = _within_range(pins[constraint.name], constraint)
        if self.require_hashes:
            _check_all_hashed(pins.values())
        return RequirementSet(
            pins=list(pins.values()),
            index_url=self.index_url,
            extra_index_urls=list(self.extra_index_urls),
            find_links=list(self.find_links),
            no_index=self.no_index,
            require_hashes=self.require_hashes,
        )

    def _lock_selection(self, pins: list[Pin]) -> RequirementSet:
        # Every pin has its URL and hashes: no index is asked.
        return RequirementSet(
            pins=pins,
            index_url=None,
            extra_index_urls=[],
            find_links=[],
            no_index=True,
            require_hashes=True,
        )


def read_requirements_files(
    requirement_files: Sequence[Path],
    requirement_args: Sequence[str] = (),
    constraint_files: Sequence[Path] = (),
    require_hashes: bool = False,
    max_size: int = DEFAULT_MAX_REQUIREMENTS_SIZE,
) -> ParsedRequirements:
    """Read the requirements files, command-line requirements and constraints files; each file
    may hold at most ``max_size`` bytes. A lock file among them is ``read.py``'s to read."""
    reader = _Reader(ParsedRequirements(require_hashes=require_hashes), max_size)
    for path in requirement_files:
        reader.read_file(path, COMMAND_LINE, as_constraints=False)
    for argument in requirement_args:
        reader.add(_parse_requirement(argument.strip(), COMMAND_LINE, Path.cwd(), []), False)
    for path in constraint_files:
        reader.read_file(path, COMMAND_LINE, as_constraints=True)
    parsed = reader.parsed
    _check_unpinned_are_constrained(parsed)
    return parsed


def is_lock_path(path: Path) -> bool:
    """Is ``path`` named as PEP 751 names lock files? Cheap: no import of packaging or of the
    lock file support for any other name."""
    if not path.name.startswith("pylock.") or not path.name.endswith(".toml"):
        return False
    from packaging.pylock import is_valid_pylock_path

    return is_valid_pylock_path(path)


class _Reader:
    def __init__(self, parsed: ParsedRequirements, max_size: int) -> None:
        self.parsed = parsed
        self.max_size = max_size  # bytes per file
        # The files being read, outermost first, by (device, inode): an include loop shows up
        # here.
        self.reading: list[tuple[tuple[int, int], Path]] = []
        self.config_settings_noted: set[Path | None] = set()

    def read_file(self, path: Path, included_from: Origin, as_constraints: bool) -> None:
        if included_from.path is not None and path.name.startswith("pylock."):
            _refuse_included_lock(path, included_from)
        text, status = _read_text(path, included_from, as_constraints, self.max_size)
        identity = (status.st_dev, status.st_ino)
        self.parsed.sources.append((_absolute(path), status))
        self.parsed.variables.update(ENV_VAR.findall(text))
        if any(identity == open_identity for open_identity, _ in self.reading):
            chain = " -> ".join(str(open_path) for _, open_path in self.reading)
            raise PinstError(
                f"{included_from}: including {path} again makes a loop ({chain} -> {path}). "
                "Remove one of the -r/-c lines that form it."
            )
        self.reading.append((identity, path))
        for number, line in _logical_lines(text):
            self.read_line(line, Origin(path, number), path.parent, as_constraints)
        self.reading.pop()

    def read_line(self, line: str, origin: Origin, base: Path, as_constraints: bool) -> None:
        requirement, options_text = _split_requirement_and_options(line)
        shown = excerpt(line)  # as errors quote it: a line can be megabytes long
        options = _parse_options(options_text, origin, shown, after_requirement=bool(requirement))
        if not requirement:
            for name, value in options:
                self.apply_option(name, value, origin, base, shown, as_constraints)
            return
        hash_values = [value for name, value in options if name == "--hash"]
        if hash_values:
            self.parsed.require_hashes = True
        if len(hash_values) < len(options):
            self.note_config_settings(origin)
        self.add(_parse_requirement(requirement, origin, base, hash_values), as_constraints)

    def note_config_settings(self, origin: Origin) -> None:
        """Say once per file that its --config-settings are ignored, and why that is right."""
        if origin.path not in self.config_settings_noted:
            self.config_settings_noted.add(origin.path)
            self.parsed.notes.append(f"{origin}: {CONFIG_SETTINGS_NOTE}")

    def note_missing_location(self, location: str, origin: Origin) -> bool:
        """Whether a --find-links path is neither a file nor a directory; if so, say so."""
        if URL_START.match(location) or os.path.exists(location):
            return False
        self.parsed.notes.append(
            f"{origin}: --find-links location '{location}' is ignored: it is neither a file nor "
            "a directory (as pip ignores it). Fix the path, or remove the line."
        )
        return True

    def add(self, line: Pin | Unpinned, as_constraint: bool) -> None:
        if not as_constraint:
            self.parsed.requirements.append(line)
            return
        if line.extras:
            raise PinstError(
                f"{line.origin}: the constraint '{line.text}' has extras, which constraints "
                "cannot have (as in pip). Put the extras on the requirement instead."
            )
        if isinstance(line, Unpinned):
            self.parsed.range_constraints.append(line)
            return
        self.parsed.constraints.append(line)

    def apply_option(
        self, name: str, value: str, origin: Origin, base: Path, line: str, as_constraints: bool
    ) -> None:
        parsed = self.parsed
        match name:
            case "--requirement" | "--constraint":
                nested = as_constraints or name == "--constraint"
                self.read_file(_included_path(value, origin, base, line), origin, nested)
            case "--index-url":
                parsed.index_url = _checked_url(value, origin, line)  # the last one wins, as pip
            case "--extra-index-url":
                _append_new(parsed.extra_index_urls, _checked_url(value, origin, line))
            case "--find-links":
                location = _find_links_location(value, base)
                if not self.note_missing_location(location, origin):
                    _append_new(parsed.find_links, _checked_url(location, origin, line))
            case "--config-settings":
                self.note_config_settings(origin)
            case "--no-index":
                parsed.no_index = True
            case "--require-hashes":
                parsed.require_hashes = True
            case "--editable":
                raise PinstError(
                    f"{origin}: '{line}' asks for an editable install, which needs a build "
                    "backend; pinst installs wheels only. Build a wheel (`pip wheel --no-deps "
                    "<path>` or `uv build --wheel`) and pin it, or install editables with pip "
                    "or uv."
                )
            case "--no-binary" if value != ":none:":
                raise PinstError(
                    f"{origin}: '{line}' asks for source builds; pinst installs wheels only. "
                    "Remove the --no-binary option, and build any wheel you need with `pip "
                    "wheel --no-deps` or `uv build --wheel` and pin it."
                )
            case "--hash":
                raise PinstError(
                    f"{origin}: '{line}' has --hash without a requirement. Put --hash options "
                    "on the requirement's own line (after a trailing backslash to continue it)."
                )
            # --pre, --prefer-binary, --only-binary, --trusted-host, --use-feature and
            # --no-binary :none: change nothing for exact wheel pins, so files written for pip
            # can keep them.


def _refuse_included_lock(path: Path, included_from: Origin) -> None:
    if is_lock_path(path):
        raise PinstError(
            f"{included_from}: {path} is a lock file, which pinst reads only when given alone "
            "on the command line (pinst install -r pylock.toml). Remove this line and pass the "
            "lock file with -r instead."
        )


class NotReadable(Exception):
    """A path that names something other than a regular file or a pipe (its kind)."""


READABLE_KINDS = (stat.S_ISREG, stat.S_ISFIFO, stat.S_ISSOCK)


def read_input_file(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file, or of what a pipe (``/dev/stdin``, ``<(...)``) delivers,
    and its status; at most ``limit`` bytes, read piece by piece.

    A device (``/dev/zero``, ``/dev/urandom``, a terminal) is refused before it is opened: it
    may never end, and opening some has effects. Raises OSError, NotReadable or TooLarge.
    """
    _check_readable(os.stat(path).st_mode)
    with open(path, "rb") as stream:
        status = os.fstat(stream.fileno())
        _check_readable(status.st_mode)  # the same, should the path have changed meanwhile
        return read_at_most(stream.read, limit), status


def _check_readable(mode: int) -> None:
    if any(kind(mode) for kind in READABLE_KINDS):
        return
    if stat.S_ISDIR(mode):
        raise NotReadable("a directory")
    if stat.S_ISCHR(mode):
        raise NotReadable("a character device")
    raise NotReadable("a device" if stat.S_ISBLK(mode) else "not a regular file")


def _read_text(
    path: Path, included_from: Origin, as_constraints: bool, limit: int
) -> tuple[str, os.stat_result]:
    kind = "constraints" if as_constraints else "requirements"
    hint = "" if included_from.path is None else INCLUDE_HINT
    try:
        data, status = read_input_file(path, limit)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PinstError(
            f"{included_from}: cannot read the {kind} file {path}: {reason}. Check the path{hint}."
        ) from None
    except NotReadable as error:
        raise PinstError(
            f"{included_from}: the {kind} file {path} is {error}, not a regular file or a pipe; "
            f"pinst does not read from it, as it may never end. Give a file{hint}."
        ) from None
    except TooLarge as error:
        what = f"the {kind} file {path}"
        raise PinstError(too_large_file(what, error.limit, included_from)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PinstError(
            f"{Origin(path, line)}: the {kind} file is not UTF-8 text ({error.reason} at byte "
            f"{error.start}). Save it as UTF-8."
        ) from None
    return text, status


def too_large_file(what: str, limit: int, included_from: Origin | None = None) -> str:
    from pinst._core.disk_usage import format_size

    where = f"{included_from}: " if included_from is not None else ""
    return (
        f"{where}{what} is larger than the limit of {format_size(limit)}, so pinst "
        "stopped reading it (a real one is far smaller: a locked file with hashes for 1,000 "
        "packages is about 1 MB). If it is right, raise the limit with "
        "--max-requirements-size or PINST_MAX_REQUIREMENTS_SIZE."
    )


def excerpt(text: str, length: int = 200) -> str:
    """``text`` fit to quote in a message: its start, and how long it is, if it is long."""
    if len(text) <= length:
        return text
    return f"{text[:length]}… ({len(text)} characters)"


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line): continuations joined, comments dropped, ${VAR} expanded."""
    for number, joined in _join_continuations(text.splitlines()):
        # The checks for "#" and "$" skip the regular expressions on most lines: a locked
        # line with its hashes is a thousand characters long.
        line = (COMMENT.sub("", joined) if "#" in joined else joined).strip()
        if line:
            yield number, ENV_VAR.sub(_expand_variable, line) if "${" in line else line


def _join_continuations(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    first = 0
    pending: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not pending:
            first = number
        if COMMENT.match(line):
            # A comment ends a continued line (as in pip); the space keeps it a comment once joined.
            pending.append(" " + line)
        elif line.endswith("\\"):
            pending.append(line[:-1])
            continue
        else:
            pending.append(line)
        yield first, "".join(pending)
        pending = []
    if pending:
        yield first, "".join(pending)


def _expand_variable(match: re.Match[str]) -> str:
    # As pip: an unset or empty variable is left as written.
    return os.environ.get(match.group(1)) or match.group(0)


def _split_requirement_and_options(line: str) -> tuple[str, str]:
    """As pip: the options start at the first whitespace-separated token that starts with -."""
    start = re.search(r"(?:^|\s)-", line)
    if start is None:
        return line, ""
    return line[: start.start()].strip(), line[start.start() :].strip()


def _shell_split(text: str, origin: Origin, line: str) -> list[str]:
    import shlex

    try:
        return shlex.split(text)
    except ValueError as error:
        raise PinstError(f"{origin}: cannot split '{line}' into options: {error}.") from None


def _parse_options(
    text: str, origin: Origin, line: str, after_requirement: bool
) -> list[tuple[str, str]]:
    """(long option name, value) pairs; a flag's value is ''."""
    # shlex is slow for the thousands of --hash options of a locked file; plain text
    # (no quotes or escapes) splits the same on white space.
    tokens = text.split() if not QUOTING.search(text) else _shell_split(text, origin, line)
    options: list[tuple[str, str]] = []
    remaining = iter(tokens)
    for token in remaining:
        if not token.startswith("-"):
            raise PinstError(
                f"{origin}: unexpected '{excerpt(token)}' in '{line}'. Put each requirement and "
                "each option on a line of its own."
            )
        name, attached = _split_option_token(token)
        if after_requirement and name not in REQUIREMENT_OPTIONS:
            raise PinstError(
                f"{origin}: '{excerpt(token)}' cannot follow a requirement ('{line}'): only "
                "--hash and --config-settings can. Put other options on a line of their own."
            )
        if name in FLAG_OPTIONS and attached is None:
            options.append((name, ""))
        elif name in VALUE_OPTIONS:
            value = attached if attached is not None else next(remaining, None)
            if value is None:
                raise PinstError(f"{origin}: '{line}': {name} needs a value.")
            options.append((name, value))
        else:
            raise PinstError(
                f"{origin}: pinst does not understand the option '{excerpt(token)}' in "
                f"'{line}'. It "
                f"understands {KNOWN_OPTIONS}; remove it."
            )
    return options


def _split_option_token(token: str) -> tuple[str, str | None]:
    """``--name=value``, ``--name``, ``-xvalue``, ``-x=value`` -> (long name, attached value)."""
    if token.startswith("--"):
        name, equals, value = token.partition("=")
        return name, value if equals else None
    attached = token[2:].removeprefix("=")
    return SHORT_OPTIONS.get(token[:2], token[:2]), attached or None


def _included_path(value: str, origin: Origin, base: Path, line: str) -> Path:
    if not URL_START.match(value):
        return base / value
    if value[:5].lower() == "file:":
        return _file_url_path(_split_url(value, origin, line), origin, base, line)
    raise PinstError(
        f"{origin}: '{line}' names a remote file; pinst reads local files only. Download it "
        "first (for example `curl -o requirements.txt URL`) and include the local copy."
    )


def _checked_url(value: str, origin: Origin, line: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        # Not the line: an index URL may carry credentials.
        raise PinstError(f"{origin}: {redact(value)} is not a valid URL: {problem}. Fix the URL.")
    return value


def _find_links_location(value: str, base: Path) -> str:
    return value if URL_START.match(value) else str(_absolute(base / value))


def _append_new(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _parse_requirement(
    text: str, origin: Origin, base: Path, hash_values: list[str]
) -> Pin | Unpinned:
    if len(text) > MAX_REQUIREMENT_LENGTH:
        raise PinstError(
            f"{origin}: the requirement '{excerpt(text)}' is longer than the "
            f"{MAX_REQUIREMENT_LENGTH} characters pinst accepts for one (its --hash options "
            "aside); no name, URL or marker comes near that. Check the line."
        )
    hashes = _parse_hashes(hash_values, origin, text)
    if NAMED_URL.match(text):
        return _pep508_requirement(text, origin, base, hashes)
    location, extras_and_marker = _split_bare_location(text)
    if URL_START.match(location) or _looks_like_path(location):
        # packaging parses the extras and marker when given a stand-in name to go with them.
        placeholder = _parse_pep508(f"placeholder{extras_and_marker}", origin, text)
        return _direct_pin(
            location,
            None,
            _canonical_extras(placeholder.extras),
            placeholder.marker,
            hashes,
            origin,
            text,
            base,
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
        return _direct_pin(
            requirement.url, name, extras, requirement.marker, hashes, origin, text, base
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


def direct_pin(
    location: str,
    name: NormalizedName,
    hashes: dict[str, frozenset[str]],
    origin: Origin,
    text: str,
    base: Path,
) -> Pin:
    """The pin for a wheel URL or path (relative to ``base``), checked as a requirement line's."""
    return _direct_pin(location, name, frozenset(), None, hashes, origin, text, base)


def _direct_pin(
    location: str,
    name: NormalizedName | None,
    extras: frozenset[str],
    marker: Marker | None,
    hashes: dict[str, frozenset[str]],
    origin: Origin,
    text: str,
    base: Path,
) -> Pin:
    if URL_START.match(location):
        parts = _split_url(location, origin, text)
        url = _wheel_url(parts, origin, base, text)
        hashes = _union_hashes(hashes, _fragment_hashes(parts.fragment, origin, text))
    else:
        url = _local_wheel_url(base / location, origin, text)
    # Checked on the URL as stored, so later code can parse its filename without failing.
    wheel_name = _check_wheel_filename(filename_from_url(url), origin, text)
    if name is not None and name != wheel_name:
        raise PinstError(
            f"{origin}: '{text}' names the project {name}, but the wheel {filename_from_url(url)} "
            f"is {wheel_name}. Fix the name or the URL so they agree."
        )
    return Pin(
        name=wheel_name,
        version=None,
        arbitrary_equality=False,
        url=url,
        extras=extras,
        hashes=hashes,
        marker=marker,
        origin=origin,
        text=text,
    )


def _wheel_url(parts: SplitResult, origin: Origin, base: Path, text: str) -> str:
    """The URL without its fragment, after checking that pinst can fetch it."""
    scheme = parts.scheme.lower()
    if scheme in VCS_SCHEMES or scheme.startswith(tuple(f"{vcs}+" for vcs in VCS_SCHEMES)):
        raise _wheels_only(origin, text, "is a version-control URL")
    if scheme == "file":
        return _local_wheel_url(_file_url_path(parts, origin, base, text), origin, text)
    if scheme not in ("http", "https"):
        raise PinstError(
            f"{origin}: '{text}' uses the URL scheme '{parts.scheme}'; pinst fetches https://, "
            "http:// and file:// URLs only. Download the wheel and pin its path instead."
        )
    return urlunsplit(parts._replace(fragment=""))


def _local_wheel_url(path: Path, origin: Origin, text: str) -> str:
    path = _absolute(path)
    if _is_dir(path):
        raise _wheels_only(origin, text, "is a directory, not a wheel")
    _check_wheel_filename(path.name, origin, text)
    if not _is_file(path):
        relative_to = "the current directory" if origin.path is None else "the file's directory"
        raise PinstError(
            f"{origin}: '{text}': there is no wheel at {path}. Check the path (a relative path "
            f"is relative to {relative_to})."
        )
    return path.as_uri()


def _file_url_path(parts: SplitResult, origin: Origin, base: Path, text: str) -> Path:
    if parts.netloc not in ("", "localhost"):
        raise PinstError(
            f"{origin}: '{text}' is a file URL on the host '{parts.netloc}'; pinst reads local "
            "files only. Use file:///absolute/path or a plain path."
        )
    from urllib.request import url2pathname  # heavy: only for file: URLs

    return base / url2pathname(parts.path)


def _check_wheel_filename(filename: str, origin: Origin, text: str) -> NormalizedName:
    """The project name of the wheel ``filename``, or the error that says it is no wheel."""
    lowered = filename.lower()
    if lowered.endswith(SDIST_SUFFIXES):
        raise _wheels_only(origin, text, "is a source distribution")
    if not lowered.endswith(".whl"):
        raise _wheels_only(origin, text, "is not a wheel (.whl)")
    try:
        return checked_wheel_filename(filename)[0]
    except ValueError as error:  # packaging's InvalidWheelFilename
        raise PinstError(
            f"{origin}: '{text}': {filename} is not a valid wheel filename ({error}). Pin the "
            "wheel under the name its build tool gave it."
        ) from None


def _wheels_only(origin: Origin, text: str, what: str) -> PinstError:
    return PinstError(
        f"{origin}: '{text}' {what}; pinst installs wheels only. Build a wheel (`pip wheel "
        "--no-deps <source>` or `uv build --wheel`) and pin its file or URL instead."
    )


def _split_url(url: str, origin: Origin, text: str) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as error:
        raise PinstError(f"{origin}: '{text}' has an invalid URL: {error}. Fix the URL.") from None


def _absolute(path: Path) -> Path:
    # normpath, not resolve(): a symlinked wheel keeps the filename it was pinned by.
    return Path(os.path.normpath(path.absolute()))


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the filesystem, a NUL byte
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _parse_hashes(values: Iterable[str], origin: Origin, text: str) -> dict[str, frozenset[str]]:
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


def _fragment_hashes(fragment: str, origin: Origin, text: str) -> dict[str, frozenset[str]]:
    """The ``#sha256=...`` part of a URL (other fragment keys, such as egg=, mean nothing here)."""
    values = [
        f"{key}:{value}"
        for key, _, value in (part.partition("=") for part in fragment.split("&"))
        if key.lower() in URL_HASH_NAMES
    ]
    return _parse_hashes(values, origin, text)


def _union_hashes(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """Hashes on one line are alternatives: a file matching any of them is the one meant."""
    return {
        algorithm: first.get(algorithm, frozenset()) | second.get(algorithm, frozenset())
        for algorithm in {*first, *second}
    }


def _shared_hashes(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[str]] | None:
    """Hashes that two lines agree on, or None when no file can satisfy both."""
    if not first or not second:
        return dict(first or second)
    shared = {
        algorithm: first[algorithm] & second[algorithm] for algorithm in first.keys() & second
    }
    return {algorithm: digests for algorithm, digests in shared.items() if digests} or None


def _check_unpinned_are_constrained(parsed: ParsedRequirements) -> None:
    constrained = {constraint.name for constraint in parsed.constraints}
    for requirement in parsed.requirements:
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
    hashes = _shared_hashes(pin.hashes, constraint.hashes)
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
    hashes = _shared_hashes(kept.hashes, other.hashes)
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
