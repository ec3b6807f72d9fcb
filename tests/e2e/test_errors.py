"""Bad input: one clear paragraph naming the culprit and the fix, no traceback, nothing changed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst
from tests.support.trees import tree
from tests.support.venvs import site_packages
from tests.support.wheels import build_wheel


def fails(pinst: Pinst, *args: str | Path, code: int = 1) -> str:
    run = pinst(*args, check=False)
    assert run.returncode == code, run.output
    assert run.stderr.startswith("error: "), run.stderr
    return run.stderr


def install_file(pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer, text: str) -> str:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(text)
    before = tree(venv)
    message = fails(pinst, "install", "-r", requirements, "--venv", venv, "-i", server.url)
    assert tree(venv) == before
    return message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("requests>=2\n", "pin"),
        ("requests\n", "pin"),
        ("six=1.17\n", "six==1.17"),
        ("-e ./project\n", "wheel"),
        ("foo-1.0.tar.gz\n", "wheel"),
    ],
)
def test_unresolvable_lines_name_file_and_line(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer, line: str, expected: str
) -> None:
    message = install_file(pinst, tmp_path, venv, server, "present==1.0\n" + line)
    assert "requirements.txt:2" in message
    assert expected in message


def test_missing_included_file(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    message = install_file(pinst, tmp_path, venv, server, "-r missing.txt\n")
    assert "requirements.txt:1" in message and "missing.txt" in message


def test_unknown_project(pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer) -> None:
    message = install_file(pinst, tmp_path, venv, server, "no-such-project==1.0\n")
    assert "no-such-project" in message and server.url in message


def test_pinned_version_with_no_files(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    message = install_file(pinst, tmp_path, venv, server, "present==9.9\n")
    # The lookup for 9.9 keeps no file; the versions there are come from a second look.
    assert "present==9.9" in message and "the newest available are 1.0" in message


def test_no_compatible_wheel_lists_wheels_and_tags(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    build_wheel(server.directory, "winonly", "1.0", tag="cp311-cp311-win_amd64")
    message = install_file(pinst, tmp_path, venv, server, "winonly==1.0\n")
    assert "winonly-1.0-cp311-cp311-win_amd64.whl" in message
    assert "cp311-cp311-manylinux" in message or "cp311-cp311-linux" in message


def test_hash_mismatch_installs_and_caches_nothing(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer, cache_dir: Path
) -> None:
    build_wheel(server.directory, "hashed", "1.0")
    wheels_before = tree(cache_dir / "wheels-v1")
    message = install_file(
        pinst, tmp_path, venv, server, "hashed==1.0 --hash=sha256:" + "0" * 64 + "\n"
    )
    assert "hashed" in message and "0" * 64 in message
    assert tree(cache_dir / "wheels-v1") == wheels_before
    assert not (site_packages(venv) / "hashed").exists()


def test_corrupt_wheel(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer, cache_dir: Path
) -> None:
    wheel = build_wheel(server.directory, "broken", "1.0", files={"broken.py": "x = 1\n" * 1000})
    wheel.write_bytes(wheel.read_bytes()[: wheel.stat().st_size // 2])  # truncated
    message = install_file(pinst, tmp_path, venv, server, "broken==1.0\n")
    assert "broken-1.0-py3-none-any.whl" in message
    assert not list((cache_dir / "entries-v1").glob("*")) or all(
        "broken" not in p.read_text() for p in (cache_dir / "entries-v1").glob("*/manifest.json")
    )


def test_wheel_whose_record_lies(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer, cache_dir: Path
) -> None:
    def tamper(members: dict[str, bytes]) -> None:
        members["liar/__init__.py"] = b"print('not what RECORD says')\n"

    build_wheel(server.directory, "liar", "1.0", tamper=tamper)
    message = install_file(pinst, tmp_path, venv, server, "liar==1.0\n")
    assert "liar-1.0-py3-none-any.whl" in message and "RECORD" in message
    assert not (cache_dir / "entries-v1").exists() or not any(
        "liar" in p.read_text() for p in (cache_dir / "entries-v1").glob("*/manifest.json")
    )


def test_unreachable_index(pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("present==2.0\n")
    message = fails(
        pinst, "install", "-r", requirements, "--venv", venv, "-i", "http://127.0.0.1:9/simple"
    )
    assert "127.0.0.1:9" in message


def test_venv_that_is_a_file(pinst: Pinst, tmp_path: Path) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("hello")
    message = fails(pinst, "install", "six==1.17.0", "--venv", target, "--no-index")
    assert str(target) in message
    assert target.read_text() == "hello"


def test_directory_that_is_not_a_venv(pinst: Pinst, tmp_path: Path) -> None:
    target = tmp_path / "plain"
    target.mkdir()
    message = fails(pinst, "install", "six==1.17.0", "--venv", target, "--no-index")
    assert str(target) in message and "python -m venv" in message
    assert tree(target) == []


def test_a_venv_whose_python_does_not_run(pinst: Pinst, tmp_path: Path) -> None:
    # The probe of its interpreter fails while pinst gets ready to download: one paragraph
    # with the interpreter's last words, and nothing changed.
    target = tmp_path / "broken"
    (target / "bin").mkdir(parents=True)
    (target / "pyvenv.cfg").write_text("home = /nowhere\n")
    python = target / "bin" / "python"
    python.write_text("#!/bin/sh\necho 'the interpreter fell over' >&2\nexit 3\n")
    python.chmod(0o755)
    before = tree(target)
    message = fails(pinst, "install", "six==1.17.0", "--venv", target, "--no-index")
    assert f"Could not inspect the interpreter {python}: the interpreter fell over." in message
    assert "Traceback" not in message
    assert tree(target) == before


def test_python_that_does_not_exist(pinst: Pinst, tmp_path: Path) -> None:
    message = fails(
        pinst,
        "install",
        "six==1.17.0",
        "--venv",
        tmp_path / "new",
        "--python",
        "python9.99",
        "--no-index",
    )
    assert "python9.99" in message
    assert not (tmp_path / "new").exists()


def test_failed_install_removes_the_venv_it_created(
    pinst: Pinst, tmp_path: Path, server: IndexServer
) -> None:
    message = fails(
        pinst, "install", "nothing-here==1.0", "--venv", tmp_path / "fresh", "-i", server.url
    )
    assert "nothing-here" in message
    assert not (tmp_path / "fresh").exists()


def test_no_requirements_is_a_usage_error(pinst: Pinst) -> None:
    fails(pinst, "install", code=2)


def test_zip_with_traversal_member_is_refused(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    def tamper(members: dict[str, bytes]) -> None:
        members["../../evil.py"] = b"boom"

    wheel = build_wheel(server.directory, "evil", "1.0", tamper=tamper)
    with zipfile.ZipFile(wheel) as archive:
        assert "../../evil.py" in archive.namelist()
    message = install_file(pinst, tmp_path, venv, server, "evil==1.0\n")
    assert "evil.py" in message
    assert not (tmp_path / "evil.py").exists()


@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [
        ("-i", "http://[::1", "http://[::1"),
        ("--extra-index-url", "http://[::1/simple", "http://[::1/simple"),
        ("-f", "http://exa\u2100mple.com/", "http://exa\u2100mple.com/"),  # NFKC changes the host
        ("-i", "https://user:secret@[::1/simple", "https://****@[::1/simple"),
    ],
)
def test_a_location_that_is_no_url_is_a_usage_error(
    pinst: Pinst, tmp_path: Path, option: str, value: str, shown: str
) -> None:
    message = fails(
        pinst, "install", "six==1.17.0", "--venv", tmp_path / "v", option, value, code=2
    )
    assert f"{shown!r} is not a valid URL" in message and "secret" not in message
    assert not (tmp_path / "v").exists()


def test_an_index_url_in_a_file_that_is_no_url(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    text = "--index-url http://user:secret@exa\u2100mple.com/\nsix==1\n"
    message = install_file(pinst, tmp_path, venv, server, text)
    assert "requirements.txt:1: http://****@exa\u2100mple.com/ is not a valid URL" in message
    assert "secret" not in message


def test_a_find_links_file_that_is_no_html_page(
    pinst: Pinst, tmp_path: Path, venv: Path, server: IndexServer
) -> None:
    wheel = build_wheel(tmp_path / "wheels", "present", "2.0")  # a zip, not a page of links
    message = install_file(pinst, tmp_path, venv, server, f"-f {wheel}\npresent==2.0\n")
    assert str(wheel) in message and "not UTF-8 text" in message


def test_a_cache_dir_that_is_a_file(pinst: Pinst, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache-file"
    not_a_dir.write_text("hello")
    message = fails(
        pinst, "install", "six==1.17.0", "--venv", tmp_path / "v", "--cache-dir", not_a_dir
    )
    assert str(not_a_dir) in message
    assert not_a_dir.read_text() == "hello"
