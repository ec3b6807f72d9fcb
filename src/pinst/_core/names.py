"""Project names in their normalized form (PEP 503), without importing ``packaging.utils``.

``packaging.utils`` imports ``packaging.tags`` and with it ``platform``, ``logging`` and
``sysconfig``: a large part of a warm install's start-up, for a one-line rule (see
docs/internals/benchmark-history.md, section "What made the warm path fast").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> NormalizedName:
    """As ``packaging.utils.canonicalize_name``: runs of ``-``, ``_`` and ``.`` become one ``-``,
    and letters lower case."""
    return cast("NormalizedName", SEPARATORS.sub("-", name).lower())
