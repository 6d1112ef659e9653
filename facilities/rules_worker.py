"""Feeds the rules engine from its own spool cursor, and hands alarms on before moving that cursor.

Order of a step: judge readings → deliver events (work orders committed) → write engine state →
advance the cursor. A crash anywhere before the end re-judges the same readings from the last
stored state, so an alarm is delivered at least once and never lost; work orders are idempotent
per (site, asset, rule). While delivery fails, no further readings are judged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from core.reading import Reading, from_ns
from facilities.alarm_handling import AlarmDispatcher
from rules.engine import RuleEngine
from rules.events import Event
from storage.points import Point
from storage.spool import Spool
from storage.store import ReadingStore, StoreRejected, StoreUnavailable
from storage.writer import Backoff

log = logging.getLogger(__name__)
MAX_PENDING_ANNOTATIONS = 10_000


@dataclass
class RulesStats:
    judged: int = 0
    raised: int = 0
    cleared: int = 0
    delivery_failures: int = 0


class RulesWorker:
    def __init__(
        self,
        spool: Spool,
        engine: RuleEngine,
        dispatcher: AlarmDispatcher,
        store: ReadingStore,
        *,
        consumer: str = "rules",
        batch_size: int = 2000,
        tick_s: float = 1.0,
        checkpoint_s: float = 60.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.spool = spool
        self.engine = engine
        self.dispatcher = dispatcher
        self.store = store
        self.consumer = consumer
        self.batch_size = batch_size
        self.tick_s = tick_s
        self.checkpoint_s = checkpoint_s
        self.backoff = backoff or Backoff()
        self.stats = RulesStats()
        self._undelivered: list[Event] = []
        self._uncommitted_through: int | None = None  # cursor position waiting for delivery
        self._annotations: list[Point] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # step and tick may come from the worker thread and from a driver
        self.auto_tick = True  # a driver that moves the clock itself (a test, a backfill) may tick by hand

    def restore(self) -> None:
        """Load the engine's stored state; alarms of rules that were removed since are cleared."""
        self._accept(self.engine.restore(), through=None)

    def step(self) -> int:
        """Judge one batch (after delivering anything left over); returns how many readings were judged."""
        with self._lock:
            return self._step()

    def _step(self) -> int:
        if not self._deliver():
            return 0
        rows = self.spool.take_rows(self.batch_size, self.consumer)
        if not rows:
            return 0
        readings = [Reading(asset_id, from_ns(ts_ns), orjson.loads(fields)) for _, asset_id, ts_ns, fields in rows]
        self._accept(self.engine.on_readings(readings), through=rows[-1][0])
        self.stats.judged += len(rows)
        self._deliver()
        return len(rows)

    def tick(self) -> None:
        """Let time pass: durations end and silent assets are noticed with no reading at all."""
        with self._lock:
            if self._deliver():
                self._accept(self.engine.on_tick(), through=None)
                self._deliver()

    def _accept(self, events: Sequence[Event], *, through: int | None) -> None:
        self._undelivered.extend(events)
        self._uncommitted_through = through if through is not None else self._uncommitted_through
        for event in events:
            if type(event).__name__ == "AlarmRaised":
                self.stats.raised += 1
            else:
                self.stats.cleared += 1
        self._annotations.extend(self.dispatcher.annotations(events))

    def _deliver(self) -> bool:
        """Deliver pending events, then make the engine state and the cursor durable. False: try later."""
        if self._undelivered:
            try:
                self.dispatcher.work_orders(self._undelivered)
            except Exception:  # the database is down or refused: keep everything, judge nothing new
                self.stats.delivery_failures += 1
                log.exception("could not hand %d alarm events to work orders; retrying", len(self._undelivered))
                return False
            self._undelivered.clear()
        self.engine.flush()
        if self._uncommitted_through is not None:
            self.spool.advance(self.consumer, self._uncommitted_through)
            self._uncommitted_through = None
        self._write_annotations()
        return True

    def _write_annotations(self) -> None:
        if not self._annotations:
            return
        try:
            self.store.write(self._annotations)
            self._annotations.clear()
        except (StoreUnavailable, StoreRejected) as exc:
            # Annotations are for Grafana; the alarm itself is safe in the rule state and the work order.
            log.warning("alarm annotations not written yet (%s)", exc)
            del self._annotations[:-MAX_PENDING_ANNOTATIONS]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rules", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._deliver()
        self.engine.checkpoint()

    def _run(self) -> None:
        next_tick = next_checkpoint = time.monotonic()
        failures = 0
        while not self._stop.is_set():
            try:
                judged = self.step()
                now = time.monotonic()
                # Only once caught up: with readings still queued (after a restart, say) a tick would
                # take every asset behind the queue for silent and open a storm of false work orders.
                if self.auto_tick and now >= next_tick and judged < self.batch_size:
                    self.tick()
                    next_tick = now + self.tick_s
                if now >= next_checkpoint:
                    self.engine.checkpoint()
                    next_checkpoint = now + self.checkpoint_s
                failures = 0 if not self._undelivered else failures + 1
            except Exception:  # a bug must not stop the rules silently; readings stay in the spool
                failures += 1
                log.exception("rules step failed")
                judged = 0
            wait = self.backoff.delay(failures) if failures else (0.0 if judged >= self.batch_size else 0.1)
            self._stop.wait(wait)
