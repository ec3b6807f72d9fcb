"""Bytecode compiled once per entry and interpreter, in the cache, then linked like sources.

``--compile-bytecode`` makes every venv start fast. Compiling in each venv (as pip and uv do)
costs seconds per venv; pinst compiles an entry once per interpreter cache tag (``cpython-311``),
with the target's own interpreter and several worker processes, into
``entries-v1/<sha256>/bytecode-<tag>/``, a directory published by one atomic rename. The
``.pyc`` files are then linked into each venv's ``__pycache__`` directories. CPython sets a code
object's file name from where it is imported (``_imp._fix_co_filename``), so tracebacks name the
venv's files, not the cache's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from pinst.cache import Cache, publish_directory
from pinst.errors import PinstError
from pinst.hashing import hash_file, record_digest
from pinst.manifest import FILES_DIR, FileRow, Manifest

WORKER_SCRIPT = Path(__file__).with_name("_compile_worker.py")
BYTECODE_MANIFEST = "bytecode.json"


class Compilation(NamedTuple):
    """One entry's bytecode for one interpreter: where it is and what RECORD says of it."""

    root: Path  # the bytecode directory; its files mirror the entry's files/ tree
    rows: tuple[FileRow, ...]  # as a manifest's rows


def bytecode_dir(entry: Path, cache_tag: str) -> Path:
    return entry / f"bytecode-{cache_tag}"


def read_compilation(entry: Path, cache_tag: str) -> Compilation | None:
    root = bytecode_dir(entry, cache_tag)
    try:
        rows = json.loads((root / BYTECODE_MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return Compilation(root, tuple((p, h, s, False) for p, h, s in rows))


def compile_entries(
    entries: list[tuple[Path, Manifest]], python: Path, cache_tag: str, cache: Cache, workers: int
) -> dict[Path, Compilation]:
    """The bytecode of each entry for this interpreter, compiling those that have none yet."""
    done = {entry: read_compilation(entry, cache_tag) for entry, _ in entries}
    missing = [(entry, manifest) for entry, manifest in entries if done[entry] is None]
    if missing:
        staged = {
            entry: cache.temporary_dir(f"bytecode-{entry.name[:12]}-") for entry, _ in missing
        }
        pairs = [
            (str(entry / FILES_DIR / source), str(staged[entry] / pyc))
            for entry, manifest in missing
            for source, pyc in _sources(manifest, cache_tag)
        ]
        _run_workers(python, pairs, workers)
        for entry, _ in missing:
            done[entry] = _publish(staged[entry], bytecode_dir(entry, cache_tag))
    return {entry: compilation for entry, compilation in done.items() if compilation is not None}


def _sources(manifest: Manifest, cache_tag: str) -> list[tuple[str, str]]:
    """(source, bytecode) paths, inside the entry, of every module installed to site-packages."""
    importable = (f"{manifest.data_dir}/purelib/", f"{manifest.data_dir}/platlib/")
    pairs = []
    for path, *_ in manifest.rows:
        if not path.endswith(".py"):
            continue
        if path.startswith(manifest.data_dir + "/") and not path.startswith(importable):
            continue  # scripts, data and headers are not imported from site-packages
        directory, _, filename = path.rpartition("/")
        pyc = f"__pycache__/{filename[: -len('.py')]}.{cache_tag}.pyc"
        pairs.append((path, f"{directory}/{pyc}" if directory else pyc))
    return pairs


def _run_workers(python: Path, pairs: list[tuple[str, str]], workers: int) -> None:
    import subprocess  # only when compiling: a plain install never needs it

    for _, destination in pairs:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
    chunks = [pairs[index::workers] for index in range(workers) if pairs[index::workers]]
    processes = [
        subprocess.Popen(
            [str(python), "-s", "-E", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in chunks
    ]
    # Hand every worker its share first, then wait: the workers compile side by side.
    for process, chunk in zip(processes, chunks, strict=True):
        assert process.stdin is not None
        process.stdin.write("".join(json.dumps(pair) + "\n" for pair in chunk))
        process.stdin.close()
    failures = [
        process.stderr.read() for process in processes if process.wait() != 0 and process.stderr
    ]
    if failures:
        raise PinstError(
            f"Compiling bytecode with {python} failed: {failures[0].strip().splitlines()[-1]}. "
            "Install without --compile-bytecode, or check that this interpreter runs."
        )


def _publish(staged: Path, final: Path) -> Compilation | None:
    rows = []
    for directory, _, names in os.walk(staged):
        for name in names:
            path = os.path.join(directory, name)
            os.chmod(path, 0o444)  # py_compile leaves it writable; hard links share it
            digests, size = hash_file(path, ["sha256"])
            relative = os.path.relpath(path, staged).replace(os.sep, "/")
            rows.append((relative, "sha256=" + record_digest(digests["sha256"]), size))
    (staged / BYTECODE_MANIFEST).write_text(json.dumps(sorted(rows)))
    publish_directory(staged, final)  # another pinst may have won the race: same content
    return read_compilation(final.parent, final.name[len("bytecode-") :])
