"""pinst install, end to end against a real local index: what a user sees in the venv."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.venvs import (
    assert_record_truthful,
    other_python,
    record_rows,
    run_python,
    site_packages,
    venv_python,
)
from tests.support.wheels import build_wheel, sha256_of

DEMO_DATA = {
    "scripts": {"demo-tool": "#!python\nimport demo\nprint('tool', demo.__version__)\n"},
    "data": {"share/demo/readme.txt": "shared data\n"},
    "headers": {"demo.h": "#define DEMO 1\n"},
}


def demo_wheel(directory: Path, version: str = "1.0", **kwargs: object) -> Path:
    return build_wheel(
        directory,
        "demo",
        version,
        files={
            "demo/__init__.py": f"__version__ = '{version}'\n",
            "demo/cli.py": "def main():\n    print('hello from demo')\n",
            f"demo_{version.replace('.', '_')}.py": "",
        },
        entry_points={"console_scripts": {"demo": "demo.cli:main"}},
        data=DEMO_DATA,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def hashed_requirements(directory: Path, pin: str, wheel: Path) -> Path:
    """A requirements file in ``directory`` pinning ``pin`` to the hash of ``wheel``."""
    requirements = directory / "requirements.txt"
    requirements.write_text(f"{pin} --hash=sha256:{sha256_of(wheel)}\n")
    return requirements


@pytest.mark.parametrize("flavour", ["json", "html"])
def test_install_lays_out_a_wheel_as_the_spec_says(
    pinst: Pinst, tmp_path: Path, flavour: str
) -> None:
    with IndexServer(tmp_path / f"index-{flavour}", flavour=flavour) as server:  # type: ignore[arg-type]
        demo_wheel(server.directory)
        venv = tmp_path / "venv"
        run = pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)

    assert "+ demo==1.0" in run.stderr
    assert "Installed 1 package in" in run.stderr
    root = site_packages(venv)
    assert (root / "demo" / "__init__.py").is_file()
    assert (venv / "share" / "demo" / "readme.txt").read_text() == "shared data\n"
    assert (venv / "include" / "site" / "python3.11" / "demo" / "demo.h").is_file()
    tool = venv / "bin" / "demo-tool"
    assert tool.read_text().splitlines()[0] == f"#!{venv_python(venv)}"
    assert os.access(tool, os.X_OK)
    assert subprocess.run([tool], capture_output=True, text=True).stdout == "tool 1.0\n"
    console = venv / "bin" / "demo"
    assert subprocess.run([console], capture_output=True, text=True).stdout == "hello from demo\n"
    dist_info = root / "demo-1.0.dist-info"
    assert (dist_info / "INSTALLER").read_text() == "pinst\n"
    assert (dist_info / "REQUESTED").exists()
    assert not (dist_info / "direct_url.json").exists()
    assert_record_truthful(venv, "demo-1.0.dist-info")
    rows = record_rows(venv, "demo-1.0.dist-info")
    assert "../../../bin/demo" in rows
    assert "../../../bin/demo-tool" in rows
    assert run_python(venv, "import demo; print(demo.__version__)") == "1.0\n"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o277], ids=["022", "077", "277"])
def test_installed_files_are_read_only_for_all_whatever_the_umask(
    pinst: Pinst, server: IndexServer, tmp_path: Path, umask: int
) -> None:
    # Cache entries are shared by hard links with every venv and every user of the cache:
    # exactly r--r--r-- (r-xr-xr-x for executables), not what the umask would leave of that.
    files = {"modes/__init__.py": "", "modes/run.sh": "#!/bin/sh\n"}
    build_wheel(server.directory, "modes", "1.0", files=files, executable=["modes/run.sh"])
    venv = tmp_path / "venv"
    before = os.umask(umask)
    try:
        pinst("install", "modes==1.0", "--venv", venv, "-i", server.url)
    finally:
        os.umask(before)
    package = site_packages(venv) / "modes"
    assert (package / "__init__.py").stat().st_mode & 0o777 == 0o444
    assert (package / "run.sh").stat().st_mode & 0o777 == 0o555


def test_members_with_non_ascii_names(pinst: Pinst, server: IndexServer, tmp_path: Path) -> None:
    # zipfile marks such names UTF-8 in both headers; pinst compares the local header's name
    # with the central directory's, ASCII names by a faster path than the others.
    files = {"intl/__init__.py": "", "intl/données.txt": "é", "intl/日本/名前.txt": "名"}
    build_wheel(server.directory, "intl", "1.0", files=files)
    venv = tmp_path / "venv"
    pinst("install", "intl==1.0", "--venv", venv, "-i", server.url)
    assert (site_packages(venv) / "intl" / "données.txt").read_text(encoding="utf-8") == "é"
    assert (site_packages(venv) / "intl" / "日本" / "名前.txt").read_text(encoding="utf-8") == "名"
    record = (site_packages(venv) / "intl-1.0.dist-info" / "RECORD").read_text(encoding="utf-8")
    assert "intl/données.txt," in record


def test_second_install_does_nothing_and_makes_no_request(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheel = demo_wheel(server.directory)
    requirements = hashed_requirements(tmp_path, "demo==1.0", wheel)
    venv = tmp_path / "venv"
    pinst("install", "-r", requirements, "--venv", venv, "-i", server.url)
    before = server.total_requests()

    run = pinst("install", "-r", requirements, "--venv", venv, "-i", server.url)

    assert "Audited 1 package" in run.stderr
    assert server.total_requests() == before


def test_warm_install_with_hashes_needs_no_network(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheel = demo_wheel(server.directory)
    requirements = hashed_requirements(tmp_path, "demo==1.0", wheel)
    pinst("install", "-r", requirements, "--venv", tmp_path / "one", "-i", server.url)
    before = server.total_requests()

    run = pinst(
        "install", "-r", requirements, "--venv", tmp_path / "two", "-i", server.url,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )  # fmt: skip

    assert server.total_requests() == before
    assert run_python(tmp_path / "two", "import demo; print(demo.__version__)") == "1.0\n"
    # Nothing of the network side, the unpacking code or packaging's parsers is even imported.
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    pipeline = ("pinst.network.download", "pinst.unpack.extract", "pinst.wheel.container")
    for module in ("httpx", *pipeline, "packaging", "installer"):
        assert module not in imported, module


def test_upgrade_removes_the_old_version_files(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo_wheel(server.directory, "1.0")
    demo_wheel(server.directory, "2.0")
    venv = tmp_path / "venv"
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    run_python(venv, "import demo_1_0")  # leaves a __pycache__ that pinst did not record

    run = pinst("install", "demo==2.0", "--venv", venv, "-i", server.url)

    assert "- demo==1.0" in run.stderr and "+ demo==2.0" in run.stderr
    root = site_packages(venv)
    assert not (root / "demo_1_0.py").exists()
    assert (
        not list((root / "__pycache__").glob("demo_1_0.*"))
        if (root / "__pycache__").exists()
        else True
    )
    assert not (root / "demo-1.0.dist-info").exists()
    assert (root / "demo_2_0.py").exists()
    assert run_python(venv, "import demo; print(demo.__version__)") == "2.0\n"
    assert_record_truthful(venv, "demo-2.0.dist-info")


def test_reinstall_installs_again(pinst: Pinst, server: IndexServer, tmp_path: Path) -> None:
    demo_wheel(server.directory)
    venv = tmp_path / "venv"
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    (site_packages(venv) / "demo" / "cli.py").unlink()

    run = pinst("install", "demo==1.0", "--venv", venv, "-i", server.url, "--reinstall")

    assert "~ demo==1.0" in run.stderr
    assert (site_packages(venv) / "demo" / "cli.py").is_file()


def test_markers_are_evaluated_for_the_target(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo_wheel(server.directory)
    build_wheel(server.directory, "old-only", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text('demo==1.0\nold-only==1.0 ; python_version < "3"\n')
    venv = tmp_path / "venv"

    pinst("install", "-r", requirements, "--venv", venv, "-i", server.url)

    assert (site_packages(venv) / "demo").is_dir()
    assert not (site_packages(venv) / "old_only").exists()


def fast_wheels(directory: Path) -> Path:
    """Three wheels of fast 1.0: pure, Linux CPython 3.11 (the best here), Windows; returns the
    pure one."""
    pure = build_wheel(directory, "fast", "1.0", files={"fast.py": "KIND = 'pure'\n"})
    build_wheel(
        directory,
        "fast",
        "1.0",
        tag="cp311-cp311-manylinux_2_17_x86_64",
        files={"fast.py": "KIND = 'binary'\n"},
        root_is_purelib=False,
    )
    build_wheel(
        directory,
        "fast",
        "1.0",
        tag="cp39-cp39-win_amd64",
        files={"fast.py": "KIND = 'windows'\n"},
    )
    return pure


def test_best_wheel_for_the_target_interpreter(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    fast_wheels(server.directory)
    venv = tmp_path / "venv"
    pinst("install", "fast==1.0", "--venv", venv, "-i", server.url)
    assert run_python(venv, "import fast; print(fast.KIND)") == "binary\n"


def test_the_wheel_whose_hash_is_pinned_wins_over_a_better_tag(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    # A lock made before the project uploaded a wheel that fits better lists only the older
    # wheel's hash: pinst takes the wheel the hash names, as pip does, instead of failing.
    pure = fast_wheels(server.directory)
    requirements = hashed_requirements(tmp_path, "fast==1.0", pure)
    venv = tmp_path / "venv"
    pinst("install", "-r", requirements, "--venv", venv, "-i", server.url)
    assert run_python(venv, "import fast; print(fast.KIND)") == "pure\n"


def test_direct_url_and_local_path_installs_record_pep_610(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    remote = build_wheel(server.directory, "remote", "1.0")
    local = build_wheel(tmp_path / "dist", "local", "2.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"remote @ {server.file_url(remote.name)}\n./dist/{local.name}\n")
    venv = tmp_path / "venv"

    pinst("install", "-r", requirements, "--venv", venv, "--no-index")

    remote_url = json.loads(
        (site_packages(venv) / "remote-1.0.dist-info/direct_url.json").read_text()
    )
    assert remote_url["url"] == server.file_url(remote.name)
    assert remote_url["archive_info"]["hashes"] == {"sha256": sha256_of(remote)}
    local_url = json.loads(
        (site_packages(venv) / "local-2.0.dist-info/direct_url.json").read_text()
    )
    assert local_url["url"] == local.as_uri()
    run_python(venv, "import remote, local")


def test_find_links_directory(pinst: Pinst, tmp_path: Path) -> None:
    build_wheel(tmp_path / "wheelhouse", "house", "3.0")
    venv = tmp_path / "venv"
    pinst("install", "house==3.0", "--venv", venv, "--no-index", "-f", tmp_path / "wheelhouse")
    run_python(venv, "import house")


def test_yanked_exact_pin_installs_with_a_warning(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheel = demo_wheel(server.directory)
    server.yanked[wheel.name] = "broken build"
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url)
    assert "warning:" in run.stderr and "yanked" in run.stderr and "broken build" in run.stderr


def test_a_plain_pin_installs_and_accepts_a_local_build(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    # As on the PyTorch CPU index: only local builds (2.0+cpu) of the pinned version 2.0.
    build_wheel(server.directory, "demo", "2.0+cpu")
    build_wheel(server.directory, "demo", "2.1+cpu")
    venv = tmp_path / "venv"

    run = pinst("install", "demo==2.0", "--venv", venv, "-i", server.url)

    assert "+ demo==2.0+cpu" in run.stderr
    assert run_python(venv, "import demo; print(demo.__version__)") == "2.0+cpu\n"
    # PEP 440: the installed 2.0+cpu satisfies ==2.0, so a pin written either way leaves it be.
    for requirement in ("demo==2.0.0", "demo==2.0+cpu"):
        again = pinst("install", requirement, "--venv", venv, "-i", server.url)
        assert "Audited 1 package" in again.stderr, requirement


def test_venv_is_created_with_python_and_default_location(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo_wheel(server.directory)
    pinst("install", "demo==1.0", "-i", server.url, "--python", "python3.11")
    default = pinst.cwd / ".venv"
    assert (default / "pyvenv.cfg").is_file()
    run_python(default, "import demo")


def test_virtual_env_variable_is_the_default_venv(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo_wheel(server.directory)
    active = tmp_path / "active"
    pinst("install", "demo==1.0", "-i", server.url, env={"VIRTUAL_ENV": str(active)})
    run_python(active, "import demo")


@pytest.mark.skipif(other_python(9) is None, reason="needs a second Python version on this machine")
def test_wheel_and_markers_follow_the_target_interpreter_not_pinsts(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    python = other_python(9)
    assert python is not None
    version = subprocess.run(
        [python, "-c", "import sys; print('%d%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for tag in (
        "cp311-cp311-manylinux_2_17_x86_64",
        f"cp{version}-cp{version}-manylinux_2_17_x86_64",
    ):
        build_wheel(
            server.directory,
            "native",
            "1.0",
            tag=tag,
            root_is_purelib=False,
            files={"native.py": f"BUILT_FOR = '{tag.split('-')[0]}'\n"},
        )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text('native==1.0\nmissing==1.0 ; python_version == "3.11"\n')
    venv = tmp_path / "venv"
    pinst("install", "-r", requirements, "--venv", venv, "--python", python, "-i", server.url)
    assert run_python(venv, "import native; print(native.BUILT_FOR)") == f"cp{version}\n"


def test_uninstall_never_follows_a_record_out_of_the_venv(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo_wheel(server.directory, "1.0")
    demo_wheel(server.directory, "2.0")
    venv = tmp_path / "venv"
    pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    record = site_packages(venv) / "demo-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "../../../../precious.txt,,\r\n")

    pinst("install", "demo==2.0", "--venv", venv, "-i", server.url)

    assert outside.read_text() == "keep me"


def test_an_entry_without_its_manifest_is_unpacked_again(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    """A damaged entry (its manifest gone) is never used: the next install replaces it."""
    wheel = demo_wheel(server.directory)
    requirements = hashed_requirements(tmp_path, "demo==1.0", wheel)
    pinst("install", "-r", requirements, "--venv", tmp_path / "one", "-i", server.url)
    entry = cache_dir / "entries-v1" / sha256_of(wheel)
    (entry / "manifest.json").unlink()
    (entry / "files" / "demo" / "__init__.py").unlink()  # and a file with it

    pinst("install", "-r", requirements, "--venv", tmp_path / "two", "-i", server.url)

    assert (entry / "manifest.json").is_file()
    assert run_python(tmp_path / "two", "import demo; print(demo.__version__)") == "1.0\n"
    assert run_python(tmp_path / "one", "import demo_1_0") == ""  # the first venv still works
