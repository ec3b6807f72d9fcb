"""Every setting's effective value, and where it came from.

Precedence, highest first: the command line, the environment (``PINST_*``), the project's config
file, the user's config file, the default. The first source that sets a key gives its whole
value: lists (``extra-index-url``, ``find-links``) are not merged across sources, so that
``pinst config`` can name the one place a value comes from.

Each value is checked where it enters, and a bad one is one error naming its source: the option,
the environment variable, or the file and key. Relative paths in a config file are relative to
that file's directory; elsewhere, to the working directory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

from pinst._core.errors import UsageError
from pinst.config.files import ConfigFile, Discovery, discover, is_true

LINK_MODES = ("auto", "hardlink", "reflink", "symlink", "copy")
DEFAULT_TIMEOUT = 30.0  # seconds, as network/client.py's (not imported: it loads httpx)
COMMAND_LINE = "command line"
DEFAULT = "default"
DEFAULT_INDEX_URL = (
    "https://pypi.org/simple"  # when neither a setting nor a requirements file names one
)
T = TypeVar("T")


class Setting(NamedTuple):
    key: str  # as in a config file; the install option is --<key>
    variable: str
    kind: str  # see CONVERTERS


SETTINGS = (
    Setting("index-url", "PINST_INDEX_URL", "url"),
    Setting("extra-index-url", "PINST_EXTRA_INDEX_URL", "urls"),
    Setting("find-links", "PINST_FIND_LINKS", "locations"),
    Setting("no-index", "PINST_NO_INDEX", "bool"),
    Setting("offline", "PINST_OFFLINE", "bool"),
    Setting("cache-dir", "PINST_CACHE_DIR", "path"),
    Setting("link-mode", "PINST_LINK_MODE", "link-mode"),
    Setting("compile-bytecode", "PINST_COMPILE_BYTECODE", "bool"),
    Setting("entries-cache", "PINST_ENTRIES_CACHE", "path"),
    Setting("per-filesystem-cache", "PINST_PER_FILESYSTEM_CACHE", "bool"),
    Setting("require-hashes", "PINST_REQUIRE_HASHES", "bool"),
    Setting("timeout", "PINST_HTTP_TIMEOUT", "seconds"),
    Setting("max-unpacked-size", "PINST_MAX_UNPACKED_SIZE", "size"),
    Setting("max-compression-ratio", "PINST_MAX_COMPRESSION_RATIO", "ratio"),
    Setting("max-metadata-size", "PINST_MAX_METADATA_SIZE", "size"),
    Setting("max-index-page-size", "PINST_MAX_INDEX_PAGE_SIZE", "size"),
    Setting("max-requirements-size", "PINST_MAX_REQUIREMENTS_SIZE", "size"),
    Setting("no-progress", "PINST_NO_PROGRESS", "bool"),
)
KEYS = {setting.key: setting for setting in SETTINGS}


class Value(NamedTuple):
    value: object
    source: str  # "command line", "environment PINST_X", a file's label, or "default"


class Settings(NamedTuple):
    values: Mapping[str, Value]
    discovery: Discovery  # the config files read and looked for (the stamp depends on them)

    def text(self, key: str) -> str | None:
        value = self.values[key].value
        return value if isinstance(value, str) else None

    def texts(self, key: str) -> list[str]:
        value = self.values[key].value
        return [str(item) for item in value] if isinstance(value, list) else []

    def flag(self, key: str) -> bool:
        return self.values[key].value is True

    def path(self, key: str) -> Path | None:
        value = self.values[key].value
        return value if isinstance(value, Path) else None

    def number(self, key: str) -> float:
        value = self.values[key].value
        assert isinstance(value, (int, float))
        return value


def resolve(
    command_line: Mapping[str, object] | None = None,
    *,
    no_config: bool = False,
    keys: tuple[str, ...] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """The settings ``keys`` (default: all); ``command_line`` maps keys to given values (None:
    not given), already typed by the parser except for the limits, which are text."""
    discovery = discover(no_config, environ)
    tables = [(file, _normalised(file)) for file in discovery.files]
    values = {
        key: _resolve_one(KEYS[key], (command_line or {}).get(key), environ, tables)
        for key in (keys or tuple(KEYS))
    }
    return Settings(values, discovery)


def _normalised(file: ConfigFile) -> dict[str, object]:
    """The file's keys with ``_`` as ``-`` (both are accepted, as uv does); unknown ones refused."""
    table: dict[str, object] = {}
    for written, value in file.table.items():
        key = written.replace("_", "-")
        if key not in KEYS:
            raise UsageError(
                f"{file.path}: unknown key {written!r}. pinst's settings are: "
                f"{', '.join(KEYS)}. See 'pinst config' and docs/configuration.md."
            )
        if key in table:
            raise UsageError(f"{file.path}: {key!r} is set twice (as - and as _); keep one.")
        table[key] = value
    return table


