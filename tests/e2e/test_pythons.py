"""Every Python a user has can be the target: each one on this machine, from 3.8 on, gets a venv
that pinst fills with a pure and a binary wheel chosen by its own tags; older ones are refused.

The interpreters are found where users have them: pyenv's versions, ``python3.X`` and ``pypy3``
on PATH. CI must have at least CPython 3.9, 3.12, 3.13 and PyPy (noxfile.py installs Debian's
pypy3), and fails rather than skips without them.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import packaging
import pytest

from pinst.venv import probing
from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import run_python
from tests.support.wheels import build_wheel

REQUIRED_IN_CI = {("cpython", 3, 9), ("cpython", 3, 12), ("cpython", 3, 13), ("pypy", 3, 9)}
# What each Python says about itself; written for Python 2.7 too, which must be found to be
# refused.
DESCRIBE = (
    "import json, platform, sys, sysconfig; sys.stdout.write(json.dumps({"
    "'implementation': platform.python_implementation().lower(), "
    "'version': list(sys.version_info[:3]), "
    "'soabi': sysconfig.get_config_var('SOABI'), "
    "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX'), "
    "'include': sysconfig.get_paths()['include'], "
    "'platform': sysconfig.get_platform(), "
    "'libc': list(platform.libc_ver())}))"
)


class Python(NamedTuple):
    path: str
    implementation: str  # "cpython", "pypy"
    version: tuple[int, int, int]
    soabi: str | None
    ext_suffix: str | None
    include: str
    platform: str
    libc: tuple[str, str]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.implementation, self.version[0], self.version[1])

    @property
    def name(self) -> str:
        return {"cpython": "CPython", "pypy": "PyPy"}[self.implementation]

    def __str__(self) -> str:
        return f"{self.implementation}-{self.version[0]}.{self.version[1]}"


PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def candidate_paths() -> list[str]:
    found = sorted(glob.glob(str(PYENV_ROOT / "versions" / "*" / "bin" / "python")))
    found += [shutil.which(f"python3.{minor}") or "" for minor in range(6, 16)]
    found += [shutil.which("pypy3") or ""]
    return [path for path in found if path]


def describe(path: str) -> Python | None:
    """What the Python at ``path`` is; None if it does not run (a pyenv shim of a version pyenv
    has not selected exits 127)."""
    try:
        run = subprocess.run(
            [path, "-c", DESCRIBE], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError:
        return None
    if run.returncode != 0:
        return None
    facts = json.loads(run.stdout)
    return Python(
        path=path,
        implementation=facts["implementation"],
        version=tuple(facts["version"]),
        soabi=facts["soabi"],
        ext_suffix=facts["ext_suffix"],
        include=facts["include"],
        platform=facts["platform"],
        libc=tuple(facts["libc"]),
    )


def find_pythons() -> list[Python]:
    """One Python of each implementation and minor version on this machine."""
    pythons: dict[tuple[str, int, int], Python] = {}
    for path in candidate_paths():
        python = describe(path)
        if python is not None and python.implementation in ("cpython", "pypy"):
            pythons.setdefault(python.key, python)
    return sorted(pythons.values(), key=lambda python: python.key)


PYTHONS = find_pythons()
TARGETS = [python for python in PYTHONS if python.version[:2] >= (3, 8)]
TOO_OLD = [python for python in PYTHONS if python.version[:2] < (3, 8)]


def test_ci_has_every_python_it_must_cover() -> None:
    missing = REQUIRED_IN_CI - {python.key for python in PYTHONS}
    if missing and os.environ.get("CI", "").lower() not in ("true", "1"):
        pytest.skip(f"not CI, and this machine lacks {sorted(missing)}")
    assert not missing, (
        f"CI must test CPython 3.9, 3.12, 3.13 and PyPy as targets; missing {sorted(missing)}. "
        "Install them (pyenv, or apt-get install pypy3 as noxfile.py does)."
    )


def binary_tag(python: Python) -> str:
    """The exact tag of a binary wheel built for ``python``, worked out from its own
    configuration, not from pinst: cp39-cp39-manylinux_2_17_x86_64, pp39-pypy39_pp73-..."""
    assert python.soabi, python
    nodot = f"{python.version[0]}{python.version[1]}"
    if python.implementation == "cpython":
        interpreter, abi = f"cp{nodot}", "cp" + python.soabi.split("-")[1]
    else:
        interpreter, abi = f"pp{nodot}", python.soabi.replace("-", "_")
    arch = re.sub(r"[.-]", "_", python.platform.split("-", 1)[1])
    glibc = tuple(int(part) for part in python.libc[1].split(".")[:2]) if python.libc[1] else ()
    if python.libc[0] == "glibc" and glibc >= (2, 17) and arch in ("x86_64", "aarch64"):
        return f"{interpreter}-{abi}-manylinux_2_17_{arch}"
    return f"{interpreter}-{abi}-linux_{arch}"


EXTENSION_SOURCE = """
#include <Python.h>
static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, NULL};
PyMODINIT_FUNC PyInit__native(void) {
    PyObject *module = PyModule_Create(&definition);
    if (module != NULL) PyModule_AddStringConstant(module, "BUILT", "compiled");
    return module;
}
"""


def binary_files(python: Python, directory: Path) -> tuple[dict[str, bytes | str], bool]:
    """A package with a real extension module compiled for ``python``, where a C compiler and
    its headers are there (True); else only its Python file (the wheel's tag alone then shows
    which wheel was chosen)."""
    files: dict[str, bytes | str] = {"native/__init__.py": "BUILT_FOR = 'binary'\nBUILT = None\n"}
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not python.ext_suffix or not Path(python.include, "Python.h").exists():
        return files, False
    source = directory / "native.c"
    source.write_text(EXTENSION_SOURCE)
    library = directory / f"_native{python.ext_suffix}"
    subprocess.run(
        [compiler, "-shared", "-fPIC", f"-I{python.include}", str(source), "-o", str(library)],
        check=True,
    )
    files[f"native/_native{python.ext_suffix}"] = library.read_bytes()
    files["native/__init__.py"] = "BUILT_FOR = 'binary'\nfrom native._native import BUILT\n"
    return files, True


@pytest.mark.parametrize("python", TARGETS, ids=str)
def test_every_python_from_3_8_is_a_target(
    pinst: Pinst, server: IndexServer, tmp_path: Path, python: Python
) -> None:
    version = f"{python.version[0]}.{python.version[1]}"
    tag = binary_tag(python)
    files, compiled = binary_files(python, tmp_path)
    build_wheel(
        server.directory, "native", "1.0", files={"native/__init__.py": "BUILT_FOR = 'pure'\n"}
    )
    build_wheel(
        server.directory,
        "native",
        "1.0",
        tag=tag,
        root_is_purelib=False,
        files=files,
    )
    # Best for pinst's own Python, which a tag computed in the wrong process would pick.
    own = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    decoy = own if own != tag.split("-")[0] else "cp310"
    build_wheel(
        server.directory,
        "native",
        "1.0",
        tag=f"{decoy}-{decoy}-{tag.split('-')[2]}",
        root_is_purelib=False,
        files={"native/__init__.py": "BUILT_FOR = 'decoy'\n"},
    )
    build_wheel(server.directory, "pure", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f'native==1.0\npure==1.0 ; python_version == "{version}"\n'
        f'missing==1.0 ; python_version != "{version}"\n'
    )
    venv = tmp_path / "venv"

    made = pinst("venv", venv, "--python", python.path)
    pinst("install", "-r", requirements, "--venv", venv, "-i", server.url)

    assert f"with {python.name} {'.'.join(map(str, python.version))}" in made.stderr
    shown = run_python(venv, "import native, pure; print(native.BUILT_FOR, native.BUILT)")
    assert shown == f"binary {'compiled' if compiled else None}\n"


@pytest.mark.parametrize("python", TOO_OLD, ids=str)
def test_a_python_older_than_3_8_is_refused_in_words(
    pinst: Pinst, tmp_path: Path, python: Python
) -> None:
    for command in (
        ("venv", tmp_path / "new"),
        ("install", "six==1.17.0", "--venv", tmp_path / "new"),
    ):
        run = pinst(*command, "--python", python.path, check=False)

        assert run.returncode == 1, run.output
        dotted = ".".join(map(str, python.version))
        assert f"{python.path} is {python.name} {dotted}, which pinst cannot install" in run.stderr
        assert "CPython 3.8 to 3.14" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1  # one paragraph, no traceback
        assert not (tmp_path / "new").exists()


def reference_packaging(python: Python) -> tuple[str, str] | None:
    """A ``packaging`` that imports in ``python`` (directory to put on its path, version):
    pinst's own for 3.10 and newer; for older ones the newest that pip vendors in any Python
    here (pip 24's packaging 24.1 supports 3.8)."""
    own = str(Path(packaging.__file__).parent.parent)
    candidates = [(own, packaging.__version__)]
    pattern = str(PYENV_ROOT / "versions/*/lib/python*/site-packages/pip/_vendor")
    for vendored in glob.glob(pattern):
        text = Path(vendored, "packaging", "__init__.py").read_text()
        found = re.search(r'__version__ = "([^"]+)"', text)
        # Older ones lack tags the newer give (cp39-none-any): not a difference worth listing.
        if found and int(found[1].split(".")[0]) >= 24:
            candidates.append((vendored, found[1]))
    candidates.sort(key=lambda item: tuple(int(n) for n in re.findall(r"\d+", item[1])[:2]))
    for directory, version in reversed(candidates):
        if imports_in(python, directory):
            return directory, version
    return None


def imports_in(python: Python, directory: str) -> bool:
    run = subprocess.run(
        [python.path, "-s", "-c", "import packaging.tags, packaging.markers"],
        env={**os.environ, "PYTHONPATH": directory},
        capture_output=True,
        check=False,
    )
    return run.returncode == 0


REFERENCE = (
    "import json, sys; from packaging import markers, tags; json.dump("
    "{'tags': [str(tag) for tag in tags.sys_tags()], "
    "'markers': dict(markers.default_environment())}, sys.stdout)"
)


@pytest.mark.parametrize("python", TARGETS, ids=str)
def test_tags_and_markers_are_what_packaging_says_in_the_target(python: Python) -> None:
    """pinst computes in its own process what ``sys_tags()`` and ``default_environment()``
    would give inside the target: the same list, in the same order."""
    record = probing.record_from_answer(
        probing.run_probe(Path(python.path), lambda: None), Path(python.path)
    )
    tags, markers = record["tags"], record["markers"]
    reference = reference_packaging(python)
    if reference is None:  # no packaging runs there: what can be known without one
        nodot = f"{python.version[0]}{python.version[1]}"
        assert isinstance(tags, list)
        assert tags[0].startswith(("cp" if python.implementation == "cpython" else "pp") + nodot)
        assert "py3-none-any" in tags
        return
    directory, version = reference
    run = subprocess.run(
        [python.path, "-s", "-c", REFERENCE],
        env={**os.environ, "PYTHONPATH": directory},
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(run.stdout)

    assert markers == expected["markers"]
    if tuple(int(n) for n in version.split(".")[:2]) >= (26, 3):
        assert tags == expected["tags"]
    else:
        # Before packaging 26.3, sys_tags() put linux_<arch> after manylinux and musllinux.
        assert set(tags) == set(expected["tags"])
        assert without_native_linux(tags) == without_native_linux(expected["tags"])


def without_native_linux(tags: object) -> list[str]:
    assert isinstance(tags, list)
    return [tag for tag in tags if "-linux_" not in tag]
