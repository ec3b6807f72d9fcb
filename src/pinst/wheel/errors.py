"""What pinst says of a wheel it refuses to unpack: an invalid one, or one beyond the limits."""

from __future__ import annotations

from pathlib import Path

from pinst._core.errors import PinstError


class InvalidWheel(PinstError):
    def __init__(self, wheel: Path, problem: str) -> None:
        super().__init__(
            f"{wheel.name} is not a valid wheel: {problem}. pinst refused to install it and "
            "kept nothing of it in the cache. If it came from an index, the file may be corrupt "
            "or tampered with: report it to the project; if you built it, rebuild it."
        )


class WheelTooLarge(PinstError):
    """A wheel beyond the unpack limits: maybe a zip bomb, maybe a wheel the user trusts."""

    def __init__(self, wheel: Path, problem: str, option: str, variable: str) -> None:
        super().__init__(
            f"{wheel.name} {problem} (a guard against zip bombs), so pinst refused to unpack it. "
            f"If you trust this wheel, raise the limit with {option} or {variable}."
        )
