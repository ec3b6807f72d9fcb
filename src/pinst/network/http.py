"""HTTP for pinst: one pooled client, retries for transient failures, credentials kept out of text.

httpx is imported inside the functions that use it, never at module level: a warm install must
not pay for importing it. The URL helpers every stage needs are in ``_core/urls.py``.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import ipaddress
import netrc
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlsplit

from pinst import __version__
from pinst._core.errors import DownloadError, PinstError
from pinst._core.urls import redact, redact_text
from pinst.output.report import pinst_logger

if TYPE_CHECKING:
    import ssl
    import zlib

    import httpx

T = TypeVar("T")

logger = pinst_logger()

USER_AGENT = f"pinst/{__version__}"
DEFAULT_TIMEOUT = 30.0  # seconds; --timeout and PINST_HTTP_TIMEOUT change it
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# How httpx (h11) reports a body that ended before its Content-Length.
_INCOMPLETE_BODY = re.compile(r"received (\d+) bytes, expected (\d+)")


def create_client(
    timeout: float | None = None, on_latency: Callable[[float], None] | None = None
) -> httpx.Client:
    """The shared client: pooled, redirect-following, honouring proxies and SSL_CERT_FILE.

    ``timeout`` (default ``DEFAULT_TIMEOUT``) bounds every single wait: to connect, and for the
    next bytes of a response, so a stalled server is given up on. It does not bound a whole
    transfer: a large wheel on a slow but steady connection takes the time it takes.
    ``on_latency`` is told how long each response's headers took to come (see ``network/pace.py``).
    """
    import httpx

    return httpx.Client(
        event_hooks=_latency_hooks(on_latency) if on_latency else None,
        verify=tls_context(),
        timeout=httpx.Timeout(DEFAULT_TIMEOUT if timeout is None else timeout),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
        auth=_UrlOrNetrcAuth(),
        trust_env=True,
    )


def _latency_hooks(
    on_latency: Callable[[float], None],
) -> dict[str, list[Callable[..., object]]]:
    """httpx event hooks that time each request, from before it is sent (connecting included)
    until its response's headers are in. The client is synchronous: a request's hooks run in
    the thread that sends it, so a thread-local holds the start."""
    sent = threading.local()

    def request_sent(request: httpx.Request) -> None:
        sent.at = time.monotonic()

    def headers_received(response: httpx.Response) -> None:
        on_latency(time.monotonic() - sent.at)

    return {"request": [request_sent], "response": [headers_received]}


def tls_context() -> ssl.SSLContext:
    """What every connection verifies servers with: certifi's CAs, or those that SSL_CERT_FILE
    or SSL_CERT_DIR name, as httpx itself would choose them.

    Loading the CAs takes about 15 ms, and importing httpx as long again: ``install`` gets both
    done while the venv's interpreter is probed (a run with a fresh cache), instead of before
    its first request.
    """
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    import httpx

    # httpx reads the two variables itself; they are this cache's key, so a change is seen.
    return httpx.create_ssl_context(verify=True, trust_env=True)


class SharedClient:
    """The one pooled client of a run, built on first use and shared by every thread.

    Index lookups and downloads both take this as their client factory. A warm run whose wheels
    are all cached never calls it, so it never imports httpx or opens a connection.
    """

    def __init__(self, factory: Callable[[], httpx.Client] = create_client) -> None:
        self._factory = factory
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __call__(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class _UrlOrNetrcAuth:
    """Basic auth from the URL's ``user:password@``, else from ~/.netrc (or $NETRC), as pip does.

    httpx itself reads credentials from the URL only when the client has no ``auth``, and never
    reads netrc, so this combines both: URL credentials win, netrc fills in for bare URLs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._netrc: netrc.netrc | None = None

    def __call__(self, request: httpx.Request) -> httpx.Request:
        url = request.url
        if url.username or url.password:
            credentials: tuple[str, str] | None = (url.username, url.password)
        else:
            credentials = self._from_netrc(url.host)
        if credentials is not None:
            token = base64.b64encode(":".join(credentials).encode()).decode()
            request.headers["Authorization"] = f"Basic {token}"
        return request

    def _from_netrc(self, host: str) -> tuple[str, str] | None:
        with self._lock:
            if not self._loaded:
                self._netrc = _read_netrc()
                self._loaded = True
        found = self._netrc.authenticators(host) if self._netrc else None
        if found is None:
            return None
        login, _account, password = found
        return login, password or ""


