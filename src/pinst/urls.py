"""Credentials in URLs: hidden in every message, left out of every record and cache key.

A module of its own, free of side effects, because the planning of a run with nothing to do
needs it too, and must not load the network code.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact(url: str) -> str:
    """``url`` fit to print: a password becomes ``****``, as does a user name standing alone
    (such a name is usually a token)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    hidden = f"{user}:****" if has_password else "****"
    return urlunsplit(parts._replace(netloc=f"{hidden}@{host}"))


def strip_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` (for cache keys and records)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
