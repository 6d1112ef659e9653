"""長明燈: on in daylight, on too long; the alarm ends only when the light goes off."""

from __future__ import annotations

from rules.events import AlarmCleared
from rules.library import builtin_rules
from tests.unit.rules.support import local, make_engine, reading, seconds

LIGHTS = tuple(rule for rule in builtin_rules() if rule.id == "lights-left-on")
CORRIDOR = "B1-CORRIDOR-LIGHT"


def test_a_light_on_since_seven_fires_half_an_hour_into_daylight() -> None:
    engine, _ = make_engine(rule_list=LIGHTS, start=local(1, 6))
    engine.on_reading(reading(CORRIDOR, local(1, 7), on=True, power_w=480.0))

    assert engine.on_tick(local(1, 8, 29, 59)) == []
    [raised] = engine.on_tick(local(1, 8, 30))

    assert (raised.rule_id, raised.asset_id, raised.message_key) == (
        "lights-left-on",
        CORRIDOR,
        "continuous_on.daylight",
    )
    assert (raised.started_at, raised.raised_at) == (local(1, 7), local(1, 8, 30))
    assert raised.message("en") == f"Lights left on: {CORRIDOR} is on in daylight (08:00–17:00), on since 03-02 07:00"


def test_a_light_switched_on_at_ten_fires_at_half_past() -> None:
    engine, _ = make_engine(rule_list=LIGHTS, start=local(1, 9))
    engine.on_reading(reading(CORRIDOR, local(1, 10), on=True))

    assert engine.on_tick(local(1, 10, 29, 59)) == []
    assert [e.raised_at for e in engine.on_tick(local(1, 10, 30))] == [local(1, 10, 30)]


def test_lights_on_at_dusk_and_through_the_night_are_normal() -> None:
    engine, _ = make_engine(rule_list=LIGHTS, start=local(1, 12))
    events = []
    for minute in range(16 * 60 + 45, 24 * 60 + 6 * 60 + 30, 1):  # 16:45 to 06:30 next day, every minute
        ts = local(1, 0) + seconds(60 * minute)
        events += engine.on_reading(reading(CORRIDOR, ts, on=True))
        events += engine.on_tick(ts + seconds(30))
    events += engine.on_reading(reading(CORRIDOR, local(2, 6, 30), on=False))

    assert events == []


def test_on_from_dusk_and_never_off_fires_next_morning_in_daylight() -> None:
    engine, _ = make_engine(rule_list=LIGHTS, start=local(1, 12))
    engine.on_reading(reading(CORRIDOR, local(1, 16, 45), on=True))  # 15 min of window left: not enough

    assert engine.on_tick(local(2, 8, 29, 59)) == []
    [raised] = engine.on_tick(local(2, 8, 30))
    assert raised.started_at == local(1, 16, 45)


def test_max_on_alone_fires_exactly_after_sixteen_hours() -> None:
    engine, _ = make_engine(
        """
        id = "max-on"
        kind = "continuous_on"
        targets = { assets = ["GARAGE-LIGHT"] }
        max_on = "16h"
        """,
        start=local(1, 17),
    )
    engine.on_reading(reading("GARAGE-LIGHT", local(1, 18), on=True))

    assert engine.on_tick(local(2, 9, 59, 59)) == []
    [raised] = engine.on_tick(local(2, 10))
    assert (raised.message_key, raised.evidence["max_on_s"]) == ("continuous_on.max_on", 57600.0)


def test_a_stuck_light_stays_one_alarm_past_the_window_and_clears_when_switched_off() -> None:
    engine, _ = make_engine(rule_list=LIGHTS, start=local(1, 6))
    events = []
    for minute in range(7 * 60, 23 * 60):  # on every minute from 07:00 to 23:00
        ts = local(1, 0) + seconds(60 * minute)
        events += engine.on_reading(reading(CORRIDOR, ts, on=True))
        events += engine.on_tick(ts + seconds(30))
    [cleared] = engine.on_reading(reading(CORRIDOR, local(1, 23, 0), on=False))

    assert [e.raised_at for e in events] == [local(1, 8, 30)]
    assert isinstance(cleared, AlarmCleared)
    assert cleared.cleared_at == local(1, 23)


def test_garage_and_lobby_lights_are_not_watched_by_the_builtin_rule() -> None:
    engine, _ = make_engine(rule_list=LIGHTS)

    assert engine.watched() == [("lights-left-on", CORRIDOR)]
