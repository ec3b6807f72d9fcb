"""The target interpreter: facts learnt once per Python, right for every venv made from it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pinst import target


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def test_a_second_venv_of_the_same_python_needs_no_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = tmp_path / "facts"
    first = make_venv(tmp_path / "first")
    second = make_venv(tmp_path / "second")
    target.inspect_interpreter(target.venv_python(first), facts)
    # What the second venv really says:
    probed = target._run_probe(target.venv_python(second), lambda: None)

    def no_probe(executable: Path, while_probing: Callable[[], None]) -> str:
        raise AssertionError(f"probed {executable} again")

    monkeypatch.setattr(target, "_run_probe", no_probe)
    cached = target.inspect_interpreter(target.venv_python(second), facts)

    assert cached == target._interpreter_from_json(target._describe(probed, second))
    assert cached.scheme.purelib.is_relative_to(second)


def test_a_changed_interpreter_is_probed_again(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    venv = make_venv(tmp_path / "venv")
    target.inspect_interpreter(target.venv_python(venv), facts)
    for record in facts.iterdir():
        record.write_text("{not json")  # a damaged record must not break an install
    assert target.inspect_interpreter(target.venv_python(venv), facts).version[:2] == (
        sys.version_info[0],
        sys.version_info[1],
    )
