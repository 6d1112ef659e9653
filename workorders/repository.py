"""Where work orders are kept: a small port, its SQLAlchemy adapter, and an in-memory fake for unit tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from workorders.domain import WorkOrder
from workorders.lifecycle import ACTIVE_STATES
from workorders.orm import AlarmRow, CodeCounterRow, SlaBreachRow, WorkOrderRow
from workorders.row_translation import times_of, to_domain, write_row
from workorders.values import OrderTimes, SlaKind

_ACTIVE = [s.value for s in ACTIVE_STATES]
Due = InstrumentedAttribute[datetime | None]


class WorkOrderRepository(Protocol):
    """Loads and stores whole aggregates; `seen` is what the unit of work collects events from."""

    @property
    def seen(self) -> Sequence[WorkOrder]: ...

    def add(self, order: WorkOrder) -> None: ...

    def get(self, order_id: UUID, *, lock: bool = True) -> WorkOrder | None:
        """The order, locked for update until commit where the database can (PostgreSQL)."""

    def get_by_code(self, *, site_id: str, code: str) -> WorkOrder | None: ...

    def find_active_for_alarm(self, *, site_id: str, asset_id: str, rule_id: str) -> WorkOrder | None:
        """The order still being worked on for (site, asset, rule) — opened by that rule or holding one of its
        alarms — locked like `get`."""

    def lock_asset(self, *, site_id: str, asset_id: str) -> None:
        """Hold the asset until the transaction ends, so concurrent alarms of one asset are judged in turn."""

    def find_active_for_asset(self, *, site_id: str, asset_id: str) -> list[WorkOrder]:
        """Every order still being worked on for the asset, oldest first, locked like `get`."""

    def next_code_number(self, *, site_id: str, day: date) -> int:
        """The next number of the site's day, taken inside the current transaction (given back by a rollback)."""

    def breach_candidates(self, now: datetime, *, site_id: str | None = None) -> list[WorkOrder]:
        """Active orders (of `site_id`, or of every site) with a step past its deadline, not done and not yet
        marked; locked like `get`."""

    def timings(self, *, reported_from: datetime, reported_before: datetime) -> list[OrderTimes]:
        """Statistics view of the orders reported in [reported_from, reported_before)."""


class FakeWorkOrderRepository:
    """The port over a dict, for unit tests of the service layer."""

    def __init__(self, orders: Iterable[WorkOrder] = ()) -> None:
        self.orders: dict[UUID, WorkOrder] = {order.id: order for order in orders}
        self.counters: dict[tuple[str, date], int] = {}
        self._seen: dict[UUID, WorkOrder] = {}

    @property
    def seen(self) -> Sequence[WorkOrder]:
        return list(self._seen.values())

    def add(self, order: WorkOrder) -> None:
        self.orders[order.id] = self._seen[order.id] = order

    def get(self, order_id: UUID, *, lock: bool = True) -> WorkOrder | None:
        return self._see(self.orders.get(order_id))

    def get_by_code(self, *, site_id: str, code: str) -> WorkOrder | None:
        return self._see(next((o for o in self.orders.values() if (o.site_id, o.code) == (site_id, code)), None))

    def find_active_for_alarm(self, *, site_id: str, asset_id: str, rule_id: str) -> WorkOrder | None:
        found = (
            o
            for o in self.find_active_for_asset(site_id=site_id, asset_id=asset_id)
            if o.rule_id == rule_id or any(a.rule_id == rule_id for a in o.alarms)
        )
        return next(found, None)

    def lock_asset(self, *, site_id: str, asset_id: str) -> None:
        pass  # one thread: nothing to wait for

    def find_active_for_asset(self, *, site_id: str, asset_id: str) -> list[WorkOrder]:
        found = [
            o
            for o in self.orders.values()
            if (o.site_id, o.asset_id) == (site_id, asset_id) and o.status in ACTIVE_STATES
        ]
        return [order for order in found if self._see(order) is not None]

    def next_code_number(self, *, site_id: str, day: date) -> int:
        self.counters[site_id, day] = self.counters.get((site_id, day), 0) + 1
        return self.counters[site_id, day]

    def breach_candidates(self, now: datetime, *, site_id: str | None = None) -> list[WorkOrder]:
        due = [
            o
            for o in self.orders.values()
            if o.status in ACTIVE_STATES and o.breaches_due(now) and site_id in (None, o.site_id)
        ]
        for order in due:
            self._see(order)
        return due

    def timings(self, *, reported_from: datetime, reported_before: datetime) -> list[OrderTimes]:
        return [o.timings() for o in self.orders.values() if reported_from <= o.reported_at < reported_before]

    def forget_seen(self) -> None:
        self._seen = {}

    def _see(self, order: WorkOrder | None) -> WorkOrder | None:
        if order is not None:
            self._seen[order.id] = order
        return order


