"""A shared spool file: collector replicas commit into it from their own connections, the hub's consumers read.

Two `Spool` objects on one file hold two SQLite connections, exactly as two processes would.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.reading import Reading
from storage.spool import Spool
from tests.unit.storage.test_spool import open_sqlite as open_spool
from tests.unit.storage.test_spool import reading, totals


def pair(tmp_path: Path, max_readings: int = 1000) -> tuple[Spool, Spool]:
    hub = open_spool(tmp_path, consumers=("store",), shared=True, max_readings=max_readings, poll_s=0.005)
    replica = open_spool(tmp_path, consumers=(), shared=True, max_readings=max_readings)
    return hub, replica


def test_the_hub_takes_what_a_replica_committed(tmp_path: Path) -> None:
    hub, replica = pair(tmp_path)
    assert hub.take_rows(10) == []
    assert replica.accept_many([([reading(1)], "r"), ([reading(2)], "r")]) == 2
    hub.accept([reading(3)], source="hub")
    assert sorted(totals(hub)) == [1.0, 2.0, 3.0]
    assert hub.depth == 3


def test_waiting_for_readings_sees_another_connections_commit(tmp_path: Path) -> None:
    hub, replica = pair(tmp_path)
    assert not hub.wait_for_readings("store", 0.02)
    timer = threading.Timer(0.05, lambda: replica.accept([reading(1)], source="r"))
    timer.start()
    try:
        assert hub.wait_for_readings("store", 10)  # woken by polling, long before the deadline
    finally:
        timer.join()


def test_a_replica_feels_back_pressure_and_room_again_after_the_hub_advances(tmp_path: Path) -> None:
    hub, replica = pair(tmp_path, max_readings=3)
    hub.accept([reading(n) for n in range(3)], source="hub")
    assert replica.accept_many([([reading(9)], "r")]) == 0  # the file is full, whoever filled it
    rows = hub.take_rows(10)
    hub.advance("store", rows[-1][0])
    assert replica.accept_many([([reading(9)], "r")]) == 1
    assert totals(hub) == [9.0]


def test_only_a_shared_spool_may_have_no_consumer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only a shared spool may have none"):
        open_spool(tmp_path, consumers=())


def test_a_replica_keeps_no_commit_history(tmp_path: Path) -> None:
    """A producer never advances a cursor, so it must not remember every commit (it would grow without end)."""
    _, replica = pair(tmp_path)
    for n in range(50):
        replica.accept([Reading("B1-0101-W", reading(n).ts, {"total": float(n)})], source="r")
    assert not replica._commits
