"""Credentials in URLs: hidden in every message, left out of every record and cache key.

A module of its own, free of side effects, because the planning of a run with nothing to do
needs it too, and must not load the network code.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact(url: str) -> str:
    """``url`` fit to print: a password becomes ``****``, as does a user name standing alone
    (such a name is usually a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib accepts: hide all that could be credentials
        scheme, separator, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        hidden = f"****@{authority.rpartition('@')[2]}" if "@" in authority else authority
        return f"{scheme}{separator}{hidden}{slash}{path}"
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    hidden = f"{user}:****" if has_password else "****"
    return urlunsplit(parts._replace(netloc=f"{hidden}@{host}"))


def url_problem(url: str) -> str | None:
    """Why the URL parser refuses ``url`` (such as ``http://[::1``), or None if it accepts it.

    Index and find-links locations are checked with this where they enter, so that the code that
    fetches from them and names them in messages can split them without failing.
    """
    try:
        urlsplit(url)
    except ValueError as error:
        if "NFKC" in str(error):  # this message quotes the host with any credentials
            return "its host name has characters that Unicode normalisation (NFKC) changes"
        return str(error)
    return None


def strip_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` (for cache keys and records)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
