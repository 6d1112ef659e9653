"""Two simulated days of a small building with the built-in rules: a leak on night one and the corridor
lights stuck on from 07:00 on day two must give exactly two alarms, at exactly the right times."""

from __future__ import annotations

import time as wallclock
from datetime import datetime, timedelta

from core.clock import FakeClock
from core.reading import FieldValue, Reading
from core.site_loader import parse_site
from rules.engine import RuleEngine
from rules.events import AlarmEvent as Event
from rules.events import AlarmRaised
from rules.library import effective_rules
from rules.machine import Status
from tests.unit.rules.support import ZONE, MemoryStateStore

SITE = """
[site]
id = "scenario"
name = "Scenario Court"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 2
unit_layout = { last_floor = 2, units_per_floor = 2 }
units = [{ id = "B1-0202", vacant = true }]

[[areas]]
id = "B1-corridor"
kind = "corridor"
building = "B1"

[[areas]]
id = "B1-lobby"
kind = "lobby"
building = "B1"

[[areas]]
id = "garage"
kind = "garage"

[[meter_groups]]
utilities = ["water", "electricity"]

[[elevators]]
id = "B1-L1"
building = "B1"
highest_floor = 2
expected_interval_s = 60

[[circuits]]
id = "B1-CORRIDOR-LIGHT"
area = "B1-corridor"

[[circuits]]
id = "B1-LOBBY-LIGHT"
area = "B1-lobby"

[[circuits]]
id = "GARAGE-LIGHT"
area = "garage"
"""

START = datetime(2026, 3, 2, 0, 0, tzinfo=ZONE)  # night one is the night into Monday 2 March
LEAK_FROM = START + timedelta(hours=1, minutes=30)
STUCK_FROM = START + timedelta(days=1, hours=7)
OCCUPIED = ("B1-0101", "B1-0102", "B1-0201")


def hhmm(ts: datetime) -> int:
    local = ts.astimezone(ZONE)
    return local.hour * 100 + local.minute


def household_water(unit: str, end: datetime) -> float:
    """m³ used in the 15 minutes ending at `end`: morning, lunch, evening, a late flush; nothing at night."""
    at = hhmm(end)
    use = 0.0
    if 700 <= at <= 800:
        use = 0.012
    elif at == 1215:
        use = 0.008
    elif 1845 <= at <= 2130:
        use = 0.01
    elif at == 2245 or (unit == "B1-0102" and at == 300):  # B1-0102 gets up once at night: one 6 L flush
        use = 0.006
    if unit == "B1-0101" and end > LEAK_FROM:
        use += 0.015 / 4  # a running cistern, 15 L/h
    return use


def household_electricity(end: datetime) -> float:
    return 0.2 if 1800 <= hhmm(end) <= 2300 else 0.05


def lights_on(circuit: str, ts: datetime) -> bool:
    if circuit == "GARAGE-LIGHT":
        return True
    if circuit == "B1-CORRIDOR-LIGHT" and ts >= STUCK_FROM:
        return True
    return hhmm(ts) < 630 or hhmm(ts) >= 1800


def elevator(minute: int) -> dict[str, FieldValue]:
    moving = minute % 4 == 0
    return {
        "state": "moving" if moving else "idle",
        "door": "closed" if moving else "open",
        "floor": 1 + minute % 2,
        "in_door_zone": not moving,
        "vibration": 0.10 + 0.01 * (minute % 3),
        "noise_db": 48.0 + minute % 5,
        "load": 0.2,
        "fault_code": 0,
        "alarm": False,
    }


def run_48_hours(engine: RuleEngine, clock: FakeClock) -> list[Event]:
    totals = {f"{unit}-{kind}": 100.0 for unit in (*OCCUPIED, "B1-0202") for kind in ("W", "E")}
    events: list[Event] = []
    for minute in range(48 * 60):
        ts = START + timedelta(minutes=minute)
        clock.set(ts)
        readings = [
            Reading(c, ts, {"on": lights_on(c, ts)}) for c in ("B1-CORRIDOR-LIGHT", "B1-LOBBY-LIGHT", "GARAGE-LIGHT")
        ]
        readings.append(Reading("B1-L1", ts, elevator(minute)))
        if minute % 15 == 0:
            for meter in totals:
                unit, kind = meter.rsplit("-", 1)
                if minute and unit != "B1-0202":  # the vacant unit uses nothing
                    totals[meter] += household_water(unit, ts) if kind == "W" else household_electricity(ts)
                readings.append(Reading(meter, ts, {"total": totals[meter]}))
        events += engine.on_readings(readings)
        events += engine.on_tick(ts)
    return events


def test_a_night_leak_and_stuck_corridor_lights_give_exactly_two_alarms() -> None:
    clock = FakeClock(START)
    store = MemoryStateStore()
    engine = RuleEngine(effective_rules(()), parse_site(SITE), clock, store=store)
    began = wallclock.perf_counter()

    events = run_48_hours(engine, clock)

    assert wallclock.perf_counter() - began < 10
    assert [(type(e).__name__, e.rule_id, e.asset_id, e.started_at, e.raised_at) for e in events] == [
        ("AlarmRaised", "water-running", "B1-0101-W", LEAK_FROM, START + timedelta(hours=3, minutes=30)),
        (
            "AlarmRaised",
            "lights-left-on",
            "B1-CORRIDOR-LIGHT",
            STUCK_FROM,
            START + timedelta(days=1, hours=8, minutes=30),
        ),
    ]
    leak, lights = events
    assert isinstance(leak, AlarmRaised) and isinstance(lights, AlarmRaised)
    assert (leak.message_key, leak.evidence["used"]) == ("continuous_flow.window", 0.0225)
    assert lights.message_key == "continuous_on.daylight"
    assert engine.open_alarms() == [leak, lights]
    assert sorted(key for key, row in store.rows.items() if row.status == Status.FIRING) == [
        ("lights-left-on", "B1-CORRIDOR-LIGHT"),
        ("water-running", "B1-0101-W"),
    ]
