"""SLA deadlines and breaches with an injected clock, and the scheduled job that marks them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from core.clock import FakeClock
from tests.unit.workorders.builders import MINUTE, T0, elevator_alarm
from workorders import service
from workorders.events import SlaBreached
from workorders.events import WorkOrderEvent as Event
from workorders.sla import DEFAULT_SLA, SlaPolicy, SlaTable, check_breaches
from workorders.sla_job import SLA_JOB_ID, run_sla_check, schedule_sla_checks
from workorders.unit_of_work import FakeUnitOfWork
from workorders.values import SYSTEM_ACTOR, AuditAction, Category, Priority, SlaKind

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def breaches_at(uow: FakeUnitOfWork, clock: FakeClock, when: timedelta) -> list[tuple[str, SlaKind]]:
    clock.set(T0 + when)
    return [(b.code, b.kind) for b in check_breaches(uow, clock.now())]


def test_elevator_emergency_targets() -> None:
    assert DEFAULT_SLA.policy(Category.ELEVATOR, Priority.EMERGENCY) == SlaPolicy(None, 10 * MINUTE, 2 * HOUR)
    assert DEFAULT_SLA.policy(Category.ELEVATOR, Priority.HIGH) == SlaPolicy(5 * MINUTE, 30 * MINUTE, 24 * HOUR)
    assert DEFAULT_SLA.policy(Category.PLUMBING, Priority.EMERGENCY) == SlaPolicy(5 * MINUTE, 30 * MINUTE, 4 * HOUR)
    assert DEFAULT_SLA.policy(Category.LIGHTING, Priority.LOW) == SlaPolicy(4 * HOUR, 72 * HOUR, 168 * HOUR)


def test_a_table_must_cover_every_category_and_priority() -> None:
    with pytest.raises(ValueError, match="no policy for elevator/emergency, elevator/high"):
        SlaTable({})


def test_unacknowledged_elevator_emergency_breaches_at_ten_minutes_not_before_and_once(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    list(uow.collect_new_events())

    assert breaches_at(uow, clock, 9 * MINUTE + 59 * SECOND) == []
    clock.set(T0 + 10 * MINUTE)
    (breach,) = check_breaches(uow, clock.now())
    assert (breach.order_id, breach.kind, breach.due_at, breach.at) == (
        ref.order_id,
        SlaKind.ON_SITE,
        T0 + 10 * MINUTE,
        T0 + 10 * MINUTE,
    )
    assert (breach.category, breach.priority, breach.asset_id, breach.site_id) == (
        Category.ELEVATOR,
        Priority.EMERGENCY,
        "B1-L1",
        "lakeview",
    )
    assert [type(e) for e in uow.collect_new_events()] == [SlaBreached]
    # Every later round until the two-hour resolve deadline finds nothing new.
    assert [breaches_at(uow, clock, 10 * MINUTE + n * 30 * SECOND) for n in range(1, 200)] == [[]] * 199
    assert list(uow.collect_new_events()) == []
    order = uow.fake_repository.orders[ref.order_id]
    assert [(e.action, e.actor, e.details) for e in order.audit if e.action is AuditAction.SLA_BREACHED] == [
        (AuditAction.SLA_BREACHED, SYSTEM_ACTOR, {"kind": "on_site", "due_at": "2026-11-26T08:10:00+00:00"})
    ]


def test_the_resolve_deadline_is_a_second_breach_of_its_own(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    assert breaches_at(uow, clock, 10 * MINUTE) == [(ref.code, SlaKind.ON_SITE)]
    assert breaches_at(uow, clock, 2 * HOUR - SECOND) == []
    assert breaches_at(uow, clock, 2 * HOUR) == [(ref.code, SlaKind.RESOLVE)]
    assert breaches_at(uow, clock, 48 * HOUR) == []


def test_arriving_in_time_prevents_the_breach(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    clock.set(T0 + 3 * MINUTE)
    service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)
    clock.set(T0 + 10 * MINUTE)  # on the dot is in time
    service.arrive(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)
    assert breaches_at(uow, clock, 10 * MINUTE) == []
    assert breaches_at(uow, clock, 119 * MINUTE) == []


def elevator_fault(uow: FakeUnitOfWork, clock: FakeClock, asset_id: str = "B1-L1") -> service.OrderRef:
    """A stopped elevator with nobody trapped: acknowledge within 5 minutes, on site within 30."""
    alarm = elevator_alarm(asset_id=asset_id, rule_id="elevator.fault", severity="major")
    return service.open_from_alarm(uow, alarm, clock=clock)


def test_acknowledging_in_time_prevents_the_ack_breach(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    taken, ignored = elevator_fault(uow, clock), elevator_fault(uow, clock, asset_id="B1-L2")
    clock.set(T0 + 4 * MINUTE + 59 * SECOND)
    service.acknowledge(uow, order_id=taken.order_id, actor="tech-wang", clock=clock)

    assert breaches_at(uow, clock, 5 * MINUTE) == [(ignored.code, SlaKind.ACKNOWLEDGE)]
    assert breaches_at(uow, clock, 29 * MINUTE) == []
    assert breaches_at(uow, clock, 30 * MINUTE) == [(taken.code, SlaKind.ON_SITE), (ignored.code, SlaKind.ON_SITE)]


def test_a_late_step_is_marked_when_it_happens_even_if_no_check_ran(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = elevator_fault(uow, clock)
    list(uow.collect_new_events())
    clock.set(T0 + 7 * MINUTE)
    service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)

    breaches = [e for e in uow.collect_new_events() if isinstance(e, SlaBreached)]
    assert [(b.kind, b.due_at, b.at, b.assignee) for b in breaches] == [
        (SlaKind.ACKNOWLEDGE, T0 + 5 * MINUTE, T0 + 7 * MINUTE, "tech-wang")
    ]
    assert breaches_at(uow, clock, 8 * MINUTE) == []


def test_cancelling_before_a_deadline_stops_its_clock(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    ref = service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    clock.set(T0 + 4 * MINUTE)
    service.cancel(
        uow, order_id=ref.order_id, actor="sup-he", reason="Maintenance test of the alarm button", clock=clock
    )
    assert breaches_at(uow, clock, 10 * MINUTE) == []
    assert breaches_at(uow, clock, 30 * HOUR) == []


def test_the_job_marks_and_publishes(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    list(uow.collect_new_events())
    published: list[Event] = []
    clock.set(T0 + 10 * MINUTE)

    assert run_sla_check(uow_factory=lambda: uow, clock=clock, publish=published.append) == 1
    assert run_sla_check(uow_factory=lambda: uow, clock=clock, publish=published.append) == 0
    assert [(type(e), e.at) for e in published] == [(SlaBreached, T0 + 10 * MINUTE)]


def test_a_failing_subscriber_does_not_stop_the_others(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    service.open_from_alarm(uow, elevator_alarm(), clock=clock)
    service.open_from_alarm(uow, elevator_alarm(asset_id="B1-L2"), clock=clock)
    list(uow.collect_new_events())
    delivered: list[str] = []

    def publish(event: Event) -> None:
        if event.code == "WO-20261126-0001":
            raise RuntimeError("webhook down")
        delivered.append(event.code)

    clock.set(T0 + 10 * MINUTE)
    assert run_sla_check(uow_factory=lambda: uow, clock=clock, publish=publish) == 2
    assert delivered == ["WO-20261126-0002"]


def test_schedule_adds_one_interval_job() -> None:
    uow, clock = FakeUnitOfWork(), FakeClock(T0)

    async def schedule_twice() -> list[Any]:
        scheduler = AsyncIOScheduler()
        scheduler.start(paused=True)  # paused: nothing runs, but the job store resolves replace_existing
        for _ in range(2):
            schedule_sla_checks(scheduler, uow_factory=lambda: uow, clock=clock, publish=print, every=30 * SECOND)
        jobs: list[Any] = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
        return jobs

    (job,) = asyncio.run(schedule_twice())
    assert (job.id, job.func, job.trigger.interval) == (SLA_JOB_ID, run_sla_check, 30 * SECOND)
    assert (job.max_instances, job.coalesce, job.kwargs["clock"]) == (1, True, clock)


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        schedule_sla_checks(
            AsyncIOScheduler(), uow_factory=FakeUnitOfWork, clock=FakeClock(T0), publish=print, every=timedelta(0)
        )
