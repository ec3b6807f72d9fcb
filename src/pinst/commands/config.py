"""``pinst config``: each effective setting, its value, and where it came from."""

from __future__ import annotations

import json
from pathlib import Path

from pinst._core.urls import redact
from pinst.config.settings import DEFAULT, DEFAULT_INDEX_URL, SETTINGS, Settings, Value

# What a setting left at its default of "none" means in effect, and a note on it: the value
# is shown, not "(not set)", so that the user sees what pinst will do.
EFFECTIVE_DEFAULTS: dict[str, tuple[object, str]] = {
    "index-url": (DEFAULT_INDEX_URL, "a requirements file's --index-url comes first"),
    "entries-cache": (
        "(automatic)",
        "one per filesystem: the main cache, or a .pinst-cache made on the venv's",
    ),
}


def show_settings(settings: Settings, output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(_as_json(settings), indent=2))
        return
    files = [file.label for file in settings.discovery.files]
    print(f"# config files: {', '.join(files) if files else 'none'}")
    width = max(len(setting.key) for setting in SETTINGS)
    for setting in SETTINGS:
        value, note = effective(setting.key, settings.values[setting.key])
        source = f"{value.source}; {note}" if note else value.source
        print(f"{setting.key:<{width}} = {_text(value.value):<30} # {source}")


def effective(key: str, value: Value) -> tuple[Value, str]:
    """The value in effect, and a note on it when it is a default with a condition."""
    if value.source == DEFAULT and value.value is None and key in EFFECTIVE_DEFAULTS:
        shown, note = EFFECTIVE_DEFAULTS[key]
        return Value(shown, DEFAULT), note
    return value, ""


def _as_json(settings: Settings) -> dict[str, object]:
    return {
        "settings": {
            setting.key: _json_setting(setting.key, setting.variable, settings.values[setting.key])
            for setting in SETTINGS
        },
        "files": [str(file.path) for file in settings.discovery.files],
    }


def _json_setting(key: str, variable: str, value: Value) -> dict[str, object]:
    shown, note = effective(key, value)
    # JSON keeps null for the automatic entries cache: there is no one path to give.
    plain = None if key == "entries-cache" and value.value is None else _plain(shown.value)
    setting: dict[str, object] = {"value": plain, "source": shown.source, "variable": variable}
    if note:
        setting["note"] = note
    return setting


def _plain(value: object) -> object:
    """The value as JSON has it: paths as strings, URLs without their passwords."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return redact(value) if "://" in value else value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _text(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(_plain(item)) for item in value) or "(none)"
    return str(_plain(value))
