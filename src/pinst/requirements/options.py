"""The options a requirements file's line may carry, as pip writes them: ``-r``, ``--index-url``
and the others on a line of their own, ``--hash`` (and ``--config-settings``) after a
requirement; split from the requirement, and each into its long name and its value."""

from __future__ import annotations

import re

from pinst._core.errors import PinstError
from pinst.requirements.input_file import excerpt
from pinst.requirements.model import Origin

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
KNOWN_OPTIONS = (
    "-r, -c, -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --require-hashes "
    "and --hash (and ignores --pre, --prefer-binary, --only-binary, --trusted-host, "
    "--use-feature and --config-settings)"
)
# Quotes or a backslash: only then is a line split as a shell would split it.
QUOTING = re.compile(r"[\"'\\\\]")


def split_requirement_and_options(line: str) -> tuple[str, str]:
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


def parse_options(
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
