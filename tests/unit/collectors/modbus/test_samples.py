"""The Modbus sample stays true: it loads as a site fragment and plans the reads its README states."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.modbus.devices import devices_from_site
from collectors.modbus.registers import RegisterDecodeError, RegisterTable, decode_field
from core.config_files import ConfigError
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL

SAMPLE = Path(__file__).resolve().parents[4] / "collectors" / "modbus" / "sample.toml"


def test_sample_inline_map_loads_and_merges_into_two_reads() -> None:
    site = parse_site(MINIMAL + SAMPLE.read_text(), source=str(SAMPLE))
    (device,) = devices_from_site(site)
    assert device.asset_id == "PUMP-E"
    assert device.source == "modbus+rtu:///dev/ttyUSB0/1"
    assert device.register_map.names == (
        "voltage", "current", "rate", "reactive_kvar", "power_factor", "frequency", "total", "export_kwh",
    )  # fmt: skip
    # Gaps of 2 registers (0x2008..9, 0x200C..D) and 6 (0x4002..9) are within max_gap 8: read through.
    assert [(s.table, s.address, s.count) for s in device.reads] == [
        (RegisterTable.INPUT, 0x2000, 16),
        (RegisterTable.INPUT, 0x4000, 12),
    ]


def test_sample_voltage_decodes_the_meters_wire_bytes() -> None:
    (device,) = devices_from_site(parse_site(MINIMAL + SAMPLE.read_text()))
    assert decode_field(device.register_map.get("voltage"), [0x4366, 0x3334]) == pytest.approx(230.2, abs=1e-4)
    with pytest.raises(RegisterDecodeError, match=r"field 'voltage' \(input register 8192"):
        decode_field(device.register_map.get("voltage"), [0x7F80, 0x0000])  # +inf is no voltage


def test_sample_with_overlapping_registers_is_refused_naming_both_fields() -> None:
    broken = SAMPLE.read_text().replace("address = 0x2002", "address = 0x2001")
    with pytest.raises(ConfigError, match=r"fields 'voltage' \(input 8192..8193\) and 'current' \(input 8193..8194\)"):
        parse_site(MINIMAL + broken, source="sample.toml")


def test_smaller_max_gap_splits_the_sample_reads() -> None:
    text = SAMPLE.read_text().replace("interval_s = 60", "interval_s = 60\nmax_gap = 1")
    (device,) = devices_from_site(parse_site(MINIMAL + text))
    assert [(s.address, s.count) for s in device.reads] == [
        (0x2000, 8),
        (0x200A, 2),
        (0x200E, 2),
        (0x4000, 2),
        (0x400A, 2),
    ]
