"""Credentials in URLs: hidden in every message, left out of every record and cache key.

A module of its own, free of side effects, because the planning of a run with nothing to do
needs it too, and must not load the network code.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# The user information of any URL in running text: "scheme://" up to the last "@" before the
# host's end. Used on every line pinst prints, so a URL quoted from anywhere (a requirement, an
# option, a library's message) cannot show its password.
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/?#]*)@")


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
    return urlunsplit(parts._replace(netloc=f"{_hidden(userinfo)}@{host}"))


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted as ``redact`` does: the last line of defence."""
    if "@" not in text:
        return text  # the usual case, without running the pattern
    return _USERINFO_IN_TEXT.sub(
        lambda found: f"{found['scheme']}{_hidden(found['userinfo'])}@", text
    )


def _hidden(userinfo: str) -> str:
    user, has_password, _ = userinfo.partition(":")
    return f"{user}:****" if has_password else "****"


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
