"""Simulated sensors: quiet values of the right types, and the kind's fault when a scenario asks for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.registry import AssetRegistry
from core.site_loader import load_site
from simulators.community import CommunitySimulator
from simulators.scenarios import Fault, FaultKind, Scenario

START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_every_sensor_reports_fields_its_kind_accepts(example_site_path: Path) -> None:
    site = load_site(example_site_path)
    registry = AssetRegistry.from_site(site)
    simulator = CommunitySimulator(site, start=START)
    messages = {
        asset: fields for asset, fields in simulator.step(START + timedelta(minutes=5)) if asset in site.sensors
    }
    assert set(messages) == set(site.sensors)
    for asset, fields in messages.items():
        assert isinstance(fields, dict)
        info = registry.get(asset)
        for name, value in fields.items():
            if name != "ts":
                info.coerce_field(name, value)  # raises if the hub would refuse it
    assert messages["LEAK-PUMP-ROOM"]["leak"] is False


def test_sensor_alarm_makes_the_leak_detector_wet_from_its_start(example_site_path: Path) -> None:
    site = load_site(example_site_path)
    leak = Fault(kind=FaultKind.SENSOR_ALARM, asset="LEAK-PUMP-ROOM", start="+10m")
    simulator = CommunitySimulator(site, start=START, scenario=Scenario(faults=(leak,)))
    before = dict(simulator.step(START + timedelta(minutes=5)))["LEAK-PUMP-ROOM"]
    after = dict(simulator.step(START + timedelta(minutes=15)))["LEAK-PUMP-ROOM"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert (before["leak"], after["leak"]) == (False, True)


def test_sensor_alarm_needs_a_sensor_whose_kind_has_a_fault(example_site_path: Path) -> None:
    site = load_site(example_site_path)
    for asset in ("B1-L1", "TANK-LEVEL"):  # an elevator; a level sensor (its fault is a threshold)
        with pytest.raises(ValueError, match="not a sensor of a kind with a fault"):
            CommunitySimulator(
                site, start=START, scenario=Scenario(faults=(Fault(kind=FaultKind.SENSOR_ALARM, asset=asset),))
            )
