"""A real package index on 127.0.0.1, serving a folder of files as a simple repository.

Routes::

    /simple/<normalized-name>/   PEP 691 JSON when the Accept header asks for it, else PEP 503 HTML
    /files/<filename>            the file's bytes

Tests steer it through plain attributes (``yanked``, ``requires_python``, ``hash_override``,
``faults``, ``auth``, ...) and check ``requests`` (a Counter of paths) to prove that a run made
no network requests, or retried, and ``request_times`` to see how long it waited in between.
As a proxy (``HTTP_PROXY``), it serves any host's ``/simple/`` and ``/files/`` paths as its own.
Use it as a context manager; a test module's fixture can be::

    @pytest.fixture
    def server(tmp_path: Path) -> Iterator[IndexServer]:
        with IndexServer(tmp_path / "index") as running:
            yield running
"""

from __future__ import annotations

import base64
import collections
import hashlib
import html
import json
import shutil
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

if TYPE_CHECKING:
    import httpx

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour for one request to a path.

    Before any response: ``stall`` waits that many seconds (or until the server stops, or until
    ``release_stalls``);
    ``disconnect`` then closes the connection without a response; a ``status`` other than 200
    answers with that code, an empty body and the ``Retry-After`` and ``Location`` headers given.
    Otherwise the real response goes out, broken as asked:

    - ``truncate``: the full Content-Length, half of the body, then the connection closes;
    - ``reset``: the same, but the connection is reset (RST) instead of closed;
    - ``stall_midway``: half of the body, then a wait of that many seconds, then the rest;
    - ``length_error``: a Content-Length this many bytes off the real length (positive: longer
      than the body), the whole body, then the connection closes.
    """

    status: int = 200
    retry_after: str | None = None
    location: str | None = None
    disconnect: bool = False
    stall: float = 0.0
    truncate: bool = False
    reset: bool = False
    stall_midway: float = 0.0
    length_error: int = 0

    @property
    def breaks_body(self) -> bool:
        return self.truncate or self.reset or bool(self.stall_midway or self.length_error)


@dataclass(frozen=True)
class RawPage:
    """A response served as it is for one path, instead of what the index would make of it.

    ``body`` is the bytes to send, or a file to stream them from; ``headers`` go out as given
    (a ``Content-Encoding`` among them is not applied here: the body is already encoded).
    Without ``content_length``, the body goes out unframed, until the connection closes.
    """

    body: bytes | Path
    headers: dict[str, str]
    content_length: bool = True

    def size(self) -> int:
        return self.body.stat().st_size if isinstance(self.body, Path) else len(self.body)


class IndexServer:
    def __init__(
        self, directory: Path, *, flavour: Literal["both", "html", "json"] = "both"
    ) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.flavour = flavour
        self.yanked: dict[str, str] = {}  # filename -> reason ("" for none)
        self.requires_python: dict[str, str] = {}  # filename -> specifier
        self.hash_override: dict[str, str] = {}  # filename -> the (wrong) sha256 to advertise
        self.faults: dict[str, list[Fault | int]] = {}  # path -> what the next requests get
        self.auth: tuple[str, str] | None = None  # require basic auth with these credentials
        self.page_cache_control = "max-age=600"
        self.raw_pages: dict[str, RawPage] = {}  # path -> the response to send, as it is
        self.requests: collections.Counter[str] = collections.Counter()
        self.not_modified: collections.Counter[str] = collections.Counter()  # 304s per path
        self.headers_seen: dict[str, dict[str, str]] = {}  # path -> headers of its last request
        # path -> time.monotonic() of each request, to check the waits between retries
        self.request_times: dict[str, list[float]] = collections.defaultdict(list)
        self.stopping = threading.Event()  # ends every stall at once when the server stops
        self.stalls_released = threading.Event()  # ends the stalls before any response early
        self.lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_class(self))
        self._httpd.daemon_threads = True
        # A short poll interval lets shutdown() return quickly: every test stops a server.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/simple"

    def url_with_credentials(self, user: str, password: str) -> str:
        return (
            f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/simple"
        )

    def file_url(self, filename: str) -> str:
        return f"{self.root}{file_path(filename)}"

    def inject(self, path: str, *steps: Fault | int) -> None:
        """Script the responses to the next requests for ``path`` (then it behaves normally)."""
        self.faults[path] = list(steps)

    def release_stalls(self) -> None:
        """End every ``stall`` before a response now, and skip those still to come."""
        self.stalls_released.set()

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def __enter__(self) -> IndexServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self.stalls_released.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_fault(self, path: str) -> Fault:
        with self.lock:
            steps = self.faults.get(path)
            step = steps.pop(0) if steps else 200
        return Fault(status=step) if isinstance(step, int) else step

    def project_files(self, project: str) -> list[Path]:
        return sorted(
            path
            for path in self.directory.iterdir()
            if path.is_file() and _project_of(path.name) == project
        )

    def sha256(self, path: Path) -> str:
        return self.hash_override.get(path.name) or hashlib.sha256(path.read_bytes()).hexdigest()

    def json_page(self, project: str, files: list[Path]) -> bytes:
        entries = []
        for path in files:
            entry: dict[str, object] = {
                "filename": path.name,
                "url": self.file_url(path.name),  # absolute here, relative in the HTML flavour
                "hashes": {"sha256": self.sha256(path)},
            }
            if path.name in self.requires_python:
                entry["requires-python"] = self.requires_python[path.name]
            if path.name in self.yanked:
                entry["yanked"] = self.yanked[path.name] or True
            entries.append(entry)
        page = {"meta": {"api-version": "1.0"}, "name": project, "files": entries}
        return json.dumps(page).encode()

    def html_page(self, project: str, files: list[Path]) -> bytes:
        anchors = []
        for path in files:
            attributes = [f'href="../../files/{quote(path.name)}#sha256={self.sha256(path)}"']
            if path.name in self.requires_python:
                spec = html.escape(self.requires_python[path.name])
                attributes.append(f'data-requires-python="{spec}"')
            if path.name in self.yanked:
                attributes.append(f'data-yanked="{html.escape(self.yanked[path.name])}"')
            anchors.append(f"<a {' '.join(attributes)}>{html.escape(path.name)}</a><br/>")
        body = "\n".join(anchors)
        page = f"<!DOCTYPE html>\n<html><head><title>Links for {project}</title></head>\n"
        return f"{page}<body><h1>Links for {project}</h1>\n{body}\n</body></html>\n".encode()


def file_path(filename: str) -> str:
    return f"/files/{quote(filename)}"


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (a timeout, on purpose) breaks the pipe we then write to.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_class(server: IndexServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        index = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    index: IndexServer
    request_path: str
    protocol_version = "HTTP/1.1"  # keep-alive, as a real index, so client pooling is exercised

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        # A proxy gets the absolute URL (GET http://host/simple/...): serve it as its path, so
        # this server can stand in for a remote host through HTTP_PROXY.
        path = self.request_path = urlsplit(self.path).path
        with self.index.lock:
            self.index.requests[path] += 1
            self.index.request_times[path].append(time.monotonic())
            self.index.headers_seen[path] = dict(self.headers.items())
        fault = self.index.next_fault(path)
        if fault.stall:
            self.index.stalls_released.wait(fault.stall)
        if fault.disconnect:
            self.close_connection = True
            return
        if fault.status != 200:
            extra = {"Retry-After": fault.retry_after, "Location": fault.location}
            headers = {name: value for name, value in extra.items() if value is not None}
            self._respond(fault.status, b"", "text/plain", headers)
            return
        if not self._authorized():
            self._respond(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="index"'})
            return
        self._route(path, fault)

    def _route(self, path: str, fault: Fault) -> None:
        raw = self.index.raw_pages.get(path)
        if raw is not None:
            self._raw(raw)
        elif path.startswith("/simple/"):
            self._page(path.removeprefix("/simple/").strip("/"), fault)
        elif path.startswith("/files/"):
            self._file(unquote(path.removeprefix("/files/")), fault)
        else:
            self._respond(404, b"not found", "text/plain")

    def _authorized(self) -> bool:
        if self.index.auth is None:
            return True
        user, password = self.index.auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _page(self, name: str, fault: Fault) -> None:
        project = canonicalize_name(name)
        files = self.index.project_files(project)
        if name != project or not files:
            self._respond(404, b"no such project", "text/plain")
            return
        if self._wants_json():
            body, content_type = self.index.json_page(project, files), JSON_TYPE
        else:
            body, content_type = self.index.html_page(project, files), HTML_TYPE
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Cache-Control": self.index.page_cache_control, "Vary": "Accept"}
        if self.headers.get("If-None-Match") == etag:
            with self.index.lock:
                self.index.not_modified[self.request_path] += 1
            self._respond(304, b"", None, headers)
            return
        self._respond(200, body, content_type, headers, fault)

    def _wants_json(self) -> bool:
        if self.index.flavour != "both":
            return self.index.flavour == "json"
        return JSON_TYPE in self.headers.get("Accept", "")

    def _raw(self, raw: RawPage) -> None:
        self.send_response(200)
        for key, value in raw.headers.items():
            self.send_header(key, value)
        if raw.content_length:
            self.send_header("Content-Length", str(raw.size()))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if isinstance(raw.body, bytes):
            self.wfile.write(raw.body)
            return
        with open(raw.body, "rb") as file:
            shutil.copyfileobj(file, self.wfile, 1024 * 1024)

    def _file(self, filename: str, fault: Fault) -> None:
        path = self.index.directory / filename
        if "/" in filename or not path.is_file():
            self._respond(404, b"no such file", "text/plain")
            return
        if fault.breaks_body:
            self._respond(200, path.read_bytes(), "application/octet-stream", {}, fault)
            return
        # Streamed, so that serving a huge wheel does not load it into the test process.
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with open(path, "rb") as file:
            shutil.copyfileobj(file, self.wfile, 1024 * 1024)

    def _respond(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        fault: Fault = Fault(),
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body) + fault.length_error))
        self.end_headers()
        if fault.breaks_body:
            self._send_broken(body, fault)
        else:
            self.wfile.write(body)

    def _send_broken(self, body: bytes, fault: Fault) -> None:
        half = len(body) // 2
        self.wfile.write(body[:half])
        self.wfile.flush()
        # The framing is broken either way: the connection cannot carry another request.
        self.close_connection = True
        if fault.reset:
            # Linger on, with a timeout of 0: closing sends RST instead of FIN. The socket closes
            # for real only when its last file object (rfile) does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        elif not fault.truncate:
            if fault.stall_midway:
                self.index.stopping.wait(fault.stall_midway)
            self.wfile.write(body[half:])


class Clients:
    """A shared client factory, as pinst's SharedClient, that records the clients it builds."""

    def __init__(self, timeout: float | None = None) -> None:
        self.built: list[httpx.Client] = []
        self.timeout = timeout
        self._lock = threading.Lock()

    def __call__(self) -> httpx.Client:
        from pinst.network.client import create_client

        with self._lock:
            if not self.built:
                self.built.append(create_client(self.timeout))
            return self.built[0]

    def close(self) -> None:
        for client in self.built:
            client.close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple"
