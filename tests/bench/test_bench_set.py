"""Each benchmark set from the real index gives a venv where everything works: the 109-package
set pinst was tuned on, and the 127-package data-science set it was not."""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.runner import Pinst
from tests.support.venvs import site_packages

pytestmark = [pytest.mark.network, pytest.mark.slow]

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
# Top-level modules that need an optional dependency the set does not pin (pip's venv fails
# on them the same way): blackd needs aiohttp.
NEEDS_MISSING_EXTRA = {"blackd"}


@dataclass(frozen=True)
class BenchSet:
    name: str
    packages: int
    modules: frozenset[str]  # some of the modules it must provide
    scripts: tuple[str, ...]  # some of the commands it must install


SETS = [
    BenchSet(
        "bench",
        109,
        frozenset({"django", "numpy", "pandas", "sqlalchemy", "yaml", "cryptography"}),
        ("pytest", "black", "sphinx-build", "ipython", "alembic", "celery", "uvicorn"),
    ),
    BenchSet(
        "data",
        127,
        frozenset({"scipy", "sklearn", "statsmodels", "seaborn", "pyarrow", "numba", "xarray"}),
        ("jupyter-lab", "jupyter-nbconvert", "ipython", "bokeh"),
    ),
]

IMPORT_ALL = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().splitlines()[-1])
print("\\n".join(failed))
"""


def top_level_modules(venv: Path) -> set[str]:
    """Every importable top-level name each installed project's RECORD provides."""
    names = set()
    for record in site_packages(venv).glob("*.dist-info/RECORD"):
        with open(record, newline="") as file:
            for row in csv.reader(file):
                first, _, rest = row[0].partition("/")
                if first.startswith("..") or first.endswith((".dist-info", ".libs", ".pth")):
                    continue
                if first == "__pycache__" or (first.startswith("_") and not rest):
                    continue
                if rest and rest == "__init__.py":
                    names.add(first)
                elif not rest and first.endswith(".py"):
                    names.add(first[: -len(".py")])
    return names - NEEDS_MISSING_EXTRA


@pytest.mark.parametrize("bench_set", SETS, ids=lambda s: s.name)
def test_bench_set_installs_and_works(pinst: Pinst, tmp_path: Path, bench_set: BenchSet) -> None:
    requirements = BENCHMARKS / f"requirements-{bench_set.name}.txt"
    venv = tmp_path / "venv"
    run = pinst("install", "-r", requirements, "--venv", venv)
    assert f"Installed {bench_set.packages} packages" in run.stderr

    modules = sorted(top_level_modules(venv))
    assert bench_set.modules <= set(modules)
    result = subprocess.run(
        [venv / "bin" / "python", "-c", IMPORT_ALL, *modules], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

    for script in bench_set.scripts:
        help_run = subprocess.run([venv / "bin" / script, "--help"], capture_output=True, text=True)
        assert help_run.returncode == 0, f"{script}: {help_run.stderr}"

    again = pinst("install", "-r", requirements, "--venv", venv)
    assert f"Audited {bench_set.packages} packages" in again.stderr


@pytest.mark.parametrize("bench_set", SETS, ids=lambda s: s.name)
def test_every_pin_of_a_set_is_a_hashed_wheel_for_cpython_3_11(bench_set: BenchSet) -> None:
    """The set was compiled with --only-binary :all: and --generate-hashes, so the harness can
    download every pin as a wheel; its .in file is beside it to recompile it."""
    requirements = BENCHMARKS / f"requirements-{bench_set.name}.txt"
    assert (BENCHMARKS / f"requirements-{bench_set.name}.in").exists()
    text = requirements.read_text()
    assert "--only-binary" in text or bench_set.name == "bench"
    pins = [line for line in text.splitlines() if line[:1].isalnum()]
    assert len(pins) == bench_set.packages
    assert all("==" in pin and pin.endswith("\\") for pin in pins)
