"""The 109-package benchmark set from the real index gives a venv where everything works."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Pinst, site_packages

pytestmark = [pytest.mark.network, pytest.mark.slow]

BENCH = Path(__file__).parents[1] / "benchmarks" / "requirements-bench.txt"
# Top-level modules that need an optional dependency the set does not pin (pip's venv fails
# on them the same way): blackd needs aiohttp.
NEEDS_MISSING_EXTRA = {"blackd"}

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


def test_bench_set_installs_and_works(pinst: Pinst, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run = pinst("install", "-r", BENCH, "--venv", venv)
    assert "Installed 109 packages" in run.stderr

    modules = sorted(top_level_modules(venv))
    assert {"django", "numpy", "pandas", "sqlalchemy", "yaml", "cryptography"} <= set(modules)
    result = subprocess.run(
        [venv / "bin" / "python", "-c", IMPORT_ALL, *modules], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

    for script in ("pytest", "black", "sphinx-build", "ipython", "alembic", "celery", "uvicorn"):
        help_run = subprocess.run([venv / "bin" / script, "--help"], capture_output=True, text=True)
        assert help_run.returncode == 0, f"{script}: {help_run.stderr}"

    again = pinst("install", "-r", BENCH, "--venv", venv)
    assert "Audited 109 packages" in again.stderr
