"""When pinst may fork its worker processes, and the garbage collector and signals around the
fork.

Workers (unpacking, linking) are forked, not spawned: they start at once and share everything
pinst has read. Forking is safe only while the main thread is the only thread: a fork copies
a lock that another thread holds, forever held in the copy.

pinst starts with Python's cyclic garbage collector off (``__main__``). A run builds long-lived
data and next to no reference cycles: modules, requirements, and manifests of tens of thousands
of rows, whose allocation set off collections that could free nothing, in a warm install's
single-threaded start (see docs/internals/benchmark-history.md, section "What made the warm
path fast"). At the fork the order is the one CPython documents for
``gc.freeze``: everything allocated so far is frozen, so a collection in a worker never writes
to the parent's objects and their pages stay shared instead of being copied; then both sides
collect as usual.

Ctrl-C and SIGTERM are held (blocked) from just before the fork until each side is ready for
them. A worker starts with pinst's own handlers, which raise an exception to stop the run: a
signal that came before the worker had put in its own would print that exception's traceback
from the worker. Held, it is delivered once the worker's handlers are in place.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading

from pinst._core.errors import PinstError


def can_fork() -> bool:
    return (
        sys.platform == "linux"
        and threading.active_count() == 1
        and threading.current_thread() is threading.main_thread()
    )


HELD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def before_fork() -> None:
    gc.freeze()
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)


def after_fork() -> None:
    """In pinst once its workers are started (also if starting them failed), and in each worker
    once it has set its own signal handlers."""
    gc.enable()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)


def worker_died(doing: str, exit_code: int | None, aftermath: str) -> PinstError:
    """The error for a worker process that ended before reporting on its task: something killed
    it (the kernel's out-of-memory killer, most often) or it crashed.

    ``exit_code`` is as ``multiprocessing`` gives it (minus the signal's number for a signal),
    None if unknown; ``aftermath`` says what became of the run's work.
    """
    if exit_code is not None and exit_code < 0:
        number = -exit_code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "a signal"
        ended = f"was killed by {name} (signal {number})"
    elif exit_code is not None:
        ended = f"exited with status {exit_code}"
    else:
        ended = "ended"
    if exit_code == -signal.SIGKILL:
        advice = (
            "The kernel's out-of-memory killer sends SIGKILL when memory runs out (`dmesg` names "
            "what it killed): free some memory, or give the machine or container more, and run "
            "the same command again."
        )
    else:
        advice = "Run the same command again; if this keeps happening, report it to pinst."
    return PinstError(
        f"A pinst worker process {doing} {ended} before it finished. {aftermath} {advice}"
    )
