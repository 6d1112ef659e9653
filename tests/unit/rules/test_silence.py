"""Silence: fires on ticks with no readings at all, counts from the last reading, clears on the next one."""

from __future__ import annotations

from rules.events import AlarmCleared, AlarmRaised
from rules.library import builtin_rules
from tests.unit.rules.support import T0, make_engine, minutes, reading, seconds

SILENT = tuple(rule for rule in builtin_rules() if rule.id == "silent-asset")
METER_ONLY = """
id = "silent"
kind = "silence"
targets = { assets = ["B1-0101-W"] }
intervals = 4
"""


def test_a_meter_that_never_reports_fires_four_intervals_after_start() -> None:
    engine, _ = make_engine(METER_ONLY)

    assert engine.on_tick(T0 + minutes(60) - seconds(1)) == []
    [raised] = engine.on_tick(T0 + minutes(60))

    assert (raised.rule_id, raised.asset_id, raised.started_at, raised.raised_at) == (
        "silent",
        "B1-0101-W",
        T0,
        T0 + minutes(60),
    )
    assert (raised.evidence["last_seen"], raised.evidence["limit_s"]) == (None, 3600.0)
    assert raised.message("en") == "Asset silent: B1-0101-W: no reading for 1h (last —)"


def test_silence_counts_from_the_last_reading_and_the_next_reading_clears_it() -> None:
    engine, _ = make_engine(METER_ONLY)
    engine.on_reading(reading("B1-0101-W", T0 + minutes(10), total=1.0))

    assert engine.on_tick(T0 + minutes(69)) == []
    [raised] = engine.on_tick(T0 + minutes(70))
    assert engine.on_tick(T0 + minutes(500)) == []
    [cleared] = engine.on_reading(reading("B1-0101-W", T0 + minutes(501), total=1.0))

    assert raised.evidence["last_seen"] == "2026-03-02T00:10:00+08:00"
    assert isinstance(cleared, AlarmCleared)
    assert (cleared.alarm_id, cleared.cleared_at) == (raised.alarm_id, T0 + minutes(501))


def test_without_ticks_a_late_reading_first_lets_the_missed_deadline_pass() -> None:
    engine, _ = make_engine(METER_ONLY)
    engine.on_reading(reading("B1-0101-W", T0, total=1.0))

    raised, cleared = engine.on_reading(reading("B1-0101-W", T0 + minutes(120), total=1.0))

    assert isinstance(raised, AlarmRaised)
    assert isinstance(cleared, AlarmCleared)
    assert (raised.raised_at, cleared.cleared_at) == (T0 + minutes(60), T0 + minutes(120))


def test_builtin_silence_waits_five_minutes_for_fast_reporters_and_four_intervals_for_meters() -> None:
    engine, _ = make_engine(rule_list=SILENT)
    engine.on_reading(reading("B1-L1", T0 + minutes(2), state="idle"))

    assert engine.on_tick(T0 + minutes(5) - seconds(1)) == []
    fast = engine.on_tick(T0 + minutes(5))
    assert sorted(e.asset_id for e in fast) == ["B1-CORRIDOR-LIGHT", "B1-LOBBY-LIGHT", "B2-L1", "GARAGE-LIGHT"]
    assert [e.asset_id for e in engine.on_tick(T0 + minutes(7))] == ["B1-L1"]
    assert engine.on_tick(T0 + minutes(60) - seconds(1)) == []
    meters = engine.on_tick(T0 + minutes(60))
    assert len(meters) == 11
    assert {e.raised_at for e in meters} == {T0 + minutes(60)}


def test_an_offline_report_is_shown_in_the_silence_alarm() -> None:
    engine, _ = make_engine(METER_ONLY)
    engine.on_offline("B1-0101-W", "Modbus 192.0.2.10:502 unit 1: no response")

    [raised] = engine.on_tick(T0 + minutes(60))
    assert raised.evidence["offline"] == "Modbus 192.0.2.10:502 unit 1: no response"
