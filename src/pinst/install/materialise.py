"""Materialise a cache entry into a venv, as the wheel specification says a wheel is installed.

Files go to purelib or platlib by ``Root-Is-Purelib``, and ``<name>.data/<key>/`` files to that
scheme path. Most files are linked from the entry with the chosen strategy. Files that differ
per venv are written, never linked: ``.data/scripts`` files whose ``#!python`` line names this
venv's interpreter, generated console and GUI scripts, RECORD, INSTALLER, REQUESTED and
``direct_url.json``.

A destination that already exists is unlinked first and never opened for writing: it may be a
hard link into the cache, and writing through it would change every venv that shares it.

Every .data path and entry point name was checked against ``wheel/confinement.py``'s rule when the
wheel was unpacked; they are checked again here, before anything is written, because an entry
in the cache may have been unpacked by an earlier pinst that did not check all of them. Only
they need it: the other files go under purelib or platlib, which holds none of the venv's own
files, and their paths were always checked for ``..`` and absolute paths.
"""

from __future__ import annotations

import bisect
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError
from pinst._core.link import TreeLinker
from pinst.cache.manifest import FILES_DIR, FileRow, Manifest
from pinst.install.uninstall import remove_empty_directories
from pinst.venv.interpreter import Interpreter, Scheme
from pinst.wheel.confinement import data_file_problem, script_name_problem
from pinst.wheel.launchers import launcher
from pinst.wheel.record import format_record, hash_content

if TYPE_CHECKING:
    from pinst.unpack.bytecode import Compilation

INSTALLER_NAME = b"pinst\n"
# Files of the wheel's .dist-info that pinst writes itself for each venv.
WRITTEN_PER_VENV = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


class UnconfinedEntry(PinstError):
    def __init__(self, entry: Path, manifest: Manifest, problem: str) -> None:
        super().__init__(
            f"{manifest.wheel_filename} cannot be installed: {problem}. Its entry in the cache "
            f"({entry}) was unpacked by an earlier pinst, which did not refuse this; pinst "
            "refused to install it and left the venv as it was. Remove the cache's entries "
            "with 'pinst cache clean', and do not install this wheel: a current pinst refuses it."
        )


def confinement_problem(manifest: Manifest) -> str | None:
    """Why one of the manifest's .data files or entry points cannot be installed, or None."""
    data_prefix = manifest.data_dir + "/"
    # The rows are sorted by path: the .data files are one run of them, found by bisection.
    start = bisect.bisect_left(manifest.rows, data_prefix, key=lambda row: row[0])
    for path, *_ in manifest.rows[start:]:
        if not path.startswith(data_prefix):
            break
        scheme, _, rest = path[len(data_prefix) :].partition("/")
        problem = (
            data_file_problem(scheme, rest) if scheme in Scheme._fields else "is under no scheme"
        )
        if problem is not None:
            return f"its file {path!r} {problem}"
    for entry_point in manifest.entry_points:
        problem = script_name_problem(entry_point.name)
        if problem is not None:
            return f"its {entry_point.section} script {entry_point.name!r} {problem}"
    return None


