"""A hostile network, end to end: ``pinst install`` against a real server that misbehaves.

Each fault is retried where that can help and recovers when the server does; otherwise the run
ends with one error paragraph that names the URL and the requirement, exit status 1, nothing
unverified in the cache and the venv as it was. Credentials reach the server and nowhere else.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from tests.support.index_server import Fault, IndexServer, closed_port_url, file_path
from tests.support.runner import Pinst, Run
from tests.support.venvs import run_python, site_packages
from tests.support.wheels import build_wheel

STALL_TIMEOUT = "0.5"  # seconds: short, so that a stalled server costs the tests little
# For every other test: long enough that a busy machine never times out a good response.
TIMEOUT = "10"
ATTEMPTS = 4  # the first request and 3 retries
PAGE = "/simple/demo/"


def demo(server: IndexServer) -> Path:
    return build_wheel(server.directory, "demo", "1.0", files={"demo.py": "VALUE = 42\n" * 500})


def tree(path: Path) -> dict[str, bytes]:
    return {
        str(item.relative_to(path)): item.read_bytes() if item.is_file() else b""
        for item in sorted(path.rglob("*"))
    }


def files_under(path: Path) -> list[Path]:
    return [item for item in path.rglob("*") if item.is_file()] if path.exists() else []


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with one package installed; the failures below must leave it exactly as it is."""
    base = tmp_path_factory.mktemp("network")
    wheels = base / "wheels"
    build_wheel(wheels, "present", "1.0")
    (base / "work").mkdir()
    setup = Pinst(base / "cache", base / "work")
    setup("install", "present==1.0", "--venv", base / "venv", "--no-index", "-f", wheels)
    return base / "venv"


def install(
    pinst: Pinst,
    venv: Path,
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: str = TIMEOUT,
) -> Run:
    return pinst("install", "--venv", venv, "--timeout", timeout, *args, check=False, env=env)


def timeout_for(fault: Fault) -> str:
    return STALL_TIMEOUT if fault.stall or fault.stall_midway else TIMEOUT


def failure(run: Run) -> str:
    """The error of a failed run, after checking it is one paragraph and nothing else."""
    assert run.returncode == 1, run.output
    assert run.stderr.startswith("error: "), run.stderr
    assert run.stderr.count("\n") == 1, run.stderr  # one paragraph, no traceback, no noise
    return run.stderr


def assert_nothing_unverified(cache_dir: Path) -> None:
    """No wheel, no unpacked entry, no page and no temporary file came out of a failed run."""
    for bucket in ("wheels-v1", "entries-v1", "pages-v1", "tmp-v1"):
        assert files_under(cache_dir / bucket) == [], bucket


def target_url(server: IndexServer, wheel: Path, target: str) -> tuple[str, str]:
    """(path on the server, full URL) of the index page or of the wheel."""
    if target == "page":
        return PAGE, f"{server.url}/demo/"
    return file_path(wheel.name), server.file_url(wheel.name)


# Fault -> what the error says happened. Each is transient: worth retrying.
TRANSIENT = {
    "reset": (Fault(reset=True), "connection reset by peer"),
    "truncated": (Fault(truncate=True), "the connection closed after"),
    "content-length-too-long": (Fault(length_error=100), "the connection closed after"),
    "disconnected": (Fault(disconnect=True), "closed the connection without answering"),
    "500": (Fault(status=500), "HTTP 500 Internal Server Error"),
    "502": (Fault(status=502), "HTTP 502 Bad Gateway"),
    "503": (Fault(status=503), "HTTP 503 Service Unavailable"),
    "429": (Fault(status=429, retry_after="0"), "HTTP 429 Too Many Requests"),
    "stalled": (Fault(stall=30), f"the server sent nothing for {STALL_TIMEOUT} s"),
    "stalled-midway": (Fault(stall_midway=30), f"the server sent nothing for {STALL_TIMEOUT} s"),
}


@pytest.mark.parametrize("target", ["page", "wheel"])
@pytest.mark.parametrize("name", TRANSIENT)
def test_a_fault_that_persists_fails_cleanly_after_retries(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, name: str, target: str
) -> None:
    fault, says = TRANSIENT[name]
    wheel = demo(server)
    path, url = target_url(server, wheel, target)
    server.inject(path, *[fault] * ATTEMPTS)
    before = tree(venv)

    message = failure(
        install(pinst, venv, "demo==1.0", "-i", server.url, timeout=timeout_for(fault))
    )

    assert message.startswith("error: the command line: demo==1.0: Could not download"), message
    assert url in message
    assert says in message
    assert f"tried {ATTEMPTS} times" in message
    assert server.requests[path] == ATTEMPTS
    assert tree(venv) == before
    if target == "page":
        assert_nothing_unverified(cache_dir)
    else:  # the page was fine, and may stay; no part of the wheel may
        assert files_under(cache_dir / "wheels-v1") == []
        assert files_under(cache_dir / "tmp-v1") == []


