"""Commands on work orders. Each runs in one unit of work and is retried when a concurrent writer came first.

Failing commands raise: `WorkOrderNotFound` (404), `IllegalTransition` / `WorkOrderConflict` (409),
`ValueError` for input a person must correct (422), or whatever a command's `guard` raises to refuse it
(`access.orders.AccessDenied`: another team's order, 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from uuid import UUID

from core.clock import Clock
from workorders.alarms import AlarmClearedFacts, AlarmFacts
from workorders.codes import CHINA, format_code, local_day
from workorders.domain import WorkOrder
from workorders.lifecycle import Status, WorkOrderNotFound
from workorders.sla import DEFAULT_SLA, SlaTable
from workorders.unit_of_work import UnitOfWork, run_in_transaction
from workorders.values import SYSTEM_ACTOR, AlarmOccurrence, Category, Priority, Satisfaction, Source

# Runs on the order as loaded inside a command's transaction, before the change; raises to refuse it (who may
# act on whose orders: `access.orders.guard`). None: the caller checked nothing order-specific.
Guard = Callable[[WorkOrder], None]

# How urgent each priority is, for choosing which of an asset's orders covers a new alarm.
URGENCY = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.EMERGENCY: 3}


@dataclass(frozen=True)
class OrderRef:
    """Which order a command touched; `created` is False when an alarm was appended to an open one."""

    order_id: UUID
    code: str
    created: bool


def open_from_alarm(
    uow: UnitOfWork, alarm: AlarmFacts, *, clock: Clock, sla: SlaTable = DEFAULT_SLA, tz: tzinfo = CHINA
) -> OrderRef:
    """Open a work order for an alarm, or append it to the order already covering it: one job per incident.

    - The order still active for the same (site, asset, rule) takes it (a repeat of the same alarm).
    - Else an active order opened by a rule for the same asset and trade (category), at least as urgent,
      takes it: the vibration limit on a car whose vibration order is open, the car stopped outside a door
      zone during its entrapment. The crew gets one order, one alert and one deadline for one visit.
    - Else a new order opens, and it replaces the same asset's less urgent rule orders in that trade that
      nobody has taken yet: they are cancelled as superseded and their alarms move to the new order (the
      door-zone stop raised 15 s before the entrapment it turned out to be).

    Safe under concurrent calls for one rule: the database allows one active order per (site, asset, rule),
    and a writer that loses the race starts again, finds the winner's order and appends to it.
    """

    def work() -> OrderRef:
        now = clock.now()
        occurrence = AlarmOccurrence(
            rule_id=alarm.rule_id,
            severity=str(alarm.severity),
            raised_at=alarm.raised_at,
            message=alarm.message,
            recorded_at=now,
            evidence=alarm.json_evidence(),
        )
        site_id = alarm.site_id or ""
        uow.work_orders.lock_asset(site_id=site_id, asset_id=alarm.asset_id)
        active = uow.work_orders.find_active_for_alarm(site_id=site_id, asset_id=alarm.asset_id, rule_id=alarm.rule_id)
        if active is not None:
            active.append_alarm(occurrence, at=now)
            return OrderRef(active.id, active.code, created=False)
        related = [
            order
            for order in uow.work_orders.find_active_for_asset(site_id=site_id, asset_id=alarm.asset_id)
            if order.source is Source.RULE and order.category is alarm.category
        ]
        covering = next((o for o in related if URGENCY[o.priority] >= URGENCY[alarm.priority]), None)
        if covering is not None:
            covering.append_alarm(occurrence, at=now)
            return OrderRef(covering.id, covering.code, created=False)
        order = WorkOrder.open(
            code=_next_code(uow, site_id, now=now, tz=tz),
            site_id=site_id,
            category=alarm.category,
            priority=alarm.priority,
            source=Source.RULE,
            title=alarm.headline(),
            description=alarm.describe(),
            reported_at=alarm.raised_at,
            opened_at=now,
            deadlines=sla.policy(alarm.category, alarm.priority).deadlines(alarm.raised_at),
            actor=SYSTEM_ACTOR,
            asset_id=alarm.asset_id,
            rule_id=alarm.rule_id,
            building_id=alarm.building_id,
            unit_id=alarm.unit_id,
            reporter=f"rule:{alarm.rule_id}",
            alarm=occurrence,
        )
        uow.work_orders.add(order)
        for lesser in related:
            if lesser.status is Status.OPEN:  # nobody has taken it: the more urgent order replaces it
                for earlier in lesser.alarms:
                    order.append_alarm(earlier, at=now)
                lesser.cancel(actor=SYSTEM_ACTOR, reason=f"superseded by {order.code}: {order.title}", at=now)
        return OrderRef(order.id, order.code, created=True)

    return run_in_transaction(uow, work)


def handle_alarm_cleared(uow: UnitOfWork, cleared: AlarmClearedFacts, *, clock: Clock) -> OrderRef | None:
    """Note on the active order that its alarm cleared; the order stays open for a technician to finish."""

    def work() -> OrderRef | None:
        order = uow.work_orders.find_active_for_alarm(
            site_id=cleared.site_id or "", asset_id=cleared.asset_id, rule_id=cleared.rule_id
        )
        if order is None:
            return None
        order.note_alarm_cleared(
            rule_id=cleared.rule_id, cleared_at=cleared.cleared_at, message=cleared.message, at=clock.now()
        )
        return OrderRef(order.id, order.code, created=False)

    return run_in_transaction(uow, work)


def create_resident_request(
    uow: UnitOfWork,
    *,
    site_id: str,
    category: Category,
    priority: Priority,
    title: str,
    description: str,
    reporter: str,
    actor: str,
    clock: Clock,
    asset_id: str | None = None,
    building_id: str | None = None,
    unit_id: str | None = None,
    source: Source = Source.RESIDENT_REQUEST,
    sla: SlaTable = DEFAULT_SLA,
    tz: tzinfo = CHINA,
) -> OrderRef:
    """Record a repair request or complaint taken by the service centre (`source=STAFF` for staff's own)."""
    request = ResidentRequest(
        site_id=site_id, category=category, priority=priority, title=title, description=description,
        reporter=reporter, actor=actor, asset_id=asset_id, building_id=building_id, unit_id=unit_id, source=source,
    )  # fmt: skip
    return run_in_transaction(uow, lambda: open_request(uow, request, clock=clock, sla=sla, tz=tz))


@dataclass(frozen=True, kw_only=True)
class ResidentRequest:
    """What the service centre takes down when a resident calls or walks in (報修登記)."""

    site_id: str
    category: Category
    priority: Priority
    title: str
    description: str
    reporter: str
    actor: str
    asset_id: str | None = None
    building_id: str | None = None
    unit_id: str | None = None
    source: Source = Source.RESIDENT_REQUEST


def open_request(
    uow: UnitOfWork, request: ResidentRequest, *, clock: Clock, sla: SlaTable = DEFAULT_SLA, tz: tzinfo = CHINA
) -> OrderRef:
    """Add the order inside the caller's open unit of work, for callers that write more in the same transaction."""
    if request.source is Source.RULE:
        raise ValueError("orders from rules are opened by open_from_alarm")
    now = clock.now()
    order = WorkOrder.open(
        code=_next_code(uow, request.site_id, now=now, tz=tz),
        site_id=request.site_id,
        category=request.category,
        priority=request.priority,
        source=request.source,
        title=request.title,
        description=request.description,
        reported_at=now,
        opened_at=now,
        deadlines=sla.policy(request.category, request.priority).deadlines(now),
        actor=request.actor,
        asset_id=request.asset_id,
        building_id=request.building_id,
        unit_id=request.unit_id,
        reporter=request.reporter,
    )
    uow.work_orders.add(order)
    return OrderRef(order.id, order.code, created=True)


def assign(
    uow: UnitOfWork,
    *,
    order_id: UUID,
    assignee: str | None,
    team: str | None,
    actor: str,
    clock: Clock,
    guard: Guard | None = None,
) -> None:
    """Dispatch (派單) the order to a person and/or a team."""
    _change(uow, order_id, lambda order: order.assign(assignee=assignee, team=team, actor=actor, at=clock.now()), guard)


def acknowledge(uow: UnitOfWork, *, order_id: UUID, actor: str, clock: Clock, guard: Guard | None = None) -> None:
    """open → acknowledged."""
    _change(uow, order_id, lambda order: order.acknowledge(actor=actor, at=clock.now()), guard)


def arrive(uow: UnitOfWork, *, order_id: UUID, actor: str, clock: Clock, guard: Guard | None = None) -> None:
    """acknowledged → on_site."""
    _change(uow, order_id, lambda order: order.arrive(actor=actor, at=clock.now()), guard)


def resolve(
    uow: UnitOfWork, *, order_id: UUID, actor: str, resolution: str, clock: Clock, guard: Guard | None = None
) -> None:
    """on_site → resolved, with what was found and done."""
    _change(uow, order_id, lambda order: order.resolve(actor=actor, resolution=resolution, at=clock.now()), guard)


def close(uow: UnitOfWork, *, order_id: UUID, actor: str, clock: Clock, guard: Guard | None = None) -> None:
    """resolved → closed."""
    _change(uow, order_id, lambda order: order.close(actor=actor, at=clock.now()), guard)


def cancel(
    uow: UnitOfWork, *, order_id: UUID, actor: str, reason: str, clock: Clock, guard: Guard | None = None
) -> None:
    """open or acknowledged → cancelled."""
    _change(uow, order_id, lambda order: order.cancel(actor=actor, reason=reason, at=clock.now()), guard)


def add_comment(
    uow: UnitOfWork, *, order_id: UUID, author: str, text: str, clock: Clock, guard: Guard | None = None
) -> None:
    _change(uow, order_id, lambda order: order.add_comment(author=author, text=text, at=clock.now()), guard)


def record_follow_up(
    uow: UnitOfWork,
    *,
    order_id: UUID,
    actor: str,
    satisfaction: Satisfaction,
    feedback: str,
    clock: Clock,
    guard: Guard | None = None,
) -> None:
    """The follow-up call (回訪) with the resident's verdict, once the order is resolved."""
    _change(
        uow,
        order_id,
        lambda order: order.record_follow_up(actor=actor, satisfaction=satisfaction, feedback=feedback, at=clock.now()),
        guard,
    )


def _change(uow: UnitOfWork, order_id: UUID, change: Callable[[WorkOrder], None], guard: Guard | None) -> None:
    def work() -> None:
        order = uow.work_orders.get(order_id)
        if order is None:
            raise WorkOrderNotFound(order_id)
        if guard is not None:
            guard(order)
        change(order)

    run_in_transaction(uow, work)


def _next_code(uow: UnitOfWork, site_id: str, *, now: datetime, tz: tzinfo) -> str:
    day = local_day(now, tz)
    return format_code(day, uow.work_orders.next_code_number(site_id=site_id, day=day))
