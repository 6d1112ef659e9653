"""Alerts react to work-order events inside the change's own transaction: no alert lost, none for a rollback.

`EnqueueAlerts` is a transaction handler (`workorders.unit_of_work.TransactionHandler`): at each commit of a
unit of work it writes the outbox rows (and escalation clocks) for the events the block's orders raised, in
the same session, and once the commit succeeded it wakes the dispatcher. If it raises, nothing is committed.
The events stay on the orders, so the message bus still hands them to its event handlers afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from alerts.outbox import AlertOutbox
from workorders.domain import WorkOrder
from workorders.unit_of_work import SqlAlchemyUnitOfWork


class EnqueueAlerts:
    """Writes the outbox for a block's events; `wake` (e.g. `OutboxDispatcher.wake`) runs after the commit."""

    def __init__(self, outbox: AlertOutbox, *, wake: Callable[[], None] | None = None) -> None:
        self.outbox = outbox
        self.wake = wake

    def __call__(self, session: Session, orders: Sequence[WorkOrder]) -> Callable[[], None] | None:
        written = self.outbox.enqueue(session, orders)
        return self.wake if written else None


def outbox_unit_of_work(
    session_factory: Callable[[], Session], outbox: AlertOutbox, *, on_commit: Callable[[], None] | None = None
) -> SqlAlchemyUnitOfWork:
    """A work-order unit of work whose commits enqueue the alerts of their events."""
    return SqlAlchemyUnitOfWork(session_factory, in_transaction=[EnqueueAlerts(outbox, wake=on_commit)])


def alerts_of(uow: SqlAlchemyUnitOfWork) -> EnqueueAlerts:
    """The alerts handler of `uow`, for jobs that write the outbox themselves (escalation)."""
    for handler in uow.in_transaction:
        if isinstance(handler, EnqueueAlerts):
            return handler
    raise TypeError("this unit of work does not write the alerts outbox; build it with outbox_unit_of_work")
