"""``pinst config``: each effective setting, its value, and where it came from."""

from __future__ import annotations

import json
from pathlib import Path

from pinst.settings import SETTINGS, Settings
from pinst.urls import redact


def show_settings(settings: Settings, output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(_as_json(settings), indent=2))
        return
    files = [file.label for file in settings.discovery.files]
    print(f"# config files: {', '.join(files) if files else 'none'}")
    width = max(len(setting.key) for setting in SETTINGS)
    for setting in SETTINGS:
        value = settings.values[setting.key]
        print(f"{setting.key:<{width}} = {_text(value.value):<30} # {value.source}")


def _as_json(settings: Settings) -> dict[str, object]:
    return {
        "settings": {
            setting.key: {
                "value": _plain(settings.values[setting.key].value),
                "source": settings.values[setting.key].source,
                "variable": setting.variable,
            }
            for setting in SETTINGS
        },
        "files": [str(file.path) for file in settings.discovery.files],
    }


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
        return "(not set)"  # for index-url: a requirements file's --index-url, else PyPI
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(_plain(item)) for item in value) or "(none)"
    return str(_plain(value))