class Layout:
    """Where an entry's .data files (and bytecode) go in one venv; the rest go under the root."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []  # (entry file, venv path)
        self.record_rows: list[tuple[str, str, str]] = []  # of the links
        self.rewrites: list[tuple[str, str]] = []  # #!python scripts


def lay_out(
    records: Iterable[tuple[str, FileRow]],
    manifest: Manifest,
    scheme: Scheme,
    headers_name: str,
) -> Layout:
    """The layout of ``records``: (directory holding the file, its row), for files that are
    either in the wheel's .data directory or bytecode; they need the scheme's paths."""
    root = str(scheme.purelib if manifest.root_is_purelib else scheme.platlib)
    data_prefix = manifest.data_dir + "/"
    layout = Layout()
    for files_root, (path, digest, size, _) in records:
        source = f"{files_root}/{path}"
        if not path.startswith(data_prefix):
            destination = f"{root}/{path}"
        else:
            key, _, rest = path[len(data_prefix) :].partition("/")
            destination = os.path.join(_data_base(key, scheme, headers_name), rest)
            if key == "scripts" and _starts_with_python_shebang(source):
                layout.rewrites.append((source, destination))
                continue
        layout.links.append((source, destination))
        layout.record_rows.append((_relative(destination, root), digest, str(size)))
    return layout


def _data_base(key: str, scheme: Scheme, headers_name: str) -> str:
    if key == "headers":
        return os.path.join(scheme.headers, headers_name)
    return str(scheme.path_for(key))


def _relative(path: str, root: str) -> str:
    """A RECORD path: relative to the directory that holds .dist-info, with forward slashes."""
    return os.path.relpath(path, root).replace(os.sep, "/")


def _starts_with_python_shebang(path: str) -> bool:
    with open(path, "rb") as script:
        return script.read(8) == b"#!python"


class Materialiser:
    """Installs one entry's files into one venv and writes its per-venv metadata."""

    def __init__(
        self,
        interpreter: Interpreter,
        venv_python: Path,
        link: Callable[[str, str], None],
    ) -> None:
        self.interpreter = interpreter
        self.scheme = interpreter.scheme
        self.venv_python = str(venv_python)
        self.link = link  # a link strategy's function (Linker.function)
        for root in {self.scheme.purelib, self.scheme.platlib}:
            os.makedirs(root, exist_ok=True)  # entries' directories are made inside them

    def install(
        self,
        entry: Path,
        manifest: Manifest,
        direct_url: dict[str, object] | None,
        headers_name: str,
        bytecode: Compilation | None = None,
    ) -> None:
        """Install the entry; ``headers_name`` names its directory under the headers path."""
        problem = confinement_problem(manifest)
        if problem is not None:
            raise UnconfinedEntry(entry, manifest, problem)
        root = self._root(manifest)
        files_root = f"{entry}/{FILES_DIR}"
        with TreeLinker(files_root, root, self.link) as tree:
            for directory in manifest.directories:
                tree.make_directory(directory)
            record_rows, data_rows = _root_files(manifest, tree.link)
        others = [(files_root, row) for row in data_rows]
        if bytecode is not None:
            # Bytecode mirrors the entry's tree, so its files go where their sources go.
            others += [(str(bytecode.root), row) for row in bytecode.rows]
        layout = lay_out(others, manifest, self.scheme, headers_name)
        written = [
            (destination, self._rewritten_script(source)) for source, destination in layout.rewrites
        ]
        written.extend(self._entry_point_scripts(manifest))
        _create_directories(
            [destination for _, destination in layout.links] + [path for path, _ in written],
            existing=str(self.scheme.data),
        )
        for source, destination in layout.links:
            self._link(source, destination)
        for path, content in written:
            _write_new_file(path, content, executable=True)
        self._write_metadata(manifest, record_rows + layout.record_rows, written, direct_url)

    def discard(
        self,
        entry: Path,
        manifest: Manifest,
        headers_name: str,
        bytecode: Compilation | None = None,
    ) -> None:
        """Remove what ``install`` puts in the venv for this entry, however far it got."""
        if confinement_problem(manifest) is not None:
            return  # install wrote nothing; its paths may lead anywhere, even out of the venv
        root = self._root(manifest)
        files_root = f"{entry}/{FILES_DIR}"
        data_prefix = manifest.data_dir + "/"
        paths = [f"{root}/{row[0]}" for row in manifest.rows if not row[0].startswith(data_prefix)]
        others = [(files_root, row) for row in manifest.rows if row[0].startswith(data_prefix)]
        if bytecode is not None:
            others += [(str(bytecode.root), row) for row in bytecode.rows]
        layout = lay_out(others, manifest, self.scheme, headers_name)
        paths += [destination for _, destination in layout.links + layout.rewrites]
        paths += [path for path, _ in self._entry_point_scripts(manifest)]
        for path in paths:
            try:
                os.unlink(path)
            except (FileNotFoundError, NotADirectoryError):
                pass
        shutil.rmtree(os.path.join(root, manifest.dist_info), ignore_errors=True)
        directories = {os.path.dirname(path) for path in paths}
        remove_empty_directories(directories, str(self.scheme.data), self.scheme.kept_directories())

    def _root(self, manifest: Manifest) -> str:
        return str(self.scheme.purelib if manifest.root_is_purelib else self.scheme.platlib)

    def _link(self, source: str, destination: str) -> None:
        try:
            self.link(source, destination)
        except FileExistsError:
            os.unlink(destination)
            self.link(source, destination)

    def _rewritten_script(self, source: str) -> bytes:
        # As pip: the whole first line becomes "#!<this venv's python>".
        with open(source, "rb") as script:
            content = script.read()
        _, _, rest = content.partition(b"\n")
        return b"#!" + self.venv_python.encode() + os.linesep.encode() + rest

    def _entry_point_scripts(self, manifest: Manifest) -> list[tuple[str, bytes]]:
        return [
            (
                os.path.join(self.scheme.scripts, entry_point.name),
                launcher(entry_point.module, entry_point.attribute, self.venv_python),
            )
            for entry_point in manifest.entry_points
        ]

    def _write_metadata(
        self,
        manifest: Manifest,
        linked_rows: list[tuple[str, str, str]],
        written: list[tuple[str, bytes]],
        direct_url: dict[str, object] | None,
    ) -> None:
        root = str(self.scheme.purelib if manifest.root_is_purelib else self.scheme.platlib)
        dist_info = os.path.join(root, manifest.dist_info)
        extra: list[tuple[str, bytes]] = [
            (os.path.join(dist_info, "INSTALLER"), INSTALLER_NAME),
            (os.path.join(dist_info, "REQUESTED"), b""),
        ]
        if direct_url is not None:
            content = json.dumps(direct_url, sort_keys=True).encode()  # byte for byte as pip
            extra.append((os.path.join(dist_info, "direct_url.json"), content))
        for path, content in extra:
            _write_new_file(path, content, executable=False)
        rows = linked_rows + [
            (_relative(path, root), hash_content(content), str(len(content)))
            for path, content in written + extra
        ]
        record_path = os.path.join(dist_info, "RECORD")
        rows.append((_relative(record_path, root), "", ""))
        _write_new_file(record_path, format_record(rows), executable=False)


