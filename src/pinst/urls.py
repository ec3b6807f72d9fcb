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
    parts = urlsplit(url)
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


def strip_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` (for cache keys and records)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
