"""Fuzz targets: each feeds bytes to one reader of untrusted input and fails on anything but a
clear ``PinstError``.

The readers are the places where input that someone else controls enters pinst: requirements
and lock files, index pages (both flavours), and wheels (zip container, RECORD, METADATA, WHEEL,
entry points). A reader may refuse any input, but only with a ``PinstError`` (the one paragraph
the user sees); any other exception is a traceback in front of the user, and a bug.

The same functions run under atheris (``run.py``: coverage-guided, for a fixed number of inputs)
and under pytest (``tests/unit/test_fuzz_regressions.py``: every input kept under ``corpus/`` and
``crashers/``, so a crash the fuzzer found once stays fixed).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from pinst._core.errors import PinstError

Target = Callable[[bytes], None]

PAGE_URL = "https://index.invalid/simple/demo/"
# Every scratch file of a run goes below one directory, so that the wheel target can check that
# nothing was written outside the cache it unpacked into.
SCRATCH = Path(tempfile.mkdtemp(prefix="pinst-fuzz-"))


def requirements_file(data: bytes) -> None:
    """A requirements file of any content (``-r``), read as ``pinst install -r`` reads it."""
    from pinst.requirements.read import read_requirements

    with _scratch_file("requirements.txt", data) as path:
        _refusing_only_clearly(lambda: read_requirements([path]))


def lock_file(data: bytes) -> None:
    """A ``pylock.toml`` of any content, read and then selected for this interpreter."""
    from packaging.markers import default_environment
    from packaging.tags import sys_tags

    from pinst.requirements.read import read_requirements

    def read_and_select() -> None:
        lock = read_requirements([path]).lock
        if lock is not None:
            environment = {key: str(value) for key, value in default_environment().items()}
            lock.pins(environment, [str(tag) for tag in sys_tags()])

    with _scratch_file("pylock.toml", data) as path:
        _refusing_only_clearly(read_and_select)


def index_page(data: bytes) -> None:
    """An index page of any content, parsed as PEP 691 JSON and as PEP 503 HTML."""
    from pinst.index.pages import Page, parse_page

    text = data.decode("utf-8", "replace")
    for content_type in ("application/vnd.pypi.simple.v1+json", "text/html"):
        page = Page(url=PAGE_URL, text=text, content_type=content_type)
        _refusing_only_clearly(lambda page=page: parse_page(page, PAGE_URL, PAGE_URL))


def wheel_file(data: bytes) -> None:
    """Any bytes as a downloaded wheel: the zip container and everything in it."""
    _unpack(data)


def wheel_members(data: bytes) -> None:
    """A well-formed zip whose members the input chooses: names, contents, and the metadata
    files (METADATA, WHEEL, entry_points.txt, RECORD), with RECORD right by default so that the
    fuzzer gets past the hash check into everything after it."""
    _unpack(_zip_from(data))


TARGETS: dict[str, Target] = {
    "requirements": requirements_file,
    "lock": lock_file,
    "index-page": index_page,
    "wheel-file": wheel_file,
    "wheel-members": wheel_members,
}


def _refusing_only_clearly(read: Callable[[], object]) -> None:
    try:
        read()
    except PinstError as error:
        message = str(error)
        # One paragraph a person reads, never the input pasted back whole.
        assert message.strip(), "an empty error message"
        assert len(message) < 10_000, f"an error of {len(message)} characters"


class _scratch_file:  # a context manager, named like open()
    def __init__(self, name: str, data: bytes) -> None:
        self.folder = Path(tempfile.mkdtemp(dir=SCRATCH))
        self.path = self.folder / name
        self.path.write_bytes(data)

    def __enter__(self) -> Path:
        self.previous = os.getcwd()
        os.chdir(self.folder)  # relative includes (-r, -c) resolve inside the scratch folder
        return self.path

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.previous)
        _remove(self.folder)


def _unpack(wheel_bytes: bytes) -> None:
    from pinst.cache.layout import Cache
    from pinst.unpack.extract import unpack

    folder = Path(tempfile.mkdtemp(dir=SCRATCH))
    try:
        wheel = folder / "demo-1.0-py3-none-any.whl"
        wheel.write_bytes(wheel_bytes)
        cache = Cache(folder / "cache")
        cache.ensure()
        sha256 = hashlib.sha256(wheel_bytes).hexdigest()
        _refusing_only_clearly(lambda: unpack(wheel, sha256, cache))
        written = {path.name for path in folder.iterdir()}
        assert written == {"cache", wheel.name}, f"written beside the cache: {written}"
    finally:
        _remove(folder)


def _zip_from(data: bytes) -> bytes:
    """A wheel zip whose members are read from ``data``: a sequence of records
    ``name NUL content NUL``, where a name of ``METADATA``, ``WHEEL``, ``entry_points.txt`` or
    ``RECORD`` means that file of the ``demo-1.0.dist-info`` directory."""
    members: dict[str, bytes] = {
        "demo/__init__.py": b"",
        "demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        "demo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    fields = data.split(b"\0")
    for name, content in zip(fields[0::2], fields[1::2], strict=False):
        text = name.decode("utf-8", "replace")
        if text in ("METADATA", "WHEEL", "entry_points.txt", "RECORD"):
            text = f"demo-1.0.dist-info/{text}"
        members[text] = content
    record = "demo-1.0.dist-info/RECORD"
    if record not in members:
        members[record] = _record(members, record)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            try:
                archive.writestr(name, content)
            except (ValueError, UnicodeEncodeError, IndexError):
                continue  # zipfile itself cannot write that name
    return buffer.getvalue()


def _record(members: dict[str, bytes], record: str) -> bytes:
    import base64
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for name, content in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(content)])
    writer.writerow([record, "", ""])
    return out.getvalue().encode()


def _remove(folder: Path) -> None:
    import shutil

    for path in folder.rglob("*"):  # entries are read-only: make them removable
        if not path.is_symlink():
            path.chmod(0o700)
    shutil.rmtree(folder, ignore_errors=True)
