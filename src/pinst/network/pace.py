"""How many lookups and downloads run at once: as many as the index's latency needs, no more.

Running requests at once only hides the time each one waits for the network. An index on this
machine, or on its network, answers within a millisecond; there, eight threads at once only
fought over the GIL on two cores: they spent more CPU than two threads did, and the cold
install took longer (see docs/internals/benchmark-history.md, section "Where pinst is behind
uv, session by session"). A distant index answers in tens of milliseconds, and there eight at
once are what keeps the cores busy.

So the jobs start with one slot per core, and the first responses' waits for their headers
decide how many more to open. By Little's law, keeping ``cores`` busy takes
``cores * (1 + wait / work)`` jobs in flight, where ``work`` is the CPU one request costs
(``WORK_PER_REQUEST``, measured on the benchmark's set: see the history page above). The wait
used is the shortest of the first ``SAMPLE`` responses: the network's share, without what the
threads' own start-up and contention add to some of them (the very first responses from an
index on the same machine take longer than the later ones).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

WORK_PER_REQUEST = 0.002  # seconds of CPU a lookup or a download costs (above)
SAMPLE = 6  # responses timed before deciding


class Pace:
    def __init__(self, cores: int, most: int) -> None:
        self._cores = max(1, min(cores, most))
        self._most = most
        self._slots = threading.Semaphore(self._cores)
        self._waits: list[float] = []
        self._opened = self._cores
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for the block (a lookup and its download)."""
        with self._slots:
            yield

    def observe(self, wait: float) -> None:
        """A response's headers came ``wait`` seconds after its request went out."""
        with self._lock:
            if len(self._waits) >= SAMPLE:
                return  # decided already
            self._waits.append(wait)
            if len(self._waits) < SAMPLE:
                return
            self._opened = self._wanted(min(self._waits))
        if self._opened > self._cores:
            self._slots.release(self._opened - self._cores)

    @property
    def slots(self) -> int:
        """How many jobs may run at once now."""
        with self._lock:
            return self._opened

    def _wanted(self, wait: float) -> int:
        return min(self._most, math.floor(self._cores * (1 + wait / WORK_PER_REQUEST)))
