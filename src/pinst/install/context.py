"""What the steps of one install run share: the venv it changes, the caches it reads and fills,
where it reports progress, and the report it returns.

``install/run.py`` makes one ``InstallRun`` once the venv is open and locked, and passes it down
instead of these objects one by one. What each step is asked to do comes beside it: the one
group of ``install/options.py`` that the step uses.

A NamedTuple rather than a frozen dataclass: as immutable, and a warm install never imports
``dataclasses`` (see tests/e2e/test_warm_imports.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pinst.cache.layout import Cache
    from pinst.install.json_report import RunReport
    from pinst.output.report import Reporter
    from pinst.venv.target import Venv


class InstallRun(NamedTuple):
    venv: Venv  # open and locked, its interpreter known
    cache: Cache  # the main cache: downloads, index pages, interpreter facts, the registry
    reporter: Reporter
    report: RunReport  # what the run did, for --json
