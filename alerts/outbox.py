"""The transactional outbox: the messages a work-order change calls for, written in that change's transaction.

`AlertOutbox.enqueue(session, orders)` reads the events each order raised in the transaction (its pending
`events`, before the unit of work hands them out) and writes, in the same session:
- WorkOrderOpened: an alert to every target of the matching rule's teams, and the escalation clock;
- SlaBreached: a breach alert to the rule's `breach_teams`;
- acknowledged, arrived, resolved, closed, cancelled: the escalation clock stops;
- any change of state: the order's state to each `state_channels` channel.
Commit, and the dispatcher delivers them; roll back, and none of them exists.

Idempotency keys are derived from the order, the event and the target, so enqueueing the same events twice
(a second commit in one block) writes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.config import Member
from alerts.facts import PlaceBook, order_facts
from alerts.orm import DeliveryStatus, EscalationRow, MessageKind, OutboxRow
from alerts.routing import Routing, Target
from alerts.templates import render
from core.clock import Clock
from storage.database import Base
from workorders import events as ev
from workorders.domain import WorkOrder
from workorders.lifecycle import Status
from workorders.links import OrderLinkSigner

KEY_NAMESPACE = uuid.UUID("5b0f3e52-1d0c-4c39-9a43-6f1f1c7a9e10")
# Each of these means someone has the order in hand (or it is gone): no further escalation.
STOPS_ESCALATION: dict[type[ev.WorkOrderEvent], str] = {
    ev.WorkOrderAcknowledged: "acknowledged",
    ev.TechnicianArrived: "on_site",
    ev.WorkOrderResolved: "resolved",
    ev.WorkOrderClosed: "closed",
    ev.WorkOrderCancelled: "cancelled",
}
STATE_EVENTS = (ev.WorkOrderOpened, ev.AlarmAppended, ev.WorkOrderAssigned, *STOPS_ESCALATION)


class AlertOutbox:
    """Turns work-order events into outbox rows; one per hub, shared by every unit of work."""

    def __init__(
        self, routing: Routing, *, places: PlaceBook, clock: Clock, links: OrderLinkSigner | None = None
    ) -> None:
        self.routing = routing
        self.places = places
        self.clock = clock
        self.links = links  # signs each recipient's own link to the order; None: the plain link only

    def enqueue(self, session: Session, orders: Iterable[WorkOrder]) -> int:
        """Write the messages for the pending events of `orders` in `session`; returns how many."""
        rows: list[dict[str, Any]] = []
        for order in orders:
            for event in order.events:
                if isinstance(event, ev.WorkOrderOpened):
                    rows += self._opened(session, order, event)
                elif isinstance(event, ev.SlaBreached):
                    rows += self._breached(order, event)
                elif isinstance(event, ev.WorkOrderAssigned):
                    rows += self._dispatched(order, event)
                reason = STOPS_ESCALATION.get(type(event))
                if reason is not None:
                    stop_escalation(session, order.id, at=event.at, reason=reason)
            changes = [e for e in order.events if isinstance(e, STATE_EVENTS)]
            if changes:
                rows += self._state(order, changes[-1])
        insert_ignoring_duplicates(session, OutboxRow, rows)
        return len(rows)

    def escalate(self, session: Session, order: WorkOrder | None, row: EscalationRow, now: datetime) -> int:
        """Fire the steps of `row` that are due by `now` (the order loaded in `session`); returns how many."""
        chain = self.routing.chain(row.chain)
        if order is None or order.status is not Status.OPEN or chain is None:
            # Taken, on site, done or cancelled (or gone, or its chain left the file): nothing more to do.
            reason = "order_missing" if order is None else order.status.value
            _stop(row, now, "chain_removed" if reason == Status.OPEN.value else reason)
            return 0
        rule = self.routing.rule(order.category, order.priority)
        earlier = [*rule.teams, *(team for step in chain.steps[: row.level] for team in step.teams)]
        told = [self.routing.team_name(team) for team in dict.fromkeys(earlier)]
        fired = 0
        while row.next_at is not None and row.next_at <= now and row.level < len(chain.steps):
            step = chain.steps[row.level]
            row.level += 1
            minutes = round(step.after.total_seconds() / 60)
            extra = {"escalation": {"level": row.level, "after_min": minutes, "notified": list(told)}}
            targets = self.routing.targets(step.teams, now)
            trigger = f"escalation:{row.chain}:{row.level}"
            rows = self._messages(order, MessageKind.ESCALATION, row.level, targets, trigger, extra)
            insert_ignoring_duplicates(session, OutboxRow, rows)
            told += [self.routing.team_name(team) for team in step.teams]
            row.next_at = row.started_at + chain.steps[row.level].after if row.level < len(chain.steps) else None
            fired += 1
        if row.next_at is None or row.level >= len(chain.steps):  # the last step fired (or the chain shrank)
            _stop(row, now, "exhausted")
        return fired

    def _opened(self, session: Session, order: WorkOrder, event: ev.WorkOrderOpened) -> list[dict[str, Any]]:
        rule = self.routing.rule(order.category, order.priority)
        chain = self.routing.chain(rule.escalation)
        if chain is not None and order.status is Status.OPEN:
            clock = {
                "work_order_id": order.id,
                "site_id": order.site_id,
                "chain": rule.escalation,
                "level": 0,
                "started_at": event.at,
                "next_at": event.at + chain.steps[0].after,
            }
            insert_ignoring_duplicates(session, EscalationRow, [clock])
        targets = self.routing.targets(rule.teams, event.at)
        return self._messages(order, MessageKind.ALERT, 0, targets, _trigger(event))

    def _breached(self, order: WorkOrder, event: ev.SlaBreached) -> list[dict[str, Any]]:
        rule = self.routing.rule(order.category, order.priority)
        targets = self.routing.targets(rule.breach_teams, event.at)
        extra = {"breach": {"step": event.kind.value, "due_at": event.due_at.isoformat()}}
        return self._messages(order, MessageKind.BREACH, 0, targets, _trigger(event), extra)

    def _dispatched(self, order: WorkOrder, event: ev.WorkOrderAssigned) -> list[dict[str, Any]]:
        """A dispatch (派單) is an alert to whoever the order now belongs to, with their own link."""
        if order.status not in (Status.OPEN, Status.ACKNOWLEDGED, Status.ON_SITE):
            return []
        targets = self.routing.dispatch_targets(event.team, event.assignee, event.at)
        extra = {"dispatch": {"by": event.actor, "team": event.team, "assignee": event.assignee}}
        return self._messages(order, MessageKind.ALERT, 0, targets, _trigger(event), extra)

    def _state(self, order: WorkOrder, last: ev.WorkOrderEvent) -> list[dict[str, Any]]:
        targets = [Target("", name, (), self.routing.file.locale) for name in self.routing.file.state_channels]
        return self._messages(order, MessageKind.STATE, 0, targets, f"state:{_trigger(last)}")

    def _messages(
        self,
        order: WorkOrder,
        kind: MessageKind,
        level: int,
        targets: Sequence[Target],
        trigger: str,
        extra: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        link = self.routing.link(order_id=str(order.id), code=order.code, site_id=order.site_id)
        facts = {**order_facts(order, places=self.places, link=link), **(extra or {})}
        now = self.clock.now()
        rows = []
        for target in targets:
            personal_links = self._personal_links(order, target, link)
            target_facts = {**facts, "links": personal_links}
            if len(personal_links) == 1:  # one person: the message's link is theirs
                target_facts["link"] = personal_links[0]["url"]
            text = render(kind, target_facts, target.locale, self.routing.zone)
            who = ",".join(member.id for member in target.recipients)
            key = uuid.uuid5(KEY_NAMESPACE, f"{order.id}|{trigger}|{target.team}|{target.channel}|{who}")
            rows.append(
                {
                    "idempotency_key": key.hex,
                    "site_id": order.site_id,
                    "work_order_id": order.id,
                    "work_order_code": order.code,
                    "kind": kind.value,
                    "level": level,
                    "team": target.team or None,
                    "personal": target.personal,
                    "channel": target.channel,
                    "recipients": [
                        _recipient(member, entry["url"])
                        for member, entry in zip(target.recipients, personal_links or _no_links(target), strict=True)
                    ],
                    "locale": target.locale,
                    "title": text.title,
                    "body": text.body,
                    "facts": target_facts,
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
        return rows

    def _personal_links(self, order: WorkOrder, target: Target, link: str) -> list[dict[str, str]]:
        """Each recipient's signed link to this order (it lets that person act on it, and nothing else)."""
        if self.links is None or not link:
            return []
        now = self.clock.now()
        links = []
        for member in target.recipients:
            token = self.links.issue(
                order_id=order.id, member_id=member.id, member_name=member.name, team=target.team, now=now
            )
            separator = "&" if "?" in link else "?"
            links.append({"member": member.id, "name": member.name, "url": f"{link}{separator}k={token}"})
        return links


def _no_links(target: Target) -> list[dict[str, str]]:
    return [{"url": ""} for _ in target.recipients]


def stop_escalation(session: Session, order_id: uuid.UUID, *, at: datetime, reason: str) -> None:
    """Stop the order's escalation clock if it is running (in `session`, so in the caller's transaction)."""
    session.execute(
        update(EscalationRow)
        .where(EscalationRow.work_order_id == order_id, EscalationRow.stopped_at.is_(None))
        .values(stopped_at=at, stop_reason=reason, next_at=None)
        .execution_options(synchronize_session=False)
    )


def insert_ignoring_duplicates(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row whose unique key exists already is left as it is."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(model).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(model).on_conflict_do_nothing(), rows)
    else:
        session.execute(insert(model), rows)


def _stop(row: EscalationRow, now: datetime, reason: str) -> None:
    row.stopped_at, row.stop_reason, row.next_at = now, reason, None


def _trigger(event: ev.WorkOrderEvent) -> str:
    return f"{type(event).__name__}@{event.at.isoformat()}"


def _recipient(member: Member, link: str) -> dict[str, str]:
    return {"id": member.id, "name": member.name, "phone": member.phone, "email": member.email,
            "wecom_id": member.wecom_id, "link": link}  # fmt: skip