def _read_netrc() -> netrc.netrc | None:
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return None
    try:
        return netrc.netrc(str(path))
    except netrc.NetrcParseError as error:
        # Only the line: the parser's message quotes the token it choked on, which is often
        # the password of a line written wrong.
        logger.warning(
            "Ignoring %s: pinst cannot parse it (near line %d). Fix that line.", path, error.lineno
        )
    except OSError as error:
        logger.warning("Ignoring %s, which pinst cannot read: %s", path, error.strerror or error)
    return None


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


class _TransientStatus(Exception):
    """A response whose status says: try again later."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class ResponseTooLarge(Exception):
    """A body that ran past its limit: ``inflated_from`` is None if it came too large over the
    wire, else how many compressed bytes had come when inflating them passed the limit."""

    def __init__(self, limit: int, inflated_from: int | None) -> None:
        super().__init__(limit, inflated_from)
        self.limit = limit
        self.inflated_from = inflated_from


# The content encodings ``request_capped`` inflates itself, with the zlib window bits for each
# (``deflate`` is a zlib stream; 32 also takes a gzip header, which some servers send).
CAPPED_ENCODINGS = {"gzip": 16 + 15, "x-gzip": 16 + 15, "deflate": 32 + 15}
INFLATE_STEP = 1024 * 1024  # the most one step of inflating makes


def request_capped(
    client: httpx.Client,
    url: str,
    limit: int,
    *,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> tuple[httpx.Response, bytes]:
    """GET ``url`` with its body read, retrying transient failures; other statuses are returned.
    The body is read as it comes and never beyond ``limit`` bytes, on the wire or once
    inflated: more raises ``ResponseTooLarge``, before the excess is read.

    httpx would inflate each piece of the body without bound (a 64 KiB piece of a gzip bomb
    makes 64 MiB, and nested encodings multiply that), so the raw bytes are read and inflated
    here, in bounded steps, and only the encodings in ``CAPPED_ENCODINGS`` are asked for.
    """

    def once() -> tuple[httpx.Response, bytes]:
        asked = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
        with client.stream("GET", url, headers=asked) as response:
            if response.status_code in RETRYABLE_STATUSES:
                raise _TransientStatus(response)
            return response, _read_capped(response, url, limit)

    return _with_retries(url, once, policy or RetryPolicy(), client.timeout)


def _read_capped(response: httpx.Response, url: str, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(limit, None)  # refused without reading a byte of it
    encoded = bool(_encodings(response))
    body = bytearray()
    for piece in iter_decoded(response, url, max_raw=limit):
        body += piece
        if len(body) > limit:
            raise ResponseTooLarge(limit, response.num_bytes_downloaded if encoded else None)
    return bytes(body)


def iter_decoded(response: httpx.Response, url: str, max_raw: int | None = None) -> Iterator[bytes]:
    """The body as the server meant it, inflated from a gzip or deflate encoding in steps of at
    most ``INFLATE_STEP`` bytes, so that memory stays bounded whatever it inflates to (httpx
    inflates each piece at once, and nested encodings multiply). Raises ``ResponseTooLarge``
    once more than ``max_raw`` bytes have come over the wire."""
    import zlib

    inflater = _inflater(response, url)
    for raw in response.iter_raw():
        if max_raw is not None and response.num_bytes_downloaded > max_raw:
            raise ResponseTooLarge(max_raw, None)
        if inflater is None:
            yield raw
            continue
        pending = raw
        while pending and not inflater.eof:
            try:
                content = inflater.decompress(pending, INFLATE_STEP)
            except zlib.error as error:
                raise _damaged(url, response, error) from None
            if content:
                yield content
            pending = inflater.unconsumed_tail
    if inflater is not None and not inflater.eof:
        raise _damaged(url, response, "it ends before its end-of-stream marker")


def _inflater(response: httpx.Response, url: str) -> zlib._Decompress | None:
    """What inflates the body as the server encoded it; None for a body sent as it is."""
    import zlib

    encodings = _encodings(response)
    if not encodings:
        return None
    if len(encodings) > 1 or encodings[0] not in CAPPED_ENCODINGS:
        raise DownloadError(
            f"{redact(url)} came with the content encoding {', '.join(encodings)!r}, which pinst "
            f"did not ask for (it reads {', '.join(CAPPED_ENCODINGS)}). Check the URL, or tell "
            "the server's operator."
        )
    return zlib.decompressobj(CAPPED_ENCODINGS[encodings[0]])


def _encodings(response: httpx.Response) -> list[str]:
    """The content encodings the server applied, outermost last; ``identity`` is none."""
    return [
        coding.strip().lower()
        for coding in response.headers.get("Content-Encoding", "").split(",")
        if coding.strip().lower() not in ("", "identity")
    ]


def _damaged(url: str, response: httpx.Response, reason: object) -> DownloadError:
    coding = response.headers.get("Content-Encoding", "")
    return DownloadError(
        f"Could not download {redact(url)}: its {coding} compressed body is damaged ({reason}). "
        "Try again later, or tell the server's operator."
    )


def stream(
    client: httpx.Client,
    url: str,
    consume: Callable[[httpx.Response], T],
    *,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    """GET ``url`` and pass the successful response, body unread, to ``consume``.

    A transient failure, including a body that breaks off midway, reruns the whole exchange, so
    ``consume`` must start from scratch each time it is called.
    """

    def once() -> T:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code in RETRYABLE_STATUSES:
                raise _TransientStatus(response)
            raise_for_status(response, url)
            return consume(response)

    return _with_retries(url, once, policy or RetryPolicy(), client.timeout)


def _with_retries(
    url: str, once: Callable[[], T], policy: RetryPolicy, timeout: httpx.Timeout
) -> T:
    import httpx

    warn_if_insecure(url)
    attempt = 0
    while True:
        try:
            return once()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            raise DownloadError(
                f"{redact(url)} is not a URL pinst can download from "
                f"({_scrub(str(error), url)}). Use an https:// or http:// URL."
            ) from error
        except (httpx.TransportError, _TransientStatus) as error:
            if attempt >= policy.retries or not _worth_retrying(error):
                raise DownloadError(_failure_message(url, error, attempt + 1, timeout)) from error
            delay = policy.delay(attempt, _retry_after(error))
            what = _describe(error, url, timeout)
            logger.debug("%s: %s; retrying in %.2f s", redact(url), what, delay)
            policy.sleep(delay)
            attempt += 1
        except httpx.RequestError as error:
            # A redirect loop or a body that does not decode: the same again next time.
            raise DownloadError(_failure_message(url, error, attempt + 1, timeout)) from error


def _worth_retrying(error: Exception) -> bool:
    # A certificate that does not verify will not verify on the next attempt either.
    return "CERTIFICATE_VERIFY_FAILED" not in str(error)


def _retry_after(error: Exception) -> float | None:
    """The server's Retry-After in seconds, given as a number (the usual form) or a date."""
    if not isinstance(error, _TransientStatus):
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


