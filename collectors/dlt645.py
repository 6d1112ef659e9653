"""DL/T 645-2007 poller: reads the site's DL/T 645 electricity meters and hands readings to the spool.

The same shape as `collectors.modbus.ModbusPoller`: one asyncio task per line (see
`collectors.dlt645_line`) in one event loop, which `start()` runs in a thread of its own. A meter that
gives nothing is marked offline with the Modbus poller's `DeviceStateChanged`, so one subscriber serves
both. Readings the sink refuses stay queued in memory (at most `max_pending`, oldest dropped first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from collectors.dlt645_devices import Dlt645ConfigError, Dlt645Meter, devices_from_site, group_lines
from collectors.dlt645_line import Dlt645Stats, LinePoller, LinkFactory, PollResult
from collectors.dlt645_link import Link, make_link
from collectors.modbus import DeviceStateChanged, DeviceStatus
from collectors.sink_buffer import SinkBuffer
from core.clock import Clock
from core.dlt645_config import Dlt645Line
from core.ports import ReadingSink
from core.reading import Reading

__all__ = [
    "DeviceStateChanged",
    "DeviceStatus",
    "Dlt645ConfigError",
    "Dlt645Meter",
    "Dlt645Poller",
    "Dlt645Stats",
    "devices_from_site",
]

log = logging.getLogger("collectors.dlt645")


def default_link(line: Dlt645Line, meters: Sequence[Dlt645Meter]) -> Link:
    return make_link(line, meters[0].binding)


class Dlt645Poller:
    """Polls `meters` (from `devices_from_site`) and commits one reading per successful poll to `sink`."""

    def __init__(
        self,
        meters: Sequence[Dlt645Meter],
        sink: ReadingSink,
        clock: Clock,
        *,
        on_state: Callable[[DeviceStateChanged], None] | None = None,
        link_factory: LinkFactory = default_link,
        max_pending: int = 10_000,
        full_retry_s: float = 0.5,
        group_max: int = 500,
    ) -> None:
        self.meters = list(meters)
        self.sink = sink
        self.clock = clock
        self.on_state = on_state
        self.link_factory = link_factory
        self.stats = Dlt645Stats()
        self._status = {m.asset_id: DeviceStatus() for m in self.meters}
        self._status_lock = threading.Lock()
        self._buffer = SinkBuffer(
            sink, self.stats, name="dlt645", max_pending=max_pending, group_max=group_max, full_retry_s=full_retry_s
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def status(self, asset_id: str) -> DeviceStatus:
        """The meter's current state (a snapshot, safe from any thread)."""
        with self._status_lock:
            return self._status[asset_id]

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then close the links and offer what is queued to the sink once more."""
        lines: list[LinePoller] = []
        for line, members in group_lines(self.meters).items():
            try:
                lines.append(LinePoller(line, members, self.clock, self._report, self.stats, self.link_factory))
            except Exception as exc:  # that line is down, the others still poll
                log.exception("dlt645: cannot set up %s", line)
                for meter in members:
                    self._report(PollResult(meter, self.clock.now(), problems=[f"cannot set up {line}: {exc}"]))
        tasks = [asyncio.create_task(line.run(stop), name=str(line.line)) for line in lines]
        flusher = asyncio.create_task(self._buffer.run(stop), name="dlt645 sink")
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

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="dlt645-poller", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the DL/T 645 poller thread did not start")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the thread; queued readings get one more chance at the sink."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("the DL/T 645 poller thread did not stop within %.0f s", timeout)

    def _report(self, result: PollResult) -> None:
        asset_id = result.device.asset_id
        online = bool(result.values)
        if online:
            self.stats.readings += 1
            self._buffer.put(([Reading(asset_id, result.ts, dict(result.values))], result.device.source))
            reason = "answering" if not result.problems else f"partial: {'; '.join(result.problems)}"
        else:
            reason = "; ".join(result.problems) or "no data items read"
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
            word = "online" if online else "offline"
            (log.info if online else log.warning)("dlt645 %s is %s: %s", result.device, word, reason)
            if self.on_state is not None:
                try:
                    self.on_state(event)
                except Exception:  # a failing subscriber must not stop polling
                    log.exception("on_state callback failed for %s", event)
