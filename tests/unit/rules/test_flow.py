"""長流水 and suspected leaks: rising in every interval, night use, vacant units, and clearing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rules.engine import RuleEngine
from rules.events import AlarmCleared
from rules.events import AlarmEvent as Event
from rules.library import builtin_rules
from tests.unit.rules.support import local, make_engine, minutes, reading

WATER = tuple(rule for rule in builtin_rules() if rule.id in ("water-running", "vacant-unit-water"))
RISING = """
id = "rising"
kind = "continuous_flow"
targets = { assets = ["B1-0101-W"] }
rising_for = "6h"
"""


class Meter:
    """A water meter read every 15 min; its register starts at 100 m³ and carries on between feeds."""

    def __init__(self, engine: RuleEngine, meter_id: str) -> None:
        self.engine, self.meter_id, self.total = engine, meter_id, 100.0
        self.started = False

    def feed(self, start: datetime, end: datetime, use: Callable[[datetime], float]) -> list[Event]:
        """Readings from `start` to `end` inclusive; `use(ts)` is the m³ used in the interval ending at ts."""
        events: list[Event] = []
        ts = start
        while ts <= end:
            if self.started:
                self.total += use(ts)
            self.started = True
            events += self.engine.on_reading(reading(self.meter_id, ts, total=self.total))
            ts += minutes(15)
        return events


def test_rising_in_every_interval_fires_at_six_hours_not_a_reading_before() -> None:
    engine, _ = make_engine(RISING)
    meter = Meter(engine, "B1-0101-W")
    assert meter.feed(local(1, 0), local(1, 5, 45), lambda ts: 0.001) == []

    [raised] = meter.feed(local(1, 6), local(1, 6), lambda ts: 0.001)
    assert (raised.started_at, raised.raised_at, raised.message_key) == (
        local(1, 0),
        local(1, 6),
        "continuous_flow.rising",
    )


def test_one_still_interval_starts_the_count_again() -> None:
    engine, _ = make_engine(RISING)
    events = Meter(engine, "B1-0101-W").feed(local(1, 0), local(1, 9), lambda ts: 0.0 if ts == local(1, 3) else 0.001)

    assert [(e.started_at, e.raised_at) for e in events] == [(local(1, 3), local(1, 9))]


def leak_from_half_past_one(ts: datetime) -> float:
    return 0.015 / 4 if ts > local(1, 1, 30) else 0.0  # 15 L/h, a running cistern


def test_a_night_leak_fires_when_night_use_passes_twenty_litres() -> None:
    engine, _ = make_engine(rule_list=WATER)

    events = Meter(engine, "B1-0101-W").feed(local(1, 0), local(1, 4), leak_from_half_past_one)

    [raised] = events
    assert (raised.rule_id, raised.asset_id) == ("water-running", "B1-0101-W")
    assert (raised.started_at, raised.raised_at) == (local(1, 1, 30), local(1, 3, 30))
    assert (raised.message_key, raised.evidence["used"], raised.evidence["limit"]) == (
        "continuous_flow.window",
        0.0225,
        0.02,
    )
    assert raised.message("en") == (
        "Water running: B1-0101-W used 0.0225 in 02:00–05:00, above 0.02: suspected leak (since 03-02 01:30)"
    )


def test_night_flushes_are_not_a_leak() -> None:
    engine, _ = make_engine(rule_list=WATER)

    flushes = {local(1, 2, 15), local(1, 3, 30), local(1, 4, 45)}  # three 6 L flushes: 18 L
    assert Meter(engine, "B1-0101-W").feed(local(1, 0), local(1, 6), lambda ts: 0.006 if ts in flushes else 0.0) == []


def test_the_alarm_clears_after_an_hour_without_flow_and_not_before() -> None:
    engine, _ = make_engine(rule_list=WATER)

    def leak_until_ten(ts: datetime) -> float:
        return leak_from_half_past_one(ts) if ts <= local(1, 10) else 0.0

    meter = Meter(engine, "B1-0101-W")
    events = meter.feed(local(1, 0), local(1, 10, 45), leak_until_ten)
    assert [type(e).__name__ for e in events] == ["AlarmRaised"]

    [cleared] = meter.feed(local(1, 11), local(1, 11), lambda ts: 0.0)
    assert isinstance(cleared, AlarmCleared)
    assert (cleared.cleared_at, cleared.evidence["quiet_since"]) == (local(1, 11), "2026-03-02T10:00:00+08:00")


def test_any_real_use_in_a_vacant_unit_is_flagged_but_not_in_an_occupied_one() -> None:
    engine, _ = make_engine(rule_list=WATER)

    def one_use(ts: datetime) -> float:
        return 0.011 if ts == local(1, 14) else 0.0

    occupied = Meter(engine, "B1-0201-W").feed(local(1, 0), local(1, 16), one_use)
    vacant = Meter(engine, "B1-0202-W").feed(local(1, 0), local(1, 16), one_use)

    assert occupied == []
    assert [(type(e).__name__, e.rule_id, e.asset_id) for e in vacant] == [
        ("AlarmRaised", "vacant-unit-water", "B1-0202-W"),
        ("AlarmCleared", "vacant-unit-water", "B1-0202-W"),  # an hour without use; the use is not counted twice
    ]
    assert vacant[0].raised_at == local(1, 14)
    assert isinstance(vacant[1], AlarmCleared)
    assert vacant[1].cleared_at == local(1, 15)
    assert engine.watched() == [
        ("vacant-unit-water", "B1-0202-W"),
        ("water-running", "B1-0101-W"),
        ("water-running", "B1-0102-W"),
        ("water-running", "B1-0201-W"),
        ("water-running", "B2-0101-W"),
    ]
