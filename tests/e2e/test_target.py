"""The target interpreter: facts learnt once per Python, right for every venv made from it."""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pinst.venv import facts as interpreter_facts
from pinst.venv import interpreter, probing, target
from pinst.venv.interpreter_tags import supported_tags
from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import make_venv, site_packages
from tests.support.wheels import build_wheel


def test_a_second_venv_of_the_same_python_needs_no_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = tmp_path / "facts"
    first = make_venv(tmp_path / "first")
    second = make_venv(tmp_path / "second")
    interpreter_facts.inspect_interpreter(target.venv_python(first), facts)
    # What the second venv really says:
    probed = probing.run_probe(target.venv_python(second), lambda: None)

    def no_probe(executable: Path, while_probing: Callable[[], None]) -> str:
        raise AssertionError(f"probed {executable} again")

    monkeypatch.setattr(probing, "run_probe", no_probe)
    cached = interpreter_facts.inspect_interpreter(target.venv_python(second), facts)

    assert cached == interpreter.interpreter_from_record(probing.record_from_answer(probed, second))
    assert cached.scheme.purelib.is_relative_to(second)


def test_a_changed_interpreter_is_probed_again(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    venv = make_venv(tmp_path / "venv")
    interpreter_facts.inspect_interpreter(target.venv_python(venv), facts)
    for record in facts.iterdir():
        record.write_text("{not json")  # a damaged record must not break an install
    assert interpreter_facts.inspect_interpreter(target.venv_python(venv), facts).version[:2] == (
        sys.version_info[0],
        sys.version_info[1],
    )


def test_a_cached_record_that_leads_out_of_the_venv_is_not_obeyed(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    pinst("install", "demo==1.0", "--venv", tmp_path / "first", "-i", server.url)
    (record,) = (cache_dir / "interpreters-v1").glob("*.json")
    facts = json.loads(record.read_text())
    facts["scheme"]["purelib"] = facts["scheme"]["platlib"] = facts["prefix"] + "/../escaped"
    record.write_text(json.dumps(facts))

    pinst("install", "demo==1.0", "--venv", tmp_path / "second", "-i", server.url)

    assert not (tmp_path / "escaped").exists()
    assert (site_packages(tmp_path / "second") / "demo" / "__init__.py").is_file()
    assert ".." not in json.loads(record.read_text())["scheme"]["purelib"]  # probed again


@pytest.mark.parametrize(
    "damage",
    [
        {"tags": "py3-none-any"},
        {"version": ["3", "11", "0"]},
        {"markers": {"python_version": 3.11}},
        {"scheme": {"purelib": "relative/site-packages"}},
        {"executable": None},
    ],
    ids=["tags", "version", "markers", "scheme", "executable"],
)
def test_a_cached_record_of_the_wrong_shape_is_probed_again(
    tmp_path: Path, damage: dict[str, Any]
) -> None:
    facts = tmp_path / "facts"
    venv = make_venv(tmp_path / "venv")
    probed = interpreter_facts.inspect_interpreter(target.venv_python(venv), facts)
    (record,) = facts.glob("*.json")
    written = json.loads(record.read_text())
    written.update(damage)
    record.write_text(json.dumps(written))

    assert interpreter_facts.inspect_interpreter(target.venv_python(venv), facts) == probed


def old_python() -> str | None:
    """A Python older than pinst can install for (pyenv's 3.7 or 3.6), if the machine has one."""
    home = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(glob.glob(str(home / "versions" / "3.[67].*" / "bin" / "python")))
    return found[-1] if found else None


@pytest.mark.skipif(old_python() is None, reason="needs a CPython 3.6 or 3.7 (pyenv)")
def test_a_venv_whose_interpreter_is_refused_after_creating_it_is_removed(
    pinst: Pinst, tmp_path: Path, cache_dir: Path
) -> None:
    """The check before creating trusts a cached record of the interpreter: one that is there
    but damaged lets the venv be made, and the probe of the new venv refuses it."""
    python = old_python()
    assert python is not None
    records = cache_dir / "interpreters-v1"
    records.mkdir(parents=True)
    (records / f"{interpreter_facts.interpreter_key(Path(python))}.json").write_text("{damaged")

    run = pinst("venv", tmp_path / "old", "--python", python, check=False)

    assert run.returncode == 1, run.output
    assert "which pinst cannot install for" in run.stderr
    assert not (tmp_path / "old").exists()


def fake_pyenv(root: Path, command: str, version: str) -> Path:
    """A pyenv layout whose shim for ``command`` says what a real pyenv shim says when no
    selected version has that command."""
    (root / "versions" / version / "bin").mkdir(parents=True)
    (root / "versions" / version / "bin" / command).write_text("")
    shim = root / "shims" / command
    shim.parent.mkdir()
    shim.write_text(
        "#!/bin/sh\n"
        f"echo 'pyenv: {command}: command not found' >&2\n"
        "echo >&2\n"
        f'echo "The \\`{command}\' command exists in these Python versions:" >&2\n'
        f"echo '  {version}' >&2\n"
        "echo >&2\n"
        "echo \"Note: See 'pyenv help global' for tips on allowing multiple\" >&2\n"
        "echo '      Python versions to be found at the same time.' >&2\n"
        "exit 127\n"
    )
    shim.chmod(0o755)
    return shim


def test_a_pyenv_shim_of_an_unselected_version_is_named_as_not_a_python(
    pinst: Pinst, tmp_path: Path
) -> None:
    shim = fake_pyenv(tmp_path / "pyenv", "python3.97", "3.97.1")
    path = f"{shim.parent}{os.pathsep}{os.environ['PATH']}"

    run = pinst("venv", tmp_path / "new", "--python", "3.97", env={"PATH": path}, check=False)

    assert run.returncode == 1, run.output
    real = tmp_path / "pyenv" / "versions" / "3.97.1" / "bin" / "python3.97"
    assert run.stderr == (
        f"error: --python 3.97: the command python3.97 found on PATH ({shim}) is not a working "
        "Python: it said 'pyenv: python3.97: command not found'. It is a pyenv shim of a version "
        f"pyenv has not selected here: pass the interpreter's full path, such as {real}, or "
        "select that version first ('pyenv shell 3.97.1', or 'pyenv global' / 'pyenv local').\n"
    )
    assert not (tmp_path / "new").exists()


def test_a_python_installation_is_not_taken_for_a_broken_venv(pinst: Pinst, tmp_path: Path) -> None:
    installation = Path(sys.base_prefix)  # the Python running pinst: /usr, a pyenv version
    before = sorted(path.name for path in installation.iterdir())

    run = pinst("install", "six==1.17.0", "--venv", installation, "--no-index", check=False)

    assert run.returncode == 1, run.output
    assert f"{installation} looks like a Python installation, not a virtual environment" in (
        run.stderr
    )
    assert "python -m venv" not in run.stderr
    assert sorted(path.name for path in installation.iterdir()) == before


def probe_facts(python: str = sys.executable) -> dict[str, Any]:
    answer = json.loads(probing.run_probe(Path(python), lambda: None))
    assert isinstance(answer, dict)
    return answer


def test_a_musl_interpreter_gets_musllinux_tags_and_no_manylinux() -> None:
    facts = probe_facts()
    facts.update(glibc=None, musl="musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n")
    facts.update(platform="linux-x86_64")
    nodot = f"{sys.version_info[0]}{sys.version_info[1]}"

    tags = supported_tags(facts)

    best = [tag for tag in tags if tag.startswith(f"cp{nodot}-cp{nodot}-")]
    assert best == [
        f"cp{nodot}-cp{nodot}-{platform}"
        for platform in ["linux_x86_64", *(f"musllinux_1_{minor}_x86_64" for minor in (2, 1, 0))]
    ]
    assert not any("manylinux" in tag for tag in tags)


def test_a_free_threaded_build_gets_its_own_abi_and_no_stable_abi() -> None:
    facts = probe_facts()
    facts.update(version_info=[3, 13, 0, "final", 0], platform="linux-x86_64", glibc="2.17")
    facts["config_vars"].update(Py_GIL_DISABLED=1, py_version_nodot="313")

    tags = supported_tags(facts)

    assert tags[:3] == [
        "cp313-cp313t-linux_x86_64",
        "cp313-cp313t-manylinux_2_17_x86_64",
        "cp313-cp313t-manylinux2014_x86_64",
    ]
    assert not any("-abi3-" in tag for tag in tags)


def test_a_32_bit_interpreter_on_a_64_bit_kernel_gets_i686_tags() -> None:
    facts = probe_facts()
    facts.update(pointer_bits=32, platform="linux-x86_64", glibc="2.5")
    facts["elf"].update({"class": 1, "data": 1, "machine": 3})

    platforms = {tag.split("-")[2] for tag in supported_tags(facts)}

    assert platforms == {"linux_i686", "manylinux_2_5_i686", "manylinux1_i686", "any"}


def test_a_distribution_can_forbid_manylinux_with_its_manylinux_module() -> None:
    facts = probe_facts()
    facts.update(platform="linux-x86_64", glibc="2.17")
    answers = {f"2_{minor}_x86_64": minor < 12 for minor in range(18)}
    facts["manylinux_policy"] = {"legacy": {}, "asks": True, "answers": answers}

    platforms = {tag.split("-")[2] for tag in supported_tags(facts)}

    assert "manylinux2014_x86_64" not in platforms
    assert "manylinux_2_11_x86_64" in platforms
    assert "manylinux1_x86_64" in platforms


def test_a_python_without_the_venv_module_is_named_once_in_plain_words(
    pinst: Pinst, tmp_path: Path
) -> None:
    python = tmp_path / "python3"  # answers the probe, as Debian's Python without python3-venv
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ]; then echo "/usr/bin/python3: No module named venv." >&2; exit 1; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)

    run = pinst("venv", tmp_path / "new", "--python", python, check=False)

    assert run.returncode == 1, run.output
    assert (
        f"with {python}: /usr/bin/python3: No module named venv. Check that the directory"
        in run.stderr
    )
    assert not (tmp_path / "new").exists()