def _resolve_one(
    setting: Setting,
    given: object,
    environ: Mapping[str, str],
    tables: list[tuple[ConfigFile, dict[str, object]]],
) -> Value:
    if given is not None and given != []:
        option = f"--{setting.key}"
        if isinstance(given, str) and setting.kind in ("size", "ratio"):
            given = _from_text(setting, given, option)
        elif setting.kind in ("url", "urls", "locations"):  # argparse took them as they are
            items = given if isinstance(given, list) else [given]
            checked = [_checked(setting, str(item), option) for item in items]
            given = checked if isinstance(given, list) else checked[0]
        return Value(given, COMMAND_LINE)
    text = environ.get(setting.variable)
    if text:  # an empty variable counts as unset
        value = _from_text(setting, text, setting.variable)
        return Value(value, f"environment {setting.variable}")
    for file, table in tables:
        if setting.key in table:
            return Value(_from_file(setting, table[setting.key], file), file.label)
    return Value(_default(setting.key), DEFAULT)


def _default(key: str) -> object:
    if key == "cache-dir":
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("pinst", appauthor=False))
    from pinst._core.limits import DEFAULT_INPUT_LIMITS, DEFAULT_LIMITS

    defaults: dict[str, object] = {
        "extra-index-url": [],
        "find-links": [],
        "link-mode": "auto",
        "per-filesystem-cache": True,
        "timeout": DEFAULT_TIMEOUT,
        "max-unpacked-size": DEFAULT_LIMITS.max_unpacked_size,
        "max-compression-ratio": DEFAULT_LIMITS.max_compression_ratio,
        "max-metadata-size": DEFAULT_LIMITS.max_metadata_size,
        "max-index-page-size": DEFAULT_INPUT_LIMITS.max_index_page_size,
        "max-requirements-size": DEFAULT_INPUT_LIMITS.max_requirements_size,
    }
    kind = KEYS[key].kind
    return defaults.get(key, False if kind == "bool" else None)


# From text (the environment, and the limits on the command line) ------------------------------


def _from_text(setting: Setting, text: str, where: str) -> object:
    if setting.kind == "bool":
        return is_true(text, where)
    if setting.kind in ("urls", "locations"):
        return [_checked(setting, item, where) for item in text.split()]
    return _checked(setting, text, where)


def _checked(setting: Setting, text: str, where: str) -> object:
    noun, convert = CONVERTERS[setting.kind]
    try:
        return convert(text)
    except ValueError as error:
        from pinst._core.urls import redact

        raise UsageError(f"{where} {redact(text)!r} is not {noun}: {error}.") from None


def _url(text: str) -> str:
    from pinst._core.urls import url_problem

    problem = url_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def _link_mode(text: str) -> str:
    if text not in LINK_MODES:
        raise ValueError(f"use one of {', '.join(LINK_MODES)}")
    return text


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise ValueError("give one such as 30 or 2.5")
    return seconds


def _size(text: str) -> int:
    from pinst._core.limits import parse_size

    return parse_size(text)


def _ratio(text: str) -> int:
    from pinst._core.limits import parse_ratio

    return parse_ratio(text)


CONVERTERS: dict[str, tuple[str, Callable[[str], object]]] = {
    "url": ("a valid URL", _url),
    "urls": ("a valid URL", _url),
    "locations": ("a valid URL", _url),
    "path": ("a path", Path),
    "link-mode": ("a link mode", _link_mode),
    "seconds": ("a number of seconds greater than 0", _seconds),
    "size": ("a valid limit", _size),
    "ratio": ("a valid limit", _ratio),
}


# From a config file: TOML types, and paths relative to the file -------------------------------


def _from_file(setting: Setting, raw: object, file: ConfigFile) -> object:
    where = f"{file.path}: {setting.key}"
    kind = setting.kind
    if kind == "bool":
        return _typed(raw, bool, "true or false", file, setting)
    if kind in ("urls", "locations"):
        items = _typed(raw, list, "a list of strings", file, setting)
        texts = [_typed(item, str, "a list of strings", file, setting) for item in items]
        return [_location(setting, text, file, where) for text in texts]
    if kind == "path":
        path = Path(_typed(raw, str, "a path (a string)", file, setting)).expanduser()
        return file.directory / path  # an absolute path stays as it is
    if kind in ("seconds", "size", "ratio") and isinstance(raw, (int, float)):
        raw = str(raw) if not isinstance(raw, bool) else raw
    return _checked(setting, _typed(raw, str, _expected(kind), file, setting), where)


def _location(setting: Setting, text: str, file: ConfigFile, where: str) -> str:
    """A find-links entry that is a relative path is relative to the config file."""
    checked = str(_checked(setting, text, where))
    if setting.kind == "locations" and "://" not in checked and not checked.startswith("file:"):
        return str(file.directory / Path(checked).expanduser())
    return checked


def _expected(kind: str) -> str:
    return {"seconds": "a number", "size": 'a size (such as "8G") or a number of bytes'}.get(
        kind, "a string"
    )


def _typed(raw: object, expected: type[T], noun: str, file: ConfigFile, setting: Setting) -> T:
    if not isinstance(raw, expected) or (expected is not bool and isinstance(raw, bool)):
        raise UsageError(
            f"{file.path}: {setting.key} must be {noun}, not {_toml_type(raw)} {raw!r}."
        )
    return raw


def _toml_type(raw: object) -> str:
    names = {bool: "a boolean", str: "a string", int: "an integer", float: "a number"}
    return names.get(type(raw), "a list" if isinstance(raw, list) else "a table")