class SqlAlchemyWorkOrderRepository:
    """The port over a SQLAlchemy session. Rows are written when the unit of work calls `flush`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._tracked: dict[UUID, tuple[WorkOrder, WorkOrderRow | None]] = {}

    @property
    def seen(self) -> Sequence[WorkOrder]:
        return [order for order, _row in self._tracked.values()]

    def add(self, order: WorkOrder) -> None:
        self._tracked[order.id] = (order, None)

    def get(self, order_id: UUID, *, lock: bool = True) -> WorkOrder | None:
        return self._one(select(WorkOrderRow).where(WorkOrderRow.id == order_id), lock=lock)

    def get_by_code(self, *, site_id: str, code: str) -> WorkOrder | None:
        query = select(WorkOrderRow).where(WorkOrderRow.site_id == site_id, WorkOrderRow.code == code)
        return self._one(query, lock=False)

    def find_active_for_alarm(self, *, site_id: str, asset_id: str, rule_id: str) -> WorkOrder | None:
        attached = select(AlarmRow.work_order_id).where(AlarmRow.rule_id == rule_id)
        query = _active_for_asset(site_id, asset_id).where(
            or_(WorkOrderRow.rule_id == rule_id, WorkOrderRow.id.in_(attached))
        )
        return self._one(query, lock=True)

    def lock_asset(self, *, site_id: str, asset_id: str) -> None:
        # PostgreSQL: a transaction-scoped advisory lock on the asset; SQLite's BEGIN IMMEDIATE already lets
        # one writer in at a time. Without it, two rules firing together could each open an order.
        if self.session.get_bind().dialect.name == "postgresql":
            key = int.from_bytes(hashlib.blake2b(f"{site_id}|{asset_id}".encode(), digest_size=8).digest(), "big")
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key - 2**63})

    def find_active_for_asset(self, *, site_id: str, asset_id: str) -> list[WorkOrder]:
        return self._all(_active_for_asset(site_id, asset_id), lock=True)

    def next_code_number(self, *, site_id: str, day: date) -> int:
        # An upsert holds the counter row's lock until commit, so concurrent openers take turns.
        counter = CodeCounterRow
        bump = {"last_number": counter.last_number + 1}
        keys = [counter.site_id, counter.day]
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            pg = postgresql.insert(counter).values(site_id=site_id, day=day, last_number=1)
            statement = pg.on_conflict_do_update(index_elements=keys, set_=bump).returning(counter.last_number)
        elif dialect == "sqlite":
            lite = sqlite.insert(counter).values(site_id=site_id, day=day, last_number=1)
            statement = lite.on_conflict_do_update(index_elements=keys, set_=bump).returning(counter.last_number)
        else:
            raise NotImplementedError(f"work-order codes need PostgreSQL or SQLite, not {dialect}")
        return int(self.session.execute(statement).scalar_one())

    def breach_candidates(self, now: datetime, *, site_id: str | None = None) -> list[WorkOrder]:
        query = (
            select(WorkOrderRow)
            .where(
                WorkOrderRow.status.in_(_ACTIVE),
                or_(
                    _pending(SlaKind.ACKNOWLEDGE, WorkOrderRow.acknowledge_due_at, WorkOrderRow.acknowledged_at, now),
                    _pending(SlaKind.ON_SITE, WorkOrderRow.on_site_due_at, WorkOrderRow.arrived_at, now),
                    _pending(SlaKind.RESOLVE, WorkOrderRow.resolve_due_at, WorkOrderRow.resolved_at, now),
                ),
            )
            .order_by(WorkOrderRow.id)  # one lock order for every checker, so two of them cannot deadlock
        )
        if site_id is not None:
            query = query.where(WorkOrderRow.site_id == site_id)
        return self._all(query, lock=True)

    def timings(self, *, reported_from: datetime, reported_before: datetime) -> list[OrderTimes]:
        query = (
            select(WorkOrderRow)
            .where(WorkOrderRow.reported_at >= reported_from, WorkOrderRow.reported_at < reported_before)
            .options(selectinload(WorkOrderRow.breaches))
        )
        return [times_of(row) for row in self.session.scalars(query)]

    def flush(self) -> None:
        """Write every aggregate loaded or added in this session."""
        for order, row in list(self._tracked.values()):
            if row is None:
                row = WorkOrderRow(id=order.id)
                self.session.add(row)
                self._tracked[order.id] = (order, row)
            write_row(order, row)
        self.session.flush()

    def _one(self, query: Select[WorkOrderRow], *, lock: bool) -> WorkOrder | None:
        found = self._all(query, lock=lock)
        return found[0] if found else None

    def _all(self, query: Select[WorkOrderRow], *, lock: bool) -> list[WorkOrder]:
        query = query.options(
            selectinload(WorkOrderRow.alarms),
            selectinload(WorkOrderRow.comments),
            selectinload(WorkOrderRow.audit),
            selectinload(WorkOrderRow.follow_ups),
            selectinload(WorkOrderRow.breaches),
        )
        if lock:
            query = query.with_for_update(of=WorkOrderRow)  # SQLite ignores it; the version column guards there
        orders = []
        for row in self.session.scalars(query):
            # One aggregate per row and session, like SQLAlchemy's identity map.
            if row.id not in self._tracked:
                self._tracked[row.id] = (to_domain(row), row)
            orders.append(self._tracked[row.id][0])
        return orders


def _active_for_asset(site_id: str, asset_id: str) -> Select[WorkOrderRow]:
    """The asset's orders still being worked on, oldest first."""
    return (
        select(WorkOrderRow)
        .where(WorkOrderRow.site_id == site_id, WorkOrderRow.asset_id == asset_id, WorkOrderRow.status.in_(_ACTIVE))
        .order_by(WorkOrderRow.opened_at, WorkOrderRow.id)
    )


def _pending(kind: SlaKind, due: Due, done: Due, now: datetime) -> ColumnElement[bool]:
    """SQL for: the step is past its deadline, not done, and its breach is not marked yet."""
    marked = select(SlaBreachRow.id).where(
        SlaBreachRow.work_order_id == WorkOrderRow.id, SlaBreachRow.kind == kind.value
    )
    return and_(due <= now, done.is_(None), ~marked.exists())
