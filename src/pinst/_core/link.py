"""Link strategies: how a file in a cache entry becomes a file in a venv.

One interface (``Linker.link(source, destination)``), four ways:

- ``reflink``: a copy-on-write clone (Linux ``FICLONE``, macOS ``clonefile``). Private to the venv.
- ``hardlink``: ``os.link``; shares the cache's read-only inode.
- ``symlink``: a symbolic link to the cache's file.
- ``copy``: a real copy that keeps the executable bits and the mtime.

The mode is chosen once per (entries directory, target directory) pair by a probe, never by
trying each file. An explicitly requested mode is strict: if the probe fails, pinst stops before
touching the venv and says why.
"""

from __future__ import annotations

import enum
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pinst._core.atomic import replacing
from pinst._core.errors import PinstError
from pinst._core.filesystems import filesystem_of

PROBE_PREFIX = ".pinst-probe-"  # probe files; `pinst cache prune` removes strays
FICLONE = 0x40049409  # _IOW(0x94, 9, int) from linux/fs.h


class LinkMode(enum.Enum):
    AUTO = "auto"
    HARDLINK = "hardlink"
    REFLINK = "reflink"
    SYMLINK = "symlink"
    COPY = "copy"


AUTO_ORDER = (LinkMode.REFLINK, LinkMode.HARDLINK, LinkMode.COPY)


def reflink_file(source: str, destination: str) -> None:
    if sys.platform == "darwin":
        _clonefile(source, destination)
    elif sys.platform.startswith("linux"):
        _ficlone(source, destination)
    else:
        raise OSError(errno.EOPNOTSUPP, "reflinks are not supported on this platform")
    _make_private(source, destination)


def _ficlone(source: str, destination: str) -> None:
    import fcntl

    source_fd = os.open(source, os.O_RDONLY)
    try:
        target_fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.ioctl(target_fd, FICLONE, source_fd)
        except OSError:
            os.close(target_fd)
            os.unlink(destination)
            raise
        os.close(target_fd)
    finally:
        os.close(source_fd)


def _clonefile(source: str, destination: str) -> None:  # pragma: no cover - macOS only
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.clonefile(source.encode(), destination.encode(), 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), destination)


def copy_file(source: str, destination: str) -> None:
    shutil.copyfile(source, destination)  # sendfile/copy_file_range under the hood
    _make_private(source, destination)


def _make_private(source: str, destination: str) -> None:
    """A copy belongs to the venv alone: ordinary writable mode, the cache file's mtime.

    Keeping the mtime keeps timestamp-based .pyc files compiled in the cache valid.
    """
    status = os.stat(source)
    os.chmod(destination, 0o755 if status.st_mode & 0o111 else 0o644)
    os.utime(destination, ns=(status.st_atime_ns, status.st_mtime_ns))