@pytest.mark.parametrize("target", ["page", "wheel"])
@pytest.mark.parametrize("name", TRANSIENT)
def test_a_fault_that_passes_is_retried_and_the_install_succeeds(
    pinst: Pinst, server: IndexServer, tmp_path: Path, name: str, target: str
) -> None:
    fault, _ = TRANSIENT[name]
    wheel = demo(server)
    path, _ = target_url(server, wheel, target)
    server.inject(path, fault)
    venv = tmp_path / "venv"

    run = install(pinst, venv, "demo==1.0", "-i", server.url, timeout=timeout_for(fault))

    assert run.returncode == 0, run.output
    assert server.requests[path] == 2
    assert run_python(venv, "import demo; print(demo.VALUE)") == "42\n"


@pytest.mark.parametrize("target", ["page", "wheel"])
def test_retry_after_is_honoured(
    pinst: Pinst, server: IndexServer, tmp_path: Path, target: str
) -> None:
    wheel = demo(server)
    path, _ = target_url(server, wheel, target)
    server.inject(path, Fault(status=429, retry_after="0.6"))

    run = install(pinst, tmp_path / "venv", "demo==1.0", "-i", server.url, "-v")

    assert run.returncode == 0, run.output
    first, second = server.request_times[path]
    assert second - first >= 0.6  # as the server asked, not the 0.01 s backoff of the tests
    assert "HTTP 429 Too Many Requests; retrying in 0.60 s" in run.stderr


def test_timeout_from_the_environment(pinst: Pinst, server: IndexServer, venv: Path) -> None:
    wheel = demo(server)
    server.inject(file_path(wheel.name), *[Fault(stall=30)] * ATTEMPTS)
    started = time.monotonic()
    run = pinst(
        "install",
        "demo==1.0",
        "--venv",
        venv,
        "-i",
        server.url,
        check=False,
        env={"PINST_HTTP_TIMEOUT": "0.3"},
    )
    assert "the server sent nothing for 0.3 s" in failure(run)
    assert "--timeout" in run.stderr
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan"])
def test_a_bad_timeout_is_a_usage_error(pinst: Pinst, tmp_path: Path, value: str) -> None:
    run = pinst("install", "demo==1.0", "--venv", tmp_path / "v", "--timeout", value, check=False)
    assert run.returncode == 2 and "--timeout" in run.stderr
    run = pinst(
        "install",
        "demo==1.0",
        "--venv",
        tmp_path / "v",
        check=False,
        env={"PINST_HTTP_TIMEOUT": value},
    )
    assert run.returncode == 2 and "PINST_HTTP_TIMEOUT" in run.stderr
    assert not (tmp_path / "v").exists()


def test_connection_refused_by_the_index(pinst: Pinst, venv: Path, cache_dir: Path) -> None:
    index = closed_port_url()
    before = tree(venv)
    message = failure(install(pinst, venv, "demo==1.0", "-i", index))
    assert f"{index}/demo/" in message and "demo==1.0" in message
    assert "connection refused" in message
    assert f"tried {ATTEMPTS} times" in message
    assert tree(venv) == before
    assert_nothing_unverified(cache_dir)


def test_connection_refused_for_a_wheel_url(pinst: Pinst, venv: Path, cache_dir: Path) -> None:
    url = closed_port_url().replace("/simple", "/files/demo-1.0-py3-none-any.whl")
    before = tree(venv)
    message = failure(install(pinst, venv, f"demo @ {url}", "--no-index"))
    assert message.startswith(f"error: the command line: demo @ {url}: Could not download {url}")
    assert "connection refused" in message
    assert f"tried {ATTEMPTS} times" in message
    assert tree(venv) == before
    assert_nothing_unverified(cache_dir)


def test_content_length_too_short_for_a_wheel_is_caught_by_the_hash(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path
) -> None:
    wheel = demo(server)
    server.inject(file_path(wheel.name), Fault(length_error=-100))
    before = tree(venv)
    message = failure(install(pinst, venv, "demo==1.0", "-i", server.url))
    assert "demo==1.0" in message and server.file_url(wheel.name) in message
    assert "does not match the index's hash" in message
    assert server.requests[file_path(wheel.name)] == 1  # a wrong file is not a passing fault
    assert tree(venv) == before
    assert files_under(cache_dir / "wheels-v1") == []
    assert files_under(cache_dir / "tmp-v1") == []


