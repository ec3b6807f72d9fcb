"""Run the packages' installs in forked worker processes, one per core.

Linking a package is system calls (mkdir, link) with a little Python between them. In threads,
the GIL lets only one run that Python at a time and every hand-over of the GIL wakes a sleeping
thread; processes share nothing, and changed the benchmark's venv in less time than two
threads took (see docs/internals/benchmark-history.md, section "What made the warm path fast").

How the work is shared and stopped:

- Each worker reads the number of its next task from a pipe that holds them all, largest
  first; a 4-byte read from a pipe is atomic, so no two workers take the same task.
- A worker writes one line per task to the results pipe: done, or what went wrong.
- The first failure stops the rest: the parent empties the task pipe, so each worker finishes
  the package it is in and exits. So does a worker whose parent died.
- Ctrl-C and SIGTERM are the parent's to handle (workers ignore SIGINT, and take SIGTERM as
  "stop after this package"). The parent returns or raises only once every worker has exited,
  so rolling the venv back never races a worker still linking.

Workers are forked only while this is the process's only thread (forking copies a lock another
thread holds, forever held in the copy); otherwise the tasks run in threads, as they do on
systems without ``fork``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Sequence

from pinst._core.errors import PinstError
from pinst._core.forking import after_fork, before_fork, can_fork, worker_died

Task = Callable[[], None]
NUMBER_SIZE = 4  # bytes per task number in the task pipe
MESSAGE_LIMIT = 3000  # a result line stays below PIPE_BUF, so concurrent writes never interleave


class WorkerFailed(Exception):
    """A worker process hit something other than an OSError or PinstError: a bug in pinst."""


def run_tasks(
    tasks: Sequence[Task],
    workers: int,
    stopping: threading.Event,
    on_done: Callable[[int], None] = lambda _number: None,
) -> None:
    """Run every task, in worker processes where possible, taken in order (put the largest
    first, so that none starts last and runs on alone); raise the first failure.

    ``stopping`` is set on the way out of a failure or interruption (threads check it at their
    pause points); in a worker process, SIGTERM sets it. ``on_done`` gets the number of each
    task that succeeded, in this process (for a progress bar).
    """
    workers = min(workers, len(tasks))
    if workers < 2 or not can_fork():
        _run_in_threads(tasks, max(workers, 1), stopping, on_done)
        return
    _Workers(tasks, workers, stopping, on_done).run()


def _run_in_threads(
    tasks: Sequence[Task],
    workers: int,
    stopping: threading.Event,
    on_done: Callable[[int], None],
) -> None:
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait  # rarely needed

    def run(number: int) -> None:
        tasks[number]()
        on_done(number)

    pool = ThreadPoolExecutor(workers)
    try:
        futures = [pool.submit(run, number) for number in range(len(tasks))]
        wait(futures, return_when=FIRST_EXCEPTION)  # a failure stops the rest: no use going on
        for future in futures:
            if future.done():
                future.result()  # the first failure, raised here
        wait(futures)
    except BaseException:
        stopping.set()  # a package being linked stops at its next pause point
        raise
    finally:
        # On Ctrl-C, SIGTERM or a failure, nothing queued starts any more.
        pool.shutdown(wait=True, cancel_futures=True)


class _Workers:
    def __init__(
        self,
        tasks: Sequence[Task],
        count: int,
        stopping: threading.Event,
        on_done: Callable[[int], None],
    ) -> None:
        self.tasks = tasks
        self.count = count
        self.stopping = stopping
        self.on_done = on_done
        self.pids: list[int] = []

    def run(self) -> None:
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            parent = os.getpid()
            before_fork()
            try:
                for _ in range(self.count):
                    pid = os.fork()
                    if pid == 0:  # the worker: it never returns (after_fork() in _work)
                        os.close(task_write)
                        os.close(result_read)
                        _work(self.tasks, task_read, result_write, parent, self.stopping)
                    self.pids.append(pid)
            finally:
                after_fork()
            os.close(result_write)  # the results pipe ends once every worker has exited
            result_write = -1
            _write_all(task_write, _task_numbers(len(self.tasks)))
            os.close(task_write)  # workers see the end of the tasks once they took them all
            task_write = -1
            self._collect(result_read, task_read)
        except BaseException:
            self.stopping.set()
            if task_write >= 0:
                os.close(task_write)
                task_write = -1
            _drain(task_read)
            self._signal_workers(signal.SIGTERM)  # ends a test's pause (_core/faults.py) at once
            raise
        finally:
            self._wait_for_workers()
            for descriptor in (task_read, task_write, result_read, result_write):
                if descriptor >= 0:
                    os.close(descriptor)

    def _collect(self, result_read: int, task_read: int) -> None:
        """Read a line per task; on the first failure, stop the others, then raise it."""
        buffered = b""
        done = 0
        failure: BaseException | None = None
        while True:
            chunk = os.read(result_read, 65536)
            if not chunk:
                break  # every worker has exited
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                if line.startswith(b"ok "):
                    done += 1
                    self.on_done(int(line[3:]))
                elif failure is None:
                    failure = _failure(line)
                    _drain(task_read)  # the others finish the package they are in, and stop
        if failure is not None:
            raise failure
        if done != len(self.tasks):
            raise worker_died(
                "linking packages into the venv",
                self._first_abnormal_exit(),
                "pinst put the venv back as it was.",
            )

    def _first_abnormal_exit(self) -> int | None:
        """Once every worker has closed the results pipe: wait for them all, and return the
        first exit code that is not 0 (minus the signal's number for a signal)."""
        codes = []
        for pid in self.pids:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                continue
            codes.append(os.waitstatus_to_exitcode(status))
        self.pids = []
        return next((code for code in codes if code != 0), None)

    def _signal_workers(self, number: int) -> None:
        for pid in self.pids:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass

    def _wait_for_workers(self) -> None:
        """Wait for every worker, even through a second Ctrl-C: none may outlive the call."""
        interrupted: BaseException | None = None
        for pid in self.pids:
            while True:
                try:
                    os.waitpid(pid, 0)
                    break
                except ChildProcessError:
                    break
                except KeyboardInterrupt as error:
                    interrupted = error
        self.pids = []
        if interrupted is not None:
            raise interrupted


def _task_numbers(count: int) -> bytes:
    return b"".join(number.to_bytes(NUMBER_SIZE, "little") for number in range(count))


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _drain(task_read: int) -> None:
    """Take every task no worker has started: once the writer has closed, this never blocks."""
    while os.read(task_read, 65536):
        pass


def _work(
    tasks: Sequence[Task],
    task_read: int,
    result_write: int,
    parent: int,
    stopping: threading.Event,
) -> None:
    """A worker's life: take tasks until there are none, or pinst stops or dies."""
    status = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda _number, _frame: stopping.set())
        after_fork()  # only now: a SIGTERM held since the fork finds the handler above
        while not stopping.is_set() and os.getppid() == parent:
            number = os.read(task_read, NUMBER_SIZE)
            if len(number) < NUMBER_SIZE:
                break
            task = int.from_bytes(number, "little")
            os.write(result_write, _outcome(tasks[task], task))
    except BaseException:
        status = 1
    finally:
        os._exit(status)  # never the parent's clean-up: atexit handlers, buffered output


def _outcome(task: Task, number: int) -> bytes:
    try:
        task()
    except OSError as error:
        return _line(["oserror", error.errno, error.strerror, error.filename, error.filename2])
    except PinstError as error:
        return _line(["error", error.message])
    except Exception:
        import traceback  # only for a bug: it imports textwrap, linecache and tokenize

        return _line(["bug", traceback.format_exc()[-MESSAGE_LIMIT:]])
    return b"ok %d\n" % number


def _line(fields: list[object]) -> bytes:
    fields = [str(f)[:MESSAGE_LIMIT] if isinstance(f, str) else f for f in fields]
    return json.dumps(fields).encode() + b"\n"


def _failure(line: bytes) -> BaseException:
    kind, *values = json.loads(line)
    if kind == "oserror":
        number, message, filename, filename2 = values
        return OSError(number, message, filename, None, filename2)
    if kind == "error":
        return PinstError(values[0])
    return WorkerFailed(f"a worker process linking packages failed:\n{values[0]}")
