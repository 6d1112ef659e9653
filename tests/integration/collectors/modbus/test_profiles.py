"""What the simulator sets is what the poller spools: every shipped profile, a site's own map, overrides, a gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.modbus.config import RegisterTable
from collectors.modbus.device_profiles import available_profiles
from tests.integration.collectors.modbus.test_simulator import (
    meter,
    polling,
    readings,
    simulating,
    site_of,
    spooling,
    tcp,
)
from tests.support.services import free_port, wait_until

ONCE = "interval_s = 3600, timeout_s = 1"  # one poll per test

# Float32 fields carry values float32 holds exactly, so they come back equal, not merely close.
PROFILE_VALUES: dict[str, dict[str, float]] = {
    "eastron_sdm630": {
        "voltage_l1": 231.5,
        "voltage_l2": 229.75,
        "voltage_l3": 230.25,
        "current_l1": 5.5,
        "current_l2": 4.25,
        "current_l3": 3.125,
        "power_l1": 1210.5,
        "power_l2": 935.25,
        "power_l3": 687.75,
        "rate": 2833.5,
        "frequency": 49.984375,
        "import_kwh": 12345.5,
        "export_kwh": 0.0,
        "total": 12345.5,
    },
    "eastron_sdm120": {
        "voltage": 228.5,
        "current": 2.75,
        "rate": 597.25,
        "power_factor": 0.9375,
        "frequency": 50.015625,
        "import_kwh": 876.25,
        "export_kwh": 1.5,
        "total": 877.75,
    },
    "generic_water": {"total": 1234.567},
}


def test_every_shipped_profile_has_test_values() -> None:
    assert sorted(PROFILE_VALUES) == available_profiles()


def test_every_shipped_profile_decodes_to_the_values_the_simulator_set(tmp_path: Path) -> None:
    port = free_port()
    names = sorted(PROFILE_VALUES)
    site = site_of(
        *(meter(f"P{i}", "electricity", tcp(port, i, f'profile = "{name}", {ONCE}')) for i, name in enumerate(names, 1))
    )
    with simulating(site) as sim, spooling(tmp_path, site) as spool:
        for i, name in enumerate(names, 1):
            for field, value in PROFILE_VALUES[name].items():
                sim.set_value(f"P{i}", field, value)
        with polling(site, spool):
            wait_until(lambda: all(readings(spool, f"P{i}") for i in range(1, 4)), "a reading from each meter", 10)
        for i, name in enumerate(names, 1):
            (reading,) = readings(spool, f"P{i}")
            assert reading.fields == pytest.approx(PROFILE_VALUES[name], abs=1e-9), name


INLINE = """registers = [
    { name = "supply_temp", table = "holding", address = 0, data_type = "int16", scale = 0.1, offset = -40 },
    { name = "pulses", table = "holding", address = 1, data_type = "uint32", byte_order = "CDAB" },
    { name = "flow", table = "input", address = 0, data_type = "float32", byte_order = "BADC" },
    { name = "energy_wh", table = "input", address = 10, data_type = "int64", byte_order = "DCBA" },
    { name = "total", table = "input", address = 20, data_type = "float64", unit = "m3" },
    { name = "status", table = "holding", address = 30, data_type = "uint16" },
]"""


def test_a_register_map_written_in_the_site_file_decodes(tmp_path: Path) -> None:
    port = free_port()
    heat_meter = (
        '[[meters]]\nid = "HEAT-1"\nutility = "water"\narea = "lobby"\n[meters.binding]\n'
        f'protocol = "modbus"\nhost = "127.0.0.1"\nport = {port}\ndevice_id = 5\ninterval_s = 3600\n{INLINE}\n'
    )
    override = 'overrides = { total = { byte_order = "CDAB", scale = 0.01 } }'
    site = site_of(heat_meter, meter("W-CDAB", "water", tcp(port, 6, f'profile = "generic_water", {ONCE}, {override}')))
    values = {
        "supply_temp": 21.5,
        "pulses": 3_000_000_123,
        "flow": -12.25,
        "energy_wh": -9_000_000_123,
        "total": 4321.0625,
        "status": 7,
    }
    with simulating(site) as sim, spooling(tmp_path, site) as spool:
        for field, value in values.items():
            sim.set_value("HEAT-1", field, value)
        sim.set_value("W-CDAB", "total", 98765.43)
        # The override reached the wire: 9 876 543 centi-m³ = 0x0096B43F, low word first.
        assert sim.registers("W-CDAB", RegisterTable.HOLDING, 0, 2) == [0xB43F, 0x0096]
        with polling(site, spool):
            wait_until(lambda: readings(spool, "HEAT-1") and readings(spool, "W-CDAB"), "both readings", 10)
        assert readings(spool, "HEAT-1")[0].fields == pytest.approx(values, abs=1e-9)
        assert readings(spool, "W-CDAB")[0].fields == pytest.approx({"total": 98765.43}, abs=1e-9)


def test_rtu_frames_through_a_tcp_gateway(tmp_path: Path) -> None:
    port = free_port()
    site = site_of(
        meter("G1", "electricity", tcp(port, 11, f'profile = "eastron_sdm120", {ONCE}', "rtu_over_tcp")),
        meter("G2", "water", tcp(port, 12, f'profile = "generic_water", {ONCE}', "rtu_over_tcp")),
    )
    with simulating(site) as sim, spooling(tmp_path, site) as spool:
        sim.set_value("G1", "total", 877.75)
        sim.set_value("G2", "total", 42.0)
        with polling(site, spool):
            wait_until(lambda: readings(spool, "G1") and readings(spool, "G2"), "readings via the gateway", 10)
        assert readings(spool, "G1")[0].fields["total"] == 877.75
        assert readings(spool, "G2")[0].fields == {"total": 42.0}