def test_content_length_too_short_without_any_hash(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path
) -> None:
    wheel = demo(server)
    server.inject(file_path(wheel.name), Fault(length_error=-100))
    url = server.file_url(wheel.name)
    before = tree(venv)
    message = failure(install(pinst, venv, f"demo @ {url}", "--no-index"))
    assert url in message and "is not a complete wheel" in message
    assert tree(venv) == before
    assert_nothing_unverified(cache_dir)


def test_content_length_too_short_for_a_page(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, tmp_path: Path
) -> None:
    demo(server)
    server.inject(PAGE, Fault(length_error=-40))
    before = tree(venv)
    message = failure(install(pinst, venv, "demo==1.0", "-i", server.url))
    assert message.startswith("error: the command line: demo==1.0: The index page")
    assert f"{server.url}/demo/" in message and "not a simple-API JSON page" in message
    assert tree(venv) == before
    assert_nothing_unverified(cache_dir)  # the broken page is not cached...

    run = install(pinst, tmp_path / "new", "demo==1.0", "-i", server.url)
    assert run.returncode == 0, run.output
    assert server.requests[PAGE] == 2  # ...so the next run asks again, and gets a good one


def test_a_redirect_loop_is_not_retried(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path
) -> None:
    demo(server)
    server.inject(PAGE, *[Fault(status=302, location=PAGE)] * 100)
    message = failure(install(pinst, venv, "demo==1.0", "-i", server.url))
    assert "demo==1.0" in message and f"{server.url}/demo/" in message
    assert "redirects in a loop" in message
    assert server.requests[PAGE] == 21  # httpx's limit of 20 redirects, once
    assert_nothing_unverified(cache_dir)


def test_one_failed_download_does_not_wait_for_another_ones_retries(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, tmp_path: Path
) -> None:
    missing = build_wheel(server.directory, "missing", "1.0")
    busy = build_wheel(server.directory, "busy", "1.0")
    server.inject(file_path(missing.name), Fault(status=404))
    server.inject(file_path(busy.name), *[Fault(status=429, retry_after="25")] * ATTEMPTS)
    started = time.monotonic()

    message = failure(install(pinst, venv, "missing==1.0", "busy==1.0", "-i", server.url))

    assert time.monotonic() - started < 15  # not the 25 s the busy server asked for
    assert "missing==1.0" in message and "HTTP 404" in message
    assert files_under(cache_dir / "wheels-v1") == []
    assert files_under(cache_dir / "tmp-v1") == []


# Credentials: used, and never shown or stored.

USER, SECRET = "alice", "s3cret-Pa55"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_secret_nowhere(run: Run, *places: Path, secret: str = SECRET) -> None:
    token = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    for text in (secret, token):
        assert text not in run.output, run.output
        for place in places:
            for path in files_under(place):
                assert text.encode() not in path.read_bytes(), path


def test_credentials_in_the_index_url(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    wheel = demo(server)
    server.auth = (USER, SECRET)
    venv = tmp_path / "venv"

    run = install(pinst, venv, "demo==1.0", "-i", server.url_with_credentials(USER, SECRET), "-v")

    assert run.returncode == 0, run.output
    # The page and the wheel on the index's host were both fetched with the credentials.
    assert server.headers_seen[PAGE]["Authorization"] == basic(USER, SECRET)
    assert server.headers_seen[file_path(wheel.name)]["Authorization"] == basic(USER, SECRET)
    assert_secret_nowhere(run, cache_dir, venv)


@pytest.mark.parametrize("where", ["NETRC", "home"])
def test_credentials_from_netrc(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path, where: str
) -> None:
    wheel = demo(server)
    server.auth = (USER, SECRET)
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc" if where == "home" else tmp_path / "credentials"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\n")
    netrc.chmod(0o600)
    env = {"HOME": str(home), "NETRC": str(netrc) if where == "NETRC" else ""}
    venv = tmp_path / "venv"

    run = install(pinst, venv, "demo==1.0", "-i", server.url, "-v", env=env)

    assert run.returncode == 0, run.output
    assert server.headers_seen[PAGE]["Authorization"] == basic(USER, SECRET)
    assert server.headers_seen[file_path(wheel.name)]["Authorization"] == basic(USER, SECRET)
    assert_secret_nowhere(run, cache_dir, venv)


def test_a_netrc_pinst_cannot_parse_is_named_but_not_quoted(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    demo(server)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} {SECRET}\n")  # "password" left out
    venv = tmp_path / "venv"

    run = install(pinst, venv, "demo==1.0", "-i", server.url, env={"NETRC": str(netrc)})

    assert run.returncode == 0, run.output
    assert f"warning: Ignoring {netrc}: pinst cannot parse it" in run.stderr
    assert_secret_nowhere(run, cache_dir, venv)


