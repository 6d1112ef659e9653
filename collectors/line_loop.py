"""The schedule every polled line keeps, whatever its protocol: devices in turn, each on its own interval.

A line is a serial bus or a gateway; its devices are polled one at a time, never concurrently. Each
device keeps a fixed grid of slots (slots missed while the line was busy are skipped and counted); a
device that gives nothing is backed off exponentially; a line where nobody answers for a few polls in
a row has its connection opened anew, in case it is half-open (a gateway rebooted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from core.clock import Clock

RECONNECT_AFTER = 2  # polls in a row that no device on the line answered


class Schedule(Protocol):
    @property
    def interval_s(self) -> float: ...

    @property
    def backoff_s(self) -> float: ...

    @property
    def backoff_max_s(self) -> float: ...


class ScheduledDevice(Protocol):
    @property
    def asset_id(self) -> str: ...

    @property
    def binding(self) -> Schedule: ...


class Outcome(Protocol):
    @property
    def values(self) -> object: ...  # empty when the poll gave nothing

    @property
    def answered(self) -> bool: ...


class Connection(Protocol):
    @property
    def connected(self) -> bool: ...

    def close(self) -> None: ...


class SlotStats(Protocol):
    skipped_slots: int


D = TypeVar("D", bound=ScheduledDevice)
R = TypeVar("R", bound=Outcome)


class LineLoop(Generic[D, R]):
    """Polls the devices of one line in turn, forever; `report` gets every poll's result."""

    def __init__(
        self,
        name: str,
        line: object,
        devices: Sequence[D],
        connection: Connection,
        report: Callable[[R], None],
        stats: SlotStats,
        clock: Clock,
    ) -> None:
        self.log = logging.getLogger(f"collectors.{name}")
        self.name = name
        self.line = line
        self.clock = clock
        self.report = report
        self.connection = connection
        self._devices = list(devices)
        self._slot_stats = stats
        self.failures: dict[str, int] = {d.asset_id: 0 for d in self._devices}
        self.unanswered_polls = 0  # in a row, over all devices of the line

    async def poll(self, device: D) -> R:
        """Read the device once (the protocol's part)."""
        raise NotImplementedError

    def failed(self, device: D, problem: str) -> R:
        """The result of a poll that raised: nothing read, the problem said."""
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        due = {d.asset_id: loop.time() for d in self._devices}
        try:
            while not stop.is_set():
                device = min(self._devices, key=lambda d: due[d.asset_id])
                delay = due[device.asset_id] - loop.time()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    continue
                result = await self._poll_guarded(device)
                due[device.asset_id] = self._next_due(device, due[device.asset_id], bool(result.values), loop.time())
                self._check_connection(result.answered)
                self.report(result)
        finally:
            self.connection.close()

    def _check_connection(self, answered: bool) -> None:
        self.unanswered_polls = 0 if answered else self.unanswered_polls + 1
        if self.unanswered_polls and self.unanswered_polls % RECONNECT_AFTER == 0 and self.connection.connected:
            # Nobody on the line answers: the connection may be half-open (a gateway rebooted), so open it anew.
            self.log.info("%s: no device on %s answers; reconnecting", self.name, self.line)
            self.connection.close()

    def _next_due(self, device: D, due: float, ok: bool, now: float) -> float:
        b = device.binding
        if not ok:
            self.failures[device.asset_id] += 1
            return now + min(b.backoff_max_s, b.backoff_s * 2.0 ** (self.failures[device.asset_id] - 1))
        if self.failures[device.asset_id]:  # back from a failure: start a new grid from this poll
            self.failures[device.asset_id] = 0
            return due + b.interval_s if due + b.interval_s > now else now + b.interval_s
        nxt = due + b.interval_s
        if nxt < now:  # the line was busy past this slot: keep the grid and skip what was missed
            missed = math.floor((now - nxt) / b.interval_s) + 1
            self._slot_stats.skipped_slots += missed
            nxt += missed * b.interval_s
        return nxt

    async def _poll_guarded(self, device: D) -> R:
        try:
            return await self.poll(device)
        except Exception as exc:  # a bug must not stop the line; the device is backed off like a failure
            self.log.exception("%s %s: polling failed unexpectedly", self.name, device)
            return self.failed(device, f"poller error: {exc!r}")
