"""Modbus devices resolved from the site file: profiles, inline maps, overrides, read plans, line conflicts."""

from __future__ import annotations

import pytest

from collectors.modbus.config import ModbusLine, Transport
from collectors.modbus.devices import ModbusConfigError, devices_from_site, group_lines
from collectors.modbus.registers import ByteOrder, ReadSpan, RegisterTable
from core.site import Site
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL


def site(*bindings: str) -> Site:
    meters = "".join(
        f'[[meters]]\nid = "M{i}"\nutility = "electricity"\narea = "lobby"\nbinding = {b}\n'
        for i, b in enumerate(bindings, start=1)
    )
    return parse_site(MINIMAL + meters, source="site.toml")


def error(*bindings: str) -> list[str]:
    with pytest.raises(ModbusConfigError) as caught:
        devices_from_site(site(*bindings))
    return str(caught.value).splitlines()


TCP = 'protocol = "modbus", host = "10.0.0.5"'
SHIPPED = "eastron_sdm120, eastron_sdm630, generic_water"


def test_profile_is_resolved_and_its_reads_planned() -> None:
    (device,) = devices_from_site(site(f'{{ {TCP}, device_id = 3, profile = "eastron_sdm630" }}'))
    assert device.asset_id == "M1"
    assert len(device.register_map.fields) == 14
    assert [(s.table, s.address, s.count) for s in device.reads] == [
        (RegisterTable.INPUT, 0, 18),
        (RegisterTable.INPUT, 52, 2),
        (RegisterTable.INPUT, 70, 6),
        (RegisterTable.INPUT, 342, 2),
    ]
    assert device.source == "modbus+tcp://10.0.0.5:502/3"
    assert str(device) == "M1 (device 3 on tcp 10.0.0.5:502)"


def test_max_gap_and_max_read_registers_shape_the_plan() -> None:
    (wide,) = devices_from_site(site(f'{{ {TCP}, device_id = 1, profile = "eastron_sdm630", max_gap = 40 }}'))
    assert [(s.address, s.count) for s in wide.reads] == [(0, 76), (342, 2)]
    (narrow,) = devices_from_site(
        site(f'{{ {TCP}, device_id = 1, profile = "eastron_sdm630", max_gap = 40, max_read_registers = 20 }}')
    )
    assert [(s.address, s.count) for s in narrow.reads] == [(0, 18), (52, 20), (72, 4), (342, 2)]


def test_overrides_reach_the_resolved_map() -> None:
    override = 'overrides = { total = { byte_order = "CDAB" } }'
    (device,) = devices_from_site(site(f'{{ {TCP}, device_id = 1, profile = "generic_water", {override} }}'))
    total = device.register_map.get("total")
    assert (total.byte_order, total.scale, total.address) == (ByteOrder.CDAB, 0.001, 0)


def test_inline_map() -> None:
    (device,) = devices_from_site(
        site(
            f"{{ {TCP}, device_id = 1, registers = ["
            '{ name = "total", table = "holding", address = 10, data_type = "uint32", scale = 0.01 },'
            '{ name = "rate", table = "holding", address = 12, data_type = "int16" } ] }'
        )
    )
    assert device.register_map.names == ("total", "rate")
    assert device.reads == (ReadSpan(RegisterTable.HOLDING, 10, 3, device.register_map.fields),)


def test_unknown_profile_and_bad_override_name_the_asset() -> None:
    lines = error(
        f'{{ {TCP}, device_id = 1, profile = "sdm999" }}',
        f'{{ {TCP}, device_id = 2, profile = "generic_water", overrides = {{ totl = {{ scale = 1.0 }} }} }}',
    )
    assert lines[0] == "site.toml: asset 'M1': unknown device profile 'sdm999'; available: " + SHIPPED
    assert lines[1].startswith("site.toml: asset 'M2': override for unknown field(s) 'totl' of device profile")


def test_two_devices_with_one_id_on_a_line() -> None:
    lines = error(
        f'{{ {TCP}, device_id = 1, profile = "generic_water" }}', f'{{ {TCP}, device_id = 1, profile = "x" }}'
    )
    assert lines[0] == "site.toml: asset 'M2': unknown device profile 'x'; available: " + SHIPPED
    lines = error(
        f'{{ {TCP}, device_id = 1, profile = "generic_water" }}',
        f'{{ {TCP}, device_id = 1, profile = "eastron_sdm120" }}',
    )
    assert lines == [
        "site.toml: assets 'M1' and 'M2' are both device_id 1 on tcp 10.0.0.5:502; give each device its own device_id"
    ]


def test_one_endpoint_speaks_one_framing() -> None:
    lines = error(
        f'{{ {TCP}, device_id = 1, profile = "generic_water" }}',
        '{ protocol = "modbus", transport = "rtu_over_tcp", host = "10.0.0.5", device_id = 2, '
        'profile = "generic_water" }',
    )
    assert lines == [
        "site.toml: assets 'M1' (tcp) and 'M2' (rtu_over_tcp) share 10.0.0.5:502; one endpoint speaks one framing, "
        "so set the same transport on both"
    ]


def test_a_serial_bus_runs_at_one_speed() -> None:
    rtu = 'protocol = "modbus", transport = "rtu", serial_port = "/dev/ttyUSB0", profile = "generic_water"'
    lines = error(f"{{ {rtu}, device_id = 1 }}", f'{{ {rtu}, device_id = 2, baudrate = 19200, parity = "E" }}')
    assert lines == [
        "site.toml: assets 'M1' (9600 8N1) and 'M2' (19200 8E1) share serial port /dev/ttyUSB0; "
        "a bus runs at one speed and framing, so make them agree"
    ]


def test_devices_are_grouped_by_line_in_site_order() -> None:
    devices = devices_from_site(
        site(
            f'{{ {TCP}, device_id = 2, profile = "generic_water" }}',
            '{ protocol = "modbus", host = "10.0.0.6", device_id = 1, profile = "generic_water" }',
            f'{{ {TCP}, device_id = 1, profile = "generic_water" }}',
        )
    )
    lines = group_lines(devices)
    assert {line: [d.asset_id for d in members] for line, members in lines.items()} == {
        ModbusLine(Transport.TCP, "10.0.0.5:502"): ["M1", "M3"],
        ModbusLine(Transport.TCP, "10.0.0.6:502"): ["M2"],
    }


def test_mqtt_assets_are_not_modbus_devices() -> None:
    assert devices_from_site(parse_site(MINIMAL)) == []
