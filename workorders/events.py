"""What happened to a work order. The aggregate raises these; the message bus hands them to their handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from workorders.values import Category, Priority, Satisfaction, SlaKind, Source


@dataclass(frozen=True, kw_only=True)
class WorkOrderEvent:
    order_id: UUID
    code: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class WorkOrderOpened(WorkOrderEvent):
    site_id: str
    category: Category
    priority: Priority
    source: Source
    title: str
    asset_id: str | None
    rule_id: str | None


@dataclass(frozen=True, kw_only=True)
class AlarmAppended(WorkOrderEvent):
    """A further AlarmRaised for the (asset, rule) of an order that is still being worked on."""

    rule_id: str
    raised_at: datetime
    occurrences: int


@dataclass(frozen=True, kw_only=True)
class AlarmClearedNoted(WorkOrderEvent):
    rule_id: str
    cleared_at: datetime


@dataclass(frozen=True, kw_only=True)
class WorkOrderAssigned(WorkOrderEvent):
    actor: str
    assignee: str | None
    team: str | None


@dataclass(frozen=True, kw_only=True)
class WorkOrderAcknowledged(WorkOrderEvent):
    actor: str


@dataclass(frozen=True, kw_only=True)
class TechnicianArrived(WorkOrderEvent):
    actor: str


@dataclass(frozen=True, kw_only=True)
class WorkOrderResolved(WorkOrderEvent):
    actor: str
    resolution: str


@dataclass(frozen=True, kw_only=True)
class WorkOrderClosed(WorkOrderEvent):
    actor: str


@dataclass(frozen=True, kw_only=True)
class WorkOrderCancelled(WorkOrderEvent):
    actor: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CommentAdded(WorkOrderEvent):
    author: str


@dataclass(frozen=True, kw_only=True)
class FollowUpRecorded(WorkOrderEvent):
    actor: str
    satisfaction: Satisfaction


@dataclass(frozen=True, kw_only=True)
class SlaBreached(WorkOrderEvent):
    """A step was not done by its deadline: escalate to the supervisor. `at` is when it was detected."""

    kind: SlaKind
    due_at: datetime
    site_id: str
    category: Category
    priority: Priority
    asset_id: str | None
    assignee: str | None
    team: str | None
