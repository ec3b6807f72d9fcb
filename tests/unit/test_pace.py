"""How many lookups and downloads run at once follows the index's latency (pace.py)."""

from __future__ import annotations

import threading

import pytest

from pinst.network.client import create_client
from pinst.network.pace import SAMPLE, Pace
from tests.support.index_server import IndexServer
from tests.support.wheels import build_wheel

MS = 0.001


def observed(waits: list[float], cores: int = 2, most: int = 8) -> Pace:
    pace = Pace(cores=cores, most=most)
    for wait in waits:
        pace.observe(wait)
    return pace


@pytest.mark.parametrize(
    ("wait", "slots"),
    [
        (0.3 * MS, 2),  # an index on this machine: one job per core
        (1 * MS, 3),
        (4 * MS, 6),
        (25 * MS, 8),  # a distant index: as many as allowed
    ],
)
def test_slots_follow_the_shortest_wait(wait: float, slots: int) -> None:
    # The first responses of a run are slowed by its own start-up: the shortest one counts.
    assert observed([wait * 5, wait * 3, *[wait] * (SAMPLE - 2)]).slots == slots


def test_nothing_changes_before_enough_responses_or_after_the_decision() -> None:
    assert observed([1.0] * (SAMPLE - 1)).slots == 2
    assert observed([0.1 * MS] * SAMPLE + [1.0] * 20).slots == 2


def test_one_core_and_a_low_ceiling() -> None:
    assert observed([0.1 * MS] * SAMPLE, cores=1).slots == 1
    assert observed([1.0] * SAMPLE, cores=16, most=8).slots == 8


def test_a_job_waits_for_a_free_slot_until_more_are_opened() -> None:
    pace = Pace(cores=1, most=2)
    entered = threading.Event()

    def second_job() -> None:
        with pace.slot():
            entered.set()

    with pace.slot():
        thread = threading.Thread(target=second_job)
        thread.start()
        assert not entered.wait(0.2)  # the only slot is taken
        for _ in range(SAMPLE):
            pace.observe(1.0)  # a distant index: a second slot opens
        assert entered.wait(10)
    thread.join()


def test_the_client_reports_how_long_each_response_took(server: IndexServer) -> None:
    build_wheel(server.directory, "timed", "1.0")
    waits: list[float] = []
    with create_client(on_latency=waits.append) as client:
        client.get(f"{server.url}/timed/")
        with client.stream("GET", f"{server.url}/timed/") as response:
            response.read()
    assert len(waits) == 2 and all(0 < wait < 10 for wait in waits)
