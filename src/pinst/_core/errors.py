"""The errors pinst reports to a user: one paragraph that says what went wrong and what to do.

Any ``PinstError`` that reaches the command line is printed without a traceback. Anything else
is a bug in pinst and is reported as one.
"""

from __future__ import annotations

import errno


class PinstError(Exception):
    """A problem with the user's input or environment that the user can fix."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(PinstError):
    """The command line itself is wrong (exit status 2, as argparse uses)."""

    exit_code = 2


class DownloadError(PinstError):
    """A server could not be reached, refused, or sent something unusable.

    Raised where the URL is known; the stage that knows which requirement needed the URL adds
    that to the message.
    """


def advice_for(error: OSError) -> str:
    """What to do about an operating system error, by its errno."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            "Free some space on that filesystem (hard links need far less than copies: see "
            "--link-mode), then run pinst again."
        )
    if error.errno == errno.EROFS:
        return "That filesystem is mounted read-only: remount it writable, or use another path."
    if error.errno in (errno.EACCES, errno.EPERM):
        return "pinst may not write there: check the permissions, or run pinst as the owner."
    return "Fix the cause above and run pinst again."


def describe(error: OSError) -> str:
    """ "<what happened> (<the file>)", as one phrase for a message."""
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"


def naming(error: OSError, path: object) -> OSError:
    """``error``, naming ``path`` if it names no file (a failed write() names none)."""
    if error.filename is not None:
        return error
    return type(error)(error.errno, error.strerror, str(path))
