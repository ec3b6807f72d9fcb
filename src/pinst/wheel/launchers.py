"""Launchers for console and GUI entry points on POSIX.

The bytes are those of ``installer``'s ``Script.generate(python, "posix")``, which pip and uv
also write (a test compares them for simple, long and spaced interpreter paths). pinst renders
them itself because importing ``installer`` (its package imports ``email``) is a large part of a
whole warm install's time (see docs/internals/benchmark-history.md, section "What made the warm
path fast").
"""

from __future__ import annotations

import shlex

# The module body every POSIX launcher has, as in pip's, distlib's and installer's launchers.
BODY = """\
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {import_name}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({attribute}())
"""
# Linux reads at most 127 bytes of a "#!" line, including the "#!" and the line break.
SHEBANG_LIMIT = 127


def launcher(module: str, attribute: str, python: str) -> bytes:
    """The launcher script that runs ``module:attribute`` with ``python``."""
    body = BODY.format(module=module, import_name=attribute.split(".")[0], attribute=attribute)
    return shebang(python) + b"\n" + body.encode("utf-8")


def shebang(python: str) -> bytes:
    """``#!python``, or for a path the kernel cannot take (spaces, too long) a line that has
    /bin/sh run the script with ``python``: sh runs the exec line, Python sees a string."""
    path = python.encode("utf-8")
    if b" " not in path and len(path) + 3 <= SHEBANG_LIMIT:
        return b"#!" + path
    quoted = shlex.quote(python).encode("utf-8")
    return b"#!/bin/sh\n'''exec' " + quoted + b' "$0" "$@"\n' + b"' '''"
