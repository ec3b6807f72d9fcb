"""EMLINK: when an inode has as many links as the filesystem allows, pinst gives the cache a
fresh copy of that file and links to it. A real inode out of links needs ~65,000 links on ext4,
so the error is injected into the first link attempt."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pinst._core import link


def test_emlink_links_to_a_fresh_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "entry" / "module.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    source.chmod(0o444)
    existing_venv_file = tmp_path / "old-venv-module.py"
    os.link(source, existing_venv_file)
    old_inode = source.stat().st_ino
    real_link = os.link
    calls = []

    def link_once_full(src: str, dst: str) -> None:
        calls.append(src)
        if len(calls) == 1:
            raise OSError(errno.EMLINK, "Too many links", src)
        real_link(src, dst)

    monkeypatch.setattr(link.os, "link", link_once_full)
    destination = tmp_path / "new-venv-module.py"
    link.Linker(link.LinkMode.HARDLINK).link(str(source), str(destination))

    assert len(calls) == 2
    assert destination.read_text() == "VALUE = 1\n"
    assert source.stat().st_ino != old_inode  # the cache has a fresh inode now...
    assert destination.stat().st_ino == source.stat().st_ino  # ...which the new venv shares
    assert existing_venv_file.stat().st_ino == old_inode  # older venvs keep theirs
    assert oct(source.stat().st_mode & 0o777) == oct(0o444)  # still read-only
    assert not list(source.parent.glob(".*.tmp"))


def test_other_link_errors_are_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", src)

    monkeypatch.setattr(link.os, "link", refuse)
    source = tmp_path / "a"
    source.write_text("x")
    with pytest.raises(PermissionError):
        link.hardlink_file(str(source), str(tmp_path / "b"))


def test_tree_linker_falls_back_to_a_fresh_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The venv's hard links are made by relative path under two open directories; an inode out
    of links still gets its fresh copy."""
    entry, venv = tmp_path / "entry", tmp_path / "venv"
    (entry / "package").mkdir(parents=True)
    (venv / "package").mkdir(parents=True)
    source = entry / "package" / "module.py"
    source.write_text("VALUE = 1\n")
    old_inode = source.stat().st_ino
    real_link = os.link
    calls = []

    def out_of_links_twice(src: str, dst: str, **directories: int) -> None:
        calls.append(src)
        if len(calls) <= 2:  # the relative link, then the first absolute one
            raise OSError(errno.EMLINK, "Too many links", src)
        real_link(src, dst, **directories)

    monkeypatch.setattr(link.os, "link", out_of_links_twice)
    with link.TreeLinker(str(entry), str(venv), link.hardlink_file) as tree:
        tree.link("package/module.py")

    assert calls == ["package/module.py", str(source), str(source)]
    linked = venv / "package" / "module.py"
    assert linked.read_text() == "VALUE = 1\n"
    assert source.stat().st_ino != old_inode
    assert linked.stat().st_ino == source.stat().st_ino


def test_tree_linker_names_absolute_paths_in_errors(tmp_path: Path) -> None:
    entry, venv = tmp_path / "entry", tmp_path / "venv"
    entry.mkdir()
    venv.mkdir()
    with (
        link.TreeLinker(str(entry), str(venv), link.hardlink_file) as tree,
        pytest.raises(FileNotFoundError) as raised,
    ):
        tree.link("missing.py")
    assert raised.value.filename == f"{entry}/missing.py"
    assert raised.value.filename2 == f"{venv}/missing.py"


def test_tree_linker_replaces_a_file_but_not_a_directory(tmp_path: Path) -> None:
    entry, venv = tmp_path / "entry", tmp_path / "venv"
    entry.mkdir()
    venv.mkdir()
    (entry / "module.py").write_text("NEW = 1\n")
    (entry / "package").write_text("a file where the venv has a directory\n")
    (venv / "module.py").write_text("OLD = 1\n")  # a leftover: replaced, not written through
    (venv / "package").mkdir()
    leftover_inode = (venv / "module.py").stat().st_ino
    with link.TreeLinker(str(entry), str(venv), link.hardlink_file) as tree:
        tree.link("module.py")
        with pytest.raises(IsADirectoryError) as raised:
            tree.link("package")
    assert (venv / "module.py").read_text() == "NEW = 1\n"
    assert (venv / "module.py").stat().st_ino != leftover_inode
    assert raised.value.filename == f"{venv}/package"
