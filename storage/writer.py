"""Drains the spool into a ReadingStore in batches, deleting only what the store confirmed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from core.registry import AssetRegistry
from storage.points import Point
from storage.spool import Spool, SpoolRow
from storage.store import ReadingStore, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)


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


class SpoolWriter:
    def __init__(
        self,
        spool: Spool,
        store: ReadingStore,
        registry: AssetRegistry,
        *,
        batch_size: int = 5000,
        backoff: Backoff | None = None,
        idle_poll_s: float = 0.05,
        consumer: str = "store",
    ) -> None:
        self.spool = spool
        self.store = store
        self.registry = registry
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.idle_poll_s = idle_poll_s
        self.consumer = consumer
        self.stats = WriterStats()
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_once(self) -> int:
        """Write one batch; returns how many readings left the spool. Raises StoreUnavailable."""
        rows = self.spool.take_rows(self.batch_size, self.consumer)
        if not rows:
            return 0
        # Points are built straight from the rows: the hot path skips Reading and datetime objects.
        points = []
        for _id, asset_id, ts_ns, fields in rows:
            info = self.registry.get(asset_id)
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
                log.error("store refused reading %s: %s", rows[0], exc)
                self.spool.move_to_dead_letters(rows[0], str(exc))
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

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                written = self.drain_once()
                self.failures = 0
            except StoreUnavailable as exc:
                self.failures += 1
                self.stats.retries += 1
                delay = self.backoff.delay(self.failures)
                log.warning("store unavailable (%s); retry %d in %.1f s", exc, self.failures, delay)
                self._stop.wait(delay)
                continue
            except Exception:  # a bug must not silently stop ingest; log it and keep the data spooled
                log.exception("spool writer failed; retrying")
                self._stop.wait(self.backoff.delay(1))
                continue
            if written < self.batch_size:
                self._stop.wait(self.idle_poll_s)