def test_rejected_credentials_are_not_shown(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path
) -> None:
    demo(server)
    server.auth = (USER, "the-right-one")
    run = install(pinst, venv, "demo==1.0", "-i", server.url_with_credentials(USER, SECRET), "-v")
    message = failure(run)
    assert "HTTP 401" in message and "demo==1.0" in message
    assert f"http://{USER}:****@127.0.0.1:{server.port}/simple/demo/" in message
    assert_secret_nowhere(run, cache_dir, venv)


@pytest.mark.parametrize("userinfo", [f"{USER}:{SECRET}", SECRET], ids=["password", "token"])
def test_network_errors_do_not_show_credentials(
    pinst: Pinst, server: IndexServer, venv: Path, cache_dir: Path, userinfo: str
) -> None:
    demo(server)
    server.inject(PAGE, *[Fault(reset=True)] * ATTEMPTS)
    index = server.url.replace("//", f"//{userinfo}@", 1)
    # -v also prints every retry, with the URL.
    run = install(pinst, venv, "demo==1.0", "-i", index, "-v")
    assert run.returncode == 1
    assert "retrying in" in run.stderr
    assert "****@127.0.0.1" in run.stderr
    assert_secret_nowhere(run, cache_dir, venv)


def test_credentials_do_not_follow_a_redirect_to_another_host(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    wheel = demo(server)
    server.auth = (USER, SECRET)
    with IndexServer(tmp_path / "cdn") as cdn:
        (cdn.directory / wheel.name).write_bytes(wheel.read_bytes())
        server.inject(file_path(wheel.name), Fault(status=302, location=cdn.file_url(wheel.name)))
        index = server.url_with_credentials(USER, SECRET)

        run = install(pinst, tmp_path / "venv", "demo==1.0", "-i", index)

        assert run.returncode == 0, run.output
        assert server.headers_seen[file_path(wheel.name)]["Authorization"] == basic(USER, SECRET)
        assert "authorization" not in map(str.lower, cdn.headers_seen[file_path(wheel.name)])


def test_a_direct_url_with_credentials(
    pinst: Pinst, server: IndexServer, tmp_path: Path, cache_dir: Path
) -> None:
    wheel = demo(server)
    server.auth = (USER, SECRET)
    url = server.file_url(wheel.name).replace("//", f"//{USER}:{SECRET}@", 1)
    venv = tmp_path / "venv"

    run = install(pinst, venv, f"demo @ {url}", "--no-index", "-v")

    assert run.returncode == 0, run.output
    record = json.loads((site_packages(venv) / "demo-1.0.dist-info/direct_url.json").read_text())
    assert record["url"] == server.file_url(wheel.name)
    assert_secret_nowhere(run, cache_dir, venv)


def test_a_requirement_error_does_not_quote_credentials(
    pinst: Pinst, server: IndexServer, venv: Path, tmp_path: Path
) -> None:
    wheel = demo(server)
    url = server.file_url(wheel.name).replace("//", f"//{USER}:{SECRET}@", 1)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"demo @ {url}\ndemo==2.0\n")
    run = install(pinst, venv, "-r", requirements, "--no-index")
    message = failure(run)
    assert "conflicting pins" in message and f"{USER}:****@" in message
    assert_secret_nowhere(run)


def test_plain_http_to_another_host_warns_once(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo(server)
    server.flavour = "html"  # relative links: the wheel comes from the same remote host
    proxy = {"HTTP_PROXY": server.root, "http_proxy": server.root, "NO_PROXY": "", "no_proxy": ""}

    run = install(
        pinst, tmp_path / "venv", "demo==1.0", "-i", "http://index.example/simple", env=proxy
    )

    assert run.returncode == 0, run.output
    assert server.headers_seen[PAGE]["Host"] == "index.example"
    assert server.requests["/files/demo-1.0-py3-none-any.whl"] == 1
    warnings = [line for line in run.stderr.splitlines() if "plain HTTP" in line]
    assert len(warnings) == 1, run.stderr
    assert warnings[0].startswith("warning: http://index.example is plain HTTP")


def test_plain_http_to_this_machine_does_not_warn(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    demo(server)
    for host in ("127.0.0.1", "localhost"):
        index = f"http://{host}:{server.port}/simple"
        run = install(pinst, tmp_path / host, "demo==1.0", "-i", index)
        assert run.returncode == 0, run.output
        assert "warning" not in run.stderr
