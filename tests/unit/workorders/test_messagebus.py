"""The work-order message bus: commands to handlers, events in order, events raised by handlers, failures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.handlers import EnqueueAlerts
from alerts.outbox import AlertOutbox
from core.clock import FakeClock
from storage.database import make_engine, session_factory, upgrade
from tests.unit.workorders.builders import MINUTE, T0, elevator_alarm
from workorders import commands as cmd
from workorders import service
from workorders.domain import WorkOrder
from workorders.events import SlaBreached, WorkOrderAcknowledged, WorkOrderEvent, WorkOrderOpened
from workorders.handlers import COMMAND_HANDLERS, Context
from workorders.lifecycle import Status, WorkOrderNotFound
from workorders.messagebus import EventHandler, MessageBus, build_bus
from workorders.orm import WorkOrderRow
from workorders.unit_of_work import FakeUnitOfWork, SqlAlchemyUnitOfWork, UnitOfWork


def recorder(name: str, into: list[str]) -> EventHandler:
    return lambda event, _uow: into.append(f"{name}:{type(event).__name__}")


def fake_bus(handlers: dict[type[WorkOrderEvent], Sequence[EventHandler]]) -> tuple[MessageBus, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    return MessageBus(lambda: uow, context=Context(FakeClock(T0)), event_handlers=handlers), uow


def test_handlers_run_in_registration_order_most_specific_type_first() -> None:
    seen: list[str] = []
    bus, _ = fake_bus(
        {
            WorkOrderEvent: [recorder("every", seen)],
            WorkOrderOpened: [recorder("first", seen), recorder("second", seen)],
            WorkOrderAcknowledged: [recorder("ack", seen)],
        }
    )
    ref = bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    assert ref.created is True
    assert seen == ["first:WorkOrderOpened", "second:WorkOrderOpened", "every:WorkOrderOpened"]


def test_events_of_one_command_go_out_in_the_order_the_aggregate_raised_them() -> None:
    seen: list[str] = []
    bus, _ = fake_bus({WorkOrderEvent: [recorder("all", seen)]})
    ref = bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    cast(FakeClock, bus.context.clock).advance(20 * MINUTE)  # past the 10-minute on-site target
    bus.handle(cmd.Acknowledge(order_id=ref.order_id, actor="crew"))
    assert seen == ["all:WorkOrderOpened", "all:WorkOrderAcknowledged", "all:SlaBreached"]


def test_events_raised_inside_a_handler_are_handled_too() -> None:
    seen: list[str] = []

    def take_it(event: WorkOrderEvent, uow: UnitOfWork) -> None:  # a reaction that is itself a command
        service.acknowledge(uow, order_id=event.order_id, actor="auto-dispatch", clock=FakeClock(T0))

    bus, uow = fake_bus({WorkOrderOpened: [take_it], WorkOrderEvent: [recorder("log", seen)]})
    ref = bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    assert seen == ["log:WorkOrderOpened", "log:WorkOrderAcknowledged"]
    order = uow.fake_repository.orders[ref.order_id]
    assert (order.status, order.assignee, uow.commits) == (Status.ACKNOWLEDGED, "auto-dispatch", 2)


def test_a_failing_event_handler_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def broken(event: WorkOrderEvent, uow: UnitOfWork) -> None:
        raise RuntimeError("push service down")

    bus, uow = fake_bus({WorkOrderOpened: [broken, recorder("after", seen)]})
    ref = bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    assert seen == ["after:WorkOrderOpened"]
    assert ref.order_id in uow.fake_repository.orders and uow.commits == 1  # the change stands
    assert f"publishing WorkOrderOpened for work order {ref.code} failed" in caplog.text


def test_a_failing_command_raises_and_hands_out_no_event() -> None:
    seen: list[str] = []
    bus, uow = fake_bus({WorkOrderEvent: [recorder("all", seen)]})
    with pytest.raises(WorkOrderNotFound):
        bus.handle(cmd.Close(order_id=uuid4(), actor="clerk"))
    assert (seen, uow.commits) == ([], 0)


def test_every_command_has_a_handler() -> None:
    def leaves(kind: type[cmd.Command]) -> set[type[cmd.Command]]:
        subs = kind.__subclasses__()
        return {kind} if not subs else {leaf for sub in subs for leaf in leaves(sub)}

    assert leaves(cmd.Command) == set(COMMAND_HANDLERS)


class BrokenOutbox:
    """Writes its row, then fails, like an outbox whose insert the database refuses."""

    def __init__(self) -> None:
        self.calls = 0

    def enqueue(self, session: Session, orders: Sequence[WorkOrder]) -> int:
        self.calls += 1
        raise RuntimeError("outbox insert refused")


@pytest.fixture
def sessions(tmp_path: Path) -> Callable[[], Session]:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    return session_factory(make_engine(url))


def test_a_failing_alert_handler_rolls_back_the_whole_transaction(sessions: Callable[[], Session]) -> None:
    outbox = BrokenOutbox()
    woken: list[str] = []
    handler = EnqueueAlerts(cast(AlertOutbox, outbox), wake=lambda: woken.append("wake"))
    seen: list[str] = []
    bus = build_bus(
        lambda: SqlAlchemyUnitOfWork(sessions, in_transaction=[handler]),
        clock=FakeClock(T0),
        publish=lambda event: seen.append(type(event).__name__),
    )
    with pytest.raises(RuntimeError, match="outbox insert refused"):
        bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrderRow)) == 0
    assert (outbox.calls, seen, woken) == (1, [], [])  # no order, no event handed out, no dispatcher woken


def test_the_alert_handler_sees_the_block_s_events_before_the_commit(sessions: Callable[[], Session]) -> None:
    pending: list[list[str]] = []

    def peek(session: Session, orders: Sequence[WorkOrder]) -> Callable[[], None]:
        pending.append([type(e).__name__ for order in orders for e in order.events])
        return lambda: pending.append(["committed"])

    clock = FakeClock(T0)
    bus = build_bus(lambda: SqlAlchemyUnitOfWork(sessions, in_transaction=[peek]), clock=clock)
    ref = bus.handle(cmd.OpenFromAlarm(alarm=elevator_alarm()))
    clock.advance(20 * MINUTE)
    bus.handle(cmd.Acknowledge(order_id=ref.order_id, actor="crew"))
    assert pending == [
        ["WorkOrderOpened"],
        ["committed"],
        ["WorkOrderAcknowledged", SlaBreached.__name__],
        ["committed"],
    ]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrderRow)) == 1
