"""Unpack wheels as they arrive, in worker processes, one per core.

Unpacking is CPU work done in Python: inflating, hashing every member against RECORD, and the
per-file overhead of creating tens of thousands of files. Threads cannot spread it over cores
(the GIL), processes can (see docs/internals/benchmark-history.md, section "What made the warm
path fast"). The workers start before the downloads do, and each wheel is handed to them the
moment it is downloaded and verified, so unpacking overlaps downloading.

Small jobs stay in this process, where starting workers would cost more than it saves.

Workers are forked from the main thread while it is the only thread (before any download thread
starts): forking a process with other threads running can copy a lock that one of them holds.
A worker dies with pinst (``PR_SET_PDEATHSIG``): a pinst killed halfway leaves no orphan still
writing into the cache, only temporary directories that the next run removes.
"""

from __future__ import annotations

import heapq
import os
import shutil
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from pinst._core.errors import PinstError
from pinst._core.forking import after_fork, before_fork, can_fork, worker_died
from pinst._core.limits import UnpackLimits
from pinst.cache.layout import Cache
from pinst.cache.manifest import Manifest
from pinst.unpack.extract import unpack
from pinst.wheel.errors import InvalidWheel

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

MIN_WHEELS_FOR_WORKERS = 4  # fewer wheels than this: starting workers costs more than it saves
PR_SET_PDEATHSIG = 1  # from linux/prctl.h
# What a worker sends back: ("entry", (path, manifest)), or ("error" | "oserror", message).
Outcome = tuple[str, "tuple[str, Manifest] | str"]


class Unpacker:
    """Takes downloaded wheels one by one (``submit``) and gives back their entries (``entries``).

    Use it as a context manager around the downloads: on leaving, work not started is cancelled.

    The workers take the largest wheel waiting, not the first to arrive: downloads finish small
    wheels first and the largest last, and a large wheel unpacked last runs on alone while the
    other cores idle (numpy did so at the end of the benchmark's cold install).
    """

    def __init__(
        self, entries: Cache, limits: UnpackLimits, downloads: Cache, expected: int
    ) -> None:
        self.entries = entries
        self.limits = limits
        self.downloads = downloads
        self.pool, self.workers = _start_pool(expected)
        # Each worker busy, and one more wheel queued so that none waits for this thread.
        self.slots = len(self.workers) + 1
        self.waiting: list[tuple[int, int, Path]] = []  # a heap: (-size, index, wheel)
        self.running: dict[Future[Outcome], int] = {}
        self.done: dict[int, tuple[Path, Manifest]] = {}
        self.on_unpacked: Callable[[], None] = lambda: None  # after each wheel, for progress

    def __enter__(self) -> Unpacker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, index: int, wheel: Path) -> None:
        """Unpack the wheel (named ``<sha256>/<file>.whl`` in the cache) as item ``index``."""
        if self.pool is None:
            self.done[index] = unpack_or_discard(wheel, self.entries, self.limits, self.downloads)
            self.on_unpacked()
            return
        heapq.heappush(self.waiting, (-wheel.stat().st_size, index, wheel))
        self._collect(wait_for_one=False)

    def entries_in_order(self, count: int) -> list[tuple[Path, Manifest]]:
        """The entries of items 0 to count - 1, once all are unpacked; the first error raised."""
        while self.running:
            self._collect(wait_for_one=True)
        return [self.done[index] for index in range(count)]

    def _collect(self, *, wait_for_one: bool) -> None:
        """Take the results of finished wheels (raising the first error), then hand the
        largest waiting wheels to the free workers."""
        try:
            self._take_results_and_hand_out(wait_for_one)
        except BrokenProcessPool:
            assert self.pool is not None  # only a pool breaks
            raise _worker_died(self.pool, self.workers) from None

    def _take_results_and_hand_out(self, wait_for_one: bool) -> None:
        if wait_for_one:
            wait(self.running, return_when=FIRST_COMPLETED)
        for future in [future for future in self.running if future.done()]:
            index = self.running.pop(future)
            self.done[index] = _result(future.result())
        pool = self.pool
        while pool is not None and self.waiting and len(self.running) < self.slots:
            _, index, wheel = heapq.heappop(self.waiting)
            future = pool.submit(
                _unpack_in_worker, wheel, self.entries, self.limits, self.downloads
            )
            future.add_done_callback(lambda _future: self.on_unpacked())
            self.running[future] = index


