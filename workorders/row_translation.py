"""Translation between the WorkOrder aggregate and its rows. Child records are append-only: only the tail is new."""

from __future__ import annotations

from workorders.domain import WorkOrder
from workorders.lifecycle import Status
from workorders.orm import AlarmRow, AuditRow, CommentRow, FollowUpRow, SlaBreachRow, WorkOrderRow
from workorders.values import (
    AlarmOccurrence,
    AuditAction,
    AuditEntry,
    Breach,
    Category,
    Comment,
    Deadlines,
    FollowUp,
    OrderTimes,
    Priority,
    Satisfaction,
    SlaKind,
    Source,
)


def to_domain(row: WorkOrderRow) -> WorkOrder:
    """The aggregate with every child record; `row`'s collections must be loaded."""
    return WorkOrder(
        id=row.id,
        code=row.code,
        site_id=row.site_id,
        category=Category(row.category),
        priority=Priority(row.priority),
        source=Source(row.source),
        title=row.title,
        description=row.description,
        reported_at=row.reported_at,
        opened_at=row.opened_at,
        deadlines=Deadlines(row.acknowledge_due_at, row.on_site_due_at, row.resolve_due_at),
        updated_at=row.updated_at,
        status=Status(row.status),
        asset_id=row.asset_id,
        rule_id=row.rule_id,
        building_id=row.building_id,
        unit_id=row.unit_id,
        reporter=row.reporter,
        assignee=row.assignee,
        team=row.team,
        acknowledged_at=row.acknowledged_at,
        arrived_at=row.arrived_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        resolution=row.resolution,
        cancel_reason=row.cancel_reason,
        alarms=[
            AlarmOccurrence(a.rule_id, a.severity, a.raised_at, a.message, a.recorded_at, a.evidence)
            for a in row.alarms
        ],
        comments=[Comment(c.at, c.author, c.text) for c in row.comments],
        audit=[
            AuditEntry(
                a.at,
                a.actor,
                AuditAction(a.action),
                Status(a.from_status) if a.from_status else None,
                Status(a.to_status) if a.to_status else None,
                a.details,
            )
            for a in row.audit
        ],
        follow_ups=[FollowUp(f.at, f.made_by, Satisfaction(f.satisfaction), f.feedback) for f in row.follow_ups],
        breaches={SlaKind(b.kind): Breach(SlaKind(b.kind), b.due_at, b.detected_at) for b in row.breaches},
    )


def times_of(row: WorkOrderRow) -> OrderTimes:
    """The statistics view of a row; only its `breaches` collection needs to be loaded."""
    return OrderTimes(
        category=Category(row.category),
        reported_at=row.reported_at,
        acknowledged_at=row.acknowledged_at,
        arrived_at=row.arrived_at,
        resolved_at=row.resolved_at,
        breaches=frozenset(SlaKind(b.kind) for b in row.breaches),
    )


def write_row(order: WorkOrder, row: WorkOrderRow) -> None:
    """Copy the aggregate onto its row; unchanged values leave the row clean, new records are appended."""
    for name in _SCALARS:
        setattr(row, name, getattr(order, name))
    row.category, row.priority = order.category.value, order.priority.value
    row.source, row.status = order.source.value, order.status.value
    row.acknowledge_due_at = order.deadlines.acknowledge_by
    row.on_site_due_at = order.deadlines.on_site_by
    row.resolve_due_at = order.deadlines.resolve_by
    row.alarm_count = len(order.alarms)
    row.last_alarm_at = max((a.raised_at for a in order.alarms), default=None)
    row.alarms.extend(
        AlarmRow(
            rule_id=a.rule_id,
            severity=a.severity,
            raised_at=a.raised_at,
            recorded_at=a.recorded_at,
            message=a.message,
            evidence=dict(a.evidence),
        )
        for a in order.alarms[len(row.alarms) :]
    )
    row.comments.extend(CommentRow(at=c.at, author=c.author, text=c.text) for c in order.comments[len(row.comments) :])
    row.audit.extend(
        AuditRow(
            at=e.at,
            actor=e.actor,
            action=e.action.value,
            from_status=e.from_status.value if e.from_status else None,
            to_status=e.to_status.value if e.to_status else None,
            details=dict(e.details),
        )
        for e in order.audit[len(row.audit) :]
    )
    row.follow_ups.extend(
        FollowUpRow(at=f.at, made_by=f.by, satisfaction=f.satisfaction.value, feedback=f.feedback)
        for f in order.follow_ups[len(row.follow_ups) :]
    )
    recorded = {b.kind for b in row.breaches}
    row.breaches.extend(
        SlaBreachRow(kind=b.kind.value, due_at=b.due_at, detected_at=b.detected_at)
        for b in order.breaches.values()
        if b.kind.value not in recorded
    )


_SCALARS = (
    "code",
    "site_id",
    "asset_id",
    "rule_id",
    "building_id",
    "unit_id",
    "title",
    "description",
    "reporter",
    "assignee",
    "team",
    "reported_at",
    "opened_at",
    "acknowledged_at",
    "arrived_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "resolution",
    "cancel_reason",
    "updated_at",
)
