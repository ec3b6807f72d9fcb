"""Memory stays flat whatever the wheel's size: a 1 GiB wheel installs in under 150 MB of RSS.

Downloads stream to disk while hashed, and unpacking streams each member through a small
buffer, so neither holds a wheel in memory. The wheel is written member by member here too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from tests.support.index_server import IndexServer
from tests.support.runner import Pinst, peak_rss_bytes
from tests.support.venvs import site_packages

pytestmark = pytest.mark.slow

GIB = 1024**3
CHUNK = 4 * 1024 * 1024
LIMIT_BYTES = 150 * 1000 * 1000


def write_big_wheel(directory: Path) -> Path:
    """A valid wheel with a 1 GiB data member, streamed to disk (stored: random data is as
    incompressible as the model weights and datasets that make real wheels this big)."""
    wheel = directory / "huge-1.0-py3-none-any.whl"
    record = []
    chunk = os.urandom(CHUNK)
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        digest = hashlib.sha256()
        with archive.open(zipfile.ZipInfo("huge/blob.bin"), "w", force_zip64=True) as member:
            for _ in range(GIB // CHUNK):
                member.write(chunk)
                digest.update(chunk)
        record.append(("huge/blob.bin", digest.digest(), GIB))
        small = {
            "huge/__init__.py": b"",
            "huge-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: huge\nVersion: 1.0\n",
            "huge-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
        }
        for name, content in small.items():
            archive.writestr(name, content)
            record.append((name, hashlib.sha256(content).digest(), len(content)))
        lines = [
            f"{name},sha256={base64.urlsafe_b64encode(raw).rstrip(b'=').decode()},{size}"
            for name, raw, size in record
        ]
        archive.writestr(
            "huge-1.0.dist-info/RECORD", "\n".join([*lines, "huge-1.0.dist-info/RECORD,,"])
        )
    return wheel


def test_a_1_gib_wheel_installs_in_flat_memory(
    pinst: Pinst, server: IndexServer, tmp_path: Path
) -> None:
    write_big_wheel(server.directory)
    venv = tmp_path / "venv"

    cold = peak_rss_bytes(pinst, "install", "huge==1.0", "--venv", venv, "-i", server.url)
    warm = peak_rss_bytes(
        pinst, "install", "huge==1.0", "--venv", tmp_path / "two", "-i", server.url
    )

    assert (site_packages(venv) / "huge" / "blob.bin").stat().st_size == GIB
    assert cold < LIMIT_BYTES, f"download, unpack and link: peak RSS {cold / 1e6:.0f} MB"
    assert warm < LIMIT_BYTES, f"warm install: peak RSS {warm / 1e6:.0f} MB"
