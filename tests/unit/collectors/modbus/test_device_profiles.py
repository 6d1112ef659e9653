"""Shipped device profiles and site-file overrides."""

from __future__ import annotations

import pytest

from collectors.modbus.device_profiles import ProfileError, apply_overrides, available_profiles, load_profile
from collectors.modbus.registers import (
    ByteOrder,
    DataType,
    RegisterTable,
    decode_field,
    decode_span,
    plan_reads,
)

SHIPPED = {"eastron_sdm630", "eastron_sdm120", "generic_water"}


def test_available_profiles() -> None:
    names = available_profiles()
    assert set(names) >= SHIPPED
    assert names == sorted(names)
    assert "__init__" not in names


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_profile_has_a_total(name: str) -> None:
    profile = load_profile(name)
    assert profile.description
    assert "total" in profile.names


# Eastron input register addresses (register number - 30001), all float32 ABCD.
SDM630 = {
    "voltage_l1": (0, "V"),
    "current_l1": (6, "A"),
    "rate": (52, "kW"),
    "frequency": (70, "Hz"),
    "import_kwh": (72, "kWh"),
    "export_kwh": (74, "kWh"),
    "total": (342, "kWh"),
}
SDM120 = {
    "voltage": (0, "V"),
    "current": (6, "A"),
    "rate": (12, "kW"),
    "frequency": (70, "Hz"),
    "import_kwh": (72, "kWh"),
    "export_kwh": (74, "kWh"),
    "total": (342, "kWh"),
}


@pytest.mark.parametrize(("name", "expected"), [("eastron_sdm630", SDM630), ("eastron_sdm120", SDM120)])
def test_eastron_addresses(name: str, expected: dict[str, tuple[int, str]]) -> None:
    profile = load_profile(name)
    for field_name, (address, unit) in expected.items():
        f = profile.get(field_name)
        assert (f.address, f.unit) == (address, unit), field_name
    for f in profile.fields:
        assert (f.table, f.data_type, f.byte_order) == (
            RegisterTable.INPUT,
            DataType.FLOAT32,
            ByteOrder.ABCD,
        ), f.name
        # Eastron registers are float32 in the meter's own units; only `rate` is scaled, W → kW.
        assert (f.scale, f.offset) == ((0.001 if f.name == "rate" else 1.0), 0.0), f.name


def test_sdm630_reads_coalesce() -> None:
    spans = plan_reads(load_profile("eastron_sdm630"), max_gap=8)
    assert [(s.address, s.count) for s in spans] == [(0, 18), (52, 2), (70, 6), (342, 2)]


def test_sdm120_total_decodes() -> None:
    total = load_profile("eastron_sdm120").get("total")
    # float32 1234.5 = 0x449A5000
    assert decode_field(total, [0x449A, 0x5000]) == 1234.5


def test_generic_water_total_in_m3() -> None:
    total = load_profile("generic_water").get("total")
    assert (total.table, total.address, total.data_type) == (RegisterTable.HOLDING, 0, DataType.UINT32)
    assert total.unit == "m3"
    # uint32 123456 litres = 0x0001E240 -> 123.456 m3
    assert decode_field(total, [0x0001, 0xE240]) == pytest.approx(123.456)


def test_unknown_profile_lists_available() -> None:
    with pytest.raises(ProfileError, match=r"'sdm999'; available: .*eastron_sdm120.*eastron_sdm630.*generic_water"):
        load_profile("sdm999")


def test_path_like_name_is_unknown() -> None:
    with pytest.raises(ProfileError, match="unknown device profile"):
        load_profile("../profiles/eastron_sdm630")


class TestOverrides:
    def test_word_order_of_one_field(self) -> None:
        base = load_profile("generic_water")
        changed = apply_overrides(base, {"total": {"byte_order": "CDAB"}})
        total = changed.get("total")
        assert total.byte_order is ByteOrder.CDAB
        assert (total.scale, total.address) == (0.001, 0)
        # uint32 123456 litres low word first: [0xE240, 0x0001]
        assert decode_field(total, [0xE240, 0x0001]) == pytest.approx(123.456)
        # The shipped (cached) profile is untouched.
        assert base.get("total").byte_order is ByteOrder.ABCD
        assert load_profile("generic_water").get("total").byte_order is ByteOrder.ABCD

    def test_only_named_fields_change(self) -> None:
        base = load_profile("eastron_sdm630")
        changed = apply_overrides(base, {"rate": {"scale": 0.001, "unit": "kW"}})
        assert changed.get("rate").scale == 0.001
        assert changed.get("rate").unit == "kW"
        for name in base.names:
            if name != "rate":
                assert changed.get(name) == base.get(name)
        assert changed.names == base.names
        assert changed.description == base.description

    def test_overridden_map_decodes(self) -> None:
        changed = apply_overrides(load_profile("eastron_sdm120"), {"total": {"address": 72 + 300}})
        (span,) = [s for s in plan_reads(changed) if s.address == 372]
        result = decode_span(span, [0x449A, 0x5000])
        assert result.values == {"total": 1234.5}

    def test_empty_overrides_are_a_no_op(self) -> None:
        base = load_profile("eastron_sdm120")
        assert apply_overrides(base, {}) == base
        assert apply_overrides(base, {"total": {}}) == base

    def test_unknown_field_named_and_fields_listed(self) -> None:
        with pytest.raises(ProfileError, match=r"'totl'.*'eastron_sdm120'.*fields: voltage, current, rate"):
            apply_overrides(load_profile("eastron_sdm120"), {"totl": {"scale": 2}}, profile="eastron_sdm120")

    def test_unknown_key_named_and_allowed_keys_listed(self) -> None:
        with pytest.raises(ProfileError, match=r"'total'.*'word_order'.*can set: table, address"):
            apply_overrides(load_profile("generic_water"), {"total": {"word_order": "little"}})

    def test_name_cannot_be_overridden(self) -> None:
        with pytest.raises(ProfileError, match="cannot set 'name'"):
            apply_overrides(load_profile("generic_water"), {"total": {"name": "volume"}})

    def test_invalid_value_named(self) -> None:
        with pytest.raises(ProfileError, match=r"field 'total'.*invalid"):
            apply_overrides(load_profile("generic_water"), {"total": {"byte_order": "GHEF"}})

    def test_override_that_creates_overlap(self) -> None:
        with pytest.raises(ProfileError, match="overlap"):
            apply_overrides(load_profile("eastron_sdm120"), {"total": {"address": 73}})
