"""The workload's wheels, downloaded once and served by nginx as a PEP 503 index on 127.0.0.1.

nginx serves static files without measuring itself (Python's http.server would), and its headers
copy PyPI's, so every tool caches what it would cache from the real index: project pages for ten
minutes, files for ever.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import run_quiet
from benchmarks.tools import clean_environment

STAMP = ".workload-sha256"


def download_wheels(pip: Path, workload: Path, wheels: Path) -> list[Path]:
    """Every wheel of `workload` in `wheels`, downloaded from the real index on the first run.

    A stamp with the workload's hash says the directory is complete, so later runs need no
    network.
    """
    digest = hashlib.sha256(workload.read_bytes()).hexdigest()
    stamp = wheels / STAMP
    if not (stamp.exists() and stamp.read_text() == digest):
        print(f"downloading the workload's wheels into {wheels}", file=sys.stderr, flush=True)
        wheels.mkdir(parents=True, exist_ok=True)
        run_quiet(
            [
                str(pip),
                "--isolated",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-r",
                str(workload),
                "-d",
                str(wheels),
            ],
            env=clean_environment(),
        )
        stamp.write_text(digest)
    return sorted(wheels.glob("*.whl"))


def project_name(wheel: Path) -> str:
    """The PEP 503 normalised project name of a wheel file."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-", 1)[0]).lower()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def core_metadata(wheel: Path) -> bytes:
    """The wheel's `.dist-info/METADATA`, served beside it as PEP 658 metadata."""
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            directory, _, file = name.partition("/")
            if directory.endswith(".dist-info") and file == "METADATA":
                return archive.read(name)
    raise ValueError(f"{wheel.name} has no .dist-info/METADATA")


def link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    metadata_sha256: str | None = None  # PEP 658/714: METADATA served at href + ".metadata"

    def anchor(self) -> str:
        attributes = f'href="{html.escape(self.href)}"'
        if self.metadata_sha256:
            value = f"sha256={self.metadata_sha256}"
            attributes += f' data-core-metadata="{value}" data-dist-info-metadata="{value}"'
        return f"<a {attributes}>{html.escape(self.text)}</a><br>"


def write_page(path: Path, title: str, links: list[Link]) -> None:
    """A minimal PEP 503 page: one anchor per link."""
    path.parent.mkdir(parents=True, exist_ok=True)
    anchors = "\n".join(link.anchor() for link in links)
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)}</title></head>"
        f"<body>\n{anchors}\n</body></html>\n"
    )


def build_simple_index(wheels: list[Path], root: Path) -> None:
    """`root/files/<wheel>` (and its `.metadata`, as PyPI serves it), and
    `root/simple/<project>/index.html` linking to them with their hashes."""
    files = root / "files"
    files.mkdir(parents=True)
    projects: dict[str, list[Link]] = {}
    for wheel in wheels:
        link_or_copy(wheel, files / wheel.name)
        metadata = core_metadata(wheel)
        (files / f"{wheel.name}.metadata").write_bytes(metadata)
        href = f"../../files/{wheel.name}#sha256={sha256_hex(wheel.read_bytes())}"
        link = Link(href, wheel.name, metadata_sha256=sha256_hex(metadata))
        projects.setdefault(project_name(wheel), []).append(link)
    for project, links in projects.items():
        write_page(root / "simple" / project / "index.html", f"Links for {project}", links)
    write_page(
        root / "simple" / "index.html",
        "Simple index",
        [Link(f"{project}/", project) for project in sorted(projects)],
    )


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    types {{ text/html html; application/octet-stream whl metadata; }}
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /simple/ {{
            index index.html;
            add_header Cache-Control "max-age=600, public";
        }}
        location /files/ {{
            add_header Cache-Control "max-age=365000000, immutable, public";
        }}
    }}
}}
"""


def nginx_executable() -> str:
    """nginx's path (Debian puts it in /usr/sbin, which a user's PATH may lack), or stop."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise SystemExit("nginx not found: apt-get install nginx (nox -s bench does, as root)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LocalIndex:
    url: str
    access_log: Path

    def requests(self) -> int:
        """Requests served so far (one access-log line each)."""
        with open(self.access_log, "rb") as log:
            return sum(1 for _ in log)


def wait_until_serving(url: str, server: subprocess.Popen[bytes], error_log: Path) -> None:
    deadline = time.monotonic() + 10
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"nginx exited {server.returncode}:\n{error_log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


@contextmanager
def serve(wheels: list[Path], nginx: str = "nginx") -> Iterator[LocalIndex]:
    """Serve `wheels` at http://127.0.0.1:PORT/simple with nginx, stopped on the way out.

    The tree is world-readable: nginx started by root runs its worker as `nobody`.
    """
    work = Path(tempfile.mkdtemp(prefix="pinst-bench-index-", dir="/var/tmp"))
    work.chmod(0o755)
    server: subprocess.Popen[bytes] | None = None
    try:
        build_simple_index(wheels, work / "root")
        (work / "tmp").mkdir()
        port = free_port()
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=work, root=work / "root", port=port))
        (work / "access.log").touch()
        server = subprocess.Popen(
            [nginx, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/simple"
        wait_until_serving(f"{url}/", server, work / "error.log")
        yield LocalIndex(url=url, access_log=work / "access.log")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)
