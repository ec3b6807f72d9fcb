"""Whether a directory pinst finds already there may be reused: the trust rule.

pinst links files from its caches into venvs, and those files run. A cache is therefore only
as safe as the least trusted user who can change it: on a shared mount (``/dev/shm``, a tmpfs
``/tmp``, a shared data disk) another user could create pinst's folder before pinst does and put
their own files in it. So every directory pinst reuses (a cache root, its buckets, an entries
cache on another filesystem, the interpreter facts) must:

- be a real directory (``lstat``: a symlink another user planted is refused, not followed), or
  a symlink of the user's (or root's) own to a directory that passes the rule;
- belong to the current user or to root;
- be writable by nobody else: no write bit for others, and none for the group unless the group
  is the user's own private group (systems with user private groups use umask 002, so every
  directory a user makes there is group-writable by a group that has only them);
- sit in a directory where nobody else can rename it and put another in its place: a parent
  that belongs to the user or root and that others cannot write, or that has the sticky bit
  (``/tmp``), which stops them.

Checking costs one ``lstat`` per directory and no reading of what is inside: nobody else could
have put anything inside a directory that passes.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from pinst._core.errors import PinstError


class UntrustedPath(PinstError):
    """A directory (or file) pinst will not reuse; ``reason`` says why, for callers that word
    their own message."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"pinst does not use {path}: {reason}. If it is yours and nobody else has written "
            f"to it, make it so nobody else can ('chmod go-w {path}', as its owner or root); "
            "otherwise remove it, or give pinst another place (--cache-dir, --entries-cache)."
        )


def trusted_directory(path: Path, mode: int = 0o755, *, check_parent: bool = True) -> bool:
    """Create the directory ``path``, or check that the one there may be reused.

    Returns True if this call created it. A new directory gets ``mode`` less the umask, and so
    is never group- or world-writable. Raises ``UntrustedPath`` if what is there fails the
    rule; ``check_parent`` False skips the parent, for a bucket whose cache root was checked.
    """
    if check_parent:
        _check_parent(path)
    created = False
    try:
        problem = directory_problem(path)
    except FileNotFoundError:
        created = _make_directory(path, mode)
        problem = directory_problem(path)  # what is there now, whoever won a race to make it
    if problem is not None:
        raise UntrustedPath(path, problem)
    return created


def check_existing(path: Path) -> None:
    """Check a directory pinst found (it does not create it): raises ``UntrustedPath``."""
    _check_parent(path)
    problem = directory_problem(path)
    if problem is not None:
        raise UntrustedPath(path, problem)


def directory_problem(path: Path) -> str | None:
    """Why the directory ``path`` must not be reused, or None if it may be."""
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        return _symlink_problem(path, status)
    if not stat.S_ISDIR(status.st_mode):
        return "it is not a directory"
    return _ownership_problem(status, "it")


def _symlink_problem(path: Path, status: os.stat_result) -> str | None:
    """A symlink is followed only if it is the user's (or root's) own, to a trusted directory:
    a user may keep their cache on another disk that way; another user may not send pinst
    anywhere."""
    target = os.readlink(path)
    if status.st_uid not in (0, os.geteuid()):
        return (
            f"it is a symlink (to {target}) that belongs to {owner_name(status.st_uid)}, not to "
            f"{_you(os.geteuid())}, and pinst does not follow another user's symlink"
        )
    resolved = Path(os.path.realpath(path))
    try:
        problem = directory_problem(resolved) or parent_problem(resolved.parent)
    except FileNotFoundError:
        problem = "that is missing"
    return None if problem is None else f"it is a symlink to {resolved}, and {problem}"


