"""benchmarks/floor.py: its variants of pinst are made from today's code, and each leaves out
exactly the work it says, no more; its report divides by uv's medians."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.floor import VARIANTS, Edit, Times, make_variant, report
from benchmarks.tools import CHECKOUT

from tests.support.wheels import build_wheel, dist_info

NAME, VERSION = "floorpkg", "1.0"


def install_with(
    checkout: Path, wheels: Path, venv: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    command = [sys.executable, "-m", "pinst", "install", "--no-config", f"{NAME}=={VERSION}"]
    command += ["--venv", str(venv), "--find-links", str(wheels), "--no-index"]
    command += ["--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    return subprocess.run(command, env=env, capture_output=True, text=True)


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_is_made_from_the_code_as_it_is(name: str, tmp_path: Path) -> None:
    variant = make_variant(CHECKOUT, tmp_path / name, VARIANTS[name])
    for edit in VARIANTS[name]:
        text = (variant / "src" / "pinst" / edit.path).read_text()
        assert edit.new in text
        compile(text, edit.path, "exec")


def test_an_edit_whose_line_is_gone_stops_the_run_and_names_the_file(tmp_path: Path) -> None:
    gone = Edit("unpack/extract.py", "no such line in pinst\n", "")
    with pytest.raises(SystemExit, match=r"src/pinst/unpack/extract\.py no longer holds"):
        make_variant(CHECKOUT, tmp_path / "variant", [gone])


def test_no_members_writes_the_dist_info_and_nothing_else(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, NAME, VERSION)
    variant = make_variant(CHECKOUT, tmp_path / "variant", VARIANTS["no-members"])
    run = install_with(variant, wheels, tmp_path / "venv", tmp_path / "cache")
    assert run.returncode == 0, run.stderr
    installed = site_packages(tmp_path / "venv")
    assert (installed / dist_info(NAME, VERSION) / "METADATA").is_file()
    assert not (installed / NAME).exists()


def test_no_record_hash_takes_a_member_that_pinst_refuses(tmp_path: Path) -> None:
    def swap_content(members: dict[str, bytes]) -> None:
        original = members[f"{NAME}/__init__.py"]
        members[f"{NAME}/__init__.py"] = original.upper()  # as long, another hash

    wheels = tmp_path / "wheels"
    build_wheel(wheels, NAME, VERSION, tamper=swap_content)
    refused = install_with(CHECKOUT, wheels, tmp_path / "venv", tmp_path / "cache")
    assert refused.returncode != 0
    assert "does not match its hash in RECORD" in refused.stderr

    variant = make_variant(CHECKOUT, tmp_path / "variant", VARIANTS["no-record-hash"])
    taken = install_with(variant, wheels, tmp_path / "venv2", tmp_path / "cache2")
    assert taken.returncode == 0, taken.stderr
    assert (site_packages(tmp_path / "venv2") / NAME / "__init__.py").is_file()


def test_the_report_divides_each_median_by_uvs() -> None:
    results = {
        "pinst": [Times(3.0, 2.0, 1.0), Times(2.0, 2.0, 2.0), Times(9.0, 2.0, 1.0)],
        "uv": [Times(2.0, 1.0, 1.0)],
    }
    lines = report(results)
    assert lines[2] == "| pinst | 3.000 s | 2.000 s | 1.000 s | 3.000 s | 1.50 | 1.50 |"
    assert lines[3] == "| uv | 2.000 s | 1.000 s | 1.000 s | 2.000 s | 1.00 | 1.00 |"
