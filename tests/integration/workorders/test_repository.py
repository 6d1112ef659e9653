"""The SQLAlchemy adapter on SQLite and PostgreSQL: what goes in comes back, breaches are marked once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from core.clock import FakeClock
from storage.database import session_factory
from tests.unit.workorders.builders import MINUTE, T0, elevator_alarm
from workorders import service
from workorders.alarms import AlarmClearedFacts
from workorders.domain import WorkOrder
from workorders.events import SlaBreached
from workorders.lifecycle import IllegalTransition, Status
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.sla import check_breaches
from workorders.stats import monthly_statistics
from workorders.unit_of_work import ConcurrentUpdate, FakeUnitOfWork, SqlAlchemyUnitOfWork, UnitOfWork
from workorders.values import AlarmOccurrence, AuditAction, Category, Deadlines, Priority, Satisfaction, SlaKind, Source


def a_whole_life(uow: UnitOfWork, site_id: str) -> WorkOrder:
    """Every kind of record an order keeps, made through the service; returns the order as loaded."""
    clock = FakeClock(T0)
    ref = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    steps: list[tuple[int, Callable[[], object]]] = [
        (1, lambda: service.open_from_alarm(uow, elevator_alarm(site_id=site_id, raised_at=T0 + MINUTE), clock=clock)),
        (
            2,
            lambda: service.assign(
                uow, order_id=ref.order_id, assignee="tech-wang", team="lift", actor="d", clock=clock
            ),
        ),
        (4, lambda: service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)),
        (
            6,
            lambda: service.add_comment(
                uow, order_id=ref.order_id, author="tech-wang", text="电梯困人，已出发", clock=clock
            ),
        ),
        (
            7,
            lambda: service.handle_alarm_cleared(
                uow, AlarmClearedFacts("elevator.entrapment", "B1-L1", T0 + 7 * MINUTE, site_id=site_id), clock=clock
            ),
        ),
        (12, lambda: service.arrive(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)),
        (
            40,
            lambda: service.resolve(
                uow, order_id=ref.order_id, actor="tech-wang", resolution="门锁继电器更换", clock=clock
            ),
        ),
        (
            90,
            lambda: service.record_follow_up(
                uow,
                order_id=ref.order_id,
                actor="cs-liu",
                satisfaction=Satisfaction.SATISFIED,
                feedback="到场稍慢",
                clock=clock,
            ),
        ),
        (91, lambda: service.close(uow, order_id=ref.order_id, actor="sup-he", clock=clock)),
    ]
    for minutes, step in steps:
        clock.set(T0 + minutes * MINUTE)
        step()
    with uow:
        order = uow.work_orders.get(ref.order_id, lock=False)
    assert order is not None
    return order


def contents(order: WorkOrder) -> dict[str, Any]:
    """Everything an order holds except its generated id and the events not yet collected."""
    fields = {f.name: getattr(order, f.name) for f in dataclasses.fields(order)}
    del fields["id"], fields["events"]
    return fields


def test_an_order_comes_back_exactly_as_the_domain_made_it(uow: SqlAlchemyUnitOfWork, site_id: str) -> None:
    stored = a_whole_life(uow, site_id)
    in_memory = a_whole_life(FakeUnitOfWork(), site_id)

    assert contents(stored) == contents(in_memory)
    assert (stored.status, stored.code, len(stored.alarms)) == (Status.CLOSED, "WO-20261126-0001", 2)
    assert [e.action.value for e in stored.audit] == [
        "opened",
        "alarm_appended",
        "assigned",
        "acknowledged",
        "commented",
        "alarm_cleared",
        "arrived",
        "sla_breached",
        "resolved",
        "followed_up",
        "closed",
    ]
    assert stored.breaches[SlaKind.ON_SITE].due_at == T0 + 10 * MINUTE  # arrived at 12 minutes
    assert stored.comments[0].text == "电梯困人，已出发"
    assert stored.alarms[0].evidence == {"state": "stopped", "door": "closed", "alarm_button": True, "floor": 3.5}
    assert stored.reported_at.tzinfo is not None


def test_lifecycle_rules_hold_on_stored_orders(uow: SqlAlchemyUnitOfWork, site_id: str) -> None:
    clock = FakeClock(T0)
    ref = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    with pytest.raises(IllegalTransition, match="is open: it cannot become resolved"):
        service.resolve(uow, order_id=ref.order_id, actor="tech-wang", resolution="x", clock=clock)
    with uow:
        order = uow.work_orders.get(ref.order_id, lock=False)
        assert order is not None
        assert (order.status, [e.action for e in order.audit]) == (Status.OPEN, [AuditAction.OPENED])


def test_breaches_are_marked_once_per_order_and_step(uow: SqlAlchemyUnitOfWork, engine: Engine, site_id: str) -> None:
    clock = FakeClock(T0)
    ref = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    list(uow.collect_new_events())

    assert check_breaches(uow, T0 + 10 * MINUTE - timedelta(seconds=1)) == []
    (breach,) = check_breaches(uow, T0 + 10 * MINUTE)
    assert [type(e) for e in uow.collect_new_events()] == [SlaBreached]
    assert [check_breaches(uow, T0 + 10 * MINUTE + n * MINUTE) for n in range(5)] == [[]] * 5

    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT kind, due_at, detected_at FROM sla_breaches WHERE work_order_id = :id"),
            {"id": ref.order_id.hex if engine.dialect.name == "sqlite" else ref.order_id},
        ).all()
    assert [row.kind for row in rows] == ["on_site"]
    assert (breach.order_id, breach.kind) == (ref.order_id, SlaKind.ON_SITE)


def test_a_site_hub_marks_the_breaches_of_its_own_site_only(uow: SqlAlchemyUnitOfWork, site_id: str) -> None:
    """Hubs of several sites share one database; each marks its own (its breach alerts follow its own routing)."""
    clock = FakeClock(T0)
    other = f"{site_id}-other"
    mine = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    theirs = service.open_from_alarm(uow, elevator_alarm(site_id=other), clock=clock)
    list(uow.collect_new_events())
    late = T0 + 10 * MINUTE

    assert [b.order_id for b in check_breaches(uow, late, site_id=site_id)] == [mine.order_id]
    assert [b.order_id for b in check_breaches(uow, late, site_id=site_id)] == []
    assert [b.order_id for b in check_breaches(uow, late)] == [theirs.order_id]  # every site: the rest


def test_a_stale_writer_is_told_to_start_again(uow: SqlAlchemyUnitOfWork, engine: Engine, site_id: str) -> None:
    clock = FakeClock(T0)
    ref = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    # Two reads without a lock: the version column is what stops the late writer.
    sessions = session_factory(engine)
    with sessions() as late_session, sessions() as early_session:
        late, early = SqlAlchemyWorkOrderRepository(late_session), SqlAlchemyWorkOrderRepository(early_session)
        late_order, early_order = late.get(ref.order_id, lock=False), early.get(ref.order_id, lock=False)
        assert late_order is not None and early_order is not None
        late_session.commit()  # end the read, as a web request would between showing and posting
        early_session.commit()
        early_order.acknowledge(actor="tech-wang", at=T0 + MINUTE)
        early.flush()
        early_session.commit()
        late_order.cancel(actor="sup-he", reason="duplicate", at=T0 + 2 * MINUTE)
        with pytest.raises(sa.orm.exc.StaleDataError):
            late.flush()


def test_commit_turns_a_lost_race_into_concurrent_update(engine: Engine, site_id: str) -> None:
    clock = FakeClock(T0)
    first = SqlAlchemyUnitOfWork(session_factory(engine))
    service.open_from_alarm(first, elevator_alarm(site_id=site_id), clock=clock)
    second = SqlAlchemyUnitOfWork(session_factory(engine))
    with second:
        # A second active order for the same (asset, rule), as a writer that read before the first commit would add.
        duplicate = WorkOrder.open(
            code="WO-20261126-9999",
            site_id=site_id,
            category=Category.ELEVATOR,
            priority=Priority.EMERGENCY,
            source=Source.RULE,
            title="duplicate",
            description="",
            reported_at=T0,
            opened_at=T0,
            deadlines=Deadlines(on_site_by=T0 + 10 * MINUTE),
            actor="system",
            asset_id="B1-L1",
            rule_id="elevator.entrapment",
            alarm=AlarmOccurrence("elevator.entrapment", "critical", T0, "trapped", T0, {}),
        )
        second.work_orders.add(duplicate)
        with pytest.raises(ConcurrentUpdate, match="another writer changed these work orders first"):
            second.commit()


def test_codes_count_per_site_day_in_the_database(uow: SqlAlchemyUnitOfWork, site_id: str) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 15, 59, tzinfo=UTC))
    codes = [
        service.open_from_alarm(uow, elevator_alarm(site_id=site_id, asset_id=f"L{n}"), clock=clock).code
        for n in range(3)
    ]
    clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))  # midnight in Shanghai
    codes.append(service.open_from_alarm(uow, elevator_alarm(site_id=site_id, asset_id="L9"), clock=clock).code)
    assert codes == ["WO-20261126-0001", "WO-20261126-0002", "WO-20261126-0003", "WO-20261127-0001"]
    with uow:
        found = uow.work_orders.get_by_code(site_id=site_id, code="WO-20261126-0002")
        assert found is not None and found.asset_id == "L1"


def test_monthly_statistics_from_the_database(uow: SqlAlchemyUnitOfWork, site_id: str) -> None:
    # 2031, a month no other test writes to (the PostgreSQL database is shared by the session).
    start = datetime(2031, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 2031, 00:00 in Shanghai
    for n, ack_after in enumerate([4, 6, 20]):
        clock = FakeClock(start + n * timedelta(days=1))
        alarm = elevator_alarm(site_id=site_id, asset_id=f"L{n}", raised_at=clock.now())
        ref = service.open_from_alarm(uow, alarm, clock=clock)
        clock.advance(ack_after * MINUTE)
        service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)
    before = FakeClock(start - MINUTE)  # 31 March: not in April
    service.open_from_alarm(uow, elevator_alarm(site_id=site_id, asset_id="L9", raised_at=before.now()), clock=before)

    (elevator,) = [r for r in monthly_statistics(uow, year=2031, month=4) if r.category is Category.ELEVATOR]
    assert (elevator.count, elevator.median_to_acknowledge, elevator.breaches) == (3, 6 * MINUTE, 1)
    assert elevator.breaches_by_kind == {SlaKind.ACKNOWLEDGE: 0, SlaKind.ON_SITE: 1, SlaKind.RESOLVE: 0}


@pytest.mark.parametrize("finish", ["closed", "cancelled"])
def test_the_index_only_counts_active_orders(uow: SqlAlchemyUnitOfWork, site_id: str, finish: str) -> None:
    clock = FakeClock(T0)
    first = service.open_from_alarm(uow, elevator_alarm(site_id=site_id), clock=clock)
    if finish == "cancelled":
        service.cancel(uow, order_id=first.order_id, actor="sup-he", reason="alarm button test", clock=clock)
    else:
        service.acknowledge(uow, order_id=first.order_id, actor="tech-wang", clock=clock)
        service.arrive(uow, order_id=first.order_id, actor="tech-wang", clock=clock)
        service.resolve(uow, order_id=first.order_id, actor="tech-wang", resolution="reset", clock=clock)
        # Resolved already frees the pair: the next alarm is a new fault, not more of the old one.
        resolved_then = service.open_from_alarm(
            uow, elevator_alarm(site_id=site_id, raised_at=T0 + MINUTE), clock=clock
        )
        assert resolved_then.created is True
        service.cancel(uow, order_id=resolved_then.order_id, actor="sup-he", reason="same fault", clock=clock)
        service.close(uow, order_id=first.order_id, actor="sup-he", clock=clock)

    again = service.open_from_alarm(uow, elevator_alarm(site_id=site_id, raised_at=T0 + 2 * MINUTE), clock=clock)

    assert again.created is True and again.order_id != first.order_id
