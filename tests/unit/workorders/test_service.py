"""The commands, against the fake unit of work: alarms open or append, lifecycle commands, retries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from core.clock import FakeClock
from tests.unit.workorders.builders import MINUTE, T0, elevator_alarm
from workorders import service
from workorders.alarms import AlarmClearedFacts, AlarmFacts
from workorders.domain import WorkOrder
from workorders.events import AlarmAppended, AlarmClearedNoted, WorkOrderAcknowledged, WorkOrderOpened
from workorders.lifecycle import IllegalTransition, Status, WorkOrderNotFound
from workorders.repository import FakeWorkOrderRepository
from workorders.unit_of_work import ConcurrentUpdate, FakeUnitOfWork
from workorders.values import Category, Priority, Satisfaction, SlaKind, Source

SECOND = timedelta(seconds=1)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def only(uow: FakeUnitOfWork) -> WorkOrder:
    (order,) = uow.fake_repository.orders.values()
    return order


def test_an_alarm_opens_an_order_with_its_evidence(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    clock.advance(2 * MINUTE)  # the order is recorded 2 minutes after the alarm
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)

    order = only(uow)
    assert (ref.order_id, ref.code, ref.created) == (order.id, "WO-20261126-0001", True)
    assert (order.source, order.category, order.priority, order.status) == (
        Source.RULE,
        Category.ELEVATOR,
        Priority.EMERGENCY,
        Status.OPEN,
    )
    assert (order.asset_id, order.rule_id, order.site_id, order.building_id) == (
        "B1-L1",
        "elevator.entrapment",
        "lakeview",
        "B1",
    )
    assert (order.reported_at, order.opened_at) == (T0, T0 + 2 * MINUTE)
    assert order.title == "Passenger trapped between floors 3 and 4"
    assert "- alarm_button: True" in order.description
    assert [a.evidence for a in order.alarms] == [
        {"state": "stopped", "door": "closed", "alarm_button": True, "floor": 3.5}
    ]
    assert order.deadlines.on_site_by == T0 + 10 * MINUTE  # counted from the alarm, not from the order
    assert uow.commits == 1
    assert [type(e) for e in uow.collect_new_events()] == [WorkOrderOpened]


def test_further_alarms_for_the_same_asset_and_rule_are_appended(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    first = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    refs = [service.open_from_alarm(uow, elevator_alarm(raised_at=T0 + m * MINUTE), clock=clock) for m in (1, 2)]

    assert {r.order_id for r in refs} == {first.order_id}
    assert [r.created for r in refs] == [False, False]
    assert len(only(uow).alarms) == 3
    assert [type(e) for e in uow.collect_new_events()] == [WorkOrderOpened, AlarmAppended, AlarmAppended]


def test_a_redelivered_alarm_is_not_counted_twice(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert len(only(uow).alarms) == 1


def test_another_asset_or_site_gets_its_own_order(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    a = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    c = service.open_from_alarm(uow, elevator_alarm(asset_id="B1-L2"), clock=clock)
    d = service.open_from_alarm(uow, elevator_alarm(site_id="riverside"), clock=clock)  # its own B1-L1
    assert len({a.order_id, c.order_id, d.order_id}) == 3
    assert [a.code, c.code, d.code] == ["WO-20261126-0001", "WO-20261126-0002", "WO-20261126-0001"]


def door_zone_stop(**changes: Any) -> AlarmFacts:
    return replace(elevator_alarm(rule_id="elevator.door-zone", severity="major"), **changes)


def test_a_less_urgent_alarm_of_the_same_trade_joins_the_order_that_covers_it(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    entrapment = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert [type(e) for e in uow.collect_new_events()] == [WorkOrderOpened]
    clock.advance(MINUTE)
    vibration = service.open_from_alarm(uow, door_zone_stop(rule_id="elevator.vibration"), clock=clock)

    assert (vibration.order_id, vibration.created) == (entrapment.order_id, False)
    order = only(uow)
    assert [a.rule_id for a in order.alarms] == ["elevator.entrapment", "elevator.vibration"]
    assert [type(e) for e in uow.collect_new_events()] == [AlarmAppended]  # no second order, no second alert
    # Its clear is noted on the order that took it, and its next episode joins the same order.
    cleared = AlarmClearedFacts(rule_id="elevator.vibration", asset_id="B1-L1", cleared_at=T0 + 2 * MINUTE,
                                site_id="lakeview")  # fmt: skip
    assert service.handle_alarm_cleared(uow, cleared, clock=clock) == service.OrderRef(order.id, order.code, False)
    again = service.open_from_alarm(uow, door_zone_stop(rule_id="elevator.vibration", raised_at=T0 + 9 * MINUTE),
                                    clock=clock)  # fmt: skip
    assert again.order_id == order.id and len(only(uow).alarms) == 3


def test_another_trade_on_the_same_asset_gets_its_own_order(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    lift = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    power = service.open_from_alarm(uow, door_zone_stop(rule_id="power.loss", category=Category.ELECTRICAL),
                                    clock=clock)  # fmt: skip
    assert lift.order_id != power.order_id and power.created


def test_a_more_urgent_alarm_supersedes_the_lesser_order_nobody_has_taken(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    stop = service.open_from_alarm(uow, door_zone_stop(), clock=clock)  # 15 s in: a car stuck between floors
    clock.advance(MINUTE)
    trapped = service.open_from_alarm(uow, elevator_alarm(raised_at=T0 + 30 * SECOND), clock=clock)  # 30 s in

    assert trapped.created and trapped.order_id != stop.order_id
    orders = uow.fake_repository.orders
    lesser, incident = orders[stop.order_id], orders[trapped.order_id]
    assert lesser.status is Status.CANCELLED
    assert lesser.cancel_reason == f"superseded by {trapped.code}: {incident.title}"
    assert (lesser.audit[-1].actor, incident.priority) == ("system", Priority.EMERGENCY)
    assert [a.rule_id for a in incident.alarms] == ["elevator.entrapment", "elevator.door-zone"]
    # The door-zone alarm's clear now lands on the incident's order.
    cleared = AlarmClearedFacts(rule_id="elevator.door-zone", asset_id="B1-L1", cleared_at=T0 + 20 * MINUTE,
                                site_id="lakeview")  # fmt: skip
    noted = service.handle_alarm_cleared(uow, cleared, clock=clock)
    assert noted is not None and noted.order_id == trapped.order_id


def test_a_lesser_order_someone_has_taken_is_left_to_them(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    stop = service.open_from_alarm(uow, door_zone_stop(), clock=clock)
    service.acknowledge(uow, order_id=stop.order_id, actor="tech-wang", clock=clock)
    trapped = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    orders = uow.fake_repository.orders
    assert orders[stop.order_id].status is Status.ACKNOWLEDGED
    assert [a.rule_id for a in orders[trapped.order_id].alarms] == ["elevator.entrapment"]


def test_resident_requests_are_neither_joined_nor_superseded(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    request = service.create_resident_request(
        uow, site_id="lakeview", category=Category.ELEVATOR, priority=Priority.NORMAL, title="电梯异响",
        description="", reporter="resident", actor="clerk", clock=clock, asset_id="B1-L1",
    )  # fmt: skip
    alarm = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert alarm.created and uow.fake_repository.orders[request.order_id].status is Status.OPEN


@pytest.mark.parametrize("finish", ["resolved", "closed", "cancelled"])
def test_an_order_that_is_done_lets_the_next_alarm_open_a_new_one(
    uow: FakeUnitOfWork, clock: FakeClock, finish: str
) -> None:
    first = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    if finish == "cancelled":
        service.cancel(uow, order_id=first.order_id, actor="sup-he", reason="sensor test", clock=clock)
    else:
        service.acknowledge(uow, order_id=first.order_id, actor="tech-wang", clock=clock)
        service.arrive(uow, order_id=first.order_id, actor="tech-wang", clock=clock)
        service.resolve(uow, order_id=first.order_id, actor="tech-wang", resolution="Reset the door lock", clock=clock)
        if finish == "closed":
            service.close(uow, order_id=first.order_id, actor="sup-he", clock=clock)

    second = service.open_from_alarm(uow, elevator_alarm(raised_at=T0 + 5 * MINUTE), clock=clock)

    assert second.created is True
    assert second.order_id != first.order_id


def test_alarm_cleared_notes_the_active_order_and_leaves_it_open(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    clock.advance(3 * MINUTE)
    cleared = AlarmClearedFacts("elevator.entrapment", "B1-L1", T0 + 3 * MINUTE, "door opened", site_id="lakeview")

    assert service.handle_alarm_cleared(uow, cleared, clock=clock) == service.OrderRef(ref.order_id, ref.code, False)

    order = only(uow)
    assert order.status is Status.OPEN
    assert order.comments[-1].text == "Alarm elevator.entrapment cleared at 2026-11-26T08:03:00+00:00: door opened"
    assert isinstance(list(uow.collect_new_events())[-1], AlarmClearedNoted)


def test_alarm_cleared_without_an_active_order_does_nothing(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    elsewhere = AlarmClearedFacts("elevator.entrapment", "B1-L1", T0, site_id="riverside")
    assert service.handle_alarm_cleared(uow, elsewhere, clock=clock) is None
    assert only(uow).comments == []


def test_resident_request_starts_the_clock_at_the_call(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.create_resident_request(
        uow,
        site_id="lakeview",
        category=Category.PLUMBING,
        priority=Priority.HIGH,
        title="No hot water",
        description="Since this morning",
        reporter="B1-0302 Ms Zhang 138-0000-0000",
        actor="clerk-li",
        clock=clock,
        unit_id="B1-0302",
    )
    order = only(uow)
    assert (ref.code, order.source, order.reporter, order.unit_id) == (
        "WO-20261126-0001",
        Source.RESIDENT_REQUEST,
        "B1-0302 Ms Zhang 138-0000-0000",
        "B1-0302",
    )
    assert (order.deadlines.acknowledge_by, order.deadlines.on_site_by) == (T0 + 15 * MINUTE, T0 + 120 * MINUTE)
    assert order.audit[0].actor == "clerk-li"


def test_a_request_cannot_claim_to_come_from_a_rule(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="opened by open_from_alarm"):
        service.create_resident_request(
            uow,
            site_id="lakeview",
            category=Category.OTHER,
            priority=Priority.LOW,
            title="t",
            description="",
            reporter="r",
            actor="a",
            clock=clock,
            source=Source.RULE,
        )


def test_commands_walk_the_lifecycle_with_the_clocks_time(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    steps: list[tuple[int, Callable[[], None]]] = [
        (1, lambda: service.assign(uow, order_id=ref.order_id, assignee=None, team="lift", actor="d", clock=clock)),
        (2, lambda: service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)),
        (8, lambda: service.arrive(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)),
        (9, lambda: service.add_comment(uow, order_id=ref.order_id, author="tech-wang", text="Freed", clock=clock)),
        (30, lambda: service.resolve(uow, order_id=ref.order_id, actor="tech-wang", resolution="Relay", clock=clock)),
        (
            60,
            lambda: service.record_follow_up(
                uow,
                order_id=ref.order_id,
                actor="cs-liu",
                satisfaction=Satisfaction.VERY_SATISFIED,
                feedback="",
                clock=clock,
            ),
        ),
        (61, lambda: service.close(uow, order_id=ref.order_id, actor="sup-he", clock=clock)),
    ]
    for minutes, command in steps:
        clock.set(T0 + minutes * MINUTE)
        command()

    order = only(uow)
    assert (order.status, order.team, order.assignee) == (Status.CLOSED, "lift", "tech-wang")
    assert (order.acknowledged_at, order.arrived_at, order.resolved_at, order.closed_at) == (
        T0 + 2 * MINUTE,
        T0 + 8 * MINUTE,
        T0 + 30 * MINUTE,
        T0 + 61 * MINUTE,
    )
    assert order.breaches == {}  # on site after 8 of the 10 minutes
    assert uow.commits == 8


def test_an_illegal_command_raises_and_commits_nothing(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    with pytest.raises(IllegalTransition, match="is open: it cannot become on_site"):
        service.arrive(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)
    assert uow.commits == 1


def test_an_unknown_order_is_not_found(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    missing = uuid4()
    with pytest.raises(WorkOrderNotFound, match=str(missing)):
        service.acknowledge(uow, order_id=missing, actor="tech-wang", clock=clock)


class LosesTheFirstRace(FakeUnitOfWork):
    """Its first commit fails as if another writer had opened the order in between."""

    def __init__(self) -> None:
        super().__init__(FakeWorkOrderRepository())
        self.failed = False

    def commit(self) -> None:
        if not self.failed:
            self.failed = True
            raise ConcurrentUpdate("simulated")
        super().commit()


def test_a_command_that_lost_a_race_runs_again(clock: FakeClock) -> None:
    uow = LosesTheFirstRace()
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert (uow.commits, ref.code) == (1, "WO-20261126-0001")  # the lost attempt gave its number back
    assert [type(e) for e in uow.collect_new_events()] == [WorkOrderOpened]
    uow.failed = False

    service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)

    assert uow.commits == 2
    assert only(uow).status is Status.ACKNOWLEDGED
    assert [type(e) for e in uow.collect_new_events()] == [WorkOrderAcknowledged]


def test_a_command_gives_up_after_five_lost_races(clock: FakeClock) -> None:
    class AlwaysLoses(FakeUnitOfWork):
        attempts = 0

        def commit(self) -> None:
            self.attempts += 1
            raise ConcurrentUpdate("simulated")

    uow = AlwaysLoses()
    with pytest.raises(ConcurrentUpdate):
        service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert uow.attempts == 5


def test_breach_kinds_are_the_three_steps() -> None:
    assert [k.value for k in SlaKind] == ["acknowledge", "on_site", "resolve"]
