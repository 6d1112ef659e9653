"""The words of the work-order domain: what an order is about, how urgent, and the records it keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from workorders.lifecycle import Status


class Category(StrEnum):
    ELEVATOR = "elevator"
    PLUMBING = "plumbing"
    ELECTRICAL = "electrical"
    LIGHTING = "lighting"
    METERING = "metering"
    SECURITY = "security"  # smoke, gas, doors: 秩序维护 / the fire-control room (core/device_kinds.toml)
    OTHER = "other"


class Priority(StrEnum):
    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Source(StrEnum):
    RULE = "rule"
    RESIDENT_REQUEST = "resident_request"
    STAFF = "staff"


class SlaKind(StrEnum):
    """The three promises an order carries: someone takes it, someone is there, it is fixed."""

    ACKNOWLEDGE = "acknowledge"
    ON_SITE = "on_site"
    RESOLVE = "resolve"


class Satisfaction(StrEnum):
    """The resident's verdict at the follow-up call (回訪滿意度)."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


class AuditAction(StrEnum):
    OPENED = "opened"
    ALARM_APPENDED = "alarm_appended"
    ALARM_CLEARED = "alarm_cleared"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    ARRIVED = "arrived"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    COMMENTED = "commented"
    FOLLOWED_UP = "followed_up"
    SLA_BREACHED = "sla_breached"


# The actor recorded for what the system did by itself (opening from an alarm, marking a breach).
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Deadlines:
    """When each SLA step is due; None where the policy sets no target."""

    acknowledge_by: datetime | None = None
    on_site_by: datetime | None = None
    resolve_by: datetime | None = None

    def due(self, kind: SlaKind) -> datetime | None:
        return {
            SlaKind.ACKNOWLEDGE: self.acknowledge_by,
            SlaKind.ON_SITE: self.on_site_by,
            SlaKind.RESOLVE: self.resolve_by,
        }[kind]

    def missed(
        self, *, done: Mapping[SlaKind, datetime | None], stopped_at: datetime | None, now: datetime
    ) -> list[tuple[SlaKind, datetime]]:
        """(step, deadline) for each step not done by its deadline; a step done exactly on time is in time.

        `done` holds when each step was done, `stopped_at` when the order was cancelled (which stops every
        clock still running).
        """
        missed: list[tuple[SlaKind, datetime]] = []
        for kind in SlaKind:
            due = self.due(kind)
            if due is None:
                continue
            ended = done.get(kind) or stopped_at
            if (ended is not None and ended > due) or (ended is None and now >= due):
                missed.append((kind, due))
        return missed


@dataclass(frozen=True)
class AlarmOccurrence:
    """One AlarmRaised attached to an order: the first opened it, later ones were appended."""

    rule_id: str
    severity: str
    raised_at: datetime
    message: str
    recorded_at: datetime
    evidence: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Comment:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class AuditEntry:
    """One change to an order and who made it; `details` holds the values that changed."""

    at: datetime
    actor: str
    action: AuditAction
    from_status: Status | None = None
    to_status: Status | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up call (回訪) after a repair: who called, the resident's verdict and words."""

    at: datetime
    by: str
    satisfaction: Satisfaction
    feedback: str = ""


@dataclass(frozen=True)
class Breach:
    kind: SlaKind
    due_at: datetime
    detected_at: datetime


@dataclass(frozen=True)
class OrderTimes:
    """What statistics need of an order, without its comments and audit log."""

    category: Category
    reported_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    breaches: frozenset[SlaKind] = frozenset()
