"""Downloads into the cache from a real local server, and the HTTP layer's retries and redaction."""

from __future__ import annotations

import email.utils
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pinst._core.errors import PinstError
from pinst._core.urls import redact, redact_text, strip_credentials
from pinst.cache.layout import Cache
from pinst.index.files import DistributionFile
from pinst.network.download import DownloadRequest, _Turns, find_and_download
from pinst.network.plain_http import warn_if_insecure
from pinst.network.retry import RetryPolicy
from tests.support.index_server import Clients, Fault, IndexServer, closed_port_url, file_path
from tests.support.wheels import build_wheel, sha256_of

FAST = RetryPolicy(base_delay=0.001)


@pytest.fixture
def cache(cache_dir: Path) -> Cache:
    return Cache(cache_dir)


def remote(server: IndexServer, wheel: Path, *, index_hash: str | None = None) -> DistributionFile:
    return DistributionFile(
        filename=wheel.name,
        url=server.file_url(wheel.name),
        hashes={"sha256": index_hash} if index_hash else {},
        requires_python=None,
        yanked=False,
        yanked_reason=None,
        origin=server.url,
    )


def request(file: DistributionFile, **hashes: frozenset[str]) -> DownloadRequest:
    return DownloadRequest(file=file, expected_hashes=hashes, label="requirements.txt:3")


def known(item: DownloadRequest) -> Callable[[], DownloadRequest]:
    """A finder of a file already known, as find_and_download takes them."""
    return lambda: item


def fetch(
    cache: Cache, clients: Clients, *items: DownloadRequest, policy: RetryPolicy = FAST
) -> list[Path]:
    return find_and_download(
        [known(item) for item in items], cache, clients, workers=4, retry=policy
    )


def cache_is_empty(cache: Cache) -> bool:
    stored = list(cache.wheels.rglob("*")) if cache.wheels.exists() else []
    leftovers = list(cache.tmp.iterdir()) if cache.tmp.exists() else []
    return stored == [] and leftovers == []


