"""Modbus bindings in the site file: what is accepted, and errors that say what to change."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pymodbus.client.mixin import ModbusClientMixin

from collectors.modbus.config import (
    REGISTER_COUNT,
    DataType,
    ModbusBinding,
    ModbusLine,
    RegisterTable,
    Transport,
)
from core.config_files import ConfigError
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL

TOTAL = {"name": "total", "table": "holding", "address": 0, "data_type": "uint32"}


def binding(**values: object) -> ModbusBinding:
    return ModbusBinding.model_validate({"protocol": "modbus", "device_id": 1, **values})


def problem(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        binding(**values)
    return str(caught.value)


def site_problems(binding_toml: str) -> list[str]:
    text = MINIMAL + f'[[meters]]\nid = "P-E"\nutility = "electricity"\narea = "lobby"\nbinding = {binding_toml}\n'
    with pytest.raises(ConfigError) as caught:
        parse_site(text, source="site.toml")
    return str(caught.value).splitlines()


def test_defaults_for_a_tcp_meter() -> None:
    b = binding(host="10.0.0.5", profile="eastron_sdm630")
    assert (b.transport, b.port, b.interval_s, b.timeout_s, b.retries) == (Transport.TCP, 502, 60.0, 1.0, 1)
    assert (b.backoff_s, b.backoff_max_s, b.max_gap, b.max_read_registers) == (10.0, 300.0, 8, 125)
    assert b.line == ModbusLine(Transport.TCP, "10.0.0.5:502")
    assert str(b.line) == "tcp 10.0.0.5:502"


def test_rtu_line_is_the_serial_port() -> None:
    b = binding(transport="rtu", serial_port="/dev/ttyUSB0", baudrate=19200, parity="E", profile="generic_water")
    assert b.line == ModbusLine(Transport.RTU, "/dev/ttyUSB0")
    assert b.serial_settings() == (19200, "E", 1, 8)


def test_gateway_line_keeps_its_framing_apart_from_plain_tcp() -> None:
    gateway = binding(transport="rtu_over_tcp", host="10.0.0.9", port=4001, profile="generic_water")
    assert gateway.line == ModbusLine(Transport.RTU_OVER_TCP, "10.0.0.9:4001")
    assert gateway.line != binding(host="10.0.0.9", port=4001, profile="generic_water").line


def test_inline_register_map_with_overrides() -> None:
    b = binding(
        host="h",
        registers=[{"name": "total", "table": "holding", "address": 4, "data_type": "uint32"}],
        overrides={"total": {"scale": 0.01}},
    )
    assert b.registers is not None and b.registers[0].table is RegisterTable.HOLDING
    assert b.overrides["total"].changes() == {"scale": 0.01}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"host": "h"}, 'set exactly one of profile = "<name>"'),
        ({"host": "h", "profile": "generic_water", "registers": [TOTAL]}, "set exactly one of profile"),
        ({"profile": "generic_water"}, 'transport "tcp" needs host = "<address>"'),
        ({"transport": "rtu_over_tcp", "profile": "x"}, 'transport "rtu_over_tcp" needs host'),
        ({"transport": "rtu", "profile": "x"}, 'transport "rtu" needs serial_port = "/dev/ttyUSB0"'),
        ({"transport": "rtu", "serial_port": "/dev/x", "host": "h", "profile": "x"}, "host is for TCP; remove it"),
        ({"host": "h", "baudrate": 9600, "profile": "x"}, 'baudrate is for transport = "rtu"'),
        ({"transport": "rtu", "serial_port": "/dev/x", "device_id": 0, "profile": "x"}, "0 is broadcast"),
        ({"transport": "rtu_over_tcp", "host": "h", "device_id": 248, "profile": "x"}, "answers on 1..247"),
        ({"host": "h", "profile": "x", "backoff_s": 20, "backoff_max_s": 5}, "backoff_max_s 5.0 is below backoff_s"),
        ({"host": "h", "profile": "x", "parity": "X"}, "parity"),
        ({"host": "h", "profile": "x", "max_read_registers": 126}, "less than or equal to 125"),
        ({"host": "h", "profile": "x", "interval_s": 0}, "greater than or equal to 0.05"),
    ],
)
def test_invalid_bindings_say_what_to_change(values: dict[str, object], message: str) -> None:
    assert message in problem(**values)


def test_tcp_unit_ids_0_and_255_are_allowed() -> None:
    assert binding(host="h", profile="x", device_id=0).device_id == 0
    assert binding(host="h", profile="x", device_id=255).device_id == 255


def test_inline_map_errors_name_the_fields() -> None:
    fields = [
        {"name": "a", "table": "input", "address": 0, "data_type": "uint32"},
        {"name": "b", "table": "input", "address": 1, "data_type": "uint16"},
    ]
    assert "fields 'a' (input 0..1) and 'b' (input 1..1) overlap" in problem(host="h", registers=fields)
    unknown = problem(host="h", registers=fields[:1], overrides={"c": {"scale": 2}})
    assert "overrides name unknown field(s) 'c'; fields: a" in unknown


def test_site_file_errors_carry_the_key_path() -> None:
    lines = site_problems('{ protocol = "modbus", host = "h", device_id = 1 }')
    assert lines == [
        'site.toml: meters[0].binding.modbus: set exactly one of profile = "<name>" (a shipped profile such as '
        '"eastron_sdm630") or registers = [...] (an inline register map)'
    ]
    lines = site_problems('{ protocol = "modbus", host = "h", device_id = 1, profile = "x", intervall_s = 5 }')
    assert lines == ["site.toml: meters[0].binding.modbus.intervall_s: unknown key; remove it or correct its spelling"]
    lines = site_problems(
        '{ protocol = "modbus", host = "h", device_id = 1, profile = "x", overrides = { total = { scael = 2 } } }'
    )
    assert lines == [
        "site.toml: meters[0].binding.modbus.overrides.total.scael: unknown key; remove it or correct its spelling"
    ]


def test_site_file_accepts_a_modbus_meter() -> None:
    text = MINIMAL + (
        '[[meters]]\nid = "P-E"\nutility = "electricity"\narea = "lobby"\n'
        '[meters.binding]\nprotocol = "modbus"\ntransport = "rtu"\nserial_port = "/dev/ttyUSB1"\n'
        'device_id = 7\nprofile = "eastron_sdm120"\ninterval_s = 15\n'
    )
    b = parse_site(text).meters["P-E"].binding
    assert isinstance(b, ModbusBinding)
    assert (b.line, b.device_id, b.interval_s) == (ModbusLine(Transport.RTU, "/dev/ttyUSB1"), 7, 15.0)


@pytest.mark.parametrize("data_type", list(DataType))
def test_register_counts_agree_with_pymodbus(data_type: DataType) -> None:
    assert REGISTER_COUNT[data_type] == ModbusClientMixin.DATATYPE[data_type.name].value[1]
