"""Rules on any declared field: sensor kinds' booleans and states, Modbus and DL/T 645 extras; trades."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clock import FakeClock
from core.config_files import ConfigError
from core.reading import Reading
from core.site_loader import parse_site
from rules.engine import RuleEngine
from rules.events import AlarmCleared, AlarmRaised
from rules.library import effective_rules

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SITE = """
[site]
id = "s"
name = "S"
[[buildings]]
id = "B1"
floors = 6
[[areas]]
id = "pump-room"
kind = "plant_room"
building = "B1"
[[areas]]
id = "lobby"
building = "B1"
[[sensors]]
id = "leak-1"
kind = "water_leak"
area = "pump-room"
[[sensors]]
id = "gen-1"
kind = "generator"
area = "pump-room"
[[sensors]]
id = "temp-lobby"
kind = "temperature"
area = "lobby"
[[meters]]
id = "PUMP-E"
utility = "electricity"
area = "pump-room"
binding = { protocol = "modbus", host = "127.0.0.1", device_id = 1, profile = "eastron_sdm630" }
[[meters]]
id = "LIFT-E"
utility = "electricity"
area = "pump-room"
[meters.binding]
protocol = "dlt645"
transport = "tcp"
host = "127.0.0.1"
port = 8899
address = "000000000001"
identifiers = ["total_energy", "voltage_a"]
"""


def site_with(rule: str) -> str:
    return SITE + "\n[[rules]]\n" + rule


def problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_site(text)
    return str(caught.value)


def test_rules_on_profile_extra_fields_load() -> None:
    voltage = 'id = "v"\nkind = "threshold"\ntargets = { assets = ["PUMP-E"] }\nfield = "voltage_l1"\nbelow = 198.0\n'
    parse_site(site_with(voltage))
    dlt = 'id = "v"\nkind = "threshold"\ntargets = { assets = ["LIFT-E"] }\nfield = "voltage_a"\nabove = 242.0\n'
    assert parse_site(site_with(dlt)).rules


def test_unknown_sensor_field_lists_the_declared_ones() -> None:
    wet = (
        'id = "w"\nkind = "state"\ntargets = { assets = ["leak-1"] }\nconditions = [{ field = "wet", value = true }]\n'
    )
    text = problems(site_with(wet))
    assert "rules[0]" in text and "'wet'" in text
    typed = 'id = "w"\nkind = "state"\ntargets = { device_kinds = ["water_leak"] }\n'
    typed += 'conditions = [{ field = "leak", value = "yes" }]\n'
    assert "field 'leak' is bool; compare it with a bool value" in problems(site_with(typed))


def test_leak_state_rule_fires_and_clears_on_booleans() -> None:
    site = parse_site(SITE)
    rules = effective_rules(site.rules)
    engine = RuleEngine(rules, site, FakeClock(T0))
    [raised] = [e for e in engine.on_readings([Reading("leak-1", T0, {"leak": True})]) if e.rule_id == "water-leak"]
    assert isinstance(raised, AlarmRaised) and raised.asset_id == "leak-1"
    later = T0 + timedelta(minutes=5)
    cleared = [e for e in engine.on_readings([Reading("leak-1", later, {"leak": False})]) if e.rule_id == "water-leak"]
    assert len(cleared) == 1 and isinstance(cleared[0], AlarmCleared)


def test_state_and_area_kind_targets() -> None:
    site = parse_site(SITE)
    engine = RuleEngine(effective_rules(site.rules), site, FakeClock(T0))
    events = engine.on_readings([Reading("gen-1", T0, {"state": "fault"})])
    assert [e.rule_id for e in events] == ["generator-fault"]
    # The plant-room temperature rule does not watch a lobby thermometer.
    hot = [Reading("temp-lobby", T0 + timedelta(minutes=m), {"temperature": 45.0}) for m in range(0, 30, 5)]
    assert [e.rule_id for e in engine.on_readings(hot)] == []
