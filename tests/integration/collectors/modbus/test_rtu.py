"""Modbus RTU over a real pseudo-terminal pair made by socat: the poller on one end, the simulator on the other."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.site import Site
from simulators.modbus_server import Fault
from tests.integration.collectors.modbus.test_simulator import FAST, polling, readings, simulating, site_of, spooling
from tests.support.services import wait_until


def require(ok: bool, message: str) -> None:
    """Skip locally, fail under CI: a green CI must mean the RTU tests ran."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run every integration test")
    pytest.skip(message)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two linked pseudo-terminals, like the two ends of a null-modem cable."""
    socat = shutil.which("socat")
    require(socat is not None, "socat is not installed (apt-get install -y socat)")
    require(
        importlib.util.find_spec("serial") is not None,
        "pyserial is not installed; pymodbus needs it for RTU (install pymodbus[serial])",
    )
    a, b = tmp_path / "tty-poller", tmp_path / "tty-meters"
    log = (tmp_path / "socat.log").open("wb")
    process = subprocess.Popen(
        [str(socat), "-d", "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"], stderr=log
    )
    try:
        wait_until(lambda: (a.exists() and b.exists()) or process.poll() is not None, "socat's pty links", 10)
        assert process.poll() is None, (tmp_path / "socat.log").read_text()
        yield str(a), str(b)
    finally:
        process.terminate()
        process.wait(5)
        log.close()


def rtu_site(port: str, timing: str) -> Site:
    def rtu_meter(asset_id: str, utility: str, device_id: int, profile: str) -> str:
        return (
            f'[[meters]]\nid = "{asset_id}"\nutility = "{utility}"\narea = "lobby"\n[meters.binding]\n'
            # Even parity is left out: Linux ptys refuse to set PARENB a second time (EINVAL).
            f'protocol = "modbus"\ntransport = "rtu"\nserial_port = "{port}"\nbaudrate = 19200\n'
            f'device_id = {device_id}\nprofile = "{profile}"\n{timing.replace(", ", chr(10))}\n'
        )

    return site_of(rtu_meter("R-E", "electricity", 1, "eastron_sdm120"), rtu_meter("R-W", "water", 2, "generic_water"))


def test_rtu_meters_on_one_serial_line_decode_in_the_planned_reads(tmp_path: Path, pty_pair: tuple[str, str]) -> None:
    poller_end, meter_end = pty_pair
    site = rtu_site(poller_end, "interval_s = 3600, timeout_s = 1")
    with simulating(site, serial_ports={poller_end: meter_end}) as sim, spooling(tmp_path, site) as spool:
        sim.set_value("R-E", "voltage", 229.5)
        sim.set_value("R-E", "total", 4567.25)
        sim.set_value("R-W", "total", 321.987)
        with polling(site, spool):
            wait_until(lambda: readings(spool, "R-E") and readings(spool, "R-W"), "a reading from each meter", 10)
        (energy,) = readings(spool, "R-E")
        (water,) = readings(spool, "R-W")
        assert (energy.fields["voltage"], energy.fields["total"]) == (229.5, 4567.25)
        assert water.fields == pytest.approx({"total": 321.987}, abs=1e-9)
        # SDM120: input 0..13, 30..31, 70..75 and 342..343; the water meter: holding 0..1.
        assert (sim.requests("R-E", 4), sim.requests("R-E", 3), sim.requests("R-W", 3)) == (4, 0, 1)


def test_a_silent_meter_on_the_bus_leaves_its_neighbour_answering(tmp_path: Path, pty_pair: tuple[str, str]) -> None:
    poller_end, meter_end = pty_pair
    site = rtu_site(poller_end, FAST)
    with (
        simulating(site, serial_ports={poller_end: meter_end}) as sim,
        spooling(tmp_path, site) as spool,
        polling(site, spool) as poller,
    ):
        wait_until(lambda: readings(spool, "R-E") and readings(spool, "R-W"), "first readings", 10)
        sim.set_fault("R-E", Fault.SILENT)
        wait_until(lambda: poller.status("R-E").online is False, "R-E offline", 10)
        since = datetime.now(UTC)
        wait_until(lambda: len([r for r in readings(spool, "R-W") if r.ts > since]) >= 5, "R-W still read", 10)
        sim.set_value("R-E", "total", 77.5)
        sim.set_fault("R-E", None)
        wait_until(lambda: readings(spool, "R-E")[-1].fields["total"] == 77.5, "R-E back on the bus", 10)
        assert poller.status("R-E").online is True
