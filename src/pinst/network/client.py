"""The one HTTP client of a run: pooled, redirect-following, honouring proxies and SSL_CERT_FILE.

httpx is imported inside the functions that use it, never at module level: a warm install must
not pay for importing it. The first import of a run is here (every other module uses httpx only
once a client is made), without httpx's command-line tool: ``keep_httpx_tool_out``.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from pinst import __version__
from pinst.network.credentials import UrlOrNetrcAuth

if TYPE_CHECKING:
    import ssl

    import httpx

USER_AGENT = f"pinst/{__version__}"
DEFAULT_TIMEOUT = 30.0  # seconds; --timeout and PINST_HTTP_TIMEOUT change it


def keep_httpx_tool_out() -> None:
    """Before httpx is first imported: a stand-in for its command-line tool.

    httpx's ``__init__`` imports that tool (``httpx._main``) whenever click, rich and pygments
    are installed, as they are in many a developer's environment, and the import costs a cold
    install more than loading the CAs does (see "Levers taken on 2026-12-06" in
    docs/internals/benchmark-history.md). pinst never runs it.
    """
    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        stand_in = ModuleType("httpx._main", "httpx's command-line tool, not loaded by pinst")
        stand_in.main = _no_command_line_tool  # type: ignore[attr-defined]
        sys.modules["httpx._main"] = stand_in


def _no_command_line_tool() -> None:
    raise RuntimeError("httpx's command-line tool is not loaded inside pinst: run `httpx` instead")


def create_client(
    timeout: float | None = None, on_latency: Callable[[float], None] | None = None
) -> httpx.Client:
    """The shared client: pooled, redirect-following, honouring proxies and SSL_CERT_FILE.

    ``timeout`` (default ``DEFAULT_TIMEOUT``) bounds every single wait: to connect, and for the
    next bytes of a response, so a stalled server is given up on. It does not bound a whole
    transfer: a large wheel on a slow but steady connection takes the time it takes.
    ``on_latency`` is told how long each response's headers took to come (see ``network/pace.py``).
    """
    keep_httpx_tool_out()
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
    keep_httpx_tool_out()
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