def read_trusted_file(path: Path) -> str | None:
    """The text of a file pinst keeps in a trusted folder, or None if there is none.

    Opened without following a symlink, and checked on the open file (``fstat``), so what is
    checked is what is read. Raises ``UntrustedPath`` if it fails the rule: the caller then
    makes it anew (replacing it is safe, since nobody else can write to the folder).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise UntrustedPath(path, "it is a symlink, and pinst only reads its own files") from None
    with os.fdopen(descriptor, encoding="utf-8") as file:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise UntrustedPath(path, "it is not a regular file")
        problem = _ownership_problem(status, "it")
        if problem is not None:
            raise UntrustedPath(path, problem)
        return file.read()


def config_file_problem(status: os.stat_result, working_directory: Path) -> str | None:
    """Why a project config file found from ``working_directory`` must not be used, or None.

    Its owner must be the current user, root, or the working directory's owner; and it must not
    be writable by every user."""
    me = os.geteuid()
    try:
        project_owner = os.stat(working_directory).st_uid
    except OSError:
        project_owner = me
    if status.st_uid not in (me, 0, project_owner):
        return (
            f"it belongs to {owner_name(status.st_uid)}, who is not {_you(me)} and does not own "
            f"the working directory {working_directory}, and it would choose where your "
            "packages come from"
        )
    if status.st_mode & stat.S_IWOTH:
        return f"it is writable by every user (mode {_mode(status)})"
    return None


def is_shared(path: Path) -> bool:
    """True if others may create names in the directory ``path`` (as in ``/tmp``)."""
    return bool(os.stat(path).st_mode & stat.S_IWOTH)


def warn_once(message: str) -> None:
    """Warn on stderr, where code without the run's reporter finds a folder it will not use."""
    if message not in _WARNED:
        _WARNED.add(message)
        sys.stderr.write(f"warning: {message}\n")


_WARNED: set[str] = set()


def owner_name(uid: int) -> str:
    import pwd  # only to word a refusal

    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _make_directory(path: Path, mode: int) -> bool:
    try:
        os.mkdir(path, mode & 0o755)
    except FileExistsError:
        return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _make_directory(path, mode)
    return True


def _check_parent(path: Path) -> None:
    problem = parent_problem(path.parent)
    if problem is not None:
        raise UntrustedPath(path, problem)


def parent_problem(parent: Path) -> str | None:
    """Why others could rename what pinst keeps in ``parent`` and put theirs there, or None."""
    try:
        status = os.stat(parent)  # the parent may be reached through a symlink: its target counts
    except FileNotFoundError:
        return None  # pinst creates it, and then its child, with safe modes
    if status.st_mode & stat.S_ISVTX and status.st_uid in (0, os.geteuid()):
        return None  # sticky: only the owner of a name (and the directory's owner) may rename it
    return _ownership_problem(status, f"the folder it is in, {parent},")


def _ownership_problem(status: os.stat_result, subject: str) -> str | None:
    me = os.geteuid()
    if status.st_uid not in (me, 0):
        return (
            f"{subject} belongs to {owner_name(status.st_uid)}, not to {_you(me)}, so that "
            "user could change what pinst takes from it into your venvs"
        )
    if status.st_mode & stat.S_IWOTH:
        return f"{subject} is writable by every user (mode {_mode(status)})"
    if status.st_mode & stat.S_IWGRP and not _own_private_group(status.st_gid):
        return (
            f"{subject} is writable by the group {_group_name(status.st_gid)} "
            f"(mode {_mode(status)}), whose members could change what pinst takes from it "
            "into your venvs"
        )
    return None


def _you(me: int) -> str:
    return "you (root)" if me == 0 else f"you ({owner_name(me)}) or root"


def _own_private_group(gid: int) -> bool:
    """True if ``gid`` is the current user's private group: named after them, with no members.

    Only asked about a group-writable directory, so a run whose umask is 022 never looks."""
    import grp
    import pwd

    uid = os.geteuid()
    try:
        group = grp.getgrgid(gid)
        user = pwd.getpwuid(uid)
    except KeyError:
        return False
    return user.pw_gid == gid and group.gr_name == user.pw_name and not group.gr_mem


def _group_name(gid: int) -> str:
    import grp

    try:
        return f"{grp.getgrgid(gid).gr_name} (gid {gid})"
    except KeyError:
        return f"gid {gid}"


def _mode(status: os.stat_result) -> str:
    return stat.filemode(status.st_mode)
