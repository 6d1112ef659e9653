"""Faulty devices against the real simulator: the others keep their interval, errors are logged, polling recovers."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.modbus.collector import DeviceStateChanged
from core.reading import Reading
from simulators.modbus_server import Fault
from tests.integration.collectors.modbus.test_simulator import (
    FAST,
    meter,
    polling,
    readings,
    simulating,
    site_of,
    spooling,
    tcp,
)
from tests.support.services import free_port, wait_until

INTERVAL = 0.2  # FAST: interval_s = 0.2, timeout_s = 0.1, retries = 0, backoff 0.2 doubling to 0.4


def stamps_after(spool_readings: list[Reading], since: datetime) -> list[float]:
    return [r.ts.timestamp() for r in spool_readings if r.ts > since]


def gaps(stamps: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(stamps)]


def states(events: list[DeviceStateChanged], asset_id: str) -> list[bool]:
    return [e.online for e in events if e.asset_id == asset_id]


def test_a_silent_device_does_not_delay_devices_on_other_lines_and_recovers(tmp_path: Path) -> None:
    quiet_port, busy_port = free_port(), free_port()
    site = site_of(
        meter("QUIET", "electricity", tcp(quiet_port, 1, f'profile = "eastron_sdm120", {FAST}')),
        meter("W1", "water", tcp(busy_port, 1, f'profile = "generic_water", {FAST}')),
        meter("W2", "water", tcp(busy_port, 2, f'profile = "generic_water", {FAST}')),
    )
    events: list[DeviceStateChanged] = []
    with simulating(site) as sim, spooling(tmp_path, site) as spool, polling(site, spool, events) as poller:
        wait_until(lambda: len(readings(spool, "W1")) >= 2 and readings(spool, "QUIET"), "first readings", 10)
        silent_since = datetime.now(UTC)
        sim.set_fault("QUIET", Fault.SILENT)
        wait_until(lambda: states(events, "QUIET") == [True, False], "QUIET marked offline", 10)

        def others_kept_going() -> bool:
            return all(len(stamps_after(readings(spool, a), silent_since)) >= 10 for a in ("W1", "W2"))

        wait_until(others_kept_going, "ten readings each from W1 and W2 while QUIET is silent", 10)
        assert poller.status("QUIET").online is False
        assert "no answer within 0.1 s" in poller.status("QUIET").reason
        quiet_readings = len(readings(spool, "QUIET"))
        asked_while_silent = sim.requests("QUIET")
        wait_until(lambda: sim.requests("QUIET") >= asked_while_silent + 2, "two more tries at QUIET", 5)
        tried_at = datetime.now(UTC)
        wait_until(lambda: sim.requests("QUIET") >= asked_while_silent + 3, "a third try", 5)
        # Backed off: tried every 0.4 s, not at its 0.2 s interval.
        assert (datetime.now(UTC) - tried_at).total_seconds() > 0.3

        sim.set_value("QUIET", "total", 999.5)
        back_since = datetime.now(UTC)
        sim.set_fault("QUIET", None)
        wait_until(lambda: states(events, "QUIET") == [True, False, True], "QUIET back online", 10)
        wait_until(lambda: len(readings(spool, "QUIET")) > quiet_readings, "a fresh reading from QUIET", 10)
        during = {a: stamps_after(readings(spool, a), silent_since) for a in ("W1", "W2")}
        last_quiet = readings(spool, "QUIET")[-1]

    for asset_id, stamps in during.items():
        intervals = gaps(stamps)
        assert intervals == pytest.approx([INTERVAL] * len(intervals), abs=0.06), asset_id
    comeback = [e for e in events if e.asset_id == "QUIET"][-1]
    # The backoff tops out at 0.4 s, so the first poll after the fault cleared comes within about that.
    assert (comeback.at - back_since).total_seconds() < 0.4 + 0.15
    assert last_quiet.fields["total"] == 999.5


def test_a_silent_device_on_a_shared_line_costs_the_others_at_most_its_timeout(tmp_path: Path) -> None:
    port = free_port()
    site = site_of(
        meter("DEAD", "water", tcp(port, 1, f'profile = "generic_water", {FAST}')),
        meter("LIVE", "water", tcp(port, 2, f'profile = "generic_water", {FAST}')),
    )
    with simulating(site) as sim, spooling(tmp_path, site) as spool, polling(site, spool):
        wait_until(lambda: readings(spool, "LIVE") and readings(spool, "DEAD"), "first readings", 10)
        silent_since = datetime.now(UTC)
        sim.set_fault("DEAD", Fault.SILENT)
        wait_until(lambda: len(stamps_after(readings(spool, "LIVE"), silent_since)) >= 12, "twelve LIVE readings", 10)
        live = stamps_after(readings(spool, "LIVE"), silent_since)
    # One request at a time on a line: a poll of LIVE may wait for DEAD's 0.1 s timeout, then the grid resumes.
    assert max(gaps(live)) < INTERVAL + 0.1 + 0.06
    slots = round((live[-1] - live[0]) / INTERVAL)
    assert len(live) >= slots  # no slot of LIVE was lost (a skipped slot would leave one fewer reading)


def test_exceptions_garbage_and_short_reads_are_logged_and_polling_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="collectors.modbus")
    port = free_port()
    site = site_of(
        meter("E1", "electricity", tcp(port, 1, f'profile = "eastron_sdm120", {FAST}')),
        meter("W1", "water", tcp(port, 2, f'profile = "generic_water", {FAST}')),
    )
    where = f"(device 1 on tcp 127.0.0.1:{port})"

    def logged(text: str) -> bool:
        return any(text in record.getMessage() for record in caplog.records)

    with simulating(site) as sim, spooling(tmp_path, site) as spool, polling(site, spool) as poller:
        wait_until(lambda: readings(spool, "E1") and readings(spool, "W1"), "first readings", 10)
        sim.set_fault("E1", Fault.EXCEPTION, exception_code=2)
        wait_until(lambda: logged(f"E1 {where}: input registers 0..13: exception response 2 (ILLEGAL_ADDRESS)"), "", 5)
        sim.set_fault("E1", Fault.GARBAGE)
        nan = f"E1 {where}: field 'voltage' (input register 0, float32 ABCD): decodes to nan; raw registers "
        wait_until(lambda: logged(nan + "[0xFFFF, 0xFFFF]"), "the garbage logged", 5)
        sim.set_fault("W1", Fault.SHORT_READ)
        short = f"W1 (device 2 on tcp 127.0.0.1:{port}): holding read at 0 returned 1 register(s), expected 2"
        wait_until(lambda: logged(short), "the short read logged", 5)
        assert poller.status("E1").online is False and poller.status("W1").online is False
        sim.set_fault("E1", None)
        sim.set_fault("W1", None)
        sim.set_value("E1", "total", 321.5)
        sim.set_value("W1", "total", 12.5)

        def both_back() -> bool:
            return readings(spool, "E1")[-1].fields["total"] == 321.5 and readings(spool, "W1")[-1].fields == {
                "total": 12.5
            }

        wait_until(both_back, "fresh values from both devices", 10)
    assert poller.stats.exception_responses >= 1
    assert poller.stats.decode_errors >= 8  # every float field of the SDM120 at least once
    assert poller.stats.short_reads >= 1
