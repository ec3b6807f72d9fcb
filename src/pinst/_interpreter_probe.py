"""Run by the *target* interpreter (not pinst's) to describe itself as JSON on stdout.

pinst puts only the directory holding its own ``packaging`` on the target's ``sys.path``, so
this file must run on any Python that ``packaging`` supports and import nothing from pinst.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig

if sys.version_info < (3, 9):  # noqa: UP036 - this file runs on the target's Python
    # The packaging library pinst lends this interpreter needs 3.9; say so plainly.
    sys.exit("pinst needs Python 3.9 or newer in the target venv")

from packaging import markers, tags


def _venv_scheme() -> dict[str, str]:
    paths = sysconfig.get_paths()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        # pip installs a wheel's headers into the venv, not the base interpreter's include dir.
        "headers": os.path.join(sys.prefix, "include", "site", "python" + version),
    }


def main() -> None:
    facts = {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "scheme": _venv_scheme(),
        "markers": dict(markers.default_environment()),
        "tags": [str(tag) for tag in tags.sys_tags()],
    }
    json.dump(facts, sys.stdout)


main()
