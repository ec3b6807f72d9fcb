"""When pinst may fork its worker processes, and the garbage collector around the fork.

Workers (unpacking, linking) are forked, not spawned: they start at once and share everything
pinst has read. Forking is safe only while the main thread is the only thread: a fork copies
a lock that another thread holds, forever held in the copy.

pinst starts with Python's cyclic garbage collector off (``__main__``). A run builds long-lived
data and next to no reference cycles: modules, requirements, and manifests of tens of thousands
of rows, whose allocation set off collections that could free nothing (3 to 4 ms of a warm
install's single-threaded start). At the fork the order is the one CPython documents for
``gc.freeze``: everything allocated so far is frozen, so a collection in a worker never writes
to the parent's objects and their pages stay shared instead of being copied; then both sides
collect as usual.
"""

from __future__ import annotations

import gc
import sys
import threading


def can_fork() -> bool:
    return (
        sys.platform == "linux"
        and threading.active_count() == 1
        and threading.current_thread() is threading.main_thread()
    )


def before_fork() -> None:
    gc.freeze()


def after_fork() -> None:
    """In each worker, and in pinst once its workers are started."""
    gc.enable()
