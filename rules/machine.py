"""The per-(rule, asset) state machine: normal → pending → firing → cleared, with dedup and cooldown.

Evaluators judge; this module decides what a judgement means. A firing alarm never raises again however
many readings confirm it, and only its clear condition ends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rules.config import AnyRule
from rules.evaluation import Evaluator, Evidence, Verdict
from rules.events import AlarmCleared, AlarmEvent, AlarmRaised, alarm_id
from rules.facts import AssetFacts


class Status(StrEnum):
    NORMAL = "normal"
    PENDING = "pending"  # the condition holds; it fires at `fire_at` unless a reading says otherwise
    FIRING = "firing"
    CLEARED = "cleared"  # like normal, but a new alarm waits out the rule's cooldown


@dataclass(slots=True, eq=False)
class Monitor:
    """One rule watching one asset."""

    rule: AnyRule
    asset: AssetFacts
    evaluator: Evaluator
    status: Status = Status.NORMAL
    since: datetime | None = None
    fire_at: datetime | None = None
    raised_at: datetime | None = None
    cleared_at: datetime | None = None
    alarm_id: str | None = None
    message_key: str = ""
    evidence: Evidence = field(default_factory=dict)
    scheduled: datetime | None = None  # the engine's earliest wake-up entry for this monitor

    @property
    def key(self) -> tuple[str, str]:
        return self.rule.id, self.asset.asset_id

    @property
    def firing(self) -> bool:
        return self.status is Status.FIRING

    def wake_at(self) -> datetime | None:
        """When a tick may change something: a pending deadline, or the evaluator's own (silence)."""
        if self.status is Status.PENDING:
            return self.fire_at
        return self.evaluator.wake_at(self.firing)

    def title(self) -> tuple[str, str]:
        zh, en = self.rule.titles
        return self.rule.title.zh or zh, self.rule.title.en or en

    def raised_event(self) -> AlarmRaised:
        """The alarm this monitor is firing (also used to list open alarms)."""
        if self.alarm_id is None or self.since is None or self.raised_at is None:
            raise RuntimeError(f"{self.key} is not firing")
        return AlarmRaised(
            self.alarm_id,
            self.rule.id,
            self.asset.asset_id,
            self.rule.severity,
            self.since,
            self.raised_at,
            dict(self.evidence),
            self.message_key,
            self.title(),
            dict(self.asset.tags),
        )


def step(monitor: Monitor, verdict: Verdict | None, now: datetime) -> AlarmEvent | None:
    """Apply a verdict reached at `now`; returns the event it causes, if any."""
    if verdict is None:
        return None
    if monitor.status is Status.FIRING:
        return None if verdict.violating else _clear(monitor, now, verdict.evidence)
    if not verdict.violating:
        if monitor.status is Status.PENDING:
            monitor.status = Status.NORMAL if monitor.cleared_at is None else Status.CLEARED
            monitor.fire_at = None
        return None
    if verdict.since is None or verdict.due is None:
        raise ValueError("a violating verdict needs since and due")
    fire_at = verdict.due
    if monitor.cleared_at is not None:
        fire_at = max(fire_at, monitor.cleared_at + monitor.rule.cooldown)
    monitor.since, monitor.message_key, monitor.evidence = verdict.since, verdict.key, verdict.evidence
    if now >= fire_at:
        return _raise(monitor, now)
    monitor.status, monitor.fire_at = Status.PENDING, fire_at
    return None


def fire_due(monitor: Monitor, now: datetime) -> AlarmEvent | None:
    """A tick: a pending condition nothing contradicted fires at its deadline (the raise time is the deadline)."""
    if monitor.status is Status.PENDING and monitor.fire_at is not None and monitor.fire_at <= now:
        return _raise(monitor, monitor.fire_at)
    return None


def _raise(monitor: Monitor, now: datetime) -> AlarmRaised:
    monitor.status, monitor.fire_at, monitor.raised_at = Status.FIRING, None, now
    monitor.alarm_id = alarm_id(monitor.rule.id, monitor.asset.asset_id, now)
    return monitor.raised_event()


def _clear(monitor: Monitor, now: datetime, evidence: Evidence) -> AlarmCleared:
    raised = monitor.raised_event()
    # A late reading may carry a time before the raise; an alarm never ends before it began.
    cleared_at = max(now, raised.raised_at)
    monitor.status, monitor.cleared_at = Status.CLEARED, cleared_at
    return AlarmCleared(
        raised.alarm_id,
        raised.rule_id,
        raised.asset_id,
        raised.severity,
        raised.started_at,
        raised.raised_at,
        cleared_at,
        dict(evidence),
        raised.title,
        raised.tags,
    )
