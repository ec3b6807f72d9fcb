"""The transport: the HTTP client with its retries and limits, the pace that keeps downloads
polite, and the download of a wheel into the cache, verified before it is published.

Every use of httpx goes through this package, so it is imported before httpx is: here httpx's
command-line tool is kept from loading. httpx's own ``__init__`` imports it (``httpx._main``)
whenever click, rich and pygments are installed, as they are in many a developer's environment,
and that import costs a cold install more than loading the CAs does (see "Where a cold install's
time goes" in docs/internals/benchmark-history.md); pinst never runs that tool. A stand-in takes
its place, unless httpx was imported before pinst was.
"""

import sys
from types import ModuleType


def _no_command_line_tool() -> None:
    raise RuntimeError("httpx's command-line tool is not loaded inside pinst: run `httpx` instead")


if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    _stand_in = ModuleType("httpx._main", "httpx's command-line tool, not loaded by pinst")
    _stand_in.main = _no_command_line_tool  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = _stand_in
