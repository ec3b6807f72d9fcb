"""When a request is worth trying again, and how long to wait first.

A transient failure is a connection that broke or timed out, or a status that says "later"
(``RETRYABLE_STATUSES``); a certificate that does not verify is not one. The loop that retries
is ``network/http.py``'s; what the user is told when it gives up is ``network/failures.py``'s.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError

if TYPE_CHECKING:
    import httpx

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def _default_base_delay() -> float:
    configured = os.environ.get("PINST_RETRY_BASE_DELAY")
    if not configured:
        return 0.5
    try:
        return float(configured)
    except ValueError:
        raise PinstError(
            f"PINST_RETRY_BASE_DELAY={configured!r} is not a number of seconds; "
            "set it to a number such as 0.5, or unset it."
        ) from None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: exponential backoff with jitter, capped."""

    retries: int = 3
    base_delay: float = field(default_factory=_default_base_delay)
    max_delay: float = 30.0  # also caps a server's Retry-After, so a run never stalls for long
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        # Jitter spreads out the retries of many parallel downloads hitting one busy server.
        return min(self.base_delay * 2.0**attempt * random.uniform(0.5, 1.5), self.max_delay)


class TransientStatus(Exception):
    """A response whose status says: try again later."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def worth_retrying(error: Exception) -> bool:
    # A certificate that does not verify will not verify on the next attempt either.
    return "CERTIFICATE_VERIFY_FAILED" not in str(error)


def retry_after(error: Exception) -> float | None:
    """The server's Retry-After in seconds, given as a number (the usual form) or a date."""
    if not isinstance(error, TransientStatus):
        return None
    value = error.response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # missing or unreadable: back off as usual
    return max(0.0, when.timestamp() - time.time())
