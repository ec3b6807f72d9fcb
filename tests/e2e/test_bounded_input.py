"""Untrusted input is read only up to a limit, and a limit reached is one clear error.

Index pages (the bytes on the wire and what a gzip encoding inflates them to), requirements and
lock files (``-r``, ``-c``, whatever they name: a file, a pipe, or a device that never ends),
single requirement lines, and the metadata files inside wheels that pinst reads into memory.
And a remote index page may not make pinst install a local file through a ``file://`` link.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from tests.support.hostile import NAME, RECORD, hostile
from tests.support.index_server import JSON_TYPE, Fault, IndexServer, RawPage
from tests.support.runner import Pinst, Run
from tests.support.venvs import run_python, site_packages
from tests.support.wheels import build_wheel, sha256_of

MiB = 1024 * 1024
# The address space pinst may use in the bomb tests: a run that inflated the page in memory
# would need 1.5 GiB for the page alone.
ADDRESS_SPACE = 1024 * MiB


def gzip_of_zeros(size: int, chunk: int = 16 * MiB) -> bytes:
    """A valid gzip stream of ``size`` zero bytes (a multiple of ``chunk``), built without
    holding them: after a full flush, deflate writes every further chunk of zeros as the same
    bytes, so one compressed chunk is repeated, and the trailer gets the CRC of the whole."""
    zeros = bytes(chunk)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + 15)
    head = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)[:-8]
    crc = 0
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return head + block * (size // chunk - 1) + end + trailer


@pytest.fixture(scope="module")
def bomb() -> bytes:
    body = gzip_of_zeros(1536 * MiB)
    assert len(body) < 2 * MiB
    return body


def limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_limited(pinst: Pinst, *args: str | Path, env: dict[str, str] | None = None) -> Run:
    """pinst with at most ``ADDRESS_SPACE`` of memory: running out shows as a MemoryError
    traceback, or as a kill."""
    result = subprocess.run(
        [sys.executable, "-m", "pinst", *map(str, args)],
        cwd=pinst.cwd,
        env={**pinst.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limited_memory,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def one_error(run: Run) -> str:
    """The run failed with exactly one error paragraph, and no traceback; its text."""
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output and "MemoryError" not in run.output, run.output[-3000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, run.stderr[-3000:]
    return errors[0]


def json_page(files: list[dict[str, object]]) -> bytes:
    return json.dumps({"meta": {"api-version": "1.0"}, "name": "x", "files": files}).encode()


def padded_page(server: IndexServer, wheel: Path, size: int) -> bytes:
    """The project's JSON page, with made-up files of other versions until it is ``size``
    bytes, as the pages of projects with thousands of files are."""
    real = {
        "filename": wheel.name,
        "url": server.file_url(wheel.name),
        "hashes": {"sha256": sha256_of(wheel)},
    }
    entry = {
        "filename": "",
        "url": "https://files.example/x.whl",
        "hashes": {"sha256": "0" * 64},
    }
    count = size // len(json.dumps(entry)) + 1
    others = [{**entry, "filename": f"demo-0.{number}-py3-none-any.whl"} for number in range(count)]
    return json_page([*others, real])


# Index pages ------------------------------------------------------------------------------------


def test_a_gzip_bomb_index_page_stops_at_the_limit_within_bounded_memory(
    pinst: Pinst, server: IndexServer, tmp_path: Path, bomb: bytes
) -> None:
    """1.5 MB on the wire that inflate to 1.5 GiB: pinst stops inflating at the limit (64 MiB),
    and never holds the rest, so it runs within 1 GiB of address space."""
    server.raw_pages["/simple/demo/"] = RawPage(
        bomb, {"Content-Type": JSON_TYPE, "Content-Encoding": "gzip"}
    )
    run = run_limited(pinst, "install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url)
    error = one_error(run)
    assert f"{server.url}/demo/" in error
    assert "inflates to more than the limit of 64.0 MiB" in error
    assert "--max-index-page-size" in error and "PINST_MAX_INDEX_PAGE_SIZE" in error
    assert server.requests["/simple/demo/"] == 1  # a page too large is not asked for again


def test_a_page_beyond_the_limit_without_a_length_stops_at_the_limit(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """No Content-Length to refuse it by: the bytes are counted as they come."""
    endless = tmp_path / "endless.html"
    endless.write_bytes(b"<a href='x'>x</a>\n" * (200 * MiB // 18))
    server.raw_pages["/simple/demo/"] = RawPage(
        endless, {"Content-Type": "text/html"}, content_length=False
    )
    run = run_limited(pinst, "install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url)
    error = one_error(run)
    assert "is larger than the limit of 64.0 MiB" in error and "--max-index-page-size" in error


@pytest.mark.parametrize("encoding", ["gzip", None])
def test_a_real_sized_page_installs_and_a_lowered_limit_refuses_it(
    pinst: Pinst, server: IndexServer, tmp_path: Path, encoding: str | None
) -> None:
    """A 3 MB page (PyPI's for grpcio is 5 MB), gzip-encoded or not, installs from; with the
    limit lowered under its size, it is refused, naming the setting that raises it."""
    wheel = build_wheel(tmp_path / "wheels", "demo", "1.0")
    (server.directory / wheel.name).write_bytes(wheel.read_bytes())
    page = padded_page(server, wheel, 3 * MiB)
    headers = {"Content-Type": JSON_TYPE, "Cache-Control": "no-store"}
    if encoding:
        page = gzip_of_bytes(page)
        headers["Content-Encoding"] = encoding
    server.raw_pages["/simple/demo/"] = RawPage(page, headers)
    venv = tmp_path / "venv"
    install = ["install", "demo==1.0", "--venv", venv, "-i", server.url]

    error = one_error(pinst(*install, check=False, env={"PINST_MAX_INDEX_PAGE_SIZE": "2M"}))
    what = "inflates to more than" if encoding else "is larger than"
    assert f"{what} the limit of 2.0 MiB" in error and "PINST_MAX_INDEX_PAGE_SIZE" in error
    assert not venv.exists()

    pinst(*install)
    assert run_python(venv, "import demo; print(demo.__version__)").strip() == "1.0"


def gzip_of_bytes(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + 15)
    return compressor.compress(data) + compressor.flush()


def test_the_limit_is_a_setting_of_config_files_too(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    (pinst.cwd / "pinst.toml").write_text('max-index-page-size = "100"\n')
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url, check=False)
    assert "is larger than the limit of 100 B" in one_error(run)
    shown = pinst("config").stdout
    assert "max-index-page-size" in shown and "pinst.toml" in shown


def test_a_page_with_an_encoding_pinst_did_not_ask_for_is_refused(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    server.raw_pages["/simple/demo/"] = RawPage(
        b"\x00" * 100, {"Content-Type": JSON_TYPE, "Content-Encoding": "gzip, gzip"}
    )
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url, check=False)
    error = one_error(run)
    assert "content encoding 'gzip, gzip'" in error and f"{server.url}/demo/" in error


def test_an_oversized_cached_page_is_fetched_again_not_read(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    """A page cache file beyond what the limit allows was not written under it: pinst reads
    the index again, and the page it gets is held to the limit."""
    build_wheel(server.directory, "demo", "1.0")
    pinst("install", "demo==1.0", "--venv", tmp_path / "one", "-i", server.url)
    (cached,) = (cache_dir / "pages-v1").glob("*.json")
    entry = json.loads(cached.read_text())
    entry["text"] += " " * (2 * MiB)
    cached.write_text(json.dumps(entry))
    env = {"PINST_MAX_INDEX_PAGE_SIZE": "100K"}
    pinst("install", "demo==1.0", "--venv", tmp_path / "two", "-i", server.url, env=env)
    assert server.requests["/simple/demo/"] == 2


# Links of remote pages to local files ---------------------------------------------------------


def local_and_remote(server: IndexServer, tmp_path: Path) -> tuple[Path, Path]:
    """The same wheel twice, told apart by content: one on this machine, one on the index."""
    local = build_wheel(tmp_path / "local", "demo", "1.0", files={"demo/__init__.py": "x = 'l'"})
    remote = build_wheel(server.directory, "demo", "1.0", files={"demo/__init__.py": "x = 'r'"})
    return local, remote


def file_entry(path: Path) -> dict[str, object]:
    return {"filename": path.name, "url": path.as_uri(), "hashes": {"sha256": sha256_of(path)}}


def test_a_remote_page_whose_only_file_is_a_local_link_is_refused(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    local, _ = local_and_remote(server, tmp_path)
    server.raw_pages["/simple/demo/"] = RawPage(
        json_page([file_entry(local)]), {"Content-Type": JSON_TYPE}
    )
    venv = tmp_path / "venv"
    run = pinst("install", "demo==1.0", "--venv", venv, "-i", server.url, check=False)
    error = one_error(run)
    assert f"{server.url}/demo/" in error and local.as_uri() in error
    assert "only http:// and https:// links" in error
    assert not (site_packages(venv) / "demo").exists() if venv.exists() else True


def test_a_local_link_on_a_remote_page_is_skipped_for_a_remote_file(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    local, remote = local_and_remote(server, tmp_path)
    remote_entry = {
        "filename": remote.name,
        "url": server.file_url(remote.name),
        "hashes": {"sha256": sha256_of(remote)},
    }
    server.raw_pages["/simple/demo/"] = RawPage(
        json_page([file_entry(local), remote_entry]), {"Content-Type": JSON_TYPE}
    )
    venv = tmp_path / "venv"
    run = pinst("install", "demo==1.0", "--venv", venv, "-i", server.url)
    assert "Ignoring the link to " + local.as_uri() in run.stderr
    assert run_python(venv, "import demo; print(demo.x)").strip() == "r"


def test_an_html_page_cannot_reach_local_files_through_its_base(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    local, _ = local_and_remote(server, tmp_path)
    base = local.parent.as_uri() + "/"
    page = f'<html><head><base href="{base}"></head><a href="{local.name}">x</a></html>'
    server.raw_pages["/simple/demo/"] = RawPage(page.encode(), {"Content-Type": "text/html"})
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url, check=False)
    assert local.as_uri() in one_error(run)


def test_an_index_redirecting_to_a_local_file_is_refused(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    """httpx follows redirects to http(s) URLs only: this holds pinst to that."""
    secret = tmp_path / "secret.json"
    secret.write_bytes(json_page([]))
    server.inject("/simple/demo/", Fault(status=302, location=secret.as_uri()))
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url, check=False)
    error = one_error(run)
    assert "https:// or http://" in error


def test_a_local_find_links_directory_still_gives_local_files(pinst: Pinst, tmp_path: Path) -> None:
    """The rule is for pages pinst downloads: a location the user gives may be local."""
    wheel = build_wheel(tmp_path / "wheels", "demo", "1.0")
    venv = tmp_path / "venv"
    pinst("install", "demo==1.0", "--venv", venv, "--no-index", "-f", wheel.parent.as_uri())
    assert run_python(venv, "import demo; print(demo.__version__)").strip() == "1.0"


# Requirements and lock files ------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("option", ["-r", "-c"])
def test_a_device_given_as_a_requirements_file_is_refused(
    pinst: Pinst, tmp_path: Path, device: str, option: str
) -> None:
    args = ["install", option, device, "--venv", tmp_path / "venv"]
    if option == "-c":
        args.append("demo==1.0")
    error = one_error(run_limited(pinst, *args))
    assert device in error and "a character device" in error


def test_a_device_behind_a_lock_file_name_is_refused(pinst: Pinst, tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.symlink_to("/dev/zero")
    error = one_error(run_limited(pinst, "install", "-r", lock, "--venv", tmp_path / "venv"))
    assert str(lock) in error and "a character device" in error


def test_a_device_included_by_a_requirements_file_is_refused(pinst: Pinst, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-r /dev/zero\n")
    run = run_limited(pinst, "install", "-r", requirements, "--venv", tmp_path / "venv")
    error = one_error(run)
    assert f"{requirements}:1" in error and "/dev/zero" in error


def test_an_endless_pipe_stops_at_the_limit(pinst: Pinst, tmp_path: Path) -> None:
    """/dev/urandom through a pipe: read up to the limit, then refused."""
    venv = str(tmp_path / "venv")
    with subprocess.Popen(["cat", "/dev/urandom"], stdout=subprocess.PIPE) as endless:
        try:
            result = subprocess.run(
                [*(sys.executable, "-m", "pinst", "install", "-r", "/dev/stdin"), "--venv", venv],
                stdin=endless.stdout,
                cwd=pinst.cwd,
                env=pinst.env,
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=limited_memory,
            )
        finally:
            endless.kill()
    error = one_error(Run(result.returncode, result.stdout, result.stderr))
    assert "/dev/stdin is larger than the limit of 16.0 MiB" in error
    assert "--max-requirements-size" in error and "PINST_MAX_REQUIREMENTS_SIZE" in error


def feed(fifo: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(data)
        except BrokenPipeError:
            pass  # pinst stopped reading: that is the point

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_fifo_beyond_a_lowered_limit_is_refused_and_within_it_is_read(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    fifo = tmp_path / "requirements.fifo"
    os.mkfifo(fifo)
    writer = feed(fifo, b"# comment\n" * (2 * MiB))  # 20 MB
    venv = tmp_path / "venv"
    run = pinst("install", "-r", fifo, "--venv", venv, check=False)
    writer.join(10)
    error = one_error(run)
    assert f"{fifo} is larger than the limit of 16.0 MiB" in error

    build_wheel(server.directory, "demo", "1.0")
    writer = feed(fifo, b"demo==1.0\n")
    pinst("install", "-r", fifo, "--venv", venv, "-i", server.url)
    writer.join(10)
    assert run_python(venv, "import demo; print(demo.__version__)").strip() == "1.0"


def test_a_requirements_file_over_a_lowered_limit_is_refused(pinst: Pinst, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("demo==1.0\n" * 200_000)  # 2 MB
    env = {"PINST_MAX_REQUIREMENTS_SIZE": "1M"}
    run = pinst("install", "-r", requirements, "--venv", tmp_path / "v", check=False, env=env)
    assert f"{requirements} is larger than the limit of 1.0 MiB" in one_error(run)


def test_a_lock_file_over_the_limit_is_refused(pinst: Pinst, tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "test"\n' + "# padding\n" * 200_000)
    env = {"PINST_MAX_REQUIREMENTS_SIZE": "1M"}
    run = pinst("install", "-r", lock, "--venv", tmp_path / "venv", check=False, env=env)
    error = one_error(run)
    assert f"the lock file {lock} is larger than the limit of 1.0 MiB" in error
    assert "PINST_MAX_REQUIREMENTS_SIZE" in error


def test_a_50_mb_requirement_line_makes_a_short_error(pinst: Pinst, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("x" * (50 * MiB) + "\n")
    env = {"PINST_MAX_REQUIREMENTS_SIZE": "64M"}  # past the file's limit: the line's own
    run = run_limited(pinst, "install", "-r", requirements, "--venv", tmp_path / "v", env=env)
    error = one_error(run)
    assert len(run.output) < 2000, run.output[:3000]
    assert f"{requirements}:1" in error and f"({50 * MiB} characters)" in error


@pytest.mark.parametrize(
    "line",
    [
        "demo==1.0 ; " + "x" * 10_000,  # a requirement that does not parse
        "demo==1.0 --hash=sha256:" + "a" * 100_000,  # a hash that is no hash
        "--index-url https://i.example/ " + "y" * 100_000,  # a stray token after an option
        "demo==1.0 --frobnicate" + "z" * 100_000,  # an unknown option
    ],
)
def test_an_error_quotes_a_long_line_only_in_part(pinst: Pinst, tmp_path: Path, line: str) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(line + "\n")
    run = pinst("install", "-r", requirements, "--venv", tmp_path / "venv", check=False)
    one_error(run)
    assert len(run.output) < 2000, run.output[:3000]
    assert "characters)" in run.output


# Metadata files in wheels ---------------------------------------------------------------------


def padded_record(members: dict[str, bytes]) -> None:
    members[RECORD] += b"\n" * (2 * MiB)  # blank rows: a valid RECORD, only large


@pytest.mark.parametrize(
    ("member", "options"),
    [
        ("METADATA", {"metadata": ["Description: " + "m" * (2 * MiB)]}),
        ("RECORD", {"tamper": padded_record}),
        # An entry point group no tool reads, with 150,000 entries.
        ("entry_points.txt", {"entry_points": {"x": {f"n{n}": "m:f" for n in range(150_000)}}}),
    ],
)
def test_a_metadata_file_over_the_limit_is_refused_until_raised(
    pinst: Pinst,
    server: IndexServer,
    venv: Path,
    cache_dir: Path,
    member: str,
    options: dict[str, object],
) -> None:
    """(test_hostile_wheels checks more of what a refused wheel leaves behind.)"""
    wheel = hostile(server, **options)
    install = ["install", f"{NAME}==1.0", "--venv", venv, "-i", server.url]
    env = {"PINST_MAX_METADATA_SIZE": "1M"}
    message = one_error(pinst(*install, check=False, env=env))
    assert wheel.name in message
    assert not (site_packages(venv) / NAME).exists()
    assert not (cache_dir / "entries-v1" / sha256_of(wheel)).exists()
    assert (cache_dir / "wheels-v1" / sha256_of(wheel)).exists()  # kept for a raised limit
    assert f"{NAME}-1.0.dist-info/{member}" in message
    assert "more than the limit of 1.0 MiB" in message
    assert "--max-metadata-size" in message and "PINST_MAX_METADATA_SIZE" in message
    pinst(*install, "--max-metadata-size", "4M")
    assert (site_packages(venv) / NAME).exists()


def test_a_wheel_download_in_nested_gzip_encodings_is_refused_within_bounded_memory(
    pinst: Pinst, server: IndexServer, tmp_path: Path, bomb: bytes
) -> None:
    """A download asks for no encoding; a server that applies two anyway (httpx would inflate
    each piece through both at once: 64 KiB to gigabytes) is refused, not followed."""
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.raw_pages[f"/files/{wheel.name}"] = RawPage(
        gzip_of_bytes(bomb),
        {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip, gzip"},
    )
    run = run_limited(pinst, "install", "demo==1.0", "--venv", tmp_path / "venv", "-i", server.url)
    error = one_error(run)
    assert wheel.name in error and "content encoding 'gzip, gzip'" in error
