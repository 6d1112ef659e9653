"""The rules worker with one asset's readings committed interleaved by two producers (a share group's replicas).

Two replicas each get every other reading of an elevator; replica B commits 1.5 s after replica A. A noise
alarm (above 55 dB for 60 s) must start at the one quiet reading's successor and fire once, 60 s later: not
lost, not twice, and not early on A's loud readings while B's quiet one is still on its way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.validation import ReadingValidator
from rules.engine import RuleEngine
from rules.events import AlarmEvent, AlarmRaised
from rules.reorder import ReorderBuffer
from rules.worker import RulesWorker
from storage.points import Point
from storage.spool import Spool
from tests.unit.rules.support import T0, rules, seconds, site

NOISE = """
id = "noise"
kind = "threshold"
severity = "warning"
targets = { assets = ["B1-L1"] }
field = "noise_db"
above = 55.0
clear = 52.0
for = "60s"
"""
QUIET_AT = 31  # B's reading: the loud stretch that counts starts at 32 s and fires at 92 s
LAG = {0: 0.1, 1: 1.5}  # seconds from a reading's time to its commit, for replica A (even) and B (odd)


class Dispatcher:
    def __init__(self) -> None:
        self.delivered: list[AlarmEvent] = []

    def work_orders(self, events: Sequence[AlarmEvent], /) -> None:
        self.delivered += events

    def annotations(self, events: Sequence[AlarmEvent], /) -> list[Point]:
        return []


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def spool(tmp_path: Path, clock: FakeClock) -> Iterator[Spool]:
    spool = Spool(tmp_path / "spool.db", ReadingValidator(AssetRegistry.from_site(site()), clock), clock,
                  consumers=("rules",))  # fmt: skip
    yield spool
    spool.close()


def run(spool: Spool, clock: FakeClock, hold: timedelta, extra: Sequence[tuple[float, Reading]] = ()) -> RulesWorker:
    """Commit each reading when its replica would, stepping and ticking the worker every quarter second."""
    engine = RuleEngine(rules(NOISE), site(), clock)
    worker = RulesWorker(spool, engine, Dispatcher(), lambda _: None, consumer="rules", clock=clock, reorder=hold)
    stream = [
        (n + LAG[n % 2], Reading("B1-L1", T0 + seconds(n), {"noise_db": 50.0 if n == QUIET_AT else 60.0}))
        for n in range(120)
    ]
    pending = sorted([*stream, *extra], key=lambda item: item[0])
    for quarter in range(4 * 130):
        clock.set(T0 + seconds(quarter / 4))
        while pending and T0 + seconds(pending[0][0]) <= clock.now():
            spool.accept([pending.pop(0)[1]], source="replica")
        worker.step()
        worker.tick()
    return worker


def raised(worker: RulesWorker) -> list[tuple[datetime, datetime]]:
    assert isinstance(worker.dispatcher, Dispatcher)
    return [(e.started_at, e.raised_at) for e in worker.dispatcher.delivered if isinstance(e, AlarmRaised)]


def test_a_reorder_hold_longer_than_the_lag_fires_once_at_the_right_time(spool: Spool, clock: FakeClock) -> None:
    worker = run(spool, clock, hold=seconds(2))
    assert raised(worker) == [(T0 + seconds(QUIET_AT + 1), T0 + seconds(QUIET_AT + 61))]
    assert worker.stats.late == 0
    assert worker.stats.judged == 120


def test_a_replayed_reading_is_late_and_raises_nothing_twice(spool: Spool, clock: FakeClock) -> None:
    """A broker redelivers a reading a replica committed but did not ack in time: counted late, judged once."""
    again = Reading("B1-L1", T0 + seconds(QUIET_AT + 61), {"noise_db": 60.0})
    worker = run(spool, clock, hold=seconds(2), extra=[(QUIET_AT + 65.0, again)])
    assert raised(worker) == [(T0 + seconds(QUIET_AT + 1), T0 + seconds(QUIET_AT + 61))]
    assert worker.stats.late == 1


def test_without_a_hold_the_lagging_replica_is_late_and_the_alarm_fires_early(spool: Spool, clock: FakeClock) -> None:
    """What the hold is for: with none, B's readings come behind A's newer ones and the quiet one is skipped."""
    worker = run(spool, clock, hold=timedelta(0))
    assert raised(worker) == [(T0, T0 + seconds(60))]
    assert worker.stats.late > 0


def test_the_cursor_never_passes_a_held_reading(spool: Spool, clock: FakeClock) -> None:
    """A crash while readings are held: the spool still has them for the next start."""
    engine = RuleEngine(rules(NOISE), site(), clock)
    worker = RulesWorker(spool, engine, Dispatcher(), lambda _: None, consumer="rules", clock=clock,
                         reorder=seconds(2))  # fmt: skip
    spool.accept([Reading("B1-L1", T0, {"noise_db": 60.0})], source="a")
    worker.step()
    spool.accept([Reading("B1-L1", T0 + seconds(1), {"noise_db": 60.0})], source="a")
    clock.advance(seconds(1))
    worker.step()
    assert len(worker.reorder) == 2 and spool.lag("rules") == 2
    clock.advance(seconds(1))
    worker.step()  # the first one's hold is over; the second, newer, waits out its own
    assert len(worker.reorder) == 1 and spool.lag("rules") == 1


def test_release_sorts_each_asset_and_keeps_newer_readings_held() -> None:
    buffer = ReorderBuffer(seconds(2))
    a = [Reading("A", T0 + seconds(s), {"v": s}) for s in (3, 1, 2)]
    buffer.add(enumerate(a, start=1), T0)
    buffer.add([(4, Reading("A", T0 + seconds(0), {"v": 0})), (5, Reading("B", T0, {"v": 9}))], T0 + seconds(1))
    assert buffer.release(T0 + seconds(1.9)) == []
    assert [r.ts for r in buffer.release(T0 + seconds(2))] == [T0 + seconds(s) for s in (0, 1, 2, 3)]
    assert len(buffer) == 1 and buffer.safe_through(5) == 4
    assert buffer.tick_horizon(T0 + seconds(2)) == T0 - timedelta(microseconds=1)  # B's reading is still held
    with pytest.raises(ValueError, match="negative"):
        ReorderBuffer(seconds(-1))
