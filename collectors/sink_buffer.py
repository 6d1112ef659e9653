"""Readings a poller has read but the sink has not taken yet: kept in order, offered in groups.

Modbus and DL/T 645 meters cannot redeliver, so this queue is the only buffer while the spool is full;
past `max_pending` the oldest are dropped and counted. A dropped sample of a cumulative register costs
time resolution, not consumption.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from core.ports import ReadingSink
from core.reading import Reading

log = logging.getLogger(__name__)

Message = tuple[Sequence[Reading], str]  # readings and their source, as ReadingSink.accept_many takes them


class DropCounters(Protocol):
    dropped: int
    sink_refusals: int


class SinkBuffer:
    def __init__(
        self,
        sink: ReadingSink,
        stats: DropCounters,
        *,
        name: str,
        max_pending: int = 10_000,
        group_max: int = 500,
        full_retry_s: float = 0.5,
    ) -> None:
        self.sink = sink
        self.stats = stats
        self.name = name
        self.max_pending = max_pending
        self.group_max = group_max
        self.full_retry_s = full_retry_s
        self._pending: collections.deque[Message] = collections.deque()
        self._lock = threading.Lock()  # the poller's loop queues while a worker thread commits
        self._wake = asyncio.Event()
        self.error: str | None = None  # the sink's current failure, if any

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, message: Message) -> None:
        with self._lock:
            self._pending.append(message)
            overflow = len(self._pending) > self.max_pending
            if overflow:
                readings, _ = self._pending.popleft()
                self.stats.dropped += len(readings)
        if overflow:
            log.warning(
                "%s: the sink is full and %d readings are queued; dropped the oldest", self.name, self.max_pending
            )
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Offer what is queued whenever something arrives, until `stop` (then call `close`)."""
        self._wake = asyncio.Event()  # bound to this run's loop
        while True:
            await self._wake.wait()
            self._wake.clear()
            if stop.is_set():
                return
            # SQLite commits block, so they run in a worker thread while the lines keep polling.
            while self._pending and not await asyncio.to_thread(self.flush_once):
                self.stats.sink_refusals += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.full_retry_s)
                if stop.is_set():
                    return

    def wake(self) -> None:
        self._wake.set()

    def flush_once(self) -> bool:
        """Offer queued messages in groups; False if the sink took fewer than offered (it is full)."""
        while True:
            with self._lock:
                group = [self._pending[i] for i in range(min(self.group_max, len(self._pending)))]
            if not group:
                return True
            try:
                taken = self.sink.accept_many(group)
            except Exception as exc:  # keep the readings queued; the next flush tries again
                error = f"{type(exc).__name__}: {exc}"
                if error != self.error:  # once per change of state, not once per retry
                    log.error("the sink failed to take %d %s message(s): %s", len(group), self.name, error)
                self.error = error
                return False
            if self.error is not None:
                log.info("the sink takes %s readings again", self.name)
                self.error = None
            with self._lock:
                for message in group[:taken]:
                    # By identity: an overflow may have dropped the oldest while the sink was committing.
                    if self._pending and self._pending[0] is message:
                        self._pending.popleft()
            if taken < len(group):
                return False

    async def close(self) -> None:
        """Offer what is left once more; what the sink still refuses is counted as dropped."""
        await asyncio.to_thread(self.flush_once)
        if self._pending:
            lost = sum(len(readings) for readings, _ in self._pending)
            self.stats.dropped += lost
            log.warning("%s poller stopped with %d reading(s) the sink did not take; they are lost", self.name, lost)
            self._pending.clear()
