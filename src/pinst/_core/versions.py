"""PEP 440's ``==`` between a pinned version and a candidate's, one rule for the whole pipeline.

A pin without a local version label (``torch==2.3.0``) matches every local build of that version
(``2.3.0+cpu``, ``2.3.0+cu121``) as well as the plain one: PEP 440 says the candidate's label
MUST then be ignored, and pip and uv do so. A pin with a label (``torch==2.3.0+cpu``) matches that
label only.
"""

from __future__ import annotations

from packaging.version import Version


def pin_matches(candidate: Version, pinned: Version) -> bool:
    """Does ``candidate`` satisfy ``==pinned``?"""
    if candidate == pinned:
        return True
    # Versions with a label are rare (PyPI refuses them), so only they pay for a second parse.
    if pinned.local is not None or candidate.local is None:
        return False
    return Version(candidate.public) == pinned
