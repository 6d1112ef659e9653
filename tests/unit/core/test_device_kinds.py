"""The device-kind catalogue, site-declared kinds, [[sensors]] and how their fields are coerced."""

from __future__ import annotations

import pytest

from core.config_files import ConfigError
from core.device_kinds import TRADES, builtin_kinds
from core.measurements import AssetKind, FieldType, FieldValueError
from core.registry import AssetRegistry
from core.site_loader import parse_site
from workorders.values import Category

SITE = """
[site]
id = "s1"
name = "Test"
[[buildings]]
id = "B1"
floors = 6
unit_layout = { last_floor = 2, units_per_floor = 1 }
[[areas]]
id = "b1-pump-room"
kind = "plant_room"
building = "B1"

[[device_kinds]]
id = "chlorine"
name = "余氯"
trade = "plumbing"
[device_kinds.fields.level]
type = "number"
unit = "mg/L"

[[sensors]]
id = "leak-b1-pump"
kind = "water_leak"
area = "b1-pump-room"
name = "B1 泵房漏水"
expected_interval_s = 3600
binding = { protocol = "mqtt", topic = "zigbee2mqtt/leak-b1-pump" }

[[sensors]]
id = "cl-1"
kind = "chlorine"
unit = "B1-0101"
"""


def registry(text: str = SITE) -> AssetRegistry:
    return AssetRegistry.from_site(parse_site(text))


def problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_site(text)
    return str(caught.value)


def test_trades_are_the_work_order_categories() -> None:
    assert set(TRADES) == {c.value for c in Category}


def test_catalogue_has_the_kinds_a_property_engineer_needs() -> None:
    kinds = builtin_kinds()
    for wanted in ("water_leak", "smoke", "gas", "contact", "temperature", "humidity", "pressure", "level"):
        assert wanted in kinds
    assert {"running", "fault", "run_hours"} <= set(kinds["pump"].fields)
    assert {"generator", "analog_input", "binary_input"} <= set(kinds)
    assert kinds["water_leak"].trade == "plumbing"
    assert kinds["smoke"].trade == kinds["gas"].trade == "security"


def test_sensor_is_an_asset_with_its_kinds_measurement_and_tags() -> None:
    info = registry().get("leak-b1-pump")
    assert info.kind is AssetKind.SENSOR
    assert info.measurement == "sensor_water_leak"
    assert info.id_tag == "sensor_id"
    assert info.tags == {
        "site": "s1",
        "kind": "water_leak",
        "sensor_id": "leak-b1-pump",
        "area": "b1-pump-room",
        "building": "B1",
    }
    assert info.field_types()["leak"] is FieldType.BOOL
    own = registry().get("cl-1")
    assert own.measurement == "sensor_chlorine"
    assert own.tags["unit"] == "B1-0101" and own.tags["building"] == "B1"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (True, True),
        (False, False),
        ("ON", True),
        ("off", False),
        (1, True),
        (0, False),
        ("wet", True),
        (" Dry ", False),
    ],
)
def test_leak_booleans(value: object, stored: bool) -> None:
    assert registry().get("leak-b1-pump").coerce_field("leak", value) is stored


def test_contact_open_closed_words() -> None:
    contact = builtin_kinds()["contact"]
    assert contact.coerce_field("open", "open") is True
    assert contact.coerce_field("open", "CLOSED") is False


@pytest.mark.parametrize(
    "value", [2, -1, 0.5, "maybe", "", None, [True], {"a": 1}, "\udcff", "x" * 10_000, float("nan")]
)
def test_hostile_booleans_are_refused_with_the_field_named(value: object) -> None:
    with pytest.raises(FieldValueError, match="field 'leak'"):
        registry().get("leak-b1-pump").coerce_field("leak", value)


def test_state_field_takes_only_its_states() -> None:
    generator = builtin_kinds()["generator"]
    assert generator.coerce_field("state", "running") == "running"
    with pytest.raises(FieldValueError, match="not one of"):
        generator.coerce_field("state", "exploded")


def test_undeclared_fields_must_be_numbers_and_common_ones_are_known() -> None:
    leak = registry().get("leak-b1-pump")
    assert leak.coerce_field("battery", 97) == 97.0
    assert leak.coerce_field("linkquality", "120") == 120.0
    with pytest.raises(FieldValueError):
        leak.coerce_field("update", "available")
    with pytest.raises(FieldValueError, match="not allowed"):
        leak.coerce_field("bad name", 1)


def test_sensor_needs_exactly_one_place_and_a_known_kind() -> None:
    both = SITE.replace('unit = "B1-0101"', 'unit = "B1-0101"\narea = "b1-pump-room"')
    assert "sensors[1]: a sensor belongs to exactly one place" in problems(both)
    unknown = SITE.replace('kind = "chlorine"\nunit', 'kind = "chlorne"\nunit')
    assert "sensors[1].kind: no device kind 'chlorne' in this site; known:" in problems(unknown)
    dup = SITE.replace('id = "cl-1"', 'id = "leak-b1-pump"')
    assert "duplicate asset id 'leak-b1-pump'" in problems(dup)


def test_site_kinds_are_checked() -> None:
    assert "device_kinds[0].id: 'smoke' is a built-in kind" in problems(SITE.replace('id = "chlorine"', 'id = "smoke"'))
    bad_type = SITE.replace('type = "number"', 'type = "percent"')
    assert "device_kinds[0].fields.level.type" in problems(bad_type)
    state_without = SITE.replace('type = "number"\nunit = "mg/L"', 'type = "state"')
    assert "lists its states" in problems(state_without)
    clash = SITE.replace('unit = "mg/L"', 'unit = "mg/L"\n[device_kinds.fields.battery]\ntype = "text"')
    assert "every sensor kind has 'battery' already" in problems(clash)
    bad_fault = SITE.replace('trade = "plumbing"', 'trade = "plumbing"\nfault = { field = "nope", equals = true }')
    assert "fault.field" in problems(bad_fault)
    bad_trade = SITE.replace('trade = "plumbing"', 'trade = "plumber"')
    assert "device_kinds[0].trade" in problems(bad_trade)
    both_ways = SITE.replace('type = "number"\nunit = "mg/L"', 'type = "boolean"\ntrue = ["x"]\nfalse = ["X"]')
    assert "cannot mean both" in problems(both_ways)