def test_download_publishes_by_sha256(server: IndexServer, cache: Cache, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    digest = sha256_of(wheel)
    [path] = fetch(cache, clients, request(remote(server, wheel, index_hash=digest)))
    assert path == cache.wheel_dir(digest) / wheel.name
    assert path.read_bytes() == wheel.read_bytes()
    assert list(cache.tmp.iterdir()) == []
    assert server.headers_seen[file_path(wheel.name)]["Accept-Encoding"] == "identity"


def test_cached_wheel_is_not_downloaded_again(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    digest = sha256_of(wheel)
    first = fetch(cache, clients, request(remote(server, wheel, index_hash=digest)))
    unused = Clients()
    by_index = fetch(cache, unused, request(remote(server, wheel, index_hash=digest)))
    by_pin = fetch(cache, unused, request(remote(server, wheel), sha256=frozenset({digest})))
    assert first == by_index == by_pin
    assert server.requests[file_path(wheel.name)] == 1
    assert unused.built == []


def test_results_keep_the_order_of_the_requests(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheels = [build_wheel(server.directory, f"pkg{n}", "1.0") for n in range(12)]
    paths = fetch(cache, clients, *(request(remote(server, wheel)) for wheel in wheels))
    assert [path.name for path in paths] == [wheel.name for wheel in wheels]
    assert [path.parent.name for path in paths] == [sha256_of(wheel) for wheel in wheels]
    assert len(clients.built) == 1  # one pooled client shared by every worker


def test_progress_counts_bytes(server: IndexServer, cache: Cache, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "big", "1.0", files={"big.bin": b"\x01" * 300_000})
    seen: list[int] = []
    finder = known(request(remote(server, wheel)))
    find_and_download([finder], cache, clients, on_progress=seen.append, retry=FAST)
    assert sum(seen) == wheel.stat().st_size


def test_pin_hash_mismatch_stores_nothing(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    stale = "0" * 64
    with pytest.raises(PinstError) as raised:
        fetch(cache, clients, request(remote(server, wheel), sha256=frozenset({stale})))
    message = raised.value.message
    assert message.startswith("requirements.txt:3: demo-1.0-py3-none-any.whl")
    assert server.file_url(wheel.name) in message
    assert stale in message and sha256_of(wheel) in message
    assert "--hash" in message
    assert cache_is_empty(cache)


def test_any_allowed_pin_hash_is_enough(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    sha512 = hashlib.sha512(wheel.read_bytes()).hexdigest()
    allowed = {"sha256": frozenset({"0" * 64, "1" * 64}), "sha512": frozenset({sha512})}
    [path] = fetch(cache, clients, request(remote(server, wheel), **allowed))
    assert path.read_bytes() == wheel.read_bytes()


def test_index_hash_mismatch_stores_nothing(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    listed = "f" * 64
    with pytest.raises(PinstError) as raised:
        fetch(cache, clients, request(remote(server, wheel, index_hash=listed)))
    assert "index's hash" in raised.value.message
    assert listed in raised.value.message
    assert cache_is_empty(cache)


def test_one_failure_among_many(server: IndexServer, cache: Cache, clients: Clients) -> None:
    good = [build_wheel(server.directory, f"good{n}", "1.0") for n in range(5)]
    bad = build_wheel(server.directory, "bad", "1.0")
    items = [request(remote(server, wheel)) for wheel in good]
    items.append(request(remote(server, bad), sha256=frozenset({"0" * 64})))
    with pytest.raises(PinstError, match=r"bad-1\.0"):
        fetch(cache, clients, *items)
    assert not (cache.wheel_dir(sha256_of(bad))).exists()
    assert list(cache.tmp.iterdir()) == []


def test_retries_transient_statuses(server: IndexServer, cache: Cache, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.inject(file_path(wheel.name), 503, 502, 200)
    [path] = fetch(cache, clients, request(remote(server, wheel)))
    assert path.read_bytes() == wheel.read_bytes()
    assert server.requests[file_path(wheel.name)] == 3


def test_honours_retry_after(server: IndexServer, cache: Cache, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.inject(
        file_path(wheel.name),
        Fault(status=429, retry_after="7"),
        Fault(status=429, retry_after="99"),
    )
    slept: list[float] = []
    policy = RetryPolicy(base_delay=0.001, max_delay=20.0, sleep=slept.append)
    fetch(cache, clients, request(remote(server, wheel)), policy=policy)
    assert slept == [7.0, 20.0]  # a server's Retry-After is honoured, up to the cap


def test_exhausted_retries_give_one_clear_error(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.inject(file_path(wheel.name), *[503] * 4)
    with pytest.raises(PinstError) as raised:
        fetch(cache, clients, request(remote(server, wheel)))
    message = raised.value.message
    assert message.startswith("requirements.txt:3: Could not download")
    assert server.file_url(wheel.name) in message
    assert "HTTP 503 Service Unavailable" in message
    assert "tried 4 times" in message
    assert server.requests[file_path(wheel.name)] == 4
    assert cache_is_empty(cache)


def test_connection_refused(cache: Cache, clients: Clients) -> None:
    url = closed_port_url() + "/demo-1.0-py3-none-any.whl"
    file = DistributionFile("demo-1.0-py3-none-any.whl", url, {}, None, False, None, "x")
    with pytest.raises(PinstError) as raised:
        fetch(cache, clients, request(file))
    assert url in raised.value.message
    assert "connection refused" in raised.value.message.lower()


BROKEN_TRANSFERS = {
    "truncated": Fault(truncate=True),
    "disconnected": Fault(disconnect=True),
    "reset": Fault(reset=True),
    "stalled": Fault(stall=30),
    "stalled-midway": Fault(stall_midway=30),
    "content-length-too-long": Fault(length_error=1000),
}


@pytest.mark.parametrize("fault", BROKEN_TRANSFERS.values(), ids=BROKEN_TRANSFERS.keys())
def test_broken_transfers_are_retried(server: IndexServer, cache: Cache, fault: Fault) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0", files={"blob": b"\x00" * 100_000})
    server.inject(file_path(wheel.name), fault)
    clients = Clients(timeout=0.3 if fault.stall or fault.stall_midway else None)
    try:
        [path] = fetch(cache, clients, request(remote(server, wheel, index_hash=sha256_of(wheel))))
    finally:
        clients.close()
    assert path.read_bytes() == wheel.read_bytes()
    assert server.requests[file_path(wheel.name)] == 2
    assert list(cache.tmp.iterdir()) == []


def test_a_stalled_server_times_out_with_the_configured_timeout(
    server: IndexServer, cache: Cache
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.inject(file_path(wheel.name), *[Fault(stall=30)] * 4)
    clients = Clients(timeout=0.2)
    started = time.monotonic()
    try:
        with pytest.raises(PinstError) as raised:
            fetch(cache, clients, request(remote(server, wheel)))
    finally:
        clients.close()
    assert time.monotonic() - started < 5
    assert "the server sent nothing for 0.2 s (tried 4 times)" in raised.value.message
    assert "--timeout" in raised.value.message
    assert cache_is_empty(cache)


def test_a_wheel_cut_short_without_any_hash_is_not_stored(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.inject(file_path(wheel.name), Fault(length_error=-100))
    with pytest.raises(PinstError) as raised:
        fetch(cache, clients, request(remote(server, wheel)))  # no hash from pin or index
    assert "is not a complete wheel" in raised.value.message
    assert server.file_url(wheel.name) in raised.value.message
    assert cache_is_empty(cache)


def test_retry_after_as_a_date(server: IndexServer, cache: Cache, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    later = email.utils.formatdate(time.time() + 10, usegmt=True)
    server.inject(file_path(wheel.name), Fault(status=503, retry_after=later))
    slept: list[float] = []
    policy = RetryPolicy(base_delay=0.001, sleep=slept.append)
    fetch(cache, clients, request(remote(server, wheel)), policy=policy)
    [delay] = slept
    assert 8 <= delay <= 10


def test_credentials_work_and_stay_secret(
    server: IndexServer, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.auth = ("alice", "top-secret-pw")
    file = remote(server, wheel)
    good = file.url.replace("//", "//alice:top-secret-pw@", 1)
    bad = file.url.replace("//", "//alice:wrong-secret-pw@", 1)
    [path] = fetch(cache, clients, request(replace(file, url=good)))
    assert path.read_bytes() == wheel.read_bytes()

    with pytest.raises(PinstError) as raised:
        fetch(
            Cache(cache.root / "other"),
            clients,
            request(replace(file, url=bad)),
        )
    assert "HTTP 401" in raised.value.message
    assert "wrong-secret-pw" not in raised.value.message
    assert "alice:****@" in raised.value.message


def test_netrc_supplies_credentials(
    server: IndexServer, cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.auth = ("bob", "from-netrc")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password from-netrc\n")
    monkeypatch.setenv("NETRC", str(netrc))
    clients = Clients()
    try:
        [path] = fetch(cache, clients, request(remote(server, wheel)))
    finally:
        clients.close()
    assert path.read_bytes() == wheel.read_bytes()


def test_local_files_are_copied_and_verified(
    tmp_path: Path, cache: Cache, clients: Clients
) -> None:
    wheel = build_wheel(tmp_path / "dist", "demo", "1.0")
    digest = sha256_of(wheel)
    as_url = DistributionFile(wheel.name, wheel.as_uri(), {}, None, False, None, "dist")
    as_path = DistributionFile(wheel.name, str(wheel), {}, None, False, None, "dist")
    paths = fetch(cache, clients, request(as_url, sha256=frozenset({digest})), request(as_path))
    assert paths == [cache.wheel_dir(digest) / wheel.name] * 2
    assert clients.built == []

    with pytest.raises(PinstError, match="does not match"):
        fetch(Cache(tmp_path / "c2"), clients, request(as_url, sha256=frozenset({"0" * 64})))
    missing = DistributionFile(
        "gone-1.0-py3-none-any.whl",
        str(tmp_path / "gone-1.0-py3-none-any.whl"),
        {},
        None,
        False,
        None,
        "x",
    )
    with pytest.raises(PinstError, match="does not exist"):
        fetch(cache, clients, request(missing))


def test_unsafe_filename_is_refused(cache: Cache, clients: Clients) -> None:
    file = DistributionFile("../evil.whl", "https://h.example/x", {}, None, False, None, "x")
    with pytest.raises(PinstError, match="no usable file name"):
        fetch(cache, clients, request(file))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@host/simple", "https://user:****@host/simple"),
        ("https://token@host:8443/simple", "https://****@host:8443/simple"),
        ("https://host/simple", "https://host/simple"),
        ("https://a:b@c@host/x#frag", "https://a:****@host/x#frag"),
        ("/local/path", "/local/path"),
    ],
)
def test_redact(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "'demo @ https://u:p4ss@host/d.whl' and --index-url=http://tok@h:1/simple",
            "'demo @ https://u:****@host/d.whl' and --index-url=http://****@h:1/simple",
        ),
        (
            "see https://host/a@b and mail me@example.org",
            "see https://host/a@b and mail me@example.org",
        ),
        ("https://a:b@c@host/x", "https://a:****@host/x"),
        ("already https://u:****@host/", "already https://u:****@host/"),
    ],
)
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_strip_credentials() -> None:
    assert strip_credentials("https://u:p@host:1/x?q") == "https://host:1/x?q"


def test_plain_http_warns_once_per_remote_host(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pinst"):
        warn_if_insecure("http://mirror.invalid/simple/a/")
        warn_if_insecure("http://mirror.invalid/simple/b/")
        warn_if_insecure("http://user:pw@other.invalid/simple/")
        warn_if_insecure("https://secure.invalid/simple/")
        warn_if_insecure("http://127.0.0.1:8000/simple/")
        warn_if_insecure("http://[::1]:8000/simple/")
        warn_if_insecure("http://localhost/simple/")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "mirror.invalid" in messages[0] and "other.invalid" in messages[1]
    assert all("pw" not in message for message in messages)


def test_retry_base_delay_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINST_RETRY_BASE_DELAY", "0.25")
    assert RetryPolicy().base_delay == 0.25
    monkeypatch.setenv("PINST_RETRY_BASE_DELAY", "soon")
    with pytest.raises(PinstError, match="PINST_RETRY_BASE_DELAY"):
        RetryPolicy()


def test_a_transfer_waits_for_its_turn_only_so_long() -> None:
    # Taking turns saves CPU when bodies arrive fast; a transfer held up by the network must
    # not hold the others up for longer than their patience.
    turns = _Turns(1, patience=0.05)
    with turns.turn():  # the only turn, taken by a transfer that goes on and on
        started = time.monotonic()
        with turns.turn():  # another goes ahead without one
            waited = time.monotonic() - started
    assert 0.04 <= waited < 5
    # The turn taken is given back, and only that one.
    assert turns._turns.acquire(blocking=False)
    assert not turns._turns.acquire(blocking=False)
