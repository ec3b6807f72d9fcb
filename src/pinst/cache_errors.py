"""What the ``pinst cache`` commands say when the filesystem refuses them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pinst.errors import PinstError


@contextmanager
def os_errors_reported(command: str) -> Iterator[None]:
    """Turn a filesystem error the commands did not expect into one paragraph for the user."""
    try:
        yield
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise PinstError(
            f"'pinst cache {command}' stopped at {where}{error.strerror or error}. Fix the "
            f"permissions of that path (or the directory holding it) and run it again."
        ) from None


class CannotRemove(PinstError):
    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            f"pinst could not remove {path}: {error.strerror or error}. It holds only cached "
            "data: fix its permissions (or remove it yourself) and run the command again."
        )
