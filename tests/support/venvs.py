"""Venvs for the tests: making one, its paths, running its Python, a second Python to target,
and what pinst left in a venv (every file's content; each RECORD's truth)."""

from __future__ import annotations

import base64
import csv
import glob
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path


def make_venv(path: Path) -> Path:
    """A venv of the Python running the tests, without pip: pinst needs none."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    return venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"


def run_python(venv: Path, code: str) -> str:
    result = subprocess.run(
        [str(venv_python(venv)), "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def other_python(oldest_minor: int) -> str | None:
    """A Python of another minor version than the one running pinst, if this machine has one,
    no older than 3.``oldest_minor`` (the packaging library pinst lends it to probe its tags
    needs a recent enough Python); the newest first, on PATH before pyenv's."""
    for minor in range(14, oldest_minor - 1, -1):
        if minor == sys.version_info[1]:
            continue
        for candidate in (
            shutil.which(f"python3.{minor}"),
            *sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python3.{minor}")),
        ):
            if not candidate:
                continue
            runs = subprocess.run(
                [candidate, "-c", "import venv"], capture_output=True, check=False
            )
            if runs.returncode == 0:  # a pyenv shim of an unselected version exits 127
                return candidate
    return None


def fingerprint(venv: Path) -> dict[str, str]:
    """Every file pinst manages in the venv, with its content (the venv's path normalised)."""
    found = {}
    for path in venv.rglob("*"):
        relative = path.relative_to(venv).as_posix()
        if path.is_dir() or relative.startswith((".pinst", "bin/python", "bin/activate")):
            continue
        if "__pycache__" in relative or relative in ("pyvenv.cfg", "lib64"):
            continue
        content = path.read_bytes().replace(bytes(venv), b"<venv>")
        if path.name == "RECORD":
            content = without_script_hashes(content)
        found[relative] = hashlib.sha256(content).hexdigest()
    return found


def without_script_hashes(record: bytes) -> bytes:
    """RECORD with the hashes of bin/ scripts left out: they name the venv's own Python."""
    rows = record.decode().splitlines()
    return "\n".join(row.split(",")[0] if "/bin/" in row else row for row in rows).encode()


def record_rows(venv: Path, dist_info: str) -> dict[str, tuple[str, str]]:
    """The rows of one installed distribution's RECORD: path -> (hash, size)."""
    with open(site_packages(venv) / dist_info / "RECORD", newline="") as record:
        return {row[0]: (row[1], row[2]) for row in csv.reader(record)}


def assert_record_truthful(venv: Path, dist_info: str) -> None:
    """Every file RECORD lists exists, with the hash and size it gives."""
    root = site_packages(venv)
    for path, (digest, size) in record_rows(venv, dist_info).items():
        target = root / path
        assert target.is_file(), path
        if digest:
            content = target.read_bytes()
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode(), path
            assert int(size) == len(content), path
