"""A Modbus simulator for the site file's Modbus assets: real pymodbus servers, realistic registers, faults.

Each line of the site (a TCP endpoint, a gateway speaking RTU over TCP, or a serial port) gets one
pymodbus server that answers for the devices on it, with their register maps as resolved for the
poller. Values advance with the injected clock at every request (see `simulators.modbus_meters`).

Faults per device, for tests: SILENT (no answer at all, like a dead meter on a bus), EXCEPTION
(an exception response to every read), GARBAGE (every register 0xFFFF), SHORT_READ (one register
fewer than asked). Every request received for a device is counted per function code.

    python -m simulators.modbus_server --site examples/site.toml
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import cast

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusBaseServer, ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimAction, SimData, SimDevice

from collectors.modbus.config import ModbusLine, RegisterTable, Transport
from collectors.modbus.devices import ModbusDevice, devices_from_site, group_lines
from core.clock import Clock, SystemClock
from core.site import Site
from core.site_loader import load_site
from simulators.meter_clock import MeterClock
from simulators.modbus_encode import EncodeError, encode_field, garbage
from simulators.modbus_meters import SimulatedMeter, meters_for_site

log = logging.getLogger(__name__)

_FUNCTION_TABLE = {3: RegisterTable.HOLDING, 4: RegisterTable.INPUT}


class Fault(StrEnum):
    SILENT = "silent"
    EXCEPTION = "exception"
    GARBAGE = "garbage"
    SHORT_READ = "short_read"


@dataclass
class _Simulated:
    device: ModbusDevice
    meter: SimulatedMeter
    fault: Fault | None = None
    exception_code: ExcCodes = ExcCodes.DEVICE_FAILURE


class ModbusSimulator:
    """Serves the site's Modbus assets on the addresses their bindings name, until `stop()`."""

    def __init__(
        self, site: Site, clock: Clock, *, seed: int = 1, serial_ports: Mapping[str, str] | None = None
    ) -> None:
        """`serial_ports` maps a binding's serial port to the one to serve it on: the other end of the cable."""
        self.clock = clock
        self.serial_ports = dict(serial_ports or {})
        now = clock.now()
        devices = devices_from_site(site)
        meters = meters_for_site(site, devices, now=now, seed=seed)
        self._devices = {d.asset_id: _Simulated(d, meters[d.asset_id]) for d in devices}
        self._meter_clock = MeterClock(clock, [sim.meter for sim in self._devices.values()], synced=now)
        self._lock = threading.Lock()  # tests call in from their thread while the servers answer in theirs
        self._requests: collections.Counter[tuple[str, int]] = collections.Counter()
        self._servers: list[ModbusBaseServer] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # ---- test and demo controls (any thread) ----

    @property
    def asset_ids(self) -> list[str]:
        return list(self._devices)

    def set_value(self, asset_id: str, field: str, value: float) -> None:
        """Set a field's engineering value; `EncodeError` if its data type cannot carry it."""
        with self._lock:
            sim = self._get(asset_id)
            self._meter_clock.sync()
            encode_field(sim.device.register_map.get(field), value, wrap=False)
            sim.meter.set(field, value)

    def value(self, asset_id: str, field: str) -> float:
        with self._lock:
            self._meter_clock.sync()
            return self._get(asset_id).meter.values[field]

    def advance(self, delta: timedelta) -> None:
        """Run every meter `delta` ahead of the clock (it then waits for the clock to catch up)."""
        with self._lock:
            self._meter_clock.run_ahead(delta)

    def set_fault(self, asset_id: str, fault: Fault | None, *, exception_code: int = ExcCodes.DEVICE_FAILURE) -> None:
        """Inject a fault into one device, or clear it with None."""
        with self._lock:
            sim = self._get(asset_id)
            sim.fault, sim.exception_code = fault, ExcCodes(exception_code)

    def requests(self, asset_id: str, function_code: int | None = None) -> int:
        """Requests received for the device (answered or not), for one function code or all."""
        with self._lock:
            return sum(n for (a, fc), n in self._requests.items() if a == asset_id and function_code in (None, fc))

    def registers(self, asset_id: str, table: RegisterTable, address: int, count: int) -> list[int]:
        """The words the device would send now for `count` registers from `address` (no fault applied)."""
        with self._lock:
            self._meter_clock.sync()
            sim = self._get(asset_id)
            words = [0] * 65536
            for f in sim.device.register_map.fields:
                if f.table == table:
                    words[f.address : f.end] = encode_field(f, sim.meter.values[f.name])
            return words[address : address + count]

    # ---- running ----

    def start(self) -> None:
        """Start one server per line in a thread with its own event loop; raises if one cannot listen."""
        ready = threading.Event()
        failure: list[Exception] = []

        async def main() -> None:
            self._loop, self._stopped = asyncio.get_running_loop(), asyncio.Event()
            try:
                for line, members in group_lines(d.device for d in self._devices.values()).items():
                    server = self._make_server(line, members)
                    await server.serve_forever(background=True)
                    self._servers.append(server)
            except Exception as exc:
                failure.append(exc)
            ready.set()
            if not failure:
                await self._stopped.wait()
            for server in self._servers:
                await server.shutdown()  # type: ignore[no-untyped-call]

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="modbus-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Modbus simulator did not start within 10 s")
        if failure:
            self._thread.join(5)
            raise RuntimeError(f"the Modbus simulator could not start: {failure[0]}") from failure[0]

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._servers.clear()

    def _make_server(self, line: ModbusLine, members: Sequence[ModbusDevice]) -> ModbusBaseServer:
        sim_devices = [
            SimDevice(d.device_id, simdata=self._blocks(d), action=self._action(d.asset_id)) for d in members
        ]
        trace = self._tracer({d.device_id: d.asset_id for d in members})
        b = members[0].binding
        if line.transport is Transport.RTU:
            return ModbusSerialServer(
                sim_devices,
                framer=FramerType.RTU,
                port=self.serial_ports.get(line.address, line.address),
                baudrate=b.baudrate,
                bytesize=b.bytesize,
                parity=b.parity,
                stopbits=b.stopbits,
                trace_pdu=trace,
            )
        framer = FramerType.RTU if line.transport is Transport.RTU_OVER_TCP else FramerType.SOCKET
        return ModbusTcpServer(sim_devices, framer=framer, address=(str(b.host), b.port), trace_pdu=trace)

    @staticmethod
    def _blocks(device: ModbusDevice) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
        def registers(table: RegisterTable) -> list[SimData]:
            # One block from register 0 to the last field, so reads across gaps answer like most meters do.
            end = max((f.end for f in device.register_map.fields if f.table == table), default=1)
            return [SimData(0, count=end, values=0, datatype=DataType.REGISTERS)]

        def bits() -> list[SimData]:
            return [SimData(0, count=16, values=False, datatype=DataType.BITS)]

        return (bits(), bits(), registers(RegisterTable.HOLDING), registers(RegisterTable.INPUT))

    def _tracer(self, by_id: dict[int, str]) -> Callable[[bool, ModbusPDU], ModbusPDU]:
        def trace(sending: bool, pdu: ModbusPDU) -> ModbusPDU | None:
            asset_id = by_id.get(pdu.dev_id)
            if asset_id is None:
                return None if not sending else pdu  # no device with that id on this line: nobody answers
            with self._lock:
                sim = self._devices[asset_id]
                if not sending:
                    self._requests[(asset_id, pdu.function_code)] += 1
                    # pymodbus leaves a request unanswered when its trace hook returns nothing.
                    return None if sim.fault is Fault.SILENT else pdu
                if sim.fault is Fault.SHORT_READ and len(pdu.registers) > 1:
                    pdu.registers = list(pdu.registers)[:-1]
            return pdu

        # pymodbus types the hook as always returning a PDU, but skips a request for which it returns None.
        return cast(Callable[[bool, ModbusPDU], ModbusPDU], trace)

    def _action(self, asset_id: str) -> SimAction:
        async def action(
            function_code: int,
            start_address: int,
            _address: int,
            _count: int,
            registers: list[int],
            _set_values: list[int] | list[bool] | None,
        ) -> ExcCodes | None:
            with self._lock:
                return self._fill(asset_id, function_code, start_address, registers)

        return action

    def _fill(self, asset_id: str, function_code: int, start: int, registers: list[int]) -> ExcCodes | None:
        """Write the device's current values into pymodbus's register block, or answer with the injected fault."""
        sim = self._devices[asset_id]
        if sim.fault is Fault.EXCEPTION:
            return sim.exception_code
        table = _FUNCTION_TABLE.get(function_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        self._meter_clock.sync()
        for f in sim.device.register_map.fields:
            if f.table != table:
                continue
            try:
                words = garbage(f) if sim.fault is Fault.GARBAGE else encode_field(f, sim.meter.values[f.name])
            except EncodeError as exc:  # e.g. a signed counter past its range: answer like a failing meter
                log.warning("simulated %s: %s", asset_id, exc)
                return ExcCodes.DEVICE_FAILURE
            registers[f.address - start : f.end - start] = words
        return None

    def _get(self, asset_id: str) -> _Simulated:
        try:
            return self._devices[asset_id]
        except KeyError:
            known = ", ".join(self._devices) or "(none)"
            raise KeyError(f"no simulated Modbus device {asset_id!r}; devices: {known}") from None


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the site file's Modbus assets until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--site", default="examples/site.toml", help="the site file")
    args = parser.parse_args(argv)
    simulator = ModbusSimulator(load_site(args.site), SystemClock())
    simulator.start()
    print(f"serving {', '.join(simulator.asset_ids)} from {args.site}; Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
