"""Credentials for an index: from the URL's ``user:password@``, else from ~/.netrc, as pip does.

httpx itself reads credentials from the URL only when the client has no ``auth``, and never
reads netrc, so the client's ``auth`` combines both: URL credentials win, netrc fills in for
bare URLs. Keeping them out of messages is ``_core/urls.py``'s and ``network/failures.py``'s.
"""

from __future__ import annotations

import base64
import netrc
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pinst.output.report import pinst_logger

if TYPE_CHECKING:
    import httpx

logger = pinst_logger()


class UrlOrNetrcAuth:
    """Basic auth for each request: the URL's credentials, else netrc's for its host."""

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
