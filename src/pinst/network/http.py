"""A GET with retries, its body read within bounds: how pinst asks a server for a page or a file.

``request_capped`` reads a whole body (an index page) up to a limit; ``stream`` hands a body to
its consumer (a download) as it comes. Both retry transient failures (``network/retry.py``) and
say in words what failed (``network/failures.py``). httpx is imported inside the functions that
use it, never at module level: a warm install must not pay for importing it. The client is
``network/client.py``'s; the URL helpers every stage needs are in ``_core/urls.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from pinst._core.errors import DownloadError
from pinst._core.urls import redact
from pinst.network.failures import describe_failure, failure_message, scrub
from pinst.network.plain_http import warn_if_insecure
from pinst.network.retry import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    TransientStatus,
    retry_after,
    worth_retrying,
)
from pinst.output.report import pinst_logger

if TYPE_CHECKING:
    import zlib

    import httpx

T = TypeVar("T")

logger = pinst_logger()


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
                raise TransientStatus(response)
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
                raise TransientStatus(response)
            raise_for_status(response, url)
            return consume(response)

    return _with_retries(url, once, policy or RetryPolicy(), client.timeout)


def _with_retries(
    url: str, once: Callable[[], T], policy: RetryPolicy, timeout: httpx.Timeout
) -> T:
    """``once()``'s result, trying again after a transient failure as ``policy`` allows; any
    other failure, and the last transient one, is a DownloadError that says what to do."""
    import httpx

    warn_if_insecure(url)
    attempt = 0
    while True:
        try:
            return once()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            raise DownloadError(
                f"{redact(url)} is not a URL pinst can download from "
                f"({scrub(str(error), url)}). Use an https:// or http:// URL."
            ) from error
        except (httpx.TransportError, TransientStatus) as error:
            if attempt >= policy.retries or not worth_retrying(error):
                raise DownloadError(failure_message(url, error, attempt + 1, timeout)) from error
            delay = policy.delay(attempt, retry_after(error))
            what = describe_failure(error, url, timeout)
            logger.debug("%s: %s; retrying in %.2f s", redact(url), what, delay)
            policy.sleep(delay)
            attempt += 1
        except httpx.RequestError as error:
            # A redirect loop or a body that does not decode: the same again next time.
            raise DownloadError(failure_message(url, error, attempt + 1, timeout)) from error


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
