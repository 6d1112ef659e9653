"""The WorkOrder aggregate: it owns its lifecycle, writes its own audit log and raises the events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from workorders import events as ev
from workorders.lifecycle import ACTIVE_STATES, Status, WorkOrderConflict, check_transition
from workorders.values import (
    SYSTEM_ACTOR,
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


@dataclass(eq=False)
class WorkOrder:
    """One repair or complaint from report to follow-up. Build new ones with `WorkOrder.open`."""

    id: UUID
    code: str
    site_id: str
    category: Category
    priority: Priority
    source: Source
    title: str
    description: str
    reported_at: datetime  # when the alarm was raised or the resident called: every SLA clock starts here
    opened_at: datetime
    deadlines: Deadlines
    updated_at: datetime
    status: Status = Status.OPEN
    asset_id: str | None = None
    rule_id: str | None = None
    building_id: str | None = None
    unit_id: str | None = None
    reporter: str | None = None
    assignee: str | None = None
    team: str | None = None
    acknowledged_at: datetime | None = None
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    resolution: str | None = None
    cancel_reason: str | None = None
    alarms: list[AlarmOccurrence] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    breaches: dict[SlaKind, Breach] = field(default_factory=dict)
    events: list[ev.WorkOrderEvent] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        *,
        code: str,
        site_id: str,
        category: Category,
        priority: Priority,
        source: Source,
        title: str,
        description: str,
        reported_at: datetime,
        opened_at: datetime,
        deadlines: Deadlines,
        actor: str,
        asset_id: str | None = None,
        rule_id: str | None = None,
        building_id: str | None = None,
        unit_id: str | None = None,
        reporter: str | None = None,
        alarm: AlarmOccurrence | None = None,
    ) -> WorkOrder:
        """A new order in state open, with its `opened` audit entry and a `WorkOrderOpened` event."""
        if source is Source.RULE and (asset_id is None or rule_id is None or alarm is None):
            raise ValueError("an order opened by a rule needs its asset_id, rule_id and the alarm")
        order = cls(
            id=uuid4(),
            code=code,
            site_id=site_id,
            category=category,
            priority=priority,
            source=source,
            title=_required(title, "title"),
            description=description,
            reported_at=reported_at,
            opened_at=opened_at,
            deadlines=deadlines,
            updated_at=opened_at,
            asset_id=asset_id,
            rule_id=rule_id,
            building_id=building_id,
            unit_id=unit_id,
            reporter=reporter,
        )
        if alarm is not None:
            order.alarms.append(alarm)
        details = {"category": category.value, "priority": priority.value, "source": source.value}
        order._log(opened_at, _required(actor, "actor"), AuditAction.OPENED, to_status=Status.OPEN, details=details)
        order.events.append(
            ev.WorkOrderOpened(
                order_id=order.id,
                code=code,
                at=opened_at,
                site_id=site_id,
                category=category,
                priority=priority,
                source=source,
                title=order.title,
                asset_id=asset_id,
                rule_id=rule_id,
            )
        )
        return order

    def append_alarm(self, alarm: AlarmOccurrence, *, at: datetime) -> bool:
        """Attach a further alarm; False (and no change) for one already attached, so redelivery is harmless."""
        self._require_active("append an alarm to it")
        if any(a.rule_id == alarm.rule_id and a.raised_at == alarm.raised_at for a in self.alarms):
            return False
        self.alarms.append(alarm)
        details = {"raised_at": alarm.raised_at.isoformat(), "severity": alarm.severity}
        self._log(at, SYSTEM_ACTOR, AuditAction.ALARM_APPENDED, details=details)
        appended = ev.AlarmAppended(
            order_id=self.id,
            code=self.code,
            at=at,
            rule_id=alarm.rule_id,
            raised_at=alarm.raised_at,
            occurrences=len(self.alarms),
        )
        self.events.append(appended)
        return True

    def note_alarm_cleared(self, *, rule_id: str, cleared_at: datetime, message: str, at: datetime) -> None:
        """Record that the alarm went away; the order stays as it is until a technician acts."""
        text = f"Alarm {rule_id} cleared at {cleared_at.isoformat()}" + (f": {message}" if message else "")
        self.comments.append(Comment(at=at, author=SYSTEM_ACTOR, text=text))
        self._log(at, SYSTEM_ACTOR, AuditAction.ALARM_CLEARED, details={"cleared_at": cleared_at.isoformat()})
        self.events.append(
            ev.AlarmClearedNoted(order_id=self.id, code=self.code, at=at, rule_id=rule_id, cleared_at=cleared_at)
        )

    def assign(self, *, assignee: str | None, team: str | None, actor: str, at: datetime) -> None:
        """Dispatch (派單) the order to a person and/or a team."""
        self._require_active("assign it")
        actor = _required(actor, "actor")
        details = {k: v for k, v in (("assignee", assignee), ("team", team)) if v is not None}
        self.assignee, self.team = assignee, team
        self._log(at, actor, AuditAction.ASSIGNED, details=details)
        self.events.append(
            ev.WorkOrderAssigned(order_id=self.id, code=self.code, at=at, actor=actor, assignee=assignee, team=team)
        )

    def acknowledge(self, *, actor: str, at: datetime) -> None:
        """Someone takes the order (接單); they become its assignee if it had none."""
        actor = self._move(Status.ACKNOWLEDGED, actor, at)
        self.acknowledged_at = at
        if self.assignee is None:
            self.assignee = actor
        self.events.append(ev.WorkOrderAcknowledged(order_id=self.id, code=self.code, at=at, actor=actor))
        self.record_breaches(at)

    def arrive(self, *, actor: str, at: datetime) -> None:
        """The technician is on site (到場)."""
        actor = self._move(Status.ON_SITE, actor, at)
        self.arrived_at = at
        self.events.append(ev.TechnicianArrived(order_id=self.id, code=self.code, at=at, actor=actor))
        self.record_breaches(at)

    def resolve(self, *, actor: str, resolution: str, at: datetime) -> None:
        """The work is done (完工); `resolution` says what was found and done."""
        resolution = _required(resolution, "resolution notes")
        actor = self._move(Status.RESOLVED, actor, at, details={"resolution": resolution})
        self.resolved_at, self.resolution = at, resolution
        self.events.append(
            ev.WorkOrderResolved(order_id=self.id, code=self.code, at=at, actor=actor, resolution=resolution)
        )
        self.record_breaches(at)

    def close(self, *, actor: str, at: datetime) -> None:
        """Archive a resolved order (歸檔)."""
        actor = self._move(Status.CLOSED, actor, at)
        self.closed_at = at
        self.events.append(ev.WorkOrderClosed(order_id=self.id, code=self.code, at=at, actor=actor))

    def cancel(self, *, actor: str, reason: str, at: datetime) -> None:
        """Withdraw an order nobody has reached yet (a duplicate, a request the resident took back)."""
        reason = _required(reason, "cancel reason")
        actor = self._move(Status.CANCELLED, actor, at, details={"reason": reason})
        self.cancelled_at, self.cancel_reason = at, reason
        self.events.append(ev.WorkOrderCancelled(order_id=self.id, code=self.code, at=at, actor=actor, reason=reason))
        self.record_breaches(at)

    def add_comment(self, *, author: str, text: str, at: datetime) -> None:
        author = _required(author, "author")
        comment = Comment(at=at, author=author, text=_required(text, "comment"))
        self.comments.append(comment)
        self._log(at, author, AuditAction.COMMENTED, details={"text": comment.text})
        self.events.append(ev.CommentAdded(order_id=self.id, code=self.code, at=at, author=author))

    def record_follow_up(self, *, actor: str, satisfaction: Satisfaction, feedback: str, at: datetime) -> None:
        """The follow-up call (回訪) with the resident's verdict; only once the work is resolved."""
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            raise WorkOrderConflict(
                f"work order {self.code} is {self.status.value}: the follow-up call comes after it is resolved"
            )
        actor = _required(actor, "actor")
        self.follow_ups.append(FollowUp(at=at, by=actor, satisfaction=satisfaction, feedback=feedback))
        self._log(at, actor, AuditAction.FOLLOWED_UP, details={"satisfaction": satisfaction.value})
        self.events.append(
            ev.FollowUpRecorded(order_id=self.id, code=self.code, at=at, actor=actor, satisfaction=satisfaction)
        )

    def breaches_due(self, now: datetime) -> list[tuple[SlaKind, datetime]]:
        """(step, deadline) for each SLA step missed by `now` and not yet recorded."""
        done = {SlaKind.ACKNOWLEDGE: self.acknowledged_at, SlaKind.ON_SITE: self.arrived_at}
        done[SlaKind.RESOLVE] = self.resolved_at
        missed = self.deadlines.missed(done=done, stopped_at=self.cancelled_at, now=now)
        return [(kind, due) for kind, due in missed if kind not in self.breaches]

    def record_breaches(self, now: datetime) -> list[ev.SlaBreached]:
        """Mark every missed step once, with an audit entry and a `SlaBreached` event each."""
        raised: list[ev.SlaBreached] = []
        for kind, due in self.breaches_due(now):
            self.breaches[kind] = Breach(kind=kind, due_at=due, detected_at=now)
            details = {"kind": kind.value, "due_at": due.isoformat()}
            self._log(now, SYSTEM_ACTOR, AuditAction.SLA_BREACHED, details=details)
            breach = ev.SlaBreached(
                order_id=self.id,
                code=self.code,
                at=now,
                kind=kind,
                due_at=due,
                site_id=self.site_id,
                category=self.category,
                priority=self.priority,
                asset_id=self.asset_id,
                assignee=self.assignee,
                team=self.team,
            )
            self.events.append(breach)
            raised.append(breach)
        return raised

    def timings(self) -> OrderTimes:
        return OrderTimes(
            category=self.category,
            reported_at=self.reported_at,
            acknowledged_at=self.acknowledged_at,
            arrived_at=self.arrived_at,
            resolved_at=self.resolved_at,
            breaches=frozenset(self.breaches),
        )

    def _move(self, to: Status, actor: str, at: datetime, details: dict[str, str] | None = None) -> str:
        """Check and make the move, audit it; returns the actor as recorded."""
        actor = _required(actor, "actor")
        check_transition(self.code, self.status, to)
        from_status, self.status = self.status, to
        self._log(at, actor, _MOVE_ACTION[to], from_status=from_status, to_status=to, details=details or {})
        return actor

    def _require_active(self, what: str) -> None:
        if self.status not in ACTIVE_STATES:
            raise WorkOrderConflict(f"work order {self.code} is {self.status.value}: cannot {what}")

    def _log(
        self,
        at: datetime,
        actor: str,
        action: AuditAction,
        *,
        from_status: Status | None = None,
        to_status: Status | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        self.audit.append(AuditEntry(at, actor, action, from_status, to_status, details or {}))
        self.updated_at = at


_MOVE_ACTION = {
    Status.ACKNOWLEDGED: AuditAction.ACKNOWLEDGED,
    Status.ON_SITE: AuditAction.ARRIVED,
    Status.RESOLVED: AuditAction.RESOLVED,
    Status.CLOSED: AuditAction.CLOSED,
    Status.CANCELLED: AuditAction.CANCELLED,
}


def _required(value: str, what: str) -> str:
    """Text a person must supply; blank is refused with a message naming the field."""
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be empty")
    return value