def _root_files(
    manifest: Manifest, link: Callable[[str], None]
) -> tuple[list[tuple[str, str, str]], list[FileRow]]:
    """Link every file outside the .data directory (``link`` takes its path in the wheel):
    nearly all of them, so this loop does as little as it can per file (its directories
    already exist).

    Returns their RECORD rows, and the .data rows, which need the scheme's paths.
    """
    skipped = {f"{manifest.dist_info}/{name}" for name in WRITTEN_PER_VENV}
    data_prefix = manifest.data_dir + "/"
    record_rows: list[tuple[str, str, str]] = []
    data_rows: list[FileRow] = []
    for row in manifest.rows:
        path = row[0]
        if path.startswith(data_prefix):
            data_rows.append(row)
        elif path not in skipped:
            link(path)
            record_rows.append((path, row[1], str(row[2])))
    return record_rows, data_rows


def _create_directories(files: Iterable[str], existing: str) -> None:
    """Create every directory the files need below ``existing``: one mkdir each, parents first."""
    wanted: set[str] = set()
    for path in files:
        directory = os.path.dirname(path)
        while directory not in wanted and len(directory) > len(existing):
            wanted.add(directory)
            directory = os.path.dirname(directory)
    for directory in sorted(wanted):  # a parent sorts before its children
        try:
            os.mkdir(directory)
        except FileExistsError:
            pass


def _write_new_file(path: str, content: bytes, *, executable: bool) -> None:
    """Write a file the venv owns alone; an existing one is unlinked first (it may be a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    mode = 0o755 if executable else 0o644
    try:
        descriptor = os.open(path, flags, mode)
    except FileExistsError:
        os.unlink(path)
        descriptor = os.open(path, flags, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
