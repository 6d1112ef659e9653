"""Read-side queries for lists and reports: plain selects over the work-order tables, no aggregates loaded.

The commands in `service.py` load whole aggregates to change them; a list of a thousand orders needs
neither their audit logs nor a lock, so these read rows into small frozen dataclasses instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from workorders.codes import CHINA
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.orm import FollowUpRow, SlaBreachRow, WorkOrderRow
from workorders.row_translation import times_of
from workorders.stats import CategoryStats, month_bounds, summarize
from workorders.values import Category, Deadlines, Priority, Satisfaction, SlaKind, Source

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    """One page of a query's rows and how many rows matched in all."""

    items: list[T]
    total: int


@dataclass(frozen=True, kw_only=True)
class WorkOrderFilters:
    """Conditions a listed order meets; None (or no statuses) leaves that column unfiltered."""

    statuses: frozenset[Status] = frozenset()
    category: Category | None = None
    priority: Priority | None = None
    source: Source | None = None
    building_id: str | None = None
    unit_id: str | None = None
    asset_id: str | None = None
    assignee: str | None = None
    created_from: datetime | None = None  # inclusive, on opened_at
    created_before: datetime | None = None  # exclusive


@dataclass(frozen=True, kw_only=True)
class WorkOrderSummary:
    """An order as a list shows it: its state, place, people, step times, deadlines and missed steps."""

    id: UUID
    code: str
    site_id: str
    status: Status
    category: Category
    priority: Priority
    source: Source
    title: str
    asset_id: str | None
    rule_id: str | None
    building_id: str | None
    unit_id: str | None
    reporter: str | None
    assignee: str | None
    team: str | None
    reported_at: datetime
    opened_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    deadlines: Deadlines
    alarm_count: int
    breached: tuple[SlaKind, ...]


@dataclass(frozen=True, kw_only=True)
class BreachRecord:
    """One missed SLA step with the order it belongs to."""

    code: str
    order_id: UUID
    kind: SlaKind
    due_at: datetime
    detected_at: datetime
    category: Category
    priority: Priority
    status: Status
    asset_id: str | None
    assignee: str | None
    team: str | None


def find_order_id(session: Session, *, site_id: str, code: str) -> UUID | None:
    """The id of the site's order with this code (WO-20261126-0007), or None."""
    query = select(WorkOrderRow.id).where(WorkOrderRow.site_id == site_id, WorkOrderRow.code == code)
    return session.scalars(query).one_or_none()


def list_work_orders(
    session: Session, *, site_id: str, filters: WorkOrderFilters, limit: int, offset: int
) -> Found[WorkOrderSummary]:
    """The site's orders matching `filters`, newest first (opened_at, then code, descending)."""
    conditions = [WorkOrderRow.site_id == site_id, *_order_conditions(filters)]
    query = (
        select(WorkOrderRow)
        .where(*conditions)
        .options(selectinload(WorkOrderRow.breaches))
        .order_by(WorkOrderRow.opened_at.desc(), WorkOrderRow.code.desc())
    )
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return Found([_summary(row) for row in rows], _count(session, query))


def list_breaches(
    session: Session,
    *,
    site_id: str,
    limit: int,
    offset: int,
    kind: SlaKind | None = None,
    category: Category | None = None,
    detected_from: datetime | None = None,
    detected_before: datetime | None = None,
) -> Found[BreachRecord]:
    """The site's missed SLA steps, most recently detected first."""
    conditions: list[ColumnElement[bool]] = [WorkOrderRow.site_id == site_id]
    if kind is not None:
        conditions.append(SlaBreachRow.kind == kind.value)
    if category is not None:
        conditions.append(WorkOrderRow.category == category.value)
    if detected_from is not None:
        conditions.append(SlaBreachRow.detected_at >= detected_from)
    if detected_before is not None:
        conditions.append(SlaBreachRow.detected_at < detected_before)
    query = (
        select(SlaBreachRow, WorkOrderRow)
        .join(WorkOrderRow, SlaBreachRow.work_order_id == WorkOrderRow.id)
        .where(*conditions)
        .order_by(SlaBreachRow.detected_at.desc(), WorkOrderRow.code, SlaBreachRow.kind)
    )
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return Found([_breach(breach, order) for breach, order in rows], _count(session, query))


def monthly_site_statistics(
    session: Session, *, site_id: str, year: int, month: int, tz: tzinfo = CHINA
) -> list[CategoryStats]:
    """`stats.monthly_statistics` for one site: hubs may share a database, and its repository spans them all."""
    start, end = month_bounds(year, month, tz)
    query = (
        select(WorkOrderRow)
        .where(WorkOrderRow.site_id == site_id, WorkOrderRow.reported_at >= start, WorkOrderRow.reported_at < end)
        .options(selectinload(WorkOrderRow.breaches))
    )
    return summarize(times_of(row) for row in session.scalars(query))


