"""The TOML parser for config and lock files, imported only when one is read."""

from __future__ import annotations

import importlib
from types import ModuleType


def toml_parser() -> ModuleType:
    """``tomllib``, or on Python 3.10 ``tomli`` (the same API; a dependency there)."""
    try:
        return importlib.import_module("tomllib")
    except ImportError:  # Python 3.10
        return importlib.import_module("tomli")
