"""Consumption spikes against the asset's own baseline: exact firing, hysteresis per window, learning first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rules.engine import RuleEngine
from rules.events import AlarmCleared
from rules.events import AlarmEvent as Event
from tests.unit.rules.support import local, make_engine, reading

SPIKE = """
id = "spike"
kind = "consumption_spike"
targets = { assets = ["B1-0101-E"] }
window = "1d"
factor = 3.0
clear_factor = 2.0
history = 3
min_history = 3
"""


def hourly(engine: RuleEngine, start: datetime, end: datetime, use: Callable[[datetime], float]) -> list[Event]:
    """Hourly readings of B1-0101-E from `start` to `end`; `use(ts)` is the kWh of the hour ending at ts."""
    events: list[Event] = []
    total, ts = 1000.0, start
    while ts <= end:
        total += use(ts) if ts > start else 0.0
        events += engine.on_reading(reading("B1-0101-E", ts, total=total))
        ts += timedelta(hours=1)
    return events


def test_fires_when_todays_use_passes_three_times_the_baseline_and_clears_after_a_normal_day() -> None:
    engine, _ = make_engine(SPIKE, start=local(0, 23))
    spike_hours = {local(4, 10), local(4, 11)}

    def use(ts: datetime) -> float:
        if ts in spike_hours:
            return 5.0
        return 0.25 if ts.date() == local(5, 0).date() else 0.1  # day 5: between the clear and trigger levels

    events = hourly(engine, local(0, 23), local(7, 0), use)

    raised, cleared = events
    assert (raised.rule_id, raised.started_at, raised.raised_at) == ("spike", local(4, 0), local(4, 11))
    assert (raised.evidence["baseline"], raised.evidence["limit"], raised.evidence["used"]) == (2.4, 7.2, 11.0)
    assert isinstance(cleared, AlarmCleared)
    assert cleared.cleared_at == local(7, 0)  # day 5 (6.0 kWh) was above 2 × 2.4, day 6 (2.4 kWh) was not
    assert cleared.evidence["used"] == 2.4


def test_nothing_fires_while_the_baseline_is_being_learnt() -> None:
    engine, _ = make_engine(SPIKE, start=local(0, 23))

    def use(ts: datetime) -> float:
        return 5.0 if ts.date() == local(2, 0).date() else 0.1

    assert hourly(engine, local(0, 23), local(3, 23), use) == []
