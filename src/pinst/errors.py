"""The errors pinst reports to a user: one paragraph that says what went wrong and what to do.

Any ``PinstError`` that reaches the command line is printed without a traceback. Anything else
is a bug in pinst and is reported as one.
"""

from __future__ import annotations


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
