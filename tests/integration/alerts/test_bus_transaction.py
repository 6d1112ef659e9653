"""Alerts through the message bus on PostgreSQL: written in the change's transaction, or not at all."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.handlers import EnqueueAlerts
from alerts.orm import OutboxRow
from alerts.outbox import AlertOutbox
from tests.integration.alerts.conftest import Rig
from tests.unit.workorders.builders import elevator_alarm
from workorders.commands import OpenFromAlarm
from workorders.domain import WorkOrder
from workorders.events import WorkOrderEvent
from workorders.messagebus import build_bus
from workorders.orm import WorkOrderRow
from workorders.unit_of_work import SqlAlchemyUnitOfWork

pytestmark = pytest.mark.integration


class OutboxThatFailsAfterWriting(AlertOutbox):
    """Writes its rows into the session (they reach PostgreSQL), then fails, like a later insert refused."""

    def enqueue(self, session: Session, orders: Sequence[WorkOrder]) -> int:
        written = super().enqueue(session, orders)
        assert written > 0
        raise RuntimeError("outbox write refused")


def counts(rig: Rig) -> tuple[int, int]:
    with rig.sessions() as session:
        orders = session.scalar(
            select(func.count()).select_from(WorkOrderRow).where(WorkOrderRow.site_id == rig.site_id)
        )
        rows = session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.site_id == rig.site_id))
    return orders or 0, rows or 0


def test_the_alerts_commit_with_the_order_before_any_event_handler_runs(rig: Rig) -> None:
    seen: list[tuple[str, tuple[int, int]]] = []
    woken: list[bool] = []

    def publish(event: WorkOrderEvent) -> None:
        seen.append((type(event).__name__, counts(rig)))  # read in a session of its own: committed or nothing

    handler = EnqueueAlerts(rig.outbox, wake=lambda: woken.append(True))
    bus = build_bus(lambda: SqlAlchemyUnitOfWork(rig.sessions, in_transaction=[handler]), clock=rig.clock,
                    publish=publish)  # fmt: skip
    bus.handle(OpenFromAlarm(alarm=elevator_alarm(site_id=rig.site_id)))
    ((name, (orders, rows)),) = seen
    assert (name, orders, woken) == ("WorkOrderOpened", 1, [True])
    assert rows == len(rig.rows()) > 0


def test_a_failing_alert_handler_rolls_back_the_order_too(rig: Rig) -> None:
    failing = OutboxThatFailsAfterWriting(rig.outbox.routing, places=rig.outbox.places, clock=rig.clock)
    seen: list[WorkOrderEvent] = []
    woken: list[bool] = []
    handler = EnqueueAlerts(failing, wake=lambda: woken.append(True))
    bus = build_bus(lambda: SqlAlchemyUnitOfWork(rig.sessions, in_transaction=[handler]), clock=rig.clock,
                    publish=seen.append)  # fmt: skip
    with pytest.raises(RuntimeError, match="outbox write refused"):
        bus.handle(OpenFromAlarm(alarm=elevator_alarm(site_id=rig.site_id)))
    assert (counts(rig), seen, woken) == ((0, 0), [], [])
