"""Downloads into the content-addressed wheel cache, verified before anything is published.

Each file streams into a private directory in the cache's tmp bucket while it is hashed, so
memory stays flat however large the wheel. Only after every expected hash matches, and the file
ends as a zip archive must, is the directory renamed to ``wheels-v1/<sha256>/``: a half-written,
cut-short or tampered file is never visible under a hash it does not have. A failed or cancelled
download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pinst._core.errors import DownloadError, PinstError, naming
from pinst._core.hashing import hash_file
from pinst._core.urls import redact, redact_text
from pinst.cache.layout import Cache, publish_directory
from pinst.network.pace import Pace

if TYPE_CHECKING:
    import httpx

    from pinst.network.retry import RetryPolicy

CHUNK = 1 << 16
# The digests pinst computes. An index hash in another algorithm is ignored; a pin's cannot match,
# so a pin that offers nothing else fails rather than going unchecked.
ALGORITHMS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})


class RemoteFile(Protocol):
    """What a download needs of a file found on an index (``index.files.DistributionFile``)."""

    @property
    def filename(self) -> str: ...
    @property
    def url(self) -> str: ...  # may carry credentials: print redact(url), never url
    @property
    def hashes(self) -> Mapping[str, str]: ...  # algorithm -> lowercase hex


@dataclass(frozen=True)
class DownloadRequest:
    file: RemoteFile
    # Allowed digests per algorithm (a pin's --hash values): the file must match at least one.
    # The index's own hashes, in ``file.hashes``, must each match exactly on top of that.
    expected_hashes: Mapping[str, frozenset[str]]
    label: str  # who asked for the file, e.g. "requirements.txt:12"
    requirement: str = ""  # what asked for it, e.g. "demo==1.0"; redacted, for messages


class _Cancelled(Exception):
    """Another download failed, so this one stops early."""


def find_and_download(
    finders: Sequence[Callable[[], DownloadRequest]],
    cache: Cache,
    client_factory: Callable[[], httpx.Client],
    *,
    workers: int = 8,
    on_progress: Callable[[int], None] | None = None,
    on_size: Callable[[int], None] | None = None,
    retry: RetryPolicy | None = None,
    on_ready: Callable[[int, Path], None] | None = None,
    offline: bool = False,
    pace: Pace | None = None,
) -> list[Path]:
    """The cached, verified wheel for what each finder finds (on an index page, say), in order.

    Each wheel is downloaded as soon as its finder returns, in the same worker thread, so the
    downloads do not wait for the last index page. ``on_progress`` receives the number of bytes
    just written, from the worker threads, and ``on_size`` each download's size once it is known
    (its Content-Length). ``on_ready`` receives each position and wheel as soon
    as it is verified, in this thread, so that the next stage can start on it. The first failure
    (of a finder or a download) is raised; downloads still running then stop at their next
    chunk. ``offline``: a wheel that is neither cached nor a local file is an error.
    """
    ready = on_ready or (lambda _position, _path: None)
    if not finders:
        return []
    job = _Job(
        cache,
        client_factory,
        retry,
        on_progress or (lambda _size: None),
        pace or Pace(cores=workers, most=workers),
        on_size or (lambda _size: None),
    )
    results: list[Path | None] = [None] * len(finders)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(finders)))) as pool:
        futures = {
            pool.submit(job.find_and_fetch, finder, offline): position
            for position, finder in enumerate(finders)
        }
        _collect(futures, results, job.stop, ready)
    return [path for path in results if path is not None]


def _collect(
    futures: dict[Future[Path], int],
    results: list[Path | None],
    stop: threading.Event,
    ready: Callable[[int, Path], None],
) -> None:
    try:
        for future in as_completed(futures):
            position = futures[future]
            results[position] = path = future.result()
            ready(position, path)
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        raise


def _refuse_remote(items: Sequence[DownloadRequest]) -> None:
    for item in items:
        if _local_path(item.file.url) is None:
            why = f"{item.file.filename} was never downloaded"
            raise offline_miss(item.label, item.requirement, why)


def _already_cached(item: DownloadRequest, cache: Cache) -> Path | None:
    """The cached wheel for this request, found by a known sha256 without any download."""
    known = item.file.hashes.get("sha256")
    candidates = [known] if known else sorted(item.expected_hashes.get("sha256", ()))
    for sha256 in candidates:
        # A pin may allow the hashes of several wheels; only this very file will do.
        path = cache.wheel_dir(sha256.lower()) / item.file.filename
        if path.is_file():
            digests = _digest_file(path, _algorithms(item) - {"sha256"})
            _verify(item, {**digests, "sha256": sha256.lower()})
            return path
    return None


class _Turns:
    """Turns to read a response body: one transfer per core at a time, the others wait with
    their headers in (the body keeps arriving into the socket's buffer meanwhile).

    Up to eight threads look up and download at once where the index is far enough to need
    them (``network/pace.py``). Bodies that then arrive fast make reading them CPU work, and eight
    threads reading at once on two cores fought over the GIL: taking turns cut the download
    threads' CPU time and made the cold install faster, both from a local index with eight
    threads and from a PyPI mirror with six (see docs/internals/benchmark-history.md, section
    "Where pinst is behind uv, session by session"). A transfer that has waited ``patience``
    seconds goes ahead anyway: the ones ahead of it are then held up by the network, not by
    the CPU, and must not hold it up.
    """

    def __init__(self, turns: int, patience: float) -> None:
        self._turns = threading.BoundedSemaphore(turns)
        self._patience = patience

    @contextmanager
    def turn(self) -> Iterator[None]:
        taken = self._turns.acquire(timeout=self._patience)
        try:
            yield
        finally:
            if taken:
                self._turns.release()


TRANSFER_PATIENCE = 0.5  # seconds a transfer waits for its turn before it reads anyway


@dataclass
class _Job:
    cache: Cache
    client: Callable[[], httpx.Client]
    retry: RetryPolicy | None
    on_progress: Callable[[int], None]
    pace: Pace
    on_size: Callable[[int], None]
    stop: threading.Event = field(default_factory=threading.Event)
    turns: _Turns = field(default_factory=lambda: _Turns(os.cpu_count() or 1, TRANSFER_PATIENCE))

    def find_and_fetch(self, finder: Callable[[], DownloadRequest], offline: bool) -> Path:
        """The wheel the finder names: from the cache if it holds it, else downloaded."""
        with self.pace.slot():
            if self.stop.is_set():
                raise _Cancelled  # another has failed already: no use looking any further
            item = finder()
            found = _already_cached(item, self.cache)
            if found is not None:
                return found
            if offline:
                _refuse_remote([item])
            return self.fetch(item)

    def fetch(self, item: DownloadRequest) -> Path:
        filename = _safe_filename(item)
        staging = self.cache.temporary_dir("download-")
        try:
            target = staging / filename
            try:
                digests = self._transfer(item, target)
            except OSError as error:
                raise naming(error, target) from None
            _verify(item, digests)
            _check_complete(item, target)
            final = self.cache.wheel_dir(digests["sha256"])
            published = final / filename
            if publish_directory(staging, final) or published.is_file():
                return published
            # Another process stored identical bytes under another name first: use its copy.
            return self.cache.cached_wheel(digests["sha256"]) or published
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # nothing left once published

    def _transfer(self, item: DownloadRequest, target: Path) -> dict[str, str]:
        algorithms = _algorithms(item)
        local = _local_path(item.file.url)
        if local is not None:
            return self._copy_local(item, local, target, algorithms)
        from pinst.network import http, retry

        sized = False  # said once, though a retry sends the header again

        def save(response: httpx.Response) -> dict[str, str]:
            nonlocal sized
            length = response.headers.get("content-length", "")
            if not sized and length.isdigit():
                sized = True
                self.on_size(int(length))
            # The pieces as they come off the connection (at most 64 KiB each): re-cutting
            # them to a fixed size made downloads measurably slower (see "Where pinst is behind
            # uv" in docs/internals/benchmark-history.md). Inflated in bounded steps, should a
            # server encode them anyway: httpx would inflate a bomb in one go.
            with self.turns.turn():
                pieces = http.iter_decoded(response, item.file.url)
                return self._write(pieces, target, algorithms)

        policy = self.retry or retry.RetryPolicy()
        if policy.sleep is time.sleep:
            # Wait on the stop event instead: once another download has failed the run, this
            # one gives up at once, not after its backoff (a Retry-After may ask for 30 s).
            policy = replace(policy, sleep=self._pause)
        try:
            return http.stream(
                self.client(),
                item.file.url,
                save,
                # The bytes on disk must be the bytes the hashes describe, not a decoded form.
                headers={"Accept-Encoding": "identity"},
                policy=policy,
            )
        except PinstError as error:
            raise DownloadError(f"{_who(item)}: {error.message}") from error

    def _pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Cancelled

    def _copy_local(
        self, item: DownloadRequest, source: Path, target: Path, algorithms: frozenset[str]
    ) -> dict[str, str]:
        try:
            with open(source, "rb") as stream:
                self.on_size(os.fstat(stream.fileno()).st_size)
                return self._write(iter(lambda: stream.read(CHUNK), b""), target, algorithms)
        except FileNotFoundError:
            raise PinstError(
                f"{item.label}: {source} does not exist. Check the path or file:// URL, and "
                "that the --find-links directory still holds the wheel."
            ) from None

    def _write(
        self, chunks: Iterable[bytes], target: Path, algorithms: frozenset[str]
    ) -> dict[str, str]:
        # Opened afresh on every attempt: a retried download starts again from byte zero.
        hashers = {name: hashlib.new(name) for name in algorithms}
        with open(target, "wb") as out:
            for chunk in chunks:
                if self.stop.is_set():
                    raise _Cancelled
                out.write(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
                self.on_progress(len(chunk))
        return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _who(item: DownloadRequest) -> str:
    return f"{item.label}: {item.requirement}" if item.requirement else item.label


def _check_complete(item: DownloadRequest, path: Path) -> None:
    """A wheel is a zip archive, whose directory is at its very end: a file cut short lacks it.

    The hashes catch that too, when there are any; without them, this keeps a download that a
    server's wrong Content-Length cut short out of the cache.
    """
    if not zipfile.is_zipfile(path):
        raise DownloadError(
            f"{_who(item)}: {item.file.filename} from {redact(item.file.url)} is not a complete "
            "wheel (no zip directory at its end): it was cut short, for example by a server "
            "that announced a wrong Content-Length, or it is no wheel at all. Try again; if it "
            "persists, tell whoever publishes the file."
        )


def _algorithms(item: DownloadRequest) -> frozenset[str]:
    named = {*item.file.hashes, *item.expected_hashes}
    return frozenset({"sha256", *(name for name in named if name in ALGORITHMS)})


def _verify(item: DownloadRequest, actual: Mapping[str, str]) -> None:
    for algorithm, expected in item.file.hashes.items():
        if algorithm in actual and actual[algorithm] != expected.lower():
            raise _mismatch(item, actual, {algorithm: frozenset({expected})}, from_index=True)
    allowed = {
        name: {value.lower() for value in values} for name, values in item.expected_hashes.items()
    }
    if any(allowed.values()) and not any(
        actual.get(name) in values for name, values in allowed.items()
    ):
        raise _mismatch(item, actual, item.expected_hashes, from_index=False)


def _mismatch(
    item: DownloadRequest,
    actual: Mapping[str, str],
    expected: Mapping[str, frozenset[str]],
    *,
    from_index: bool,
) -> PinstError:
    wanted = "; ".join(
        f"{name}:{value}" for name, values in sorted(expected.items()) for value in sorted(values)
    )
    got = "; ".join(f"{name}:{actual[name]}" for name in sorted(expected) if name in actual)
    if from_index:
        advice = (
            "The download was corrupted, or the index or a mirror serves a file that differs "
            "from its own listing. Try again; if it persists, report it to the index operator."
        )
    else:
        advice = (
            "If the wheel was rebuilt or the pin's version changed, the --hash values in "
            f"{item.label} are stale: update them. Otherwise the index or a "
            "mirror is serving a different file from the one you pinned; do not install it."
        )
    source = "the index's hash" if from_index else "any --hash of the pin"
    return PinstError(
        f"{_who(item)}: {item.file.filename} from "
        f"{redact(item.file.url)} does not match {source}. Expected {wanted}; got {got}. "
        f"{advice}"
    )


def _safe_filename(item: DownloadRequest) -> str:
    name = item.file.filename
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise PinstError(
            f"{item.label}: {redact(item.file.url)} has no usable file name ({name!r}). "
            "Point at a .whl file."
        )
    return name


def _local_path(url: str) -> Path | None:
    """The local file a ``file://`` URL or a plain path names; None for a network URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    # No scheme, or a Windows drive letter: a path. Other schemes are left to the HTTP layer,
    # which explains what it cannot fetch.
    return Path(url) if len(parts.scheme) <= 1 else None


def _digest_file(path: Path, algorithms: Iterable[str]) -> dict[str, str]:
    algorithms = list(algorithms)
    if not algorithms:
        return {}  # a cache hit named by its sha256 needs no reading at all
    digests, _ = hash_file(path, algorithms)
    return {name: digest.hex() for name, digest in digests.items()}


def offline_miss(origin: object, requirement: str, why: str) -> PinstError:
    """The one error for a requirement that --offline cannot satisfy from the cache."""
    return PinstError(
        f"{origin}: {redact_text(requirement)}: the cache lacks its wheel ({why}), and --offline "
        "forbids the network. Run the install once online to fill the cache."
    )
