"""Between a live monitor and its stored row: what survives a restart and how it comes back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from rules.config import Severity
from rules.events import AlarmCleared
from rules.machine import Monitor, Status
from rules.registry import KIND_TITLES
from rules.state_store import StoredState

log = logging.getLogger(__name__)


def to_stored(monitor: Monitor, last_ts: datetime | None, now: datetime) -> StoredState:
    rule_id, asset_id = monitor.key
    return StoredState(
        rule_id=rule_id,
        asset_id=asset_id,
        status=monitor.status.value,
        severity=monitor.rule.severity.value,
        updated_at=now,
        since=monitor.since,
        fire_at=monitor.fire_at,
        raised_at=monitor.raised_at,
        cleared_at=monitor.cleared_at,
        alarm_id=monitor.alarm_id,
        message_key=monitor.message_key,
        evidence=dict(monitor.evidence),
        memory=monitor.evaluator.dump(),
        last_ts=last_ts,
    )


def apply_stored(monitor: Monitor, state: StoredState) -> None:
    """Bring a monitor back to its stored state; memory the evaluator cannot read is dropped with a warning."""
    monitor.status = Status(state.status)
    monitor.since, monitor.fire_at = state.since, state.fire_at
    monitor.raised_at, monitor.cleared_at = state.raised_at, state.cleared_at
    monitor.alarm_id, monitor.message_key, monitor.evidence = state.alarm_id, state.message_key, state.evidence
    try:
        monitor.evaluator.load(state.memory)
    except (TypeError, ValueError) as exc:  # e.g. memory written by an older version of the rule kind
        log.warning("rule %s on %s: stored memory not usable (%s); starting it afresh", *monitor.key, exc)


def removed_alarm(state: StoredState, now: datetime, tags: Mapping[str, str]) -> AlarmCleared:
    """The clear event for a stored open alarm whose rule no longer watches its asset."""
    started = state.since or state.raised_at or now
    return AlarmCleared(
        alarm_id=state.alarm_id or "",
        rule_id=state.rule_id,
        asset_id=state.asset_id,
        severity=Severity(state.severity),
        started_at=started,
        raised_at=state.raised_at or started,
        cleared_at=now,
        evidence={"reason": "rule_removed"},
        title=KIND_TITLES.get(state.message_key.split(".")[0], (state.rule_id, state.rule_id)),
        tags=dict(tags),
        reason="rule_removed",
    )
