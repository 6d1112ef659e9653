"""The built-in library holds the numbers a property engineer signed off, and site rules can replace them."""

from __future__ import annotations

from datetime import time, timedelta

from rules.kinds.entrapment import EntrapmentRule
from rules.kinds.flow import ContinuousFlowRule
from rules.kinds.lighting import ContinuousOnRule
from rules.kinds.silence import SilenceRule
from rules.kinds.threshold import ThresholdRule
from rules.library import builtin_rules, effective_rules
from tests.unit.rules.support import rules


def builtin(rule_id: str) -> object:
    return next(rule for rule in builtin_rules() if rule.id == rule_id)


def test_the_library_holds_every_patrol_check() -> None:
    assert [rule.id for rule in builtin_rules()] == [
        "elevator-fault-code",
        "elevator-door-open-moving",
        "elevator-stopped-outside-door-zone",
        "elevator-entrapment",
        "elevator-noise",
        "elevator-vibration",
        "elevator-vibration-limit",
        "lights-left-on",
        "water-running",
        "vacant-unit-water",
        "silent-asset",
        "electricity-spike",
        "water-spike",
        "water-leak",
        "smoke-alarm",
        "gas-alarm",
        "tank-level-low",
        "level-high",
        "fire-water-pressure-low",
        "pump-fault",
        "pump-running-long",
        "plant-room-temperature-high",
        "generator-fault",
        "plant-room-door-open",
    ]


def test_sensor_numbers_and_trades() -> None:
    pressure, temperature = builtin("fire-water-pressure-low"), builtin("plant-room-temperature-high")
    assert isinstance(pressure, ThresholdRule) and (pressure.below, pressure.field) == (0.07, "pressure")  # GB 50974
    assert isinstance(temperature, ThresholdRule) and temperature.above == 40.0  # IEC 61439-1 §7.1.1
    trades = {rule.id: rule.trade for rule in builtin_rules()}
    assert trades["water-leak"] == "plumbing"
    assert trades["smoke-alarm"] == trades["gas-alarm"] == "security"
    assert {rule.id: rule.severity.value for rule in builtin_rules()}["water-leak"] == "critical"


def test_elevator_numbers() -> None:
    noise, vibration, trapped = builtin("elevator-noise"), builtin("elevator-vibration"), builtin("elevator-entrapment")
    assert isinstance(noise, ThresholdRule)
    assert (noise.above, noise.clear, noise.for_) == (55.0, 52.0, timedelta(seconds=30))  # GB/T 10058-2009
    assert isinstance(vibration, ThresholdRule) and vibration.baseline is not None
    assert (vibration.above, vibration.clear, vibration.baseline.samples) == (2.0, 1.5, 500)
    limit = builtin("elevator-vibration-limit")
    assert isinstance(limit, ThresholdRule) and limit.baseline is None
    assert (limit.above, limit.clear) == (0.30, 0.25)  # GB/T 10058-2009, 0.30 m/s² peak-to-peak
    assert isinstance(trapped, EntrapmentRule)
    assert (trapped.for_, trapped.severity.value) == (timedelta(seconds=30), "critical")


def test_patrol_numbers() -> None:
    lights, water, vacant, silent = (
        builtin("lights-left-on"),
        builtin("water-running"),
        builtin("vacant-unit-water"),
        builtin("silent-asset"),
    )
    assert isinstance(lights, ContinuousOnRule) and lights.daylight is not None
    assert (lights.max_on, lights.daylight.start, lights.daylight.end, lights.daylight.for_) == (
        timedelta(hours=16),
        time(8),
        time(17),
        timedelta(minutes=30),
    )
    assert isinstance(water, ContinuousFlowRule) and water.window is not None
    assert (water.rising_for, water.window.start, water.window.end, water.window.above) == (
        timedelta(hours=6),
        time(2),
        time(5),
        0.02,
    )
    assert isinstance(vacant, ContinuousFlowRule) and vacant.window is not None
    assert (vacant.targets.vacant, vacant.rising_for, vacant.window.above) == (True, timedelta(hours=1), 0.01)
    assert isinstance(silent, SilenceRule)
    assert (silent.intervals, silent.at_least) == (4, timedelta(minutes=5))


def test_a_site_rule_replaces_the_builtin_with_its_id_and_others_are_added() -> None:
    own = rules(
        'id = "lights-left-on"\nkind = "continuous_on"\nmax_on = "12h"',
        'id = "pump-power"\nkind = "threshold"\nfield = "rate"\nabove = 15.0',
    )
    merged = effective_rules(own)

    assert [rule.id for rule in merged][-1] == "pump-power"
    assert len(merged) == len(builtin_rules()) + 1
    replaced = next(rule for rule in merged if rule.id == "lights-left-on")
    assert isinstance(replaced, ContinuousOnRule)
    assert replaced.max_on == timedelta(hours=12)
    assert [rule.id for rule in effective_rules(own, use_builtin=False)] == ["lights-left-on", "pump-power"]
