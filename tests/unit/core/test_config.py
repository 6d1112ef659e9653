"""Bad site files are rejected with the file, the key path and what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config_files import ConfigError
from core.site_loader import load_site, parse_site

MINIMAL = """
[site]
id = "demo"
name = "Demo"

[[buildings]]
id = "B1"
floors = 6
unit_layout = { last_floor = 6, units_per_floor = 2 }

[[areas]]
id = "lobby"
building = "B1"

[[meter_groups]]
utilities = ["water"]
"""


def rejected(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_site(text, source="site.toml")
    return caught.value


def test_example_site_is_a_believable_community(example_site_path: Path) -> None:
    site = load_site(example_site_path)
    assert len(site.buildings) >= 2
    for building in site.buildings:
        units = [u for u, info in site.units.items() if info.building == building]
        assert len(units) >= 60
        for unit in units:
            assert {f"{unit}-W", f"{unit}-E", f"{unit}-G"} <= set(site.meters)
    assert len(site.elevators) == 4
    assert site.circuits


def test_minimal_site_expands_units_and_meters() -> None:
    site = parse_site(MINIMAL)
    assert sorted(site.units)[:3] == ["B1-0101", "B1-0102", "B1-0201"]
    assert len(site.units) == 12
    assert site.units["B1-0602"].unit.floor == 6
    assert set(site.meters) == {f"{u}-W" for u in site.units}


def test_unknown_key_is_named() -> None:
    error = rejected(MINIMAL.replace("floors = 6", "flors = 6\nfloors = 6"))
    assert "site.toml: buildings[0].flors: unknown key" in str(error)


def test_duplicate_asset_id_is_named_with_both_places() -> None:
    text = MINIMAL + '[[meters]]\nid = "B1-0101-W"\nutility = "water"\narea = "lobby"\n'
    error = rejected(text)
    assert "meters[0].id: duplicate asset id 'B1-0101-W', already used at meter_groups[0]" in str(error)


def test_meter_in_missing_unit_is_named() -> None:
    text = MINIMAL + '[[meters]]\nid = "X-W"\nutility = "water"\nunit = "B9-0101"\n'
    error = rejected(text)
    assert "site.toml: meters[0].unit: no unit 'B9-0101' in this site" in str(error)


def test_elevator_in_missing_building_is_named() -> None:
    text = MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B7"\nhighest_floor = 6\n'
    error = rejected(text)
    assert "elevators[0].building: no building 'B7' in this site; known: B1" in str(error)


def test_impossible_floor_count() -> None:
    error = rejected(MINIMAL.replace("floors = 6\n", "floors = 0\n", 1))
    assert "buildings[0].floors: Input should be greater than or equal to 1 (got 0)" in str(error)


def test_elevator_serving_floors_above_the_roof() -> None:
    text = MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 30\n'
    error = rejected(text)
    assert "elevators[0].highest_floor: floor 30 is above building B1's 6 floors" in str(error)


def test_wrong_unit_of_measure_for_utility() -> None:
    text = MINIMAL + '[[meters]]\nid = "P-E"\nutility = "electricity"\nunit_of_measure = "m3"\narea = "lobby"\n'
    error = rejected(text)
    assert "meters[0]: unit_of_measure 'm3' does not fit a electricity meter; use kWh" in str(error)


def test_meter_with_two_owners() -> None:
    text = MINIMAL + '[[meters]]\nid = "P-W"\nutility = "water"\narea = "lobby"\nunit = "B1-0101"\n'
    error = rejected(text)
    assert "meters[0]: a meter belongs to exactly one owner" in str(error)


def test_unknown_utility_and_bad_modbus_port_both_reported() -> None:
    text = MINIMAL + (
        '[[meters]]\nid = "P-S"\nutility = "steam"\narea = "lobby"\n'
        '[[meters]]\nid = "P-E"\nutility = "electricity"\narea = "lobby"\n'
        'binding = { protocol = "modbus", host = "10.0.0.5", port = 70000, device_id = 1, profile = "sdm630" }\n'
    )
    error = rejected(text)
    paths = [p.path for p in error.problems]
    assert "meters[0].utility" in paths
    assert "meters[1].binding.modbus.port" in paths


def test_unknown_time_zone() -> None:
    error = rejected(MINIMAL.replace('name = "Demo"', 'name = "Demo"\ntimezone = "Asia/Beijing"'))
    assert "site.timezone: unknown time zone 'Asia/Beijing'" in str(error)


def test_missing_required_key() -> None:
    error = rejected(MINIMAL.replace('id = "demo"\n', ""))
    assert "site.toml: site.id: required key is missing" in str(error)


def test_broken_toml_names_the_file_and_line() -> None:
    error = rejected('[site]\nid = "x\n')
    assert str(error).startswith("site.toml: not valid TOML")
    assert "line 2" in str(error)


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the site file"):
        load_site(tmp_path / "nope.toml")


def test_rule_problems_are_named_by_key_path() -> None:
    text = MINIMAL + '[[rules]]\nid = "typo"\nkind = "threshold"\nfield = "totl"\nabove = 1.0\n'
    error = rejected(text)
    assert "rules[0]" in str(error)
    assert "totl" in str(error)


def test_site_rules_are_carried_onto_the_site() -> None:
    text = MINIMAL + '[[rules]]\nid = "lobby-water"\nkind = "threshold"\nfield = "total"\nabove = 1.0\n'
    assert parse_site(text).use_builtin_rules is True
    site = parse_site("use_builtin_rules = false\n" + text)  # top-level keys come before the first table
    assert [rule.id for rule in site.rules] == ["lobby-water"]
    assert site.use_builtin_rules is False


def test_dlt645_binding_in_a_site_file() -> None:
    text = MINIMAL + (
        '[[meters]]\nid = "LOBBY-E"\nutility = "electricity"\narea = "lobby"\n'
        'binding = { protocol = "dlt645", transport = "rtu", serial_port = "/dev/ttyUSB0", address = "000012345678" }\n'
    )
    binding = parse_site(text).meters["LOBBY-E"].binding
    assert (binding.protocol, binding.address) == ("dlt645", "000012345678")  # type: ignore[union-attr]
    error = rejected(text.replace('address = "000012345678"', 'address = "12345"'))
    assert "meters[0].binding.dlt645.address" in str(error)
