"""What a venv already has: its ``.dist-info`` directories, read cheaply.

The name and version come from the directory name (``{name}-{version}.dist-info``, as the
wheel spec escapes them), so a warm "nothing to do" run lists the venv without reading a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinst._core.names import canonical_name
from pinst.venv.interpreter import Scheme

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


class InstalledDistribution(NamedTuple):
    name: NormalizedName
    version: str
    dist_info: Path

    @property
    def root(self) -> Path:
        """The directory RECORD's relative paths start from."""
        return self.dist_info.parent

    def direct_url(self) -> str | None:
        """The URL recorded by PEP 610 for a URL or path install, if any."""
        try:
            data = json.loads((self.dist_info / "direct_url.json").read_text())
        except (OSError, ValueError):
            return None
        url = data.get("url") if isinstance(data, dict) else None
        return url if isinstance(url, str) else None


def installed_distributions(scheme: Scheme) -> dict[NormalizedName, InstalledDistribution]:
    found: dict[NormalizedName, InstalledDistribution] = {}
    for directory in dict.fromkeys((str(scheme.purelib), str(scheme.platlib))):
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            project, _, version = name[: -len(".dist-info")].partition("-")
            if project and version:
                key = canonical_name(project)
                found[key] = InstalledDistribution(key, version, Path(directory, name))
    return found
