"""A warning, once per host, before pinst fetches anything over plain http:// from the network.

This machine's own addresses are exempt: a local index or mirror is as safe as the machine.
"""

from __future__ import annotations

import ipaddress
import threading
from urllib.parse import urlsplit

from pinst.output.report import pinst_logger

logger = pinst_logger()

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
