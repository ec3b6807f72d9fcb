"""The hostile wheel: ``hostile-1.0-py3-none-any.whl``, valid but for what a test breaks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.index_server import IndexServer
from tests.support.wheels import build_wheel

NAME = "hostile"
RECORD = f"{NAME}-1.0.dist-info/RECORD"


def hostile(
    server: IndexServer, files: dict[str, bytes | str] | None = None, **options: Any
) -> Path:
    """``hostile-1.0-py3-none-any.whl`` on the index, valid but for what ``options`` break."""
    files = files if files is not None else {f"{NAME}/__init__.py": "x = 1\n"}
    return build_wheel(server.directory, NAME, "1.0", files=files, **options)
