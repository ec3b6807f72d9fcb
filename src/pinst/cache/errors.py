"""What pinst's commands say when the filesystem refuses them, and the cache's removal errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pinst._core.errors import PinstError, advice_for, describe


@contextmanager
def os_errors_reported(command: str) -> Iterator[None]:
    """Turn a filesystem error the commands did not expect into one paragraph for the user.

    ``command`` is what follows ``pinst``, such as ``cache prune``: a cache or venv path that is
    a file, or on a full or read-only disk, is the user's to fix, not a bug to show a traceback for.
    """
    try:
        yield
    except BrokenPipeError:
        raise  # the reader of the output went away: the command line stops quietly
    except OSError as error:
        message = f"'pinst {command}' stopped: {describe(error)}. {advice_for(error)}"
        raise PinstError(message) from None


class CannotRemove(PinstError):
    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            f"pinst could not remove {path}: {error.strerror or error}. It holds only cached "
            "data: fix its permissions (or remove it yourself) and run the command again."
        )
