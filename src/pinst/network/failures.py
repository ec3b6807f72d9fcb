"""What a failed request is called in a message, and what to do about it, with no secret in it.

httpx's own messages are worded for programmers and may quote the URL, credentials included:
each failure is described here in a user's words, from its kind, and any text taken from a
library is scrubbed of the URL's password or token first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from pinst._core.urls import redact, redact_text
from pinst.network.retry import TransientStatus

if TYPE_CHECKING:
    import httpx

# How httpx (h11) reports a body that ended before its Content-Length.
_INCOMPLETE_BODY = re.compile(r"received (\d+) bytes, expected (\d+)")


def failure_message(url: str, error: Exception, attempts: int, timeout: httpx.Timeout) -> str:
    """The whole message for a download or page that failed after ``attempts`` tries."""
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    what = describe_failure(error, url, timeout)
    return f"Could not download {redact(url)}: {what}{tried}. {_advice(error)}"


def describe_failure(error: Exception, url: str, timeout: httpx.Timeout) -> str:
    """What went wrong, in a few words that start in lower case."""
    import httpx

    if isinstance(error, TransientStatus):
        response = error.response
        return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(error, httpx.ConnectTimeout):
        return f"could not connect within {_seconds(timeout.connect)}"
    if isinstance(error, httpx.ReadTimeout):
        return f"the server sent nothing for {_seconds(timeout.read)}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out after {_seconds(timeout.write)}"
    # OS errors arrive as "[Errno 111] Connection refused"; the number helps nobody.
    detail = re.sub(r"\[Errno -?\d+\]\s*", "", scrub(str(error), url)).strip().rstrip(".")
    if not detail:
        return type(error).__name__
    detail = detail[0].lower() + detail[1:]
    if isinstance(error, httpx.RemoteProtocolError):
        incomplete = _INCOMPLETE_BODY.search(detail)
        if incomplete:
            received, expected = incomplete.groups()
            return f"the connection closed after {received} of the {expected} bytes announced"
        if "without sending a response" in detail:
            return "the server closed the connection without answering"
        return f"the connection broke off ({detail})"
    return detail


def _seconds(value: float | None) -> str:
    return "the time allowed" if value is None else f"{value:g} s"  # None: pinst never sets it


def _advice(error: Exception) -> str:
    import httpx

    if isinstance(error, TransientStatus):
        return "The server is struggling; try again later, or use another index or mirror."
    if "CERTIFICATE_VERIFY_FAILED" in str(error):
        return (
            "The server's TLS certificate did not verify; if a proxy re-signs traffic on this "
            "network, point SSL_CERT_FILE at its CA bundle."
        )
    if isinstance(error, httpx.TimeoutException):
        return (
            "The server or the network is slow; try again later, or allow more time with "
            "--timeout SECONDS (or PINST_HTTP_TIMEOUT)."
        )
    if isinstance(error, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return (
            "The connection keeps breaking off; try again later, or use another index or "
            "mirror. A proxy (HTTPS_PROXY) that cuts long transfers short can cause this too."
        )
    if isinstance(error, httpx.TooManyRedirects):
        return "The server redirects in a loop; check the URL, or tell the index operator."
    return "Check the URL, your network connection and proxy settings (HTTPS_PROXY)."


def scrub(text: str, url: str) -> str:
    """``text`` without the URL's secret, should a library message have quoted it.

    The secret is the password, or a user name standing alone (usually a token), as written in
    the URL and decoded.
    """
    parts = urlsplit(url)
    secret = parts.password or parts.username
    if secret:
        for form in sorted({secret, unquote(secret)}, key=len, reverse=True):
            text = text.replace(form, "****")
    return redact_text(text)
