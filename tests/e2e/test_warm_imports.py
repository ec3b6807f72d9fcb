"""A warm install imports only what linking needs.

A warm install of a large set spends most of its serial time before the first link starting
Python and importing pinst, so each heavy module kept off that path is time every install saves
(measured with ``-X importtime``; see "What made the warm path fast" in
docs/internals/benchmark-history.md). With PYTHONPROFILEIMPORTTIME set, Python lists every module
a run imports: the run is observed from outside, as it really runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst, imported_at_startup, imported_modules
from tests.support.wheels import build_wheel, sha256_of

# Each with why a warm run is better without it, or has no use for it (what each cost: "What made
# the warm path fast" in docs/internals/benchmark-history.md).
NOT_ON_THE_WARM_PATH = {
    "httpx": "heavy with its dependencies; every wheel is in the cache",
    "ssl": "only for the network",
    "dataclasses": "it imports inspect and ast, and execs the methods of each class it makes",
    "inspect": "imported by dataclasses",
    "packaging.specifiers": "its regular expressions; pins are compared as strings",
    "zipfile": "only for unpacking",
    "email": "only for unpacking (METADATA and WHEEL)",
    "concurrent.futures": "only for downloads and unpacking (it imports logging and queue)",
    "subprocess": "only to create a venv or probe a new interpreter",
    "pinst.network.download": "only for downloads",
    "pinst.unpack.extract": "only for unpacking",
    "pinst.wheel.container": "only for unpacking",
    "deflate": "only for unpacking (libdeflate, where it is installed)",
    "pinst.requirements.pylock": "only for pylock.toml",
    "pinst.unpack.bytecode": "only with --compile-bytecode",
    "pinst.venv.interpreter_tags": "only for a new interpreter; the facts cache has them",
    "packaging.tags": "its tags are computed once per interpreter and cached",
    "packaging.markers": "its parser, with what it imports; the dependency check judges "
    "the markers real wheels use itself",
    "packaging.requirements": "the dependencies were parsed when the wheel was unpacked",
}
# Requires-Dist lines as real wheels write them, so that the dependency check after a warm
# install has markers to judge.
REQUIRES = [
    "Requires-Dist: beta==1.0",
    "Requires-Dist: beta~=1.0",
    "Requires-Dist: gamma<2.0a.0,>=0.9",  # a pre-release bound, spelled as botocore's users do
    "Requires-Dist: gamma==1.*",
    'Requires-Dist: pytest>=8; extra == "test"',
    "Requires-Dist: colorama; sys_platform == 'win32'",
    'Requires-Dist: tomli>=1.1; python_version < "3.11"',
    'Requires-Dist: pywin32; (os_name == "nt" and implementation_name != "pypy")'
    ' and extra == "dev"',
]


def test_a_warm_install_imports_nothing_it_does_not_need(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    lines = []
    for name in ("alpha", "beta", "gamma"):
        wheel = build_wheel(
            server.directory,
            name,
            "1.0",
            files={f"{name}/__init__.py": "", f"{name}/core.py": "X = 1\n"},
            entry_points={"console_scripts": {name: f"{name}.core:main"}},
            metadata=REQUIRES if name == "alpha" else (),
        )
        lines.append(f"{name}==1.0 --hash=sha256:{sha256_of(wheel)}\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(lines))
    cold = pinst("install", "-r", requirements, "--venv", tmp_path / "first", "-i", server.url)
    assert cold.returncode == 0, cold.output

    second = tmp_path / "second"  # made beforehand, as by `python -m venv` or `pinst venv`
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", second], check=True)
    warm = pinst(
        "install",
        "-r",
        requirements,
        "--venv",
        second,
        "-i",
        server.url,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )

    assert warm.returncode == 0, warm.output
    assert "Installed 3 packages" in warm.stderr
    imported = imported_modules(warm.stderr) - imported_at_startup(pinst)
    assert "pinst.install.materialise" in imported  # the listing is complete: the linking was there
    unwanted = {name: why for name, why in NOT_ON_THE_WARM_PATH.items() if name in imported}
    assert unwanted == {}