def unpack_all(
    wheels: list[Path],
    entries: Cache,
    limits: UnpackLimits,
    downloads: Cache,
    on_unpacked: Callable[[], None] = lambda: None,
) -> list[tuple[Path, Manifest]]:
    """The entry of each wheel, unpacking those not unpacked yet (largest first)."""
    with Unpacker(entries, limits, downloads, len(wheels)) as unpacker:
        unpacker.on_unpacked = on_unpacked
        for index in sorted(range(len(wheels)), key=lambda i: -wheels[i].stat().st_size):
            unpacker.submit(index, wheels[index])
        return unpacker.entries_in_order(len(wheels))


def unpack_or_discard(
    wheel: Path, entries: Cache, limits: UnpackLimits, downloads: Cache
) -> tuple[Path, Manifest]:
    """Unpack ``wheel``; if it is not a valid wheel, delete its download too.

    The error says nothing of the wheel stays in the cache, so nor does the download. (A wheel
    over the limits is kept, for a run with raised limits.)
    """
    try:
        return unpack(wheel, wheel.parent.name, entries, limits)
    except InvalidWheel:
        if wheel.parent.parent == downloads.wheels:
            shutil.rmtree(wheel.parent, ignore_errors=True)
        raise


def _start_pool(expected: int) -> tuple[ProcessPoolExecutor | None, list[BaseProcess]]:
    """Worker processes, all started now, and the processes; None and none where this process
    should unpack by itself."""
    workers = min(os.cpu_count() or 1, expected)
    if workers < 2 or expected < MIN_WHEELS_FOR_WORKERS or not can_fork():
        return None, []
    import multiprocessing

    before_fork()
    try:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        started = pool.submit(os.getpid)  # with fork, the first task starts every worker
    finally:
        after_fork()
    # The pool's processes are pinst's only children: kept to tell how one ended, should it die.
    processes = multiprocessing.active_children()
    try:
        started.result()
    except BrokenProcessPool:
        raise _worker_died(pool, processes) from None
    return pool, processes


def _start_worker(parent: int) -> None:
    """Die with pinst, and leave Ctrl-C and SIGTERM to it (it stops the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    after_fork()  # only now: a signal held since the fork finds the handlers above
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # pinst died before prctl took effect
        os._exit(1)


def _worker_died(pool: ProcessPoolExecutor, processes: list[BaseProcess]) -> PinstError:
    """A worker ended without a result (killed, say), and the pool stopped the others with
    SIGTERM. Once all are gone, the first exit code that is neither 0 nor SIGTERM's tells how."""
    pool.shutdown(wait=True, cancel_futures=True)
    codes = [process.exitcode for process in processes]
    cause = next((code for code in codes if code not in (0, -signal.SIGTERM, None)), None)
    return worker_died(
        "unpacking wheels",
        cause,
        "Nothing was installed, and the cache keeps only what was verified.",
    )


def _unpack_in_worker(
    wheel: Path, entries: Cache, limits: UnpackLimits, downloads: Cache
) -> Outcome:
    """The entry and its manifest, or ("error", message): pinst's errors do not all survive
    pickling.

    The manifest goes back pickled, not read back from the entry: parsing the manifests' JSON
    again cost the main thread time, holding the GIL the download threads need (see
    docs/internals/benchmark-history.md, section "Where pinst is behind uv, session by session").
    """
    try:
        entry, manifest = unpack_or_discard(wheel, entries, limits, downloads)
    except PinstError as error:
        return "error", error.message
    except OSError as error:
        return "oserror", f"{error.errno}\0{error.strerror}\0{error.filename or ''}"
    return "entry", (str(entry), manifest)


def _result(outcome: Outcome) -> tuple[Path, Manifest]:
    kind, value = outcome
    if isinstance(value, str):
        if kind == "oserror":
            number, message, filename = value.split("\0")
            raise OSError(int(number), message, filename or None)
        raise PinstError(value)
    entry, manifest = value
    return Path(entry), manifest
