"""An index's credentials passed on to the links of its pages.

A page fetched with ``https://user:secret@host/simple/`` usually links to files on the same
server that need the same credentials; a link to any other server must never get them.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def with_credentials(url: str, source: str) -> str:
    """``url`` with the credentials of ``source`` if both point at the same server."""
    origin = urlsplit(source)
    target = urlsplit(url)
    if "@" not in origin.netloc or "@" in target.netloc:
        return url
    host = origin.netloc.rpartition("@")[2]
    if (target.scheme, target.netloc.lower()) != (origin.scheme, host.lower()):
        return url
    return urlunsplit(target._replace(netloc=origin.netloc))
