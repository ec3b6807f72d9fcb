"""Hashed requirement lines for wheels the tests put on the local index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.index_server import IndexServer
from tests.support.wheels import build_wheel, sha256_of


def pinned_wheel(
    server: IndexServer, name: str, version: str = "1.0", **options: Any
) -> tuple[str, Path]:
    """Build the wheel on the index (``options`` go to build_wheel); its hashed requirement
    line, and its path."""
    wheel = build_wheel(server.directory, name, version, **options)
    return f"{name}=={version} --hash=sha256:{sha256_of(wheel)}\n", wheel


def pinned(server: IndexServer, name: str, version: str = "1.0", **options: Any) -> str:
    """Build the wheel on the index and return its hashed requirement line."""
    return pinned_wheel(server, name, version, **options)[0]


def pinned_module(server: IndexServer, name: str, version: str) -> str:
    """``pinned``, for a wheel of one module ``name`` that holds its version: ``V = version``."""
    return pinned(server, name, version, files={f"{name}.py": f"V = {version!r}\n"})
