"""The one HTTP client of a run: pooled, redirect-following, honouring proxies and SSL_CERT_FILE.

httpx is imported inside the functions that use it, never at module level: a warm install must
not pay for importing it.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pinst import __version__
from pinst.network.credentials import UrlOrNetrcAuth

if TYPE_CHECKING:
    import ssl

    import httpx

USER_AGENT = f"pinst/{__version__}"
DEFAULT_TIMEOUT = 30.0  # seconds; --timeout and PINST_HTTP_TIMEOUT change it


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
        auth=UrlOrNetrcAuth(),
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

    Loading the CAs and importing httpx take a noticeable part of a cold start: ``install``
    gets both done while the venv's interpreter is probed (a run with a fresh cache), instead of
    before its first request (see docs/internals/benchmark-history.md, section "Where pinst is
    behind uv, session by session").
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
