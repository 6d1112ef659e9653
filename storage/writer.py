"""Drains the spool into a ReadingStore in batches, deleting only what the store confirmed.

The writer wakes when the spool commits, then lets a batch gather for `linger_s`: fewer, larger writes
(the spool already holds the readings durably, so nothing waits on the store). While the store is down
it retries with backoff and logs once per change of state; /health shows the last success and the error.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from core.clock import Clock, SystemClock
from core.registry import AssetRegistry
from core.threads import Spawn, ThreadHandle, start_thread
from storage.points import Point
from storage.spool_base import SpoolBase, SpoolRow, SpoolUnavailable
from storage.store import ReadingStore, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)
MAX_PENDING_ANNOTATIONS = 10_000  # alarm annotations for Grafana wait in memory while the store is down


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.5
    maximum_s: float = 30.0
    factor: float = 2.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` consecutive failures (0 → no wait)."""
        if failures <= 0:
            return 0.0
        return min(self.maximum_s, self.initial_s * self.factor ** (failures - 1))


@dataclass
class WriterStats:
    written: int = 0
    retries: int = 0
    dead_lettered: int = 0
    batches: int = 0
    write_seconds: float = 0.0
    last_write_latency_s: float = 0.0
    annotations_dropped: int = 0


@dataclass
class WriterHealth:
    """What /health says about the store: the last confirmed write and the current error, if any."""

    last_success_at: datetime | None = None
    error: str | None = None
    error_since: datetime | None = None


class SpoolWriter:
    def __init__(
        self,
        spool: SpoolBase,
        store: ReadingStore,
        registry: AssetRegistry,
        *,
        batch_size: int = 5000,
        backoff: Backoff | None = None,
        idle_poll_s: float = 1.0,
        linger_s: float = 0.05,
        consumer: str = "store",
        clock: Clock | None = None,
        spawn: Spawn = start_thread,
    ) -> None:
        self.spool = spool
        self.store = store
        self.registry = registry
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.idle_poll_s = idle_poll_s
        self.linger_s = linger_s
        self.consumer = consumer
        self.clock = clock or SystemClock()
        self.spawn = spawn
        self.stats = WriterStats()
        self.health = WriterHealth()
        self.failures = 0
        self._annotations: collections.deque[Point] = collections.deque(maxlen=MAX_PENDING_ANNOTATIONS)
        self._stop = threading.Event()
        self._thread: ThreadHandle | None = None

    def annotate(self, points: Sequence[Point]) -> None:
        """Queue points that are not readings (alarm annotations); written best-effort with the next batch."""
        dropped = max(0, len(self._annotations) + len(points) - MAX_PENDING_ANNOTATIONS)
        self.stats.annotations_dropped += dropped
        self._annotations.extend(points)

    def drain_once(self) -> int:
        """Write one batch; returns how many readings left the spool. Raises StoreUnavailable."""
        rows = self.spool.take_rows(self.batch_size, self.consumer)
        if not rows:
            return 0
        # Points are built straight from the rows: the hot path skips Reading and datetime objects.
        points = []
        for _id, asset_id, ts_ns, fields in rows:
            info = self.registry.lookup(asset_id)  # a reload may have removed it since
            points.append(Point(info.measurement, info.tags, orjson.loads(fields), ts_ns))
        self._write(rows, points)
        return len(rows)

    def _write(self, rows: Sequence[SpoolRow], points: Sequence[Point]) -> None:
        started = time.perf_counter()
        try:
            self.store.write(points)
        except StoreRejected as exc:
            # Bisect to find the points the store refuses; the rest are written as usual.
            if len(rows) == 1:
                log.error("store refused reading %s: %s", rows[0][:3], exc)
                self.spool.move_to_dead_letters(rows[0], str(exc))
                self.spool.advance(self.consumer, rows[0][0])  # everything before it is written or refused
                self.stats.dead_lettered += 1
                return
            middle = len(rows) // 2
            self._write(rows[:middle], points[:middle])
            self._write(rows[middle:], points[middle:])
            return
        latency = time.perf_counter() - started
        # Rows come in id order, so the batch is everything up to its last id.
        self.spool.advance(self.consumer, rows[-1][0])
        self.stats.written += len(rows)
        self.stats.batches += 1
        self.stats.write_seconds += latency
        self.stats.last_write_latency_s = latency

    def _write_annotations(self) -> None:
        if not self._annotations:
            return
        points = list(self._annotations)
        try:
            self.store.write(points)
        except StoreRejected as exc:  # for Grafana only: the alarm itself is in the rule state and the order
            log.warning("the store refused %d alarm annotations: %s", len(points), exc)
        for _ in points:
            self._annotations.popleft()

    def start(self) -> None:
        self._thread = self.spawn("spool-writer", self._run)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.spool.wake_waiters()
        if self._thread is not None:
            self._thread.join(timeout)

    def _ok(self) -> None:
        if self.health.error is not None:
            log.info("the store takes writes again (after %s)", self.health.error)
        self.health.error = self.health.error_since = None
        self.failures = 0

    def _failed(self, exc: Exception) -> float:
        """Record a failed round; log only when the error changes. Returns the seconds to wait."""
        self.failures += 1
        self.stats.retries += 1
        error = f"{type(exc).__name__}: {exc}"[:500]
        if error != self.health.error:
            if isinstance(exc, StoreUnavailable | SpoolUnavailable):
                log.warning("%s; readings wait in the spool, retrying with backoff", error)
            else:  # a bug must not stop ingest silently: log it and keep the data spooled
                log.error("spool writer failed: %s; retrying with backoff", error, exc_info=exc)
            if self.health.error is None:
                self.health.error_since = self.clock.now()
            self.health.error = error
        return self.backoff.delay(self.failures)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                written = self.drain_once()
                self._write_annotations()
            except Exception as exc:
                self._stop.wait(self._failed(exc))
                continue
            if written:  # an idle round proves nothing about the store: an error stays until a write succeeds
                self.health.last_success_at = self.clock.now()
                self._ok()
            if written >= self.batch_size:
                continue
            if not written and not self.spool.wait_for_readings(self.consumer, self.idle_poll_s):
                continue
            self._stop.wait(self.linger_s)  # let a batch gather: fewer, larger writes