def satisfaction_counts(
    session: Session, *, site_id: str, recorded_from: datetime, recorded_before: datetime
) -> dict[Satisfaction, int]:
    """How residents answered the follow-up calls (回訪) recorded in [from, before), every verdict listed."""
    query = (
        select(FollowUpRow.satisfaction, func.count())
        .join(WorkOrderRow, FollowUpRow.work_order_id == WorkOrderRow.id)
        .where(
            WorkOrderRow.site_id == site_id,
            FollowUpRow.at >= recorded_from,
            FollowUpRow.at < recorded_before,
        )
        .group_by(FollowUpRow.satisfaction)
    )
    counts = {verdict: 0 for verdict in Satisfaction}
    for verdict, count in session.execute(query):
        counts[Satisfaction(verdict)] = count
    return counts


def active_orders_by_alarm(session: Session, *, site_id: str) -> dict[tuple[str, str], str]:
    """(asset id, rule id) → code of the order still being worked on for it (at most one, by constraint)."""
    query = select(WorkOrderRow.asset_id, WorkOrderRow.rule_id, WorkOrderRow.code).where(
        WorkOrderRow.site_id == site_id,
        WorkOrderRow.rule_id.is_not(None),
        WorkOrderRow.status.in_([s.value for s in ACTIVE_STATES]),
    )
    return {(asset, rule): code for asset, rule, code in session.execute(query) if asset and rule}


def open_order_counts(session: Session, *, site_ids: Iterable[str]) -> dict[str, int]:
    """Per site, its orders still being worked on (open, acknowledged, on site); 0 for a site with none."""
    counts = dict.fromkeys(site_ids, 0)
    query = (
        select(WorkOrderRow.site_id, func.count())
        .where(WorkOrderRow.site_id.in_(list(counts)), WorkOrderRow.status.in_([s.value for s in ACTIVE_STATES]))
        .group_by(WorkOrderRow.site_id)
    )
    for site_id, count in session.execute(query):
        counts[site_id] = count
    return counts


def _order_conditions(filters: WorkOrderFilters) -> list[ColumnElement[bool]]:
    equal: list[tuple[Any, str | None]] = [
        (WorkOrderRow.category, filters.category.value if filters.category else None),
        (WorkOrderRow.priority, filters.priority.value if filters.priority else None),
        (WorkOrderRow.source, filters.source.value if filters.source else None),
        (WorkOrderRow.building_id, filters.building_id),
        (WorkOrderRow.unit_id, filters.unit_id),
        (WorkOrderRow.asset_id, filters.asset_id),
        (WorkOrderRow.assignee, filters.assignee),
    ]
    conditions: list[ColumnElement[bool]] = [column == value for column, value in equal if value is not None]
    if filters.statuses:
        conditions.append(WorkOrderRow.status.in_(sorted(s.value for s in filters.statuses)))
    if filters.created_from is not None:
        conditions.append(WorkOrderRow.opened_at >= filters.created_from)
    if filters.created_before is not None:
        conditions.append(WorkOrderRow.opened_at < filters.created_before)
    return conditions


def _count(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return int(session.scalars(counted).one())


def _summary(row: WorkOrderRow) -> WorkOrderSummary:
    breached = {b.kind for b in row.breaches}
    return WorkOrderSummary(
        **{name: getattr(row, name) for name in _COPIED},
        status=Status(row.status), category=Category(row.category), priority=Priority(row.priority),
        source=Source(row.source), deadlines=Deadlines(row.acknowledge_due_at, row.on_site_due_at, row.resolve_due_at),
        breached=tuple(kind for kind in SlaKind if kind.value in breached),
    )  # fmt: skip


# Summary fields whose column holds the value as it is.
_COPIED = (
    "id", "code", "site_id", "title", "asset_id", "rule_id", "building_id", "unit_id", "reporter", "assignee", "team",
    "reported_at", "opened_at", "acknowledged_at", "arrived_at", "resolved_at", "closed_at", "cancelled_at",
    "updated_at", "alarm_count",
)  # fmt: skip


def _breach(breach: SlaBreachRow, order: WorkOrderRow) -> BreachRecord:
    return BreachRecord(
        code=order.code, order_id=order.id, kind=SlaKind(breach.kind), due_at=breach.due_at,
        detected_at=breach.detected_at, category=Category(order.category), priority=Priority(order.priority),
        status=Status(order.status), asset_id=order.asset_id, assignee=order.assignee, team=order.team,
    )  # fmt: skip
