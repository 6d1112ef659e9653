"""Feeds the rules engine from its own spool cursor, and hands alarms on before moving that cursor.

Order of a step: judge readings → deliver events (work orders committed) → write engine state →
advance the cursor. A crash anywhere before the end re-judges the same readings from the last
stored state, so an alarm is delivered at least once and never lost; work orders are idempotent
per (site, asset, rule). While delivery fails, no further readings are judged.

The worker sleeps until the spool commits (no polling interval between a reading and its alarm). A
reading that makes a rule raise is kept as a dead letter (source `rules`) and the others are judged.
Each batch goes to the engine sorted by (asset, time), after a reorder hold when several producers interleave
one asset's readings (rules.reorder, docs/scaling.md); a reading older than its asset's last judged one is
late: stored as usual, counted in `stats.late`, judged by no rule.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, assert_never

import orjson

from core.clock import Clock, SystemClock
from core.reading import Reading, from_ns
from core.site import Site
from core.threads import Spawn, ThreadHandle, start_thread
from rules.config import AnyRule
from rules.engine import RuleEngine
from rules.events import AlarmCleared, AlarmEvent, AlarmRaised
from rules.reorder import ReorderBuffer
from storage.points import Point
from storage.spool_base import SpoolBase
from storage.writer import Backoff

log = logging.getLogger(__name__)
Annotate = Callable[[Sequence[Point]], None]


class AlarmDispatcher(Protocol):
    """Where alarms go (workorders.alarm_policy decides): work orders committed, annotations for Grafana."""

    def work_orders(self, events: Sequence[AlarmEvent], /) -> None: ...

    def annotations(self, events: Sequence[AlarmEvent], /) -> list[Point]: ...


@dataclass
class RulesStats:
    judged: int = 0
    raised: int = 0
    cleared: int = 0
    delivery_failures: int = 0
    failed_readings: int = 0  # readings a rule raised on, kept as dead letters
    late: int = 0  # readings no newer than their asset's last judged one (or repeated): judged by no rule


@dataclass
class RulesHealth:
    """What /health says about the rules: the current delivery error and when the last step finished."""

    error: str | None = None
    error_since: datetime | None = None
    last_step_at: datetime | None = None


class RulesWorker:
    def __init__(
        self,
        spool: SpoolBase,
        engine: RuleEngine,
        dispatcher: AlarmDispatcher,
        annotate: Annotate,
        *,
        consumer: str = "rules",
        batch_size: int = 2000,
        tick_s: float = 1.0,
        checkpoint_s: float = 60.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        spawn: Spawn = start_thread,
        reorder: timedelta = timedelta(0),
    ) -> None:
        """`reorder`: how long a taken reading waits for an older one of its asset that another producer
        commits later (0: only each batch is sorted). Ticks and so duration alarms come that much later."""
        self.spool = spool
        self.engine = engine
        self.dispatcher = dispatcher
        self.annotate = annotate
        self.consumer = consumer
        self.batch_size = batch_size
        self.tick_s = tick_s
        self.checkpoint_s = checkpoint_s
        self.backoff = backoff or Backoff()
        self.clock = clock or SystemClock()
        self.spawn = spawn
        self.stats = RulesStats()
        self.reorder = ReorderBuffer(reorder)
        self._taken_through: int | None = None  # the last spool id taken into the reorder buffer
        self._advanced = 0  # the cursor position last handed to the spool
        self.health = RulesHealth()
        self._undelivered: list[AlarmEvent] = []
        self._uncommitted_through: int | None = None  # cursor position waiting for delivery
        self._stop = threading.Event()
        self._thread: ThreadHandle | None = None
        self._lock = threading.Lock()  # step and tick may come from the worker thread and from a driver
        self.auto_tick = True  # a driver that moves the clock itself (a test, a backfill) may tick by hand

    def restore(self) -> None:
        """Load the engine's stored state; alarms of rules that were removed since are cleared."""
        self._accept(self.engine.restore(), through=None)

    def reload(self, rules: Sequence[AnyRule], site: Site) -> int:
        """Judge with a changed site from the next batch on (between two steps, never inside one); the alarms
        of removed (rule, asset) pairs are cleared and delivered. Returns how many were cleared."""
        with self._lock:
            events = self.engine.reload(rules, site)
            self._accept(events, through=None)
            self._deliver()
            return len(events)

    def step(self) -> int:
        """Judge one batch (after delivering anything left over); returns how many readings were judged."""
        with self._lock:
            return self._step()

    def _step(self) -> int:
        if not self._deliver():
            return 0
        rows = self.spool.take_rows(self.batch_size, self.consumer, after=self._taken_through)
        now = self.clock.now()
        if rows:
            self._taken_through = rows[-1][0]
            self.reorder.add(((i, Reading(a, from_ns(ts), orjson.loads(f))) for i, a, ts, f in rows), now)
        readings = self.reorder.release(now)
        if readings:
            late_before = self.engine.ignored_late
            events = self.engine.on_readings(readings, on_error=self._rule_failed)
            self.stats.late += self.engine.ignored_late - late_before
            self.stats.judged += len(readings)
        else:
            events = []
        through = None if self._taken_through is None else self.reorder.safe_through(self._taken_through)
        # Never past a reading still held: after a crash the spool gives it (and what follows) again.
        self._accept(events, through=through if through is not None and through > self._advanced else None)
        if self._deliver():
            self._recovered()  # a whole step went through: whatever failed before works again
        return len(rows)

    def _rule_failed(self, reading: Reading, exc: Exception) -> None:
        self.stats.failed_readings += 1
        log.error("a rule failed on reading %s of %s: %r", reading.ts.isoformat(), reading.asset_id, exc, exc_info=exc)
        payload = json.dumps({"asset_id": reading.asset_id, "ts": reading.ts.isoformat(), **reading.fields})
        self.spool.reject(source="rules", payload=payload.encode(), error=f"a rule failed on it: {exc!r}")

    def tick(self) -> None:
        """Let time pass: durations end and silent assets are noticed with no reading at all."""
        with self._lock:
            if self._deliver():
                self._accept(self.engine.on_tick(self.reorder.tick_horizon(self.clock.now())), through=None)
                self._deliver()

    def _accept(self, events: Sequence[AlarmEvent], *, through: int | None) -> None:
        self._undelivered.extend(events)
        self._uncommitted_through = through if through is not None else self._uncommitted_through
        for event in events:
            match event:  # by type, exhaustively: a third kind of alarm event fails mypy here
                case AlarmRaised():
                    self.stats.raised += 1
                case AlarmCleared():
                    self.stats.cleared += 1
                case _:
                    assert_never(event)
        annotations = self.dispatcher.annotations(events)
        if annotations:
            self.annotate(annotations)  # for Grafana, written by the store writer: a slow store never delays alarms

    def _deliver(self) -> bool:
        """Deliver pending events, then make the engine state and the cursor durable. False: try later."""
        if self._undelivered:
            try:
                self.dispatcher.work_orders(self._undelivered)
            except Exception as exc:  # the database is down or refused: keep everything, judge nothing new
                self.stats.delivery_failures += 1
                self._failing(exc, f"could not hand {len(self._undelivered)} alarm events to work orders")
                return False
            self._undelivered.clear()
        self.engine.flush()
        if self._uncommitted_through is not None:
            self.spool.advance(self.consumer, self._uncommitted_through)
            self._advanced = self._uncommitted_through
            self._uncommitted_through = None
        return True

    def _failing(self, exc: Exception, what: str) -> None:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if error == self.health.error:
            return  # logged once per change of state, not once per retry
        log.error("%s (%s); retrying with backoff", what, error, exc_info=exc)
        if self.health.error is None:
            self.health.error_since = self.clock.now()
        self.health.error = error

    def _recovered(self) -> None:
        if self.health.error is not None:
            log.info("the rules work again (after %s)", self.health.error)
            self.health.error = self.health.error_since = None

    def start(self) -> None:
        self._thread = self.spawn("rules", self._run)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.spool.wake_waiters()
        if self._thread is not None:
            self._thread.join(timeout)
        self._deliver()
        self.engine.checkpoint()

    def _run(self) -> None:
        next_tick = next_checkpoint = time.monotonic()
        failures = 0
        woke = False
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
                self.health.last_step_at = self.clock.now()
            except Exception as exc:  # the spool or the state store failing: readings stay in the spool
                failures += 1
                self._failing(exc, "a rules step failed")
                judged = 0
            if failures:
                self._stop.wait(self.backoff.delay(failures))
            elif judged == 0 and woke:
                self._stop.wait(0.05)  # woken for rows that are gone (refused by the store): do not spin
                woke = False
            elif judged < self.batch_size:
                # Asleep until the spool commits, or until the next tick is due.
                due = max(0.0, next_tick - time.monotonic()) if self.auto_tick else self.tick_s
                held = self.reorder.next_release_in(self.clock.now())
                due = due if held is None else min(due, held)
                woke = self.spool.wait_for_readings(self.consumer, due, after=self._taken_through)
