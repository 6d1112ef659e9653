"""What every polled protocol shares: device states, a thread with its own event loop, the sink buffer.

A protocol's poller (Modbus, DL/T 645) subclasses `Poller` and says only how to build the task of one
line (a serial bus or a gateway) and what a failed set-up reports. One asyncio task per line, all in one
event loop, which `start()` runs in a thread of its own next to the thread-based MQTT collector. A device
that gives nothing is marked offline (`DeviceStateChanged`), backed off and retried by its line; the
other devices keep their schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from collectors.sink_buffer import DropCounters, SinkBuffer
from core.clock import Clock
from core.ports import ReadingSink
from core.reading import FieldValue, Reading
from core.threads import Spawn, ThreadHandle, start_thread


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


class PolledDevice(Protocol):
    @property
    def asset_id(self) -> str: ...

    @property
    def source(self) -> str: ...  # where its readings came from, e.g. modbus+tcp://host:port/1


class PollOutcome(Protocol):
    @property
    def device(self) -> PolledDevice: ...

    @property
    def ts(self) -> datetime: ...

    @property
    def values(self) -> Mapping[str, FieldValue]: ...

    @property
    def problems(self) -> Sequence[str]: ...


class LineTask(Protocol):
    def run(self, stop: asyncio.Event) -> Coroutine[Any, Any, None]: ...


class PollerStats(DropCounters, Protocol):
    readings: int


class Poller:
    """Runs a protocol's line tasks, tracks each device's state and hands readings to the sink."""

    name = "poller"  # in log lines and thread names, e.g. "modbus"
    nothing_read = "no fields read"  # the reason given when a poll yields no value and no problem

    def __init__(
        self,
        asset_ids: Iterable[str],
        sink: ReadingSink,
        clock: Clock,
        stats: PollerStats,
        *,
        on_state: Callable[[DeviceStateChanged], None] | None = None,
        max_pending: int = 10_000,
        full_retry_s: float = 0.5,
        group_max: int = 500,
        spawn: Spawn = start_thread,
    ) -> None:
        self.log = logging.getLogger(f"collectors.{self.name}")  # each protocol keeps its own logger
        self.sink = sink
        self.clock = clock
        self.stats = stats
        self.on_state = on_state
        self._status = {asset_id: DeviceStatus() for asset_id in asset_ids}
        self._status_lock = threading.Lock()
        self._buffer = SinkBuffer(
            sink, stats, name=self.name, max_pending=max_pending, group_max=group_max, full_retry_s=full_retry_s
        )
        self.spawn = spawn
        self._thread: ThreadHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def line_tasks(self) -> list[LineTask]:
        """One task per line; a line that cannot be set up reports its devices itself and is left out."""
        raise NotImplementedError

    def asset_ids(self) -> list[str]:
        """The devices this poller reads."""
        return list(self._status)

    def status(self, asset_id: str) -> DeviceStatus:
        """The device's current state (a snapshot, safe from any thread)."""
        with self._status_lock:
            return self._status[asset_id]

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then close the lines and offer what is queued to the sink once more."""
        tasks = [asyncio.create_task(line.run(stop), name=f"{self.name} line") for line in self.line_tasks()]
        flusher = asyncio.create_task(self._buffer.run(stop), name=f"{self.name} sink")
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

        # A restarted thread (after a crash) runs a fresh loop; the lines reconnect and poll again.
        self._thread = self.spawn(f"{self.name}-poller", lambda: asyncio.run(main()))
        if not ready.wait(10):
            raise RuntimeError(f"the {self.name} poller thread did not start")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the thread; queued readings get one more chance at the sink."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.log.error("the %s poller thread did not stop within %.0f s", self.name, timeout)

    def report(self, result: PollOutcome) -> None:
        """A line's outcome for one device: queue its reading, and announce a change of state."""
        asset_id = result.device.asset_id
        online = bool(result.values)
        if online:
            self.stats.readings += 1
            self._buffer.put(([Reading(asset_id, result.ts, dict(result.values))], result.device.source))
            reason = "answering" if not result.problems else f"partial: {'; '.join(result.problems)}"
        else:
            reason = "; ".join(result.problems) or self.nothing_read
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
            (self.log.info if online else self.log.warning)("%s %s is %s: %s", self.name, result.device, word, reason)
            if self.on_state is not None:
                try:
                    self.on_state(event)
                except Exception:  # a failing subscriber must not stop polling
                    self.log.exception("on_state callback failed for %s", event)
