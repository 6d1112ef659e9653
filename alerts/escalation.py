"""The escalation job: when nobody has acknowledged an order by a step's time, alert that step's teams.

Each order opened under a rule with an `escalation` chain gets a clock (`alert_escalations`): the first
step fires at `started_at + steps[0].after`, and so on. Acknowledging (or arriving, resolving, cancelling)
stops the clock in the same transaction, and the job checks the order's state again before it fires, so an
acknowledged order never escalates. A step fires exactly once: the clock and the outbox rows are written
in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select

from alerts.handlers import alerts_of
from alerts.orm import EscalationRow
from core.clock import Clock
from workorders.unit_of_work import SqlAlchemyUnitOfWork, run_in_transaction

ESCALATION_JOB_ID = "alerts.escalation_check"


def run_escalation_check(
    *, uow_factory: Callable[[], SqlAlchemyUnitOfWork], clock: Clock, sites: Collection[str] | None = None
) -> int:
    """Fire every step due by now, for the orders of `sites` (None: every site); returns how many fired."""
    now = clock.now()
    uow = uow_factory()
    alerts = alerts_of(uow)

    def work() -> int:
        due = select(EscalationRow.work_order_id).where(
            EscalationRow.stopped_at.is_(None), EscalationRow.next_at <= now
        )
        if sites is not None:
            due = due.where(EscalationRow.site_id.in_(sites))
        fired = 0
        for order_id in uow.session.scalars(due.order_by(EscalationRow.work_order_id)).all():
            # The order first, then its clock: the order in which an acknowledging command locks them too.
            order = uow.work_orders.get(order_id)
            row = uow.session.get(EscalationRow, order_id, with_for_update=True, populate_existing=True)
            if row is not None and row.stopped_at is None:
                fired += alerts.outbox.escalate(uow.session, order, row, now)
        return fired

    fired = run_in_transaction(uow, work)
    if fired and alerts.wake is not None:
        alerts.wake()  # the messages are committed: deliver them now
    return fired


def schedule_escalation_checks(
    scheduler: BaseScheduler,
    *,
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    clock: Clock,
    sites: Collection[str] | None = None,
    every: timedelta = timedelta(seconds=15),
) -> Any:
    """Add (or replace) the interval job that runs `run_escalation_check`; returns APScheduler's Job.

    A step fires at most `every` late. One instance at a time; missed runs are coalesced into one.
    """
    if every <= timedelta(0):
        raise ValueError(f"the escalation check interval must be positive, got {every}")
    return scheduler.add_job(
        run_escalation_check,
        "interval",
        seconds=every.total_seconds(),
        id=ESCALATION_JOB_ID,
        name="alert escalation check",
        kwargs={"uow_factory": uow_factory, "clock": clock, "sites": sites},
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
