"""Shared fixtures: a real index on 127.0.0.1, a private cache, pinst run as a user runs it, the
index clients, and a fresh tmpfs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.index_server import Clients, IndexServer
from tests.support.mounts import mounted
from tests.support.runner import Pinst
from tests.support.wheels import build_wheel


@pytest.fixture
def server(tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(tmp_path / "index") as running:
        yield running


@pytest.fixture
def venv(pinst: Pinst, server: IndexServer, tmp_path: Path) -> Path:
    """An existing venv with one package installed: a failed run must leave all of it alone."""
    build_wheel(server.directory, "present", "1.0")
    path = tmp_path / "venv"
    pinst("install", "present==1.0", "--venv", path, "-i", server.url)
    return path


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def pinst(cache_dir: Path, tmp_path: Path) -> Pinst:
    work = tmp_path / "work"
    work.mkdir()
    return Pinst(cache_dir, work)


@pytest.fixture
def clients() -> Iterator[Clients]:
    made = Clients()
    yield made
    made.close()


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A fresh tmpfs (needs root: skips without it)."""
    with mounted("tmpfs", tmp_path / "tmpfs", tmp_path) as mount_point:
        yield mount_point
