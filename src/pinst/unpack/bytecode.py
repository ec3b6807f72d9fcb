"""Bytecode compiled once per entry and interpreter, in the cache, then linked like sources.

``--compile-bytecode`` makes every venv start fast. Compiling in each venv (as pip and uv do)
costs seconds per venv; pinst compiles an entry once per interpreter cache tag (``cpython-311``),
with the target's own interpreter and several worker processes, into
``entries-v1/<sha256>/bytecode-<tag>/``, a directory published by one atomic rename. The
``.pyc`` files are then linked into each venv's ``__pycache__`` directories. CPython sets a code
object's file name from where it is imported (``_imp._fix_co_filename``), so tracebacks name the
venv's files, not the cache's.

Once per interpreter means across filesystems too: an entry unpacked on a new filesystem takes
the bytecode that another filesystem's entry of the same wheel already has, instead of compiling
again (see ``_copy_compilation``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pinst._core.errors import PinstError
from pinst._core.hashing import hash_file
from pinst.cache.layout import Cache, publish_directory
from pinst.cache.manifest import FILES_DIR, FileRow, Manifest, read_manifest
from pinst.wheel.record import record_hash

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pinst.output.report import Reporter

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
    entries: list[tuple[Path, Manifest]],
    python: Path,
    cache_tag: str,
    cache: Cache,
    workers: int,
    elsewhere: Sequence[Cache] = (),
    reporter: Reporter | None = None,
) -> dict[Path, Compilation]:
    """The bytecode of each entry for this interpreter, compiling those that have none yet.

    An entry with no bytecode here copies it from the same wheel's entry in a cache of
    ``elsewhere`` (other filesystems' caches) when one has it; only the rest are compiled.
    """
    done = {entry: read_compilation(entry, cache_tag) for entry, _ in entries}
    for entry, manifest in entries:
        if done[entry] is None:
            done[entry] = _copy_from_elsewhere(
                entry, manifest, cache_tag, cache, elsewhere, reporter
            )
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
            rows.append((relative, record_hash("sha256", digests["sha256"]), size))
    (staged / BYTECODE_MANIFEST).write_text(json.dumps(sorted(rows)))
    publish_directory(staged, final)  # another pinst may have won the race: same content
    return read_compilation(final.parent, final.name[len("bytecode-") :])


# A .pyc starts with 16 bytes: the interpreter's magic number, flags, then (flags == 0) the
# source's mtime and size, or (flags bit 0 set) the source's hash. See PEP 552.
PYC_HEADER = 16
HASH_BASED = 0b1


def _copy_from_elsewhere(
    entry: Path,
    manifest: Manifest,
    cache_tag: str,
    cache: Cache,
    elsewhere: Sequence[Cache],
    reporter: Reporter | None,
) -> Compilation | None:
    """The bytecode of the same wheel's entry in another cache, copied into ``entry``; or None."""
    for other in elsewhere:
        other_entry = other.entry_dir(entry.name)
        if other_entry == entry or read_compilation(other_entry, cache_tag) is None:
            continue
        staged = cache.temporary_dir(f"bytecode-{entry.name[:12]}-")
        if _copy_compilation(other_entry, entry, manifest, cache_tag, staged):
            if reporter is not None:
                reporter.detail(f"Copied bytecode of {manifest.name} from {other.root}")
            return _publish(staged, bytecode_dir(entry, cache_tag))
        shutil.rmtree(staged, ignore_errors=True)
    return None


def _copy_compilation(
    source_entry: Path, entry: Path, manifest: Manifest, cache_tag: str, staged: Path
) -> bool:
    """Copy ``source_entry``'s bytecode for ``cache_tag`` into ``staged``, made valid for
    ``entry``'s sources; False (and ``staged`` partly written) if any file does not match.

    The two entries hold the same wheel (entries are named by its sha256), but each was unpacked
    at its own time, so their sources have different mtimes, and a timestamp .pyc records its
    source's mtime and size. Each copied .pyc is checked against its own source (it was compiled
    from that file as it is now, and RECORD gives both sources the same hash), then gets the new
    source's mtime in its header: exactly what compiling the new source would write, bar the
    file name inside, which CPython replaces on import anyway.
    """
    other = read_manifest(source_entry)
    compilation = read_compilation(source_entry, cache_tag)
    if other is None or other.rows != manifest.rows or compilation is None:
        return False
    compiled = {path for path, *_ in compilation.rows}
    for source, pyc in _sources(manifest, cache_tag):
        if pyc not in compiled:
            continue  # a source that does not compile, skipped there as it would be here
        try:
            data = (compilation.root / pyc).read_bytes()
            old, new = (
                os.stat(source_entry / FILES_DIR / source),
                os.stat(entry / FILES_DIR / source),
            )
        except OSError:
            return False
        if len(data) < PYC_HEADER:
            return False
        # A hash-based .pyc is valid as it is: both sources have the same hash.
        if not int.from_bytes(data[4:8], "little") & HASH_BASED:
            if data[8:16] != _stamp(old):
                return False  # not compiled from the source as it is now
            data = data[:8] + _stamp(new) + data[PYC_HEADER:]
        destination = staged / pyc
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return True


def _stamp(status: os.stat_result) -> bytes:
    # As importlib writes them: the whole-second mtime and the size, each as 32 bits.
    mtime = int(status.st_mtime) & 0xFFFFFFFF
    size = status.st_size & 0xFFFFFFFF
    return mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
