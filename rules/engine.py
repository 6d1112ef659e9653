"""The rules engine: every (rule, asset) monitor, fed by readings and clock ticks, persisted in a state store.

Readings are judged at their own timestamps; ticks at the clock's time. A reading older than (or as old as)
the last one seen for its asset is ignored: replays from the spool are harmless and a late reading never
rewinds an alarm. Deadlines that fell before a reading are passed first, exactly as a tick would have,
so the alarms are the same however often ticks come. Not thread-safe by itself: calls hold one lock.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.reading import FieldValue, Reading
from core.site import Site
from rules.config import AnyRule
from rules.evaluation import Context
from rules.evaluators import make_evaluator
from rules.events import AlarmEvent, AlarmRaised
from rules.facts import asset_facts
from rules.kinds.silence import SilenceEvaluator
from rules.machine import Monitor, Status, fire_due, step
from rules.row_translation import apply_stored, removed_alarm, to_stored
from rules.state_store import RuleStateStore
from rules.targets import watch_list

log = logging.getLogger(__name__)


class RuleEngine:
    """Runs rules over one site's readings: `on_readings` and `on_tick` return `AlarmRaised`/`AlarmCleared`."""

    def __init__(
        self,
        rules: Sequence[AnyRule],
        site: Site,
        clock: Clock,
        *,
        store: RuleStateStore | None = None,
        autosave: bool = True,
    ) -> None:
        """Index every (rule, asset) pair once; `autosave=False` leaves status writes to `flush()`."""
        self.clock = clock
        self.store = store
        self.autosave = autosave
        self.zone = ZoneInfo(site.info.timezone)
        self.ignored_late = 0
        self._monitors: dict[tuple[str, str], Monitor] = {}
        self._by_asset: dict[str, list[Monitor]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._index(rules, site)
        self._last_ts: dict[str, datetime] = {}
        self._latest: dict[str, dict[str, FieldValue]] = {}
        self._heap: list[tuple[datetime, int, tuple[str, str]]] = []
        self._seq = 0
        self._changed: set[tuple[str, str]] = set()  # status changed: written at once
        self._touched: set[tuple[str, str]] = set()  # memory changed: written at checkpoints
        self._lock = threading.Lock()
        for monitor in self._monitors.values():
            self._schedule(monitor)

    def _index(self, rules: Sequence[AnyRule], site: Site) -> None:
        """Build every (rule, asset) monitor afresh (no state yet)."""
        started = self.clock.now()
        facts = asset_facts(site)
        self._tags = {fact.asset_id: dict(fact.tags) for fact in facts}
        self._monitors, self._by_asset = {}, {}
        for rule, asset in watch_list(rules, facts):
            evaluator = make_evaluator(rule, Context(asset, self.zone, started))
            monitor = Monitor(rule, asset, evaluator)
            self._monitors[monitor.key] = monitor
            self._by_asset.setdefault(asset.asset_id, []).append(monitor)

    def reload(self, rules: Sequence[AnyRule], site: Site) -> list[AlarmEvent]:
        """Watch a changed site (live reload): an unchanged (rule, asset) pair keeps its monitor as it is, so
        a firing alarm is neither raised again nor forgotten; a changed one comes back from its saved state;
        a removed one that was firing is cleared (reason `rule_removed`). Returns those clear events."""
        with self._lock:
            old, old_tags = self._monitors, self._tags
            now = self.clock.now()
            saved = {m.key: to_stored(m, self._last_ts.get(m.asset.asset_id), now) for m in old.values()}
            self.zone = ZoneInfo(site.info.timezone)
            self._index(rules, site)
            for key, monitor in list(self._monitors.items()):
                previous = old.get(key)
                if previous is not None and previous.rule == monitor.rule and previous.asset == monitor.asset:
                    self._monitors[key] = previous
                elif key in saved:
                    apply_stored(monitor, saved[key])
            self._by_asset = {}
            for monitor in self._monitors.values():
                self._by_asset.setdefault(monitor.asset.asset_id, []).append(monitor)
            events: list[AlarmEvent] = []
            gone = sorted(key for key in old if key not in self._monitors)
            for key in gone:
                if old[key].firing:
                    events.append(removed_alarm(saved[key], now, old_tags.get(key[1], {})))
            for asset in {asset for _, asset in gone} - self._by_asset.keys():
                self._last_ts.pop(asset, None)
                self._latest.pop(asset, None)
            if self.store is not None:
                self.store.delete(gone)
            self._changed = {k for k in self._changed if k in self._monitors} | {
                k for k in self._monitors if old.get(k) is not self._monitors[k]
            }
            self._touched = {k for k in self._touched if k in self._monitors}
            self._heap.clear()
            for monitor in self._monitors.values():
                monitor.scheduled = None
                self._schedule(monitor)
            return events

    def restore(self) -> list[AlarmEvent]:
        """Load stored state; call once before the first reading. Alarms of rules that no longer watch
        their asset are cleared (reason `rule_removed`) and forgotten."""
        with self._lock:
            if self.store is None:
                return []
            now = self.clock.now()
            events: list[AlarmEvent] = []
            gone = []
            for state in self.store.load_all():
                monitor = self._monitors.get((state.rule_id, state.asset_id))
                if monitor is None:
                    gone.append((state.rule_id, state.asset_id))
                    if state.status == Status.FIRING:
                        events.append(removed_alarm(state, now, self._tags.get(state.asset_id, {})))
                    continue
                apply_stored(monitor, state)
                if state.last_ts is not None:
                    asset = state.asset_id
                    self._last_ts[asset] = max(self._last_ts.get(asset, state.last_ts), state.last_ts)
            self.store.delete(gone)
            self._heap.clear()
            for monitor in self._monitors.values():
                monitor.scheduled = None
                self._schedule(monitor)
            return events

    def on_reading(self, reading: Reading) -> list[AlarmEvent]:
        """Judge one reading; returns the alarms it raised or cleared."""
        return self.on_readings((reading,))

    def on_readings(
        self, readings: Iterable[Reading], *, on_error: Callable[[Reading, Exception], None] | None = None
    ) -> list[AlarmEvent]:
        """Judge readings in order, writing status changes once for the whole batch.

        With `on_error`, a reading that makes a rule raise is handed to it and the others are judged as
        usual: one reading must not keep the alarms of all the others from being raised.
        """
        with self._lock:
            events: list[AlarmEvent] = []
            for reading in readings:
                if on_error is None:
                    events += self._judge(reading)
                    continue
                try:
                    events += self._judge(reading)
                except Exception as exc:
                    on_error(reading, exc)
            self._autosave()
            return events

    def on_tick(self, now: datetime | None = None) -> list[AlarmEvent]:
        """Let time pass up to `now` (default: the clock): durations end, silent assets are noticed."""
        with self._lock:
            now = now if now is not None else self.clock.now()
            events: list[AlarmEvent] = []
            while self._heap and self._heap[0][0] <= now:
                when, _, key = heapq.heappop(self._heap)
                monitor = self._monitors[key]
                if monitor.scheduled == when:
                    monitor.scheduled = None
                    events += self._wake(monitor, now)
            self._autosave()
            return events

    def on_offline(self, asset_id: str, reason: str) -> None:
        """A collector's report that a device did not answer (Modbus timeout…): evidence for its silence alarm."""
        with self._lock:
            for monitor in self._by_asset.get(asset_id, ()):
                if isinstance(monitor.evaluator, SilenceEvaluator):
                    monitor.evaluator.note_offline(reason)
                    self._touched.add(monitor.key)

    def reset_baseline(self, rule_id: str, asset_id: str) -> bool:
        """Forget the learnt baseline of (rule, asset) and save at once; False when the rule learns none.

        Raises `KeyError` when the rule does not watch the asset. Until the baseline is learnt again the rule
        neither raises nor clears (an alarm firing now stays firing until it can be judged).
        """
        with self._lock:
            monitor = self._monitors[rule_id, asset_id]
            reset = getattr(monitor.evaluator, "reset_baseline", None)
            if reset is None or not reset():
                return False
            self._save({monitor.key})
            log.warning("baseline of rule %s on %s reset: learning it again", rule_id, asset_id)
            return True

    def open_alarms(self) -> list[AlarmRaised]:
        """The alarms firing now, oldest first."""
        with self._lock:
            firing = [m.raised_event() for m in self._monitors.values() if m.firing]
        return sorted(firing, key=lambda alarm: (alarm.raised_at, alarm.rule_id, alarm.asset_id))

    def watched(self) -> list[tuple[str, str]]:
        """Every (rule id, asset id) pair the engine watches."""
        return sorted(self._monitors)

    def flush(self) -> None:
        """Write status changes not yet written (with `autosave=False`, after the events are handed on)."""
        with self._lock:
            self._save(self._changed)

    def checkpoint(self) -> None:
        """Write everything, memory included (last readings, baselines); call every minute or so and on stop."""
        with self._lock:
            self._save(self._changed | self._touched)

    def _judge(self, reading: Reading) -> list[AlarmEvent]:
        monitors = self._by_asset.get(reading.asset_id)
        if not monitors:
            return []
        last = self._last_ts.get(reading.asset_id)
        if last is not None and reading.ts <= last:
            self.ignored_late += 1
            return []
        self._last_ts[reading.asset_id] = reading.ts
        latest = self._latest.setdefault(reading.asset_id, {})
        latest.update(reading.fields)
        events: list[AlarmEvent] = []
        for monitor in monitors:
            if monitor.evaluator.fields and monitor.evaluator.fields.isdisjoint(reading.fields):
                continue
            due = monitor.wake_at()
            if due is not None and due <= reading.ts:
                events += self._wake(monitor, reading.ts)
            before = monitor.status
            event = step(monitor, monitor.evaluator.on_reading(reading.ts, latest, monitor.firing), reading.ts)
            self._note(monitor, before, event, events)
        return events

    def _wake(self, monitor: Monitor, now: datetime) -> list[AlarmEvent]:
        """Pass every deadline of `monitor` up to `now`, each at its own time."""
        events: list[AlarmEvent] = []
        while (due := monitor.wake_at()) is not None and due <= now:
            before = monitor.status
            if monitor.status is Status.PENDING:
                event = fire_due(monitor, due)
            else:
                event = step(monitor, monitor.evaluator.on_tick(due, monitor.firing), due)
            self._note(monitor, before, event, events)
            if monitor.status is before and event is None:
                break  # nothing moved: do not spin
        self._schedule(monitor)
        return events

    def _note(self, monitor: Monitor, before: Status, event: AlarmEvent | None, events: list[AlarmEvent]) -> None:
        self._touched.add(monitor.key)
        if event is not None or monitor.status is not before:
            self._changed.add(monitor.key)
        if event is not None:
            events.append(event)
        self._schedule(monitor)

    def _schedule(self, monitor: Monitor) -> None:
        due = monitor.wake_at()
        # One live heap entry per monitor: a later deadline is picked up when the earlier entry comes due.
        if due is not None and (monitor.scheduled is None or due < monitor.scheduled):
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, monitor.key))
            monitor.scheduled = due

    def _autosave(self) -> None:
        if not self.autosave or not self._changed:
            return
        try:
            self._save(self._changed)
        except Exception:  # a database outage must not swallow the alarms; the rows stay dirty and are retried
            log.exception("rule state not saved (%d rows); retrying with the next change", len(self._changed))

    def _save(self, keys: set[tuple[str, str]]) -> None:
        if self.store is None or not keys:
            self._changed.clear()
            self._touched.clear()
            return
        now = self.clock.now()
        monitors = [self._monitors[key] for key in sorted(keys)]
        self.store.save([to_stored(m, self._last_ts.get(m.asset.asset_id), now) for m in monitors])
        self._touched -= keys
        self._changed -= keys
