"""Modbus poller: reads the site's Modbus devices on their schedules and hands readings to the spool.

One asyncio task per line (see `collectors.modbus_line`), all in one event loop; `start()` runs that
loop in a thread of its own, next to the thread-based MQTT collector. A device that gives nothing is
marked offline (`DeviceStateChanged`), backed off and retried; the other devices keep their schedule.

Readings the sink refuses (a full spool) stay queued in memory, oldest first, and are offered again
every `full_retry_s`. Modbus cannot redeliver, so this queue is the only buffer; past `max_pending`
readings the oldest are dropped and counted in `stats.dropped`. A meter's `total` is cumulative, so a
dropped sample costs time resolution, not consumption.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from collectors.modbus_client import ClientFactory, make_client
from collectors.modbus_devices import ModbusConfigError, ModbusDevice, devices_from_site, group_lines
from collectors.modbus_line import LinePoller, ModbusStats, PollResult
from collectors.sink_buffer import SinkBuffer
from core.clock import Clock
from core.ports import ReadingSink
from core.reading import Reading

__all__ = [
    "DeviceStateChanged",
    "DeviceStatus",
    "ModbusConfigError",
    "ModbusDevice",
    "ModbusPoller",
    "ModbusStats",
    "devices_from_site",
]

log = logging.getLogger("collectors.modbus")


@dataclass(frozen=True)
class DeviceStateChanged:
    """A device came online (answers with data) or went offline (gave nothing on its last poll)."""

    asset_id: str
    online: bool
    at: datetime
    reason: str


@dataclass(frozen=True)
class DeviceStatus:
    """The latest known state of one device; `online` is None until its first poll."""

    online: bool | None = None
    since: datetime | None = None
    reason: str = "not polled yet"
    last_reading: datetime | None = None


class ModbusPoller:
    """Polls `devices` (from `devices_from_site`) and commits one reading per successful poll to `sink`."""

    def __init__(
        self,
        devices: Sequence[ModbusDevice],
        sink: ReadingSink,
        clock: Clock,
        *,
        on_state: Callable[[DeviceStateChanged], None] | None = None,
        client_factory: ClientFactory = make_client,
        max_pending: int = 10_000,
        full_retry_s: float = 0.5,
        group_max: int = 500,
    ) -> None:
        self.devices = list(devices)
        self.sink = sink
        self.clock = clock
        self.on_state = on_state
        self.client_factory = client_factory
        self.stats = ModbusStats()
        self._status = {d.asset_id: DeviceStatus() for d in self.devices}
        self._status_lock = threading.Lock()
        self._buffer = SinkBuffer(
            sink, self.stats, name="modbus", max_pending=max_pending, group_max=group_max, full_retry_s=full_retry_s
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def status(self, asset_id: str) -> DeviceStatus:
        """The device's current state (a snapshot, safe from any thread)."""
        with self._status_lock:
            return self._status[asset_id]

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then close the clients and offer what is queued to the sink once more."""
        lines: list[LinePoller] = []
        for line, members in group_lines(self.devices).items():
            try:
                lines.append(LinePoller(line, members, self.clock, self._report, self.stats, self.client_factory))
            except Exception as exc:  # e.g. RTU without pyserial: that line is down, the others still poll
                log.exception("modbus: cannot set up %s", line)
                for device in members:
                    self._report(PollResult(device, self.clock.now(), problems=[f"cannot set up {line}: {exc}"]))
        tasks = [asyncio.create_task(line.run(stop), name=f"modbus {line.line}") for line in lines]
        flusher = asyncio.create_task(self._buffer.run(stop), name="modbus sink")
        await stop.wait()
        for task in tasks:
            task.cancel()
        self._buffer.wake()  # the flusher sees `stop` and returns once its commit in progress is done
        await asyncio.gather(*tasks, flusher, return_exceptions=True)
        await self._buffer.close()

    def start(self) -> None:
        """Run the poller in a thread with its own event loop, until `stop()`."""
        ready = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            ready.set()
            await self.run(self._stop)

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="modbus-poller", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Modbus poller thread did not start")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the thread; queued readings get one more chance at the sink."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("the Modbus poller thread did not stop within %.0f s", timeout)

    def _report(self, result: PollResult) -> None:
        asset_id = result.device.asset_id
        if result.values:
            self.stats.readings += 1
            self._buffer.put(([Reading(asset_id, result.ts, result.values)], result.device.source))
            reason = "answering" if not result.problems else f"partial: {'; '.join(result.problems)}"
        else:
            reason = "; ".join(result.problems) or "no fields read"
        online = bool(result.values)
        with self._status_lock:
            before = self._status[asset_id]
            changed = before.online is not online
            self._status[asset_id] = replace(
                before,
                online=online,
                since=result.ts if changed else before.since,
                reason=reason,
                last_reading=result.ts if online else before.last_reading,
            )
        if changed:
            event = DeviceStateChanged(asset_id, online, result.ts, reason)
            (log.info if online else log.warning)("modbus %s is %s: %s", result.device, _word(online), reason)
            if self.on_state is not None:
                try:
                    self.on_state(event)
                except Exception:  # a failing subscriber must not stop polling
                    log.exception("on_state callback failed for %s", event)


def _word(online: bool) -> str:
    return "online" if online else "offline"
