"""Concurrent AlarmRaised: the database keeps one active order per (asset, rule), and codes stay unique."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine

from core.clock import FakeClock
from storage.database import make_engine, session_factory, upgrade
from tests.unit.workorders.builders import T0, elevator_alarm
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.service import OrderRef
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import AuditAction, Category, Priority

T = TypeVar("T")


def all_at_once(engine: Engine, jobs: list[Callable[[SqlAlchemyUnitOfWork], T]]) -> list[T]:
    """Run each job in its own thread with its own unit of work, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[SqlAlchemyUnitOfWork], T]) -> T:
        uow = SqlAlchemyUnitOfWork(session_factory(engine))
        barrier.wait(timeout=30)
        return job(uow)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [future.result(timeout=120) for future in [pool.submit(run, job) for job in jobs]]


def raise_alarm(alarm: AlarmFacts) -> Callable[[SqlAlchemyUnitOfWork], OrderRef]:
    return lambda uow: service.open_from_alarm(uow, alarm, clock=FakeClock(T0))


def alarms(site_id: str, count: int, rule_id: str = "elevator.entrapment") -> list[AlarmFacts]:
    """`count` alarms for one (asset, rule), a second apart."""
    return [elevator_alarm(site_id=site_id, rule_id=rule_id, raised_at=T0 + timedelta(seconds=n)) for n in range(count)]


def test_twenty_concurrent_alarms_make_one_order_on_postgresql(postgres_engine: Engine, site_id: str) -> None:
    refs = all_at_once(postgres_engine, [raise_alarm(a) for a in alarms(site_id, 20)])

    assert len({r.order_id for r in refs}) == 1
    assert sorted(r.created for r in refs) == [False] * 19 + [True]
    uow = SqlAlchemyUnitOfWork(session_factory(postgres_engine))
    with uow:
        order = uow.work_orders.get(refs[0].order_id, lock=False)
        assert order is not None
        assert order.code == "WO-20261126-0001"
        assert len(order.alarms) == 20
        assert sorted(a.raised_at for a in order.alarms) == [a.raised_at for a in alarms(site_id, 20)]
        assert [e.action for e in order.audit].count(AuditAction.ALARM_APPENDED) == 19
    # The 19 writers that lost the race gave their code numbers back: the next order is 0002.
    other = service.open_from_alarm(uow, elevator_alarm(site_id=site_id, asset_id="B1-L2"), clock=FakeClock(T0))
    assert other.code == "WO-20261126-0002"


def test_concurrent_alarms_of_four_rules_on_one_car_make_one_order_on_postgresql(
    postgres_engine: Engine, site_id: str
) -> None:
    # One car, four rules firing together: one incident, one order, whichever alarm's transaction came first.
    rules = ["elevator.entrapment", "elevator.vibration", "elevator.noise", "elevator.door"]
    jobs = [raise_alarm(a) for rule in rules for a in alarms(site_id, 5, rule_id=rule)]
    refs = all_at_once(postgres_engine, jobs)

    assert len({r.order_id for r in refs}) == 1
    assert sorted(r.created for r in refs) == [False] * 19 + [True]
    assert {r.code for r in refs} == {"WO-20261126-0001"}
    uow = SqlAlchemyUnitOfWork(session_factory(postgres_engine))
    with uow:
        order = uow.work_orders.get(refs[0].order_id, lock=False)
        assert order is not None and len(order.alarms) == 20
        assert {a.rule_id for a in order.alarms} == set(rules)


def test_concurrent_alarms_of_four_trades_on_one_asset_make_four_orders_on_postgresql(
    postgres_engine: Engine, site_id: str
) -> None:
    trades = [Category.ELEVATOR, Category.ELECTRICAL, Category.LIGHTING, Category.OTHER]
    jobs = [
        raise_alarm(replace(alarm, rule_id=f"rule.{trade.value}", category=trade))
        for trade in trades
        for alarm in alarms(site_id, 5)
    ]
    refs = all_at_once(postgres_engine, jobs)

    by_trade = {trade: {r.order_id for r in refs[i * 5 : (i + 1) * 5]} for i, trade in enumerate(trades)}
    assert [len(ids) for ids in by_trade.values()] == [1, 1, 1, 1]
    assert len(set().union(*by_trade.values())) == 4
    assert sorted({r.code for r in refs}) == [f"WO-20261126-000{n}" for n in range(1, 5)]


def test_concurrent_orders_for_twenty_assets_get_twenty_codes_without_gaps(
    postgres_engine: Engine, site_id: str
) -> None:
    jobs = [raise_alarm(elevator_alarm(site_id=site_id, asset_id=f"L{n:02d}")) for n in range(20)]
    refs = all_at_once(postgres_engine, jobs)
    assert sorted(r.code for r in refs) == [f"WO-20261126-{n:04d}" for n in range(1, 21)]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_concurrent_alarms_make_one_order_on_sqlite_too(sqlite_engine: Engine, site_id: str) -> None:
    refs = all_at_once(sqlite_engine, [raise_alarm(a) for a in alarms(site_id, 8)])
    assert len({r.order_id for r in refs}) == 1
    uow = SqlAlchemyUnitOfWork(session_factory(sqlite_engine))
    with uow:
        order = uow.work_orders.get(refs[0].order_id, lock=False)
        assert order is not None and len(order.alarms) == 8


class LostTheRace(SqlAlchemyUnitOfWork):
    """Its first block does not see the active order, like a writer that read just before another committed."""

    raced = False

    def __enter__(self) -> LostTheRace:
        super().__enter__()
        if not self.raced:
            self.raced = True
            self._repository = self.work_orders = Blind(self.session)
        return self


class Blind(SqlAlchemyWorkOrderRepository):
    def find_active_for_alarm(self, *, site_id: str, asset_id: str, rule_id: str) -> None:
        return None


def test_the_writer_that_loses_the_unique_index_appends_instead(engine: Engine, site_id: str) -> None:
    first = service.open_from_alarm(
        SqlAlchemyUnitOfWork(session_factory(engine)), elevator_alarm(site_id=site_id), clock=FakeClock(T0)
    )
    second_alarm = alarms(site_id, 2)[1]

    late = service.open_from_alarm(LostTheRace(session_factory(engine)), second_alarm, clock=FakeClock(T0))

    assert (late.order_id, late.code, late.created) == (first.order_id, first.code, False)
    uow = SqlAlchemyUnitOfWork(session_factory(engine))
    with uow:
        order = uow.work_orders.get(first.order_id, lock=False)
        assert order is not None and [a.raised_at for a in order.alarms] == [T0, second_alarm.raised_at]
    request = service.create_resident_request(
        uow,
        site_id=site_id,
        category=Category.ELEVATOR,
        priority=Priority.NORMAL,
        title="Lift button sticks",
        description="",
        reporter="B1-0101",
        actor="clerk-li",
        clock=FakeClock(T0),
    )
    assert request.code == "WO-20261126-0002"  # the losing attempt's number 0002 was given back
