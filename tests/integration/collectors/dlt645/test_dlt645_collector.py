"""The DL/T 645 poller against the simulator, over TCP (a gateway) and RTU (a real socat pty pair)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.dlt645.collector import DeviceStateChanged, Dlt645Meter, Dlt645Poller
from collectors.dlt645.config import Dlt645Binding
from collectors.dlt645.devices import meters_from_bindings
from core.clock import FakeClock, SystemClock
from core.site import Site
from simulators.dlt645_server import Dlt645Simulator, Fault
from storage.spool import Spool
from tests.integration.collectors.modbus.test_rtu import pty_pair  # noqa: F401  (the socat fixture)
from tests.integration.collectors.modbus.test_simulator import SIM_START, readings, site_of, spooling
from tests.support.services import free_port, wait_until

FAST = {"interval_s": 0.2, "timeout_s": 0.1, "retries": 0, "backoff_s": 0.2, "backoff_max_s": 0.4}
ALL = ["total_energy", "voltage_a", "current_a", "power_total"]
ADDRESSES = {"E1": "000000000001", "E2": "000000000002"}


def electricity_site() -> Site:
    """E1 and E2 in the lobby; the site's own binding is irrelevant, the tests pair them with DL/T 645 bindings."""
    return site_of(*(f'[[meters]]\nid = "{m}"\nutility = "electricity"\narea = "lobby"\n' for m in ADDRESSES))


def meters(where: dict[str, object], **timing: object) -> list[Dlt645Meter]:
    bindings = [
        (asset_id, Dlt645Binding.model_validate({"protocol": "dlt645", "address": address, **where, **timing}))
        for asset_id, address in ADDRESSES.items()
    ]
    return meters_from_bindings("test", bindings)


def tcp() -> dict[str, object]:
    return {"transport": "tcp", "host": "127.0.0.1", "port": free_port()}


def rtu(port: str) -> dict[str, object]:
    # Even parity (the standard's default) is left out: Linux ptys refuse to set PARENB a second time.
    return {"transport": "rtu", "serial_port": port, "baudrate": 9600, "parity": "N"}


@contextmanager
def simulating(devices: list[Dlt645Meter], serial_ports: dict[str, str] | None = None) -> Iterator[Dlt645Simulator]:
    simulator = Dlt645Simulator(devices, FakeClock(SIM_START), serial_ports=serial_ports)  # frozen: exact values
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@contextmanager
def polling(devices: list[Dlt645Meter], spool: Spool, events: list[DeviceStateChanged]) -> Iterator[Dlt645Poller]:
    poller = Dlt645Poller(devices, spool, SystemClock(), on_state=events.append)
    poller.start()
    try:
        yield poller
    finally:
        poller.stop()


def test_energy_and_instant_values_decode_exactly_over_tcp(tmp_path: Path) -> None:
    devices = meters(tcp(), identifiers=ALL, interval_s=3600, timeout_s=1)
    site, events = electricity_site(), list[DeviceStateChanged]()
    with simulating(devices) as sim, spooling(tmp_path, site) as spool:
        for name, value in {"total": 12345.67, "voltage_a": 229.5, "current_a": 1.5, "rate": 0.3456}.items():
            sim.set_value("E1", name, value)
        sim.set_value("E2", "total", 999999.99)
        with polling(devices, spool, events):
            wait_until(lambda: bool(readings(spool, "E1") and readings(spool, "E2")), "a reading from each meter", 10)
        (e1,) = readings(spool, "E1")
        (e2,) = readings(spool, "E2")
        assert e1.fields == {"total": 12345.67, "voltage_a": 229.5, "current_a": 1.5, "rate": 0.3456}
        assert e2.fields["total"] == 999999.99
        assert [(e.asset_id, e.online) for e in events] == [("E1", True), ("E2", True)]
        assert (sim.requests("E1"), sim.requests("E2")) == (4, 4)  # one request per identifier


def silent_meter_goes_offline_and_returns(tmp_path: Path, devices: list[Dlt645Meter], ports: dict[str, str]) -> None:
    site, events = electricity_site(), list[DeviceStateChanged]()
    with (
        simulating(devices, ports) as sim,
        spooling(tmp_path, site) as spool,
        polling(devices, spool, events) as poller,
    ):
        wait_until(lambda: bool(readings(spool, "E1") and readings(spool, "E2")), "first readings", 10)
        sim.set_fault("E1", Fault.SILENT)
        wait_until(lambda: poller.status("E1").online is False, "E1 offline", 10)
        since = datetime.now(UTC)
        wait_until(lambda: len([r for r in readings(spool, "E2") if r.ts > since]) >= 6, "E2 still read", 10)
        stamps = [r.ts for r in readings(spool, "E2") if r.ts > since]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
        # interval 0.2 s plus at most one 0.1 s timeout for E1 in between; generous slack for a busy CI host
        assert max(gaps) < 1.0, gaps
        sim.set_value("E1", "total", 77.5)
        sim.set_fault("E1", None)
        wait_until(lambda: readings(spool, "E1")[-1].fields["total"] == 77.5, "E1 back", 10)
        assert poller.status("E1").online is True
        assert [(e.online, e.reason) for e in events if e.asset_id == "E1"][-2:] == [
            (False, "total (00000000): no answer within 0.1 s (1 attempt(s))"),
            (True, "answering"),
        ]


