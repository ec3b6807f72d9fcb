"""Replacing a file whole: write a temporary file beside it, then rename it over the old one.

A reader sees the old content or the new, never half of either, and a process killed midway
leaves at worst a stray temporary file (``.<name>.<pid>.<n>.tmp``), never a broken file. The
rename is atomic only within one directory, so the temporary file is made in the target's own.

The temporary file is created with ``O_EXCL`` and ``O_NOFOLLOW``: a symlink planted under its
name by someone who can write to the directory is refused, not followed. Its mode is given
explicitly (``0o644`` unless the caller says otherwise) and the umask can only narrow it, because
pinst believes several of these files when it reads them back and no other user may write them.
Nothing is fsynced: the files written this way (caches, records, the journal) must survive a
killed process, which needs no fsync, and would be rebuilt after a power cut.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO

# Distinguishes the temporary files of threads in one process (next() on it is thread-safe).
_serial = itertools.count()

TEMPORARY_SUFFIX = ".tmp"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@contextmanager
def replacing(path: str | os.PathLike[str], mode: int = 0o644) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content to; it replaces ``path`` when the block
    ends without an exception, and is removed if the block raises."""
    directory, name = os.path.split(os.fspath(path))
    descriptor, temporary = _create_temporary(directory or ".", name, mode)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_atomically(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o644) -> None:
    """Replace ``path`` whole with ``data`` (text is written as UTF-8)."""
    with replacing(path, mode) as file:
        file.write(data.encode("utf-8") if isinstance(data, str) else data)


def is_temporary(name: str) -> bool:
    """Whether the file ``name`` is a temporary file of this module's, such as a killed process
    leaves behind."""
    return name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)


def _create_temporary(directory: str, name: str, mode: int) -> tuple[int, str]:
    while True:
        serial = next(_serial)
        temporary = os.path.join(directory, f".{name}.{os.getpid()}.{serial}{TEMPORARY_SUFFIX}")
        try:
            return os.open(temporary, _CREATE, mode), temporary
        except FileExistsError:
            continue  # a killed process's with the same pid, or a planted link: the next name
