"""A DL/T 645-2007 meter simulator: the site's DL/T 645 meters answering on their gateways and serial lines.

Each line gets one server (TCP for a gateway, the other end of a serial cable for RTU) that answers
read requests for the meters on it, and the wildcard read-address request when one meter is alone on
its line. Energy advances with the injected clock along the community's daily load profile, like the
Modbus simulator's meters.

Faults per meter, for tests: SILENT (no answer), WRONG_ADDRESS (replies carry another address),
CORRUPT (replies with a bad checksum), ERROR_REPLY (an error reply, "other error", to every read).

    python -m simulators.dlt645_server --site examples/site.toml
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import random
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from collectors.dlt645.config import DATA_ITEMS, Dlt645Line, Dlt645Transport
from collectors.dlt645.devices import Dlt645Meter, devices_from_site, group_lines
from collectors.dlt645.frames import (
    ERROR_REPLY,
    READ_ADDRESS,
    READ_DATA,
    REPLY,
    WILDCARD_ADDRESS,
    BcdError,
    Frame,
    FrameError,
    FrameSplitter,
    address_bytes,
    decode,
    di_bytes,
    encode,
    encode_bcd,
)
from collectors.dlt645.link import make_link
from core.clock import Clock, SystemClock
from core.site import Site
from core.site_loader import load_site
from simulators.meter_clock import MeterClock
from simulators.modbus_meters import PEAK, POWER_FACTOR, STEP_S, Behaviour, daily_profile

log = logging.getLogger(__name__)

_BY_DI = {item.di: item for item in DATA_ITEMS.values()}


class Fault(StrEnum):
    SILENT = "silent"
    WRONG_ADDRESS = "wrong_address"
    CORRUPT = "corrupt"
    ERROR_REPLY = "error_reply"


@dataclass
class SimulatedMeter:
    """A single- or three-phase meter's registers: energy in kWh, phase-A voltage and current, power in kW."""

    peak_kw: float
    zone: ZoneInfo
    rng: random.Random
    values: dict[str, float] = field(default_factory=dict)

    def advance(self, start: datetime, seconds: float) -> None:
        """Consume for `seconds` from `start` (aware), and refresh the instantaneous values."""
        done = 0.0
        while True:  # at least once, so `advance(now, 0)` fills the instantaneous values
            step = min(STEP_S, seconds - done)
            local = (start + timedelta(seconds=done)).astimezone(self.zone)
            hour = local.hour + local.minute / 60 + local.second / 3600
            kw = self.peak_kw * daily_profile(hour) * self.rng.uniform(0.9, 1.1)
            volts = round(self.rng.gauss(230.0, 1.5), 1)
            self.values["total"] = self.values.get("total", 0.0) + kw * step / 3600
            self.values.update(rate=round(kw, 4), voltage_a=volts, current_a=round(kw * 1000 / volts / POWER_FACTOR, 3))
            done += step
            if done >= seconds:
                return


@dataclass
class _Simulated:
    meter: Dlt645Meter
    registers: SimulatedMeter
    fault: Fault | None = None


