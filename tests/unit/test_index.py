"""Finding a project's files on real local indexes and find-links locations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from pinst._core.errors import PinstError
from pinst.index.files import DistributionFile
from pinst.index.finder import Finder
from pinst.index.page_cache import PageCache
from pinst.index.pages import Page, parse_page
from pinst.network.retry import RetryPolicy
from tests.support.index_server import Clients, Fault, IndexServer, closed_port_url
from tests.support.runner import SRC
from tests.support.wheels import build_wheel, sha256_of

FAST = RetryPolicy(base_delay=0.001)
DEMO = canonicalize_name("demo")


def finder(
    clients: Clients,
    *index_urls: str,
    find_links: tuple[str, ...] = (),
    pages: Path | None = None,
    offline: bool = False,
    retry: RetryPolicy = FAST,
) -> Finder:
    return Finder(clients, index_urls, find_links, pages, offline=offline, retry=retry)


def by_name(files: list[DistributionFile]) -> dict[str, DistributionFile]:
    return {file.filename: file for file in files}


@pytest.mark.parametrize("flavour", ["html", "json"])
def test_reads_both_page_flavours(tmp_path: Path, clients: Clients, flavour: str) -> None:
    with IndexServer(tmp_path / "index", flavour=flavour) as server:  # type: ignore[arg-type]
        old = build_wheel(server.directory, "demo", "1.0")
        new = build_wheel(server.directory, "demo", "2.0", tag="py2.py3-none-any")
        (server.directory / "demo-2.0.tar.gz").write_bytes(b"not really an sdist")
        build_wheel(server.directory, "other", "1.0")
        server.requires_python[new.name] = ">=3.8,<4"
        server.yanked[old.name] = "broken <b>build</b>"

        files = by_name(finder(clients, server.url).files(DEMO))

        assert set(files) == {old.name, new.name, "demo-2.0.tar.gz"}
        assert files[new.name].hashes == {"sha256": sha256_of(new)}
        assert files[new.name].requires_python == ">=3.8,<4"
        assert not files[new.name].yanked
        assert files[old.name].yanked
        assert files[old.name].yanked_reason == "broken <b>build</b>"
        assert files[old.name].url == server.file_url(old.name)
        assert files[old.name].origin == server.url
        assert (
            "application/vnd.pypi.simple.v1+json" in server.headers_seen["/simple/demo/"]["Accept"]
        )


def test_yanked_without_reason(server: IndexServer, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.yanked[wheel.name] = ""
    [found] = finder(clients, server.url).files(DEMO)
    assert found.yanked
    assert found.yanked_reason is None


def test_first_index_that_has_the_project_wins(tmp_path: Path, clients: Clients) -> None:
    with IndexServer(tmp_path / "a") as first, IndexServer(tmp_path / "b") as second:
        build_wheel(first.directory, "demo", "1.0")
        build_wheel(second.directory, "demo", "9.0")  # a stranger's upload must not shadow it
        build_wheel(second.directory, "only-second", "1.0")
        search = finder(clients, first.url, second.url)

        assert [file.filename for file in search.files(DEMO)] == ["demo-1.0-py3-none-any.whl"]
        assert second.total_requests() == 0

        [found] = search.files(canonicalize_name("only-second"))
        assert found.origin == second.url
        assert first.requests["/simple/only-second/"] == 1


def test_find_links_directory_adds_to_the_index(server: IndexServer, clients: Clients) -> None:
    build_wheel(server.directory, "demo", "1.0")
    local = server.directory.parent / "wheelhouse"
    extra = build_wheel(local, "demo", "1.1")
    build_wheel(local, "unrelated", "1.0")
    (local / "notes.txt").write_text("not a distribution")

    files = by_name(finder(clients, server.url, find_links=(str(local),)).files(DEMO))

    assert set(files) == {"demo-1.0-py3-none-any.whl", extra.name}
    assert files[extra.name].url == extra.as_uri()
    assert files[extra.name].hashes == {}
    assert files[extra.name].origin == str(local)


def test_find_links_alone_and_as_file_url(tmp_path: Path, clients: Clients) -> None:
    wheel = build_wheel(tmp_path / "wheelhouse", "demo", "1.0")
    search = finder(clients, find_links=((tmp_path / "wheelhouse").as_uri(),))
    assert [file.url for file in search.files(DEMO)] == [wheel.as_uri()]
    assert clients.built == []


def test_find_links_html_page_on_disk(tmp_path: Path, clients: Clients) -> None:
    wheel = build_wheel(tmp_path / "dist", "demo", "1.0")
    page = tmp_path / "links.html"
    page.write_text(
        f'<a href="dist/{wheel.name}#sha256={sha256_of(wheel)}">{wheel.name}</a>\n'
        '<a href="dist/other-1.0-py3-none-any.whl">other</a>\n'
    )
    [found] = finder(clients, find_links=(str(page),)).files(DEMO)
    assert found.url == wheel.as_uri()
    assert found.hashes == {"sha256": sha256_of(wheel)}


def test_find_links_page_over_http(tmp_path: Path, clients: Clients) -> None:
    with IndexServer(tmp_path / "links", flavour="html") as server:
        wheel = build_wheel(server.directory, "demo", "1.0")
        search = finder(clients, find_links=(f"{server.url}/demo/",))
        [found] = search.files(DEMO)
        assert found.url == server.file_url(wheel.name)
        with pytest.raises(PinstError, match="no-such"):
            search.files(canonicalize_name("no-such"))
        assert server.requests["/simple/demo/"] == 1  # read once per run, not per project


def test_unknown_project(server: IndexServer, clients: Clients) -> None:
    build_wheel(server.directory, "demo", "1.0")
    with pytest.raises(PinstError) as raised:
        finder(clients, server.url).files(canonicalize_name("demo-typo"))
    message = raised.value.message
    assert "No project named demo-typo" in message
    assert server.url in message
    assert "check the spelling" in message


def test_missing_find_links_directory(tmp_path: Path, clients: Clients) -> None:
    with pytest.raises(PinstError, match="does not exist"):
        finder(clients, find_links=(str(tmp_path / "nowhere"),)).files(DEMO)


def test_unreachable_index_names_the_url(clients: Clients) -> None:
    url = closed_port_url()
    with pytest.raises(PinstError) as raised:
        finder(clients, url).files(DEMO)
    assert f"{url}/demo/" in raised.value.message
    assert "connection refused" in raised.value.message.lower()


def test_page_request_retried_after_503(server: IndexServer, clients: Clients) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.inject("/simple/demo/", 503, 503)
    assert len(finder(clients, server.url).files(DEMO)) == 1
    assert server.requests["/simple/demo/"] == 3


@pytest.mark.parametrize(
    "fault",
    [Fault(reset=True), Fault(truncate=True), Fault(stall=30), Fault(length_error=50)],
    ids=["reset", "truncated", "stalled", "content-length-too-long"],
)
def test_broken_page_transfers_are_retried(server: IndexServer, fault: Fault) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.inject("/simple/demo/", fault)
    clients = Clients(timeout=0.3 if fault.stall or fault.stall_midway else None)
    try:
        assert len(finder(clients, server.url).files(DEMO)) == 1
    finally:
        clients.close()
    assert server.requests["/simple/demo/"] == 2


def test_page_retry_after_is_honoured_up_to_a_cap(server: IndexServer, clients: Clients) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.inject(
        "/simple/demo/",
        Fault(status=429, retry_after="3"),
        Fault(status=503, retry_after="86400"),  # a day: capped
    )
    slept: list[float] = []
    patient = RetryPolicy(base_delay=0.001, max_delay=30.0, sleep=slept.append)
    assert len(finder(clients, server.url, retry=patient).files(DEMO)) == 1
    assert slept == [3.0, 30.0]


def test_a_page_that_does_not_parse_is_not_cached(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.inject("/simple/demo/", Fault(length_error=-20))  # cuts the JSON short
    with pytest.raises(PinstError, match="not a simple-API JSON page"):
        finder(clients, server.url, pages=cache_dir).files(DEMO)
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []
    assert len(finder(clients, server.url, pages=cache_dir).files(DEMO)) == 1
    assert server.requests["/simple/demo/"] == 2


def test_credentials_in_index_url(server: IndexServer, clients: Clients) -> None:
    wheel = build_wheel(server.directory, "demo", "1.0")
    server.auth = ("alice", "pa55-w0rd")
    [found] = finder(clients, server.url_with_credentials("alice", "pa55-w0rd")).files(DEMO)
    # Files on the index's host get its credentials, and the origin shown to users hides them.
    assert found.url == server.file_url(wheel.name).replace("//", "//alice:pa55-w0rd@", 1)
    assert "pa55-w0rd" not in found.origin
    assert "alice:****@" in found.origin


def test_rejected_credentials_never_shown(server: IndexServer, clients: Clients) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.auth = ("alice", "right")
    with pytest.raises(PinstError) as raised:
        finder(clients, server.url_with_credentials("alice", "wrong-secret")).files(DEMO)
    assert "401" in raised.value.message
    assert "wrong-secret" not in raised.value.message
    assert "alice:****@127.0.0.1" in raised.value.message


def test_fresh_page_cache_needs_no_network(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    first = finder(clients, server.url, pages=cache_dir).files(DEMO)
    assert server.total_requests() == 1

    unused = Clients()
    again = finder(unused, server.url, pages=cache_dir).files(DEMO)

    assert again == first
    assert server.total_requests() == 1
    assert unused.built == []  # no client is even built


def test_cache_served_lookup_never_imports_httpx(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    finder(clients, server.url, pages=cache_dir).files(DEMO)
    # A fresh interpreter, as a warm `pinst install` is: importing httpx alone costs ~50 ms.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pinst.index.finder import Finder\n"
        "def no_client(): raise AssertionError('built a client')\n"
        f"finder = Finder(no_client, [{server.url!r}], [], Path({str(cache_dir)!r}))\n"
        "assert len(finder.files('demo')) == 1\n"
        "assert 'httpx' not in sys.modules, 'imported httpx'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    assert server.total_requests() == 1


def test_stale_page_is_revalidated(server: IndexServer, clients: Clients, cache_dir: Path) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.page_cache_control = "max-age=0"
    first = finder(clients, server.url, pages=cache_dir).files(DEMO)
    again = finder(clients, server.url, pages=cache_dir).files(DEMO)
    assert again == first
    assert server.requests["/simple/demo/"] == 2
    assert server.not_modified["/simple/demo/"] == 1


def test_changed_page_replaces_the_cached_one(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.page_cache_control = "no-cache"
    finder(clients, server.url, pages=cache_dir).files(DEMO)
    build_wheel(server.directory, "demo", "1.1")
    assert len(finder(clients, server.url, pages=cache_dir).files(DEMO)) == 2
    assert server.not_modified["/simple/demo/"] == 0
    assert len(finder(clients, server.url, pages=cache_dir).files(DEMO)) == 2
    assert server.not_modified["/simple/demo/"] == 1


def test_no_store_pages_are_not_cached(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.page_cache_control = "no-store"
    finder(clients, server.url, pages=cache_dir).files(DEMO)
    assert not cache_dir.exists() or not any(cache_dir.iterdir())


def test_page_cache_key_ignores_credentials(tmp_path: Path) -> None:
    cache = PageCache(tmp_path)
    assert cache.path("https://u:p@example.org/simple/x/") == cache.path(
        "https://example.org/simple/x/"
    )


def test_offline_uses_stale_pages_and_never_the_network(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    server.page_cache_control = "max-age=0"
    first = finder(clients, server.url, pages=cache_dir).files(DEMO)
    before = server.total_requests()

    unused = Clients()
    offline = finder(unused, server.url, pages=cache_dir, offline=True)
    assert offline.files(DEMO) == first
    with pytest.raises(PinstError, match="Run once online"):
        offline.files(canonicalize_name("never-seen"))
    assert server.total_requests() == before
    assert unused.built == []


def test_damaged_cache_entry_is_refetched(
    server: IndexServer, clients: Clients, cache_dir: Path
) -> None:
    build_wheel(server.directory, "demo", "1.0")
    finder(clients, server.url, pages=cache_dir).files(DEMO)
    for entry in cache_dir.iterdir():
        entry.write_text("{not json")
    assert len(finder(clients, server.url, pages=cache_dir).files(DEMO)) == 1
    assert server.requests["/simple/demo/"] == 2


def test_html_parsing_details() -> None:
    page = Page(
        url="https://files.example/simple/demo/",
        content_type="text/html",
        text=(
            '<html><head><base href="https://cdn.example/packages/"></head><body>'
            '<a href="demo-1.0-py3-none-any.whl#sha256=ABCD" '
            'data-requires-python="&gt;=3.9" data-yanked>demo</a>'
            '<a href="sub/demo%2B-1.1.tar.gz">sdist</a>'
            '<a href="../">up</a>'
            "</body></html>"
        ),
    )
    files = parse_page(page, "https://files.example/simple", "index")
    assert [file.url for file in files] == [
        "https://cdn.example/packages/demo-1.0-py3-none-any.whl",
        "https://cdn.example/packages/sub/demo%2B-1.1.tar.gz",
    ]
    assert files[0].hashes == {"sha256": "abcd"}
    assert files[0].requires_python == ">=3.9"
    assert files[0].yanked and files[0].yanked_reason is None
    assert files[1].filename == "demo+-1.1.tar.gz"


def test_json_parsing_details() -> None:
    body = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {"filename": "a.whl", "url": "../../f/a.whl", "hashes": {}, "yanked": True},
            {"filename": "b.whl", "url": "https://x/b.whl", "hashes": {"sha256": "FF"}},
        ],
    }
    page = Page("https://i.example/simple/demo/", json.dumps(body), "application/json")
    first, second = parse_page(page, "https://i.example/simple", "index")
    assert first.url == "https://i.example/f/a.whl"
    assert first.yanked and first.yanked_reason is None
    assert second.hashes == {"sha256": "ff"}
    assert not second.yanked


def test_unreadable_json_page() -> None:
    page = Page("https://i.example/simple/demo/", '{"files": 3}', "application/json")
    with pytest.raises(PinstError, match="not a simple-API JSON page"):
        parse_page(page, "https://i.example/simple", "index")


def test_names_are_normalized_for_find_links(tmp_path: Path, clients: Clients) -> None:
    wheel = build_wheel(tmp_path / "wheels", "Zope.Interface", "5.0")
    name = NormalizedName("zope-interface")
    [found] = finder(clients, find_links=(str(tmp_path / "wheels"),)).files(name)
    assert found.filename == wheel.name


@pytest.mark.parametrize("flavour", ["html", "json"])
def test_only_the_wanted_files_are_kept(tmp_path: Path, clients: Clients, flavour: str) -> None:
    """A pin needs the files of its version only: the others on the page are passed over
    before anything is made of them (PyPI's pages list thousands)."""
    with IndexServer(tmp_path / "index", flavour=flavour) as server:  # type: ignore[arg-type]
        for version in ("1.0", "1.1", "2.0"):
            build_wheel(server.directory, "demo", version)
        (server.directory / "demo-1.1.tar.gz").write_bytes(b"not really an sdist")
        asked: list[str] = []

        def of_1_1(filename: str) -> bool:
            asked.append(filename)
            return "-1.1" in filename

        files = finder(clients, server.url).files(DEMO, of_1_1)

    assert sorted(file.filename for file in files) == [
        "demo-1.1-py3-none-any.whl",
        "demo-1.1.tar.gz",
    ]
    assert len(asked) == 4


def test_a_damaged_entry_of_an_unwanted_file_does_not_matter() -> None:
    body = {
        "meta": {"api-version": "1.1"},
        "files": [
            {"filename": "demo-1.0-py3-none-any.whl", "url": "x", "hashes": "not an object"},
            {"filename": "demo-2.0-py3-none-any.whl", "url": "https://x/b.whl", "hashes": {}},
        ],
    }
    page = Page("https://i.example/simple/demo/", json.dumps(body), "application/json")

    (kept,) = parse_page(page, "https://i.example/simple", "index", lambda name: "-2.0" in name)

    assert kept.url == "https://x/b.whl"
    with pytest.raises(PinstError, match="not a simple-API JSON page"):
        parse_page(page, "https://i.example/simple", "index")
