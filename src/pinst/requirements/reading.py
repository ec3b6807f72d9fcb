"""Reading requirements and constraints files as pip writes them: lines continued with a
backslash, comments, ``${VAR}`` expanded; options on lines of their own (``-r`` and ``-c``
include another file, ``--index-url`` and the others set where wheels are found); every other
line a requirement (``line.py``). The result is a ``ParsedRequirements``, not yet selected for a
target."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pinst._core.errors import PinstError
from pinst._core.limits import DEFAULT_MAX_REQUIREMENTS_SIZE, TooLarge
from pinst._core.urls import redact, url_problem
from pinst.requirements.direct_reference import URL_START, absolute, file_url_path, split_url
from pinst.requirements.input_file import NotReadable, excerpt, read_input_file, too_large_file
from pinst.requirements.line import parse_requirement
from pinst.requirements.model import COMMAND_LINE, Origin, Pin, Unpinned
from pinst.requirements.options import parse_options, split_requirement_and_options
from pinst.requirements.parsed import ParsedRequirements
from pinst.requirements.selection import check_unpinned_are_constrained

CONFIG_SETTINGS_NOTE = (
    "--config-settings is ignored: it passes options to a build backend, and pinst installs "
    "wheels, which need no build."
)
INCLUDE_HINT = (
    "; paths in -r and -c lines are relative to the directory of the file that contains them"
)
# As pip: a comment starts at the beginning of a line or after whitespace, so a URL's
# ``#sha256=...`` fragment is not one.
COMMENT = re.compile(r"(^|\s+)#.*$")
# ``${VAR}``, expanded in a line as pip expands it.
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")


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
        reader.add(parse_requirement(argument.strip(), COMMAND_LINE, Path.cwd(), []), False)
    for path in constraint_files:
        reader.read_file(path, COMMAND_LINE, as_constraints=True)
    parsed = reader.parsed
    check_unpinned_are_constrained(parsed.requirements, parsed.constraints)
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
        self.parsed.sources.append((absolute(path), status))
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
        requirement, options_text = split_requirement_and_options(line)
        shown = excerpt(line)  # as errors quote it: a line can be megabytes long
        options = parse_options(options_text, origin, shown, after_requirement=bool(requirement))
        if not requirement:
            for name, value in options:
                self.apply_option(name, value, origin, base, shown, as_constraints)
            return
        hash_values = [value for name, value in options if name == "--hash"]
        if hash_values:
            self.parsed.require_hashes = True
        if len(hash_values) < len(options):
            self.note_config_settings(origin)
        self.add(parse_requirement(requirement, origin, base, hash_values), as_constraints)

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


def _included_path(value: str, origin: Origin, base: Path, line: str) -> Path:
    if not URL_START.match(value):
        return base / value
    if value[:5].lower() == "file:":
        return file_url_path(split_url(value, origin, line), origin, base, line)
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
    return value if URL_START.match(value) else str(absolute(base / value))


def _append_new(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)