def _failure_message(url: str, error: Exception, attempts: int, timeout: httpx.Timeout) -> str:
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    what = _describe(error, url, timeout)
    return f"Could not download {redact(url)}: {what}{tried}. {_advice(error)}"


def _describe(error: Exception, url: str, timeout: httpx.Timeout) -> str:
    import httpx

    if isinstance(error, _TransientStatus):
        response = error.response
        return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(error, httpx.ConnectTimeout):
        return f"could not connect within {_seconds(timeout.connect)}"
    if isinstance(error, httpx.ReadTimeout):
        return f"the server sent nothing for {_seconds(timeout.read)}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out after {_seconds(timeout.write)}"
    # OS errors arrive as "[Errno 111] Connection refused"; the number helps nobody.
    detail = re.sub(r"\[Errno -?\d+\]\s*", "", _scrub(str(error), url)).strip().rstrip(".")
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

    if isinstance(error, _TransientStatus):
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


def raise_for_status(response: httpx.Response, url: str) -> None:
    """Turn an unsuccessful final status into a PinstError that says what to do."""
    status = response.status_code
    if status < 400:
        return
    what = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status in (401, 403):
        if "@" in urlsplit(url).netloc:
            advice = "The credentials in the URL were rejected; check the user name and token."
        else:
            advice = (
                "The server wants credentials: put them in the URL "
                "(https://user:token@host/...) or in ~/.netrc."
            )
    elif status in (404, 410):
        advice = "Nothing is there; check the URL."
    else:
        advice = "Check the URL, or try again later."
    raise DownloadError(f"Could not download {redact(url)}: {what}. {advice}")


def _scrub(text: str, url: str) -> str:
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


_warned_hosts: set[str] = set()
_warned_lock = threading.Lock()


def warn_if_insecure(url: str) -> None:
    """Warn once per host about plain http:// to anything but this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or _is_loopback(host):
        return
    with _warned_lock:
        if host in _warned_hosts:
            return
        _warned_hosts.add(host)
    logger.warning(
        "http://%s is plain HTTP: anyone on the network path can read or alter what pinst "
        "downloads from it. Use https://, or pin --hash values.",
        host,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