def hardlink_file(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError as error:
        if error.errno != errno.EMLINK:
            raise
        # The inode has as many links as the filesystem allows: give the cache a fresh copy
        # (a new inode) of this file and link to that. Existing venvs keep the old inode.
        _replace_with_fresh_copy(source)
        os.link(source, destination)


def _replace_with_fresh_copy(path: str) -> None:
    """Replace ``path`` whole with a copy of itself that keeps its mode (which the umask may not
    narrow) and its times, as ``shutil.copy2`` keeps them: a cache entry's files are read-only,
    and their mtimes are what the bytecode compiled from them records."""
    status = os.stat(path)
    mode = stat.S_IMODE(status.st_mode)
    with open(path, "rb") as original, replacing(path, mode) as copy:
        shutil.copyfileobj(original, copy)
        copy.flush()  # every byte written before the times are set: a later write moves mtime
        os.fchmod(copy.fileno(), mode)
        os.utime(copy.fileno(), ns=(status.st_atime_ns, status.st_mtime_ns))


class TreeLinker:
    """Links the files of one directory tree into another, by the path each has in both.

    ``function`` is the link strategy's (``Linker.function``). For plain hard links the two
    roots are held open and each link is made relative to them, so the kernel resolves a few
    path components instead of two absolute paths of a dozen, which takes measurably less
    system time (see docs/internals/benchmark-history.md, section "Where pinst is behind uv,
    session by session"). Any other function (another mode, or one a test wraps
    with a fault point) gets the two absolute paths. A file already at the destination is
    replaced, never written through: it may be a hard link into the cache.
    """

    def __init__(
        self, source_root: str, destination_root: str, function: Callable[[str, str], None]
    ) -> None:
        self.source_root = source_root
        self.destination_root = destination_root
        self.function = function
        self.by_relative_path = function is hardlink_file
        self.source = os.open(source_root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self.destination = os.open(destination_root, os.O_RDONLY | os.O_DIRECTORY)
        except BaseException:
            os.close(self.source)
            raise

    def __enter__(self) -> TreeLinker:
        return self

    def __exit__(self, *_exception: object) -> None:
        os.close(self.source)
        os.close(self.destination)

    def make_directory(self, path: str) -> None:
        try:
            os.mkdir(path, dir_fd=self.destination)
        except FileExistsError:
            pass
        except OSError as error:
            raise OSError(error.errno, error.strerror, self._destination(path)) from None

    def link(self, path: str) -> None:
        try:
            self._link(path)
        except FileExistsError:
            # Another project's file, or a leftover.
            try:
                os.unlink(path, dir_fd=self.destination)
            except OSError as error:  # a directory in the way, say
                raise OSError(error.errno, error.strerror, self._destination(path)) from None
            self._link(path)

    def _link(self, path: str) -> None:
        if not self.by_relative_path:
            self.function(self._source(path), self._destination(path))
            return
        try:
            os.link(path, path, src_dir_fd=self.source, dst_dir_fd=self.destination)
        except FileExistsError:
            raise
        except OSError as error:
            source, destination = self._source(path), self._destination(path)
            if error.errno == errno.EMLINK:
                hardlink_file(source, destination)  # makes the cache a fresh copy to link
                return
            # Named by their absolute paths, as a plain os.link names them.
            raise OSError(error.errno, error.strerror, source, None, destination) from None

    def _source(self, path: str) -> str:
        return f"{self.source_root}/{path}"

    def _destination(self, path: str) -> str:
        return f"{self.destination_root}/{path}"


def symlink_file(source: str, destination: str) -> None:
    os.symlink(source, destination)


LINKERS = {
    LinkMode.REFLINK: reflink_file,
    LinkMode.HARDLINK: hardlink_file,
    LinkMode.SYMLINK: symlink_file,
    LinkMode.COPY: copy_file,
}


class Linker(NamedTuple):
    mode: LinkMode
    # For auto: the modes tried first that failed, with why (for -v).
    passed_over: tuple[tuple[LinkMode, str], ...] = ()

    @property
    def function(self) -> Callable[[str, str], None]:
        """The plain function that links one file: called tens of thousands of times."""
        return LINKERS[self.mode]

    def link(self, source: str, destination: str) -> None:
        LINKERS[self.mode](source, destination)


def choose_linker(requested: LinkMode, entries_dir: Path, target_dir: Path) -> Linker:
    """Probe once which mode works from ``entries_dir`` into ``target_dir``.

    ``auto`` takes the first of reflink, hardlink, copy that works. Any other mode must work, or
    pinst stops here, before the venv is changed.
    """
    _remove_stale_probes(target_dir)
    if requested is LinkMode.AUTO:
        passed_over: list[tuple[LinkMode, str]] = []
        for mode in AUTO_ORDER:
            failure = _probe(mode, entries_dir, target_dir)
            if failure is None:
                return Linker(mode, tuple(passed_over))
            passed_over.append((mode, failure.strerror or str(failure)))
        raise _refusal(
            LinkMode.COPY, entries_dir, target_dir, _probe(LinkMode.COPY, entries_dir, target_dir)
        )
    failure = _probe(requested, entries_dir, target_dir)
    if failure is not None:
        raise _refusal(requested, entries_dir, target_dir, failure)
    return Linker(requested)


def _probe(mode: LinkMode, entries_dir: Path, target_dir: Path) -> OSError | None:
    entries_dir.mkdir(parents=True, exist_ok=True)
    descriptor, source = tempfile.mkstemp(dir=entries_dir, prefix=PROBE_PREFIX)
    try:
        os.write(descriptor, b"pinst link probe\n")
        os.close(descriptor)
        destination = os.path.join(target_dir, f"{PROBE_PREFIX}{os.getpid()}-{mode.value}")
        try:
            LINKERS[mode](source, destination)
        except OSError as error:
            return error
        os.unlink(destination)
        return None
    finally:
        os.unlink(source)


def _remove_stale_probes(target_dir: Path) -> None:
    """Remove probe files a killed run left in the venv: pinst holds the venv's lock, so no
    other pinst is probing there now."""
    for stale in target_dir.glob(f"{PROBE_PREFIX}*"):
        stale.unlink(missing_ok=True)


def _refusal(
    mode: LinkMode, entries_dir: Path, target_dir: Path, error: OSError | None
) -> PinstError:
    source_fs, target_fs = filesystem_of(entries_dir), filesystem_of(target_dir)
    reason = f"{error.strerror} ({errno_name(error.errno)})" if error else "unknown error"
    same = source_fs.device == target_fs.device
    where = (
        f"within one filesystem ({source_fs.describe()})"
        if same
        else f"from {source_fs.describe()} to {target_fs.describe()}"
    )
    return PinstError(
        f"--link-mode {mode.value} cannot be used for {target_dir}: linking from the cache at "
        f"{entries_dir} to the venv {where} failed with: {reason}. Nothing was installed. "
        f"{_advice(mode, error)}"
    )


def errno_name(code: int | None) -> str:
    """The symbolic name of an errno value (Linux gives ENOTSUP and EOPNOTSUPP one number)."""
    if code is None:
        return "unknown error"
    if code == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return errno.errorcode.get(code, str(code))


def _advice(mode: LinkMode, error: OSError | None) -> str:
    code = error.errno if error else None
    if code == errno.EXDEV:
        return (
            "Hard links and reflinks cannot cross filesystems: give the venv's filesystem a "
            "cache (leave per-filesystem caches on, or name one there with --entries-cache "
            "DIR), or use --link-mode auto or copy."
        )
    if mode is LinkMode.REFLINK and code in (errno.EOPNOTSUPP, errno.ENOTTY, errno.EINVAL):
        return (
            "This filesystem cannot make reflinks (copy-on-write clones need btrfs, XFS with "
            "reflink=1, bcachefs or APFS): use --link-mode hardlink, copy, or auto."
        )
    return "Use --link-mode copy, or --link-mode auto to let pinst pick what works."
