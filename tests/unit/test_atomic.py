"""A file replaced through pinst._core.atomic is whole or untouched, never half written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pinst._core import atomic
from pinst._core.atomic import replacing, write_atomically


def test_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "record.json"
    target.write_text("old")
    write_atomically(target, "néw")
    assert target.read_text(encoding="utf-8") == "néw"
    assert os.listdir(tmp_path) == ["record.json"]


def test_a_failed_write_keeps_the_old_content_and_removes_the_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "record.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target) as file:
        file.write(b"half")
        raise RuntimeError("killed midway")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["record.json"]


def test_the_mode_is_never_wider_than_asked_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomically(tmp_path / "facts", b"x")
        write_atomically(tmp_path / "private", b"x", mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "facts").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600


def test_a_planted_symlink_at_a_temporary_name_is_skipped_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep")
    directory = tmp_path / "cache"
    directory.mkdir()
    after = next(atomic._serial)  # the names this process tries next follow this serial
    for serial in range(after + 1, after + 50):
        (directory / f".page.{os.getpid()}.{serial}.tmp").symlink_to(elsewhere)
    write_atomically(directory / "page", "new")
    assert (directory / "page").read_text() == "new"
    assert elsewhere.read_text() == "keep"
