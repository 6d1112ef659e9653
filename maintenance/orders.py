"""Planned work orders: one per occurrence, opened with its occurrence row in one transaction.

A planned order is a staff order (`Source.STAFF`, reporter `plan:<plan>/<task>`) whose only SLA step is
"resolved by the end of the due date" in the site's zone: the work-order SLA check marks it breached the moment
the date passes, and the alerts routing tells the breach teams and escalates as for any order. It is dispatched
(派單) at once to the task's team or the contractor's team, so the dispatch alert reaches whoever does the work
— a contractor's notice ahead of the due date goes out through its alerts channel this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from maintenance.cadence import end_of_day
from maintenance.loading import AssetRef
from maintenance.orm import OccurrenceRow, OccurrenceStatus, Trigger
from workorders.codes import format_code, local_day
from workorders.domain import WorkOrder
from workorders.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork
from workorders.values import SYSTEM_ACTOR, Category, Deadlines, Priority, Source

CATEGORY_OF_KIND = {
    "elevator": Category.ELEVATOR,
    "pump": Category.PLUMBING,
    "fire_water": Category.PLUMBING,
    "generator": Category.ELECTRICAL,
    "lighting": Category.LIGHTING,
    "meter": Category.METERING,
}


def category_of(kind: str) -> Category:
    return CATEGORY_OF_KIND.get(kind, Category.OTHER)


@dataclass(frozen=True, kw_only=True)
class Occurrence:
    """What to open: one task (or inspection) for one asset, due on one date."""

    site_id: str
    task_key: str
    plan_id: str
    task_id: str
    asset: AssetRef
    trigger: Trigger
    due_on: date
    title: str
    description: str
    team: str | None = None
    contractor_id: str | None = None
    trigger_detail: str = ""
    priority: Priority = Priority.LOW


def session_of(uow: UnitOfWork) -> Session:
    if not isinstance(uow, SqlAlchemyUnitOfWork):
        raise TypeError("maintenance needs the SQL unit of work: its rows commit with the orders")
    return uow.session


def exists(session: Session, occ: Occurrence) -> bool:
    found = session.scalar(
        select(OccurrenceRow.id).where(
            OccurrenceRow.site_id == occ.site_id,
            OccurrenceRow.task_key == occ.task_key,
            OccurrenceRow.due_on == occ.due_on,
            OccurrenceRow.trigger == occ.trigger.value,
        )
    )
    return found is not None


def open_occurrence(uow: UnitOfWork, occ: Occurrence, *, now: datetime, tz: tzinfo) -> str | None:
    """Inside the caller's open unit of work: the order and its row, or None if this occurrence already has them.

    A concurrent scheduler inserting the same occurrence loses at commit (unique constraint), which the unit of
    work reports as `ConcurrentUpdate`; `run_in_transaction` then starts again, finds the row and opens nothing.
    """
    session = session_of(uow)
    if exists(session, occ):
        return None
    day = local_day(now, tz)
    order = WorkOrder.open(
        code=format_code(day, uow.work_orders.next_code_number(site_id=occ.site_id, day=day)),
        site_id=occ.site_id,
        category=category_of(occ.asset.kind),
        priority=occ.priority,
        source=Source.STAFF,
        title=occ.title,
        description=occ.description,
        reported_at=now,
        opened_at=now,
        deadlines=Deadlines(resolve_by=end_of_day(occ.due_on, tz)),
        actor=SYSTEM_ACTOR,
        asset_id=occ.asset.id,
        building_id=occ.asset.building,
        reporter=f"plan:{occ.plan_id}/{occ.task_id}",
    )
    uow.work_orders.add(order)
    if occ.team is not None:
        order.assign(assignee=None, team=occ.team, actor=SYSTEM_ACTOR, at=now)
    session.add(
        OccurrenceRow(
            site_id=occ.site_id,
            task_key=occ.task_key,
            plan_id=occ.plan_id,
            task_id=occ.task_id,
            asset_id=occ.asset.id,
            trigger=occ.trigger.value,
            trigger_detail=occ.trigger_detail,
            due_on=occ.due_on,
            due_at=end_of_day(occ.due_on, tz),
            opened_at=now,
            team=occ.team,
            contractor_id=occ.contractor_id,
            work_order_id=order.id,
            work_order_code=order.code,
            status=OccurrenceStatus.OPEN.value,
            results=[],
            photos=[],
            followup_codes=[],
        )
    )
    return order.code
