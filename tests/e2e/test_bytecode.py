"""--compile-bytecode: compiled once in the cache, linked into each venv, valid there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.mounts import OWN_CACHE
from tests.support.runner import Pinst
from tests.support.venvs import assert_record_truthful, record_rows, site_packages, venv_python
from tests.support.wheels import build_wheel

CACHE_TAG = f"cpython-{''.join(map(str, __import__('sys').version_info[:2]))}"
BOOM = "def fail():\n    raise RuntimeError('boom')\n"


@pytest.fixture
def wheel(server: IndexServer) -> Path:
    return build_wheel(
        server.directory,
        "compiled",
        "1.0",
        files={
            "compiled/__init__.py": "VALUE = 1\n",
            "compiled/boom.py": BOOM,
            "compiled/py2_only.py": "print 'old syntax'\n",  # skipped, as pip skips it
        },
        data={"scripts": {"not-compiled.py": "print('script')\n"}},
    )


def install(pinst: Pinst, server: IndexServer, venv: Path, *extra: str) -> str:
    return pinst(
        "install",
        "compiled==1.0",
        "--venv",
        venv,
        "-i",
        server.url,
        "--compile-bytecode",
        "-v",
        *extra,
    ).stderr


def pyc(venv: Path, module: str) -> Path:
    return site_packages(venv) / "compiled" / "__pycache__" / f"{module}.{CACHE_TAG}.pyc"


def pycache_state(venv: Path) -> dict[str, tuple[int, int]]:
    folder = site_packages(venv) / "compiled" / "__pycache__"
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def import_everything(venv: Path) -> None:
    subprocess.run(
        [venv_python(venv), "-c", "import compiled, compiled.boom"], check=True, capture_output=True
    )


@pytest.mark.parametrize("mode", ["hardlink", "copy", "symlink"])
def test_imports_use_the_linked_bytecode(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path, mode: str
) -> None:
    install(pinst, server, tmp_path / "first")
    venv = tmp_path / "second"
    install(pinst, server, venv, "--link-mode", mode)

    assert pyc(venv, "__init__").exists() and pyc(venv, "boom").exists()
    assert not pyc(venv, "py2_only").exists()
    [cached] = cache_dir.glob(f"entries-v1/*/bytecode-{CACHE_TAG}/compiled/__pycache__/boom.*")
    if mode == "hardlink":
        assert pyc(venv, "boom").stat().st_ino == cached.stat().st_ino
    before = pycache_state(venv)
    import_everything(venv)
    assert pycache_state(venv) == before  # valid: Python neither rewrote nor added a .pyc


def test_bytecode_is_compiled_once_per_interpreter(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    install(pinst, server, tmp_path / "first")
    [compiled] = cache_dir.glob(f"entries-v1/*/bytecode-{CACHE_TAG}")
    stamp = compiled.stat().st_mtime_ns
    install(pinst, server, tmp_path / "second")
    assert compiled.stat().st_mtime_ns == stamp
    assert not list(cache_dir.glob("tmp-v1/bytecode-*"))
    assert oct(pyc(tmp_path / "second", "boom").stat().st_mode & 0o777) == oct(0o444)


def test_tracebacks_name_the_venv_not_the_cache(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    venv = tmp_path / "venv"
    install(pinst, server, venv)
    result = subprocess.run(
        [venv_python(venv), "-c", "import compiled.boom; compiled.boom.fail()"],
        capture_output=True,
        text=True,
    )
    assert str(site_packages(venv) / "compiled" / "boom.py") in result.stderr
    assert str(cache_dir) not in result.stderr


def test_record_lists_the_bytecode_and_uninstall_removes_it(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path
) -> None:
    build_wheel(server.directory, "compiled", "2.0", files={"compiled/__init__.py": "VALUE = 2\n"})
    venv = tmp_path / "venv"
    install(pinst, server, venv)
    rows = record_rows(venv, "compiled-1.0.dist-info")
    assert f"compiled/__pycache__/boom.{CACHE_TAG}.pyc" in rows
    assert_record_truthful(venv, "compiled-1.0.dist-info")

    pinst("install", "compiled==2.0", "--venv", venv, "-i", server.url)
    assert not pyc(venv, "boom").exists()


def test_environment_variable_turns_it_on(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    pinst(
        "install",
        "compiled==1.0",
        "--venv",
        venv,
        "-i",
        server.url,
        env={"PINST_COMPILE_BYTECODE": "1"},
    )
    assert pyc(venv, "boom").exists()
    assert os.access(venv / "bin" / "not-compiled.py", os.X_OK)


def test_another_filesystem_copies_the_bytecode_instead_of_compiling(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    from tests.support.mounts import mounted

    install(pinst, server, tmp_path / "first")
    [main_pyc] = cache_dir.glob(f"entries-v1/*/bytecode-{CACHE_TAG}/compiled/__pycache__/boom.*")
    with mounted("tmpfs", tmp_path / "tmpfs", tmp_path) as tmpfs:
        venv = tmpfs / "venv"
        output = install(pinst, server, venv)

        assert f"Copied bytecode of compiled from {cache_dir}" in output
        [copied] = tmpfs.glob(
            f"{OWN_CACHE}/entries-v1/*/bytecode-{CACHE_TAG}/compiled/__pycache__/boom.*"
        )
        # Compiling again would name the tmpfs cache's source inside the code: a copy does not.
        assert copied.read_bytes()[16:] == main_pyc.read_bytes()[16:]
        assert str(cache_dir).encode() in copied.read_bytes()
        assert not pyc(venv, "py2_only").exists()
        before = pycache_state(venv)
        import_everything(venv)
        assert pycache_state(venv) == before  # valid for the tmpfs entry's own sources
        result = subprocess.run(
            [venv_python(venv), "-c", "import compiled.boom; compiled.boom.fail()"],
            capture_output=True,
            text=True,
        )
        assert str(site_packages(venv) / "compiled" / "boom.py") in result.stderr


def test_bytecode_that_no_longer_matches_its_source_is_compiled_again_not_copied(
    pinst: Pinst, server: IndexServer, wheel: Path, tmp_path: Path, cache_dir: Path
) -> None:
    from tests.support.mounts import mounted

    install(pinst, server, tmp_path / "first")
    # The main entry's source changes mtime (restored from a backup, say): its .pyc is stale.
    [source] = cache_dir.glob("entries-v1/*/files/compiled/boom.py")
    os.utime(source, (1_000_000_000, 1_000_000_000))
    with mounted("tmpfs", tmp_path / "tmpfs", tmp_path) as tmpfs:
        venv = tmpfs / "venv"
        output = install(pinst, server, venv)

        assert "Copied bytecode" not in output
        [compiled] = tmpfs.glob(
            f"{OWN_CACHE}/entries-v1/*/bytecode-{CACHE_TAG}/compiled/__pycache__/boom.*"
        )
        assert str(tmpfs).encode() in compiled.read_bytes()  # compiled from the tmpfs entry
        before = pycache_state(venv)
        import_everything(venv)
        assert pycache_state(venv) == before
