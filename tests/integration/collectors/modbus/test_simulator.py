"""The Modbus simulator seen from a plain pymodbus client, plus the helpers the Modbus integration tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.pdu import ModbusPDU

from collectors.modbus.collector import DeviceStateChanged, ModbusPoller, devices_from_site
from core.clock import Clock, FakeClock, SystemClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import parse_site
from core.validation import ReadingValidator
from simulators.modbus_server import Fault, ModbusSimulator
from storage.spool import Spool
from tests.support.services import free_port
from tests.unit.core.test_config import MINIMAL

SIM_START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FAST = "interval_s = 0.2, timeout_s = 0.1, retries = 0, backoff_s = 0.2, backoff_max_s = 0.4"


def meter(asset_id: str, utility: str, binding: str) -> str:
    """A public-area meter entry for MINIMAL's lobby, with an inline binding table."""
    return f'[[meters]]\nid = "{asset_id}"\nutility = "{utility}"\narea = "lobby"\nbinding = {{ {binding} }}\n'


def tcp(port: int, device_id: int, rest: str, transport: str = "tcp") -> str:
    where = f'transport = "{transport}", host = "127.0.0.1", port = {port}, device_id = {device_id}'
    return f'protocol = "modbus", {where}, {rest}'


def site_of(*meters: str) -> Site:
    return parse_site(MINIMAL + "".join(meters), source="test-site.toml")


@contextmanager
def simulating(
    site: Site, clock: Clock | None = None, serial_ports: dict[str, str] | None = None
) -> Iterator[ModbusSimulator]:
    """The site's simulator; a frozen clock by default so values stay exactly as a test sets them."""
    simulator = ModbusSimulator(site, clock or FakeClock(SIM_START), serial_ports=serial_ports)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@contextmanager
def spooling(tmp_path: Path, site: Site) -> Iterator[Spool]:
    clock = SystemClock()
    spool = Spool(tmp_path / "spool.db", ReadingValidator(AssetRegistry.from_site(site), clock), clock)
    try:
        yield spool
    finally:
        spool.close()


@contextmanager
def polling(site: Site, spool: Spool, events: list[DeviceStateChanged] | None = None) -> Iterator[ModbusPoller]:
    poller = ModbusPoller(
        devices_from_site(site), spool, SystemClock(), on_state=events.append if events is not None else None
    )
    poller.start()
    try:
        yield poller
    finally:
        poller.stop()


def readings(spool: Spool, asset_id: str) -> list[Reading]:
    return [item.reading for item in spool.take(100_000) if item.reading.asset_id == asset_id]


def read(port: int, device_id: int, function_code: int, address: int, count: int) -> ModbusPDU | None:
    """One request from a plain pymodbus client; None if nobody answered within 0.3 s."""

    async def go() -> ModbusPDU | None:
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=0.3, retries=0, reconnect_delay=0)
        assert await client.connect()
        method = client.read_input_registers if function_code == 4 else client.read_holding_registers
        try:
            return await asyncio.wait_for(method(address, count=count, device_id=device_id), 0.3)
        except TimeoutError:
            return None
        finally:
            client.close()

    return asyncio.run(go())


@pytest.fixture
def water_site() -> tuple[Site, int]:
    port = free_port()
    return site_of(meter("W1", "water", tcp(port, 3, 'profile = "generic_water"'))), port


def test_serves_the_register_map_and_counts_requests(water_site: tuple[Site, int]) -> None:
    site, port = water_site
    with simulating(site) as sim:
        sim.set_value("W1", "total", 1234.567)  # generic_water: uint32 litres in holding 0-1
        response = read(port, 3, 3, 0, 2)
        assert response is not None and list(response.registers) == [0x0012, 0xD687]  # 1 234 567 L
        assert read(port, 3, 4, 0, 1) is not None
        assert (sim.requests("W1", 3), sim.requests("W1", 4), sim.requests("W1")) == (1, 1, 2)


def test_an_unknown_device_id_gets_no_answer(water_site: tuple[Site, int]) -> None:
    site, port = water_site
    with simulating(site) as sim:
        assert read(port, 9, 3, 0, 2) is None
        assert sim.requests("W1") == 0


def test_faults(water_site: tuple[Site, int]) -> None:
    site, port = water_site
    with simulating(site) as sim:
        sim.set_fault("W1", Fault.SILENT)
        assert read(port, 3, 3, 0, 2) is None
        sim.set_fault("W1", Fault.EXCEPTION, exception_code=6)
        refused = read(port, 3, 3, 0, 2)
        assert refused is not None and refused.isError() and refused.exception_code == 6
        sim.set_fault("W1", Fault.GARBAGE)
        junk = read(port, 3, 3, 0, 2)
        assert junk is not None and list(junk.registers) == [0xFFFF, 0xFFFF]
        sim.set_fault("W1", Fault.SHORT_READ)
        short = read(port, 3, 3, 0, 2)
        assert short is not None and len(short.registers) == 1
        sim.set_fault("W1", None)
        whole = read(port, 3, 3, 0, 2)
        assert whole is not None and len(whole.registers) == 2
        assert sim.requests("W1") == 5  # the silent request was received and counted too


def test_values_advance_with_the_clock_and_with_advance(water_site: tuple[Site, int]) -> None:
    site, _ = water_site
    clock = FakeClock(SIM_START)
    with simulating(site, clock) as sim:
        sim.set_value("W1", "total", 100.0)
        clock.advance(timedelta(hours=1))  # 20:00 in Shanghai, the evening peak
        after_an_hour = sim.value("W1", "total")
        sim.advance(timedelta(days=1))
        after_a_day = sim.value("W1", "total")
    assert 100.0 < after_an_hour < 100.0 + 0.72  # some use, at most 12 L/min for the whole hour
    assert after_a_day - after_an_hour > 0.05  # a day of water, through several usage events