class Dlt645Simulator:
    """Serves `meters` on the lines their bindings name, until `stop()`."""

    def __init__(
        self,
        meters: Sequence[Dlt645Meter],
        clock: Clock,
        *,
        zone: str = "Asia/Shanghai",
        seed: int = 1,
        serial_ports: Mapping[str, str] | None = None,
    ) -> None:
        """`serial_ports` maps a binding's serial port to the one to serve it on: the other end of the cable."""
        self.clock = clock
        self.serial_ports = dict(serial_ports or {})
        rng = random.Random(seed)
        now = clock.now()
        self._meters: dict[str, _Simulated] = {}
        for m in meters:
            registers = SimulatedMeter(PEAK[Behaviour.ELECTRICITY][0] * rng.uniform(0.5, 1.5), ZoneInfo(zone), rng)
            registers.values["total"] = round(rng.uniform(100, 3000), 2)
            registers.advance(now, 0.0)
            self._meters[m.asset_id] = _Simulated(m, registers)
        self._meter_clock = MeterClock(clock, [sim.registers for sim in self._meters.values()], synced=now)
        self._lock = threading.Lock()  # tests call in from their thread while the servers answer in theirs
        self._requests: collections.Counter[str] = collections.Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_site(
        cls, site: Site, clock: Clock, *, seed: int = 1, serial_ports: Mapping[str, str] | None = None
    ) -> Dlt645Simulator:
        """The site's DL/T 645 meters, in the site's time zone."""
        return cls(devices_from_site(site), clock, zone=site.info.timezone, seed=seed, serial_ports=serial_ports)

    # ---- test and demo controls (any thread) ----

    @property
    def asset_ids(self) -> list[str]:
        return list(self._meters)

    def set_value(self, asset_id: str, name: str, value: float) -> None:
        """Set a field (`total`, `voltage_a`, `current_a`, `rate`) in its unit."""
        with self._lock:
            self._meter_clock.sync()
            self._get(asset_id).registers.values[name] = value

    def value(self, asset_id: str, name: str) -> float:
        with self._lock:
            self._meter_clock.sync()
            return self._get(asset_id).registers.values[name]

    def advance(self, delta: timedelta) -> None:
        """Run every meter `delta` ahead of the clock (it then waits for the clock to catch up)."""
        with self._lock:
            self._meter_clock.run_ahead(delta)

    def set_fault(self, asset_id: str, fault: Fault | None) -> None:
        """Inject a fault into one meter, or clear it with None."""
        with self._lock:
            self._get(asset_id).fault = fault

    def requests(self, asset_id: str) -> int:
        """Requests received for the meter's address (answered or not)."""
        with self._lock:
            return self._requests[asset_id]

    # ---- answering ----

    def answer(self, line: Dlt645Line, raw: bytes) -> bytes | None:
        """The reply to one request frame on `line`, or None for no reply (not ours, silent, not a frame)."""
        try:
            request = decode(raw)
        except FrameError as exc:
            log.warning("simulated DL/T 645 %s: ignored a request: %s", line, exc)
            return None
        with self._lock:
            on_line = [s for s in self._meters.values() if s.meter.line == line]
            if request.control == READ_ADDRESS and request.address == WILDCARD_ADDRESS and len(on_line) == 1:
                sim = on_line[0]
                data = address_bytes(sim.meter.address)
                return (
                    None if sim.fault is Fault.SILENT else encode(Frame(sim.meter.address, READ_ADDRESS | REPLY, data))
                )
            found = [s for s in on_line if s.meter.address == request.address]
            if request.control != READ_DATA or not found or len(request.data) != 4:
                return None
            sim = found[0]
            self._requests[sim.meter.asset_id] += 1
            if sim.fault is Fault.SILENT:
                return None
            self._meter_clock.sync()
            return self._reply(sim, int.from_bytes(request.data, "little"))

    def _reply(self, sim: _Simulated, di: int) -> bytes:
        address = sim.meter.address
        item = _BY_DI.get(di)
        reply = Frame(address, READ_DATA | ERROR_REPLY, b"\x02")  # no such data
        if sim.fault is Fault.ERROR_REPLY:
            reply = Frame(address, READ_DATA | ERROR_REPLY, b"\x01")
        elif item is not None:
            try:
                reply = Frame(
                    address, READ_DATA | REPLY, di_bytes(di) + encode_bcd(sim.registers.values[item.field], item)
                )
            except BcdError as exc:  # e.g. energy past 999999.99 kWh: answer like a failing meter
                log.warning("simulated %s: %s", sim.meter, exc)
                reply = Frame(address, READ_DATA | ERROR_REPLY, b"\x01")
        if sim.fault is Fault.WRONG_ADDRESS:
            reply = Frame(f"{(int(address) + 1) % 10**12:012d}", reply.control, reply.data)
        out = bytearray(encode(reply))
        if sim.fault is Fault.CORRUPT:
            out[-2] ^= 0xFF  # the checksum byte
        return bytes(out)

    def _get(self, asset_id: str) -> _Simulated:
        try:
            return self._meters[asset_id]
        except KeyError:
            known = ", ".join(self._meters) or "(none)"
            raise KeyError(f"no simulated DL/T 645 meter {asset_id!r}; meters: {known}") from None

    # ---- running ----

    def start(self) -> None:
        """Start one server per line in a thread with its own event loop; raises if one cannot listen."""
        ready = threading.Event()
        failure: list[Exception] = []

        async def main() -> None:
            self._loop, self._stopped = asyncio.get_running_loop(), asyncio.Event()
            tasks: list[asyncio.Task[None]] = []
            servers: list[asyncio.Server] = []
            try:
                for line, members in group_lines(s.meter for s in self._meters.values()).items():
                    if line.transport is Dlt645Transport.RTU:
                        tasks.append(await self._serve_serial(line, members))
                    else:
                        b = members[0].binding
                        servers.append(await asyncio.start_server(self._tcp_handler(line), b.host, b.port))
            except Exception as exc:
                failure.append(exc)
            ready.set()
            if not failure:
                await self._stopped.wait()
            for task in tasks:
                task.cancel()
            for server in servers:
                server.close()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="dlt645-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the DL/T 645 simulator did not start within 10 s")
        if failure:
            self._thread.join(5)
            raise RuntimeError(f"the DL/T 645 simulator could not start: {failure[0]}") from failure[0]

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    async def _serve_serial(self, line: Dlt645Line, members: Sequence[Dlt645Meter]) -> asyncio.Task[None]:
        link = make_link(line, members[0].binding, serial_port=self.serial_ports.get(line.address))
        await link.open()

        async def serve() -> None:
            try:
                while True:
                    reply = self.answer(line, await link.next_frame())
                    if reply is not None:
                        link.write(reply)
            finally:
                link.close()

        return asyncio.create_task(serve(), name=f"simulated {line}")

    def _tcp_handler(self, line: Dlt645Line) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            splitter = FrameSplitter()
            try:
                while data := await reader.read(512):
                    splitter.feed(data)
                    while (raw := splitter.next_frame()) is not None:
                        reply = self.answer(line, raw)
                        if reply is not None:
                            writer.write(reply)
            except ConnectionError:
                pass
            except asyncio.CancelledError:
                # The simulator stops with a poller connected. Ending normally: on Python 3.11 asyncio's stream
                # callback asks a cancelled handler task for its exception and logs a traceback for it.
                return
            finally:
                writer.close()

        return handle


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the site file's DL/T 645 meters until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--site", default="examples/site.toml", help="the site file")
    args = parser.parse_args(argv)
    simulator = Dlt645Simulator.from_site(load_site(args.site), SystemClock())
    simulator.start()
    print(f"serving {', '.join(simulator.asset_ids)} from {args.site}; Ctrl-C stops")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        simulator.stop()


if __name__ == "__main__":
    main()