def test_a_silent_meter_is_offline_while_its_neighbour_keeps_its_interval_over_tcp(tmp_path: Path) -> None:
    silent_meter_goes_offline_and_returns(tmp_path, meters(tcp(), **FAST), {})


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        (Fault.CORRUPT, "corrupt frame: bad checksum"),
        (Fault.WRONG_ADDRESS, "reply from address 000000000002, expected 000000000001"),
        (Fault.ERROR_REPLY, "the meter refused: error 0x01 (other error)"),
    ],
)
def test_a_bad_reply_is_logged_with_meter_and_identifier_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: Fault, logged: str
) -> None:
    caplog.set_level(logging.WARNING, logger="collectors.dlt645")
    devices, site = meters(tcp(), **FAST), electricity_site()
    events: list[DeviceStateChanged] = []
    with (
        simulating(devices) as sim,
        spooling(tmp_path, site) as spool,
        polling(devices, spool, events) as poller,
    ):
        wait_until(lambda: bool(readings(spool, "E1") and readings(spool, "E2")), "first readings", 10)
        sim.set_fault("E1", fault)

        def logged_for_e1() -> bool:
            return any("meter 000000000001" in r.getMessage() and logged in r.getMessage() for r in caplog.records)

        wait_until(logged_for_e1, f"the {fault} logged", 10)
        record = next(r for r in caplog.records if logged in r.getMessage())
        assert "E1 (meter 000000000001 on dlt645 tcp" in record.getMessage()
        assert "total (00000000)" in record.getMessage()
        since = datetime.now(UTC)
        wait_until(lambda: len([r for r in readings(spool, "E2") if r.ts > since]) >= 3, "E2 still read", 10)
        sim.set_value("E1", "total", 88.25)
        sim.set_fault("E1", None)
        wait_until(lambda: readings(spool, "E1")[-1].fields["total"] == 88.25, "E1 read again", 10)
        assert poller.status("E1").online is True
        assert poller._thread is not None and poller._thread.is_alive()


def test_rtu_meters_on_one_serial_line_decode_exactly(tmp_path: Path, pty_pair: tuple[str, str]) -> None:  # noqa: F811
    poller_end, meter_end = pty_pair
    devices = meters(rtu(poller_end), identifiers=ALL, interval_s=3600, timeout_s=1)
    site, events = electricity_site(), list[DeviceStateChanged]()
    with simulating(devices, {poller_end: meter_end}) as sim, spooling(tmp_path, site) as spool:
        sim.set_value("E1", "total", 12345.67)
        sim.set_value("E1", "current_a", 12.345)
        sim.set_value("E2", "total", 0.01)
        with polling(devices, spool, events):
            wait_until(lambda: bool(readings(spool, "E1") and readings(spool, "E2")), "a reading from each meter", 10)
        (e1,) = readings(spool, "E1")
        (e2,) = readings(spool, "E2")
        assert (e1.fields["total"], e1.fields["current_a"], e2.fields["total"]) == (12345.67, 12.345, 0.01)


def test_a_silent_meter_on_the_bus_leaves_its_neighbour_answering(tmp_path: Path, pty_pair: tuple[str, str]) -> None:  # noqa: F811
    poller_end, meter_end = pty_pair
    silent_meter_goes_offline_and_returns(tmp_path, meters(rtu(poller_end), **FAST), {poller_end: meter_end})


def test_a_corrupt_frame_on_the_bus_is_skipped(
    tmp_path: Path,
    pty_pair: tuple[str, str],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="collectors.dlt645")
    poller_end, meter_end = pty_pair
    devices, site = meters(rtu(poller_end), **FAST), electricity_site()
    events: list[DeviceStateChanged] = []
    with (
        simulating(devices, {poller_end: meter_end}) as sim,
        spooling(tmp_path, site) as spool,
        polling(devices, spool, events) as poller,
    ):
        wait_until(lambda: bool(readings(spool, "E2")), "first readings", 10)
        sim.set_fault("E2", Fault.CORRUPT)
        wait_until(
            lambda: any(
                "meter 000000000002" in r.getMessage() and "bad checksum" in r.getMessage() for r in caplog.records
            ),
            "the corrupt frame logged",
            10,
        )
        sim.set_fault("E2", None)
        sim.set_value("E2", "total", 5.5)
        wait_until(lambda: readings(spool, "E2")[-1].fields["total"] == 5.5, "E2 read again", 10)
        assert poller.status("E2").online is True


def test_stopping_with_a_poller_connected_logs_no_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The demo's summary must not end in asyncio's 'Exception in callback … CancelledError' (Python 3.11): the
    simulator stops while the hub's poller holds its connection open, its handler task waiting for a request."""
    devices = meters(tcp(), interval_s=3600, timeout_s=1)
    site, events = electricity_site(), list[DeviceStateChanged]()
    simulator = Dlt645Simulator(devices, FakeClock(SIM_START))
    simulator.start()
    try:
        with spooling(tmp_path, site) as spool, polling(devices, spool, events):
            wait_until(lambda: bool(readings(spool, "E1") and readings(spool, "E2")), "a reading from each meter", 10)
            simulator.stop()  # the poller still connected
    finally:
        simulator.stop()
    assert not [r for r in caplog.records if r.exc_info or "Exception in callback" in r.getMessage()]
