"""Escalation on SQLite and PostgreSQL, on a fake clock: the supervisor at exactly the step, never after an ack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alerts.escalation import run_escalation_check
from alerts.orm import EscalationRow
from tests.integration.alerts.conftest import Rig
from tests.unit.workorders.builders import T0
from workorders import service
from workorders.sla_job import run_sla_check
from workorders.unit_of_work import SqlAlchemyUnitOfWork

MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)


def check_at(rig: Rig, when: timedelta) -> int:
    rig.clock.set(T0 + when)
    return run_escalation_check(uow_factory=rig.uow, clock=rig.clock, sites=[rig.site_id])


def clock_of(rig: Rig) -> EscalationRow:
    with rig.sessions() as session:
        return session.scalars(select(EscalationRow).where(EscalationRow.site_id == rig.site_id)).one()


def test_unacknowledged_entrapment_reaches_the_supervisor_at_exactly_the_step_then_the_manager(rig: Rig) -> None:
    rig.open_entrapment()
    assert check_at(rig, 3 * MINUTE - TICK) == 0
    assert rig.rows(kind="escalation") == []
    assert check_at(rig, 3 * MINUTE) == 1
    [supervisor] = rig.rows(kind="escalation")
    assert (supervisor.team, supervisor.channel, supervisor.level) == ("supervisors", "boss-hook", 1)
    assert supervisor.created_at == T0 + 3 * MINUTE
    assert supervisor.title == "【升级】3 分钟无人接单 · Passenger trapped between floors 3 a… · B1-L1"
    assert supervisor.body.splitlines()[0] == "已通知 电梯运维，无人接单"
    assert check_at(rig, 5 * MINUTE) == 0  # each step fires once

    assert check_at(rig, 8 * MINUTE) == 1
    manager = rig.rows(kind="escalation")[-1]
    assert (manager.team, manager.level, manager.locale) == ("manager", 2, "en")
    assert manager.title == "[ESCALATED] unacknowledged 8 min · Passenger trappe… · B1-L1"
    assert manager.body.splitlines()[0] == "电梯运维, 工程主管 told, no one took it"
    row = clock_of(rig)
    assert (row.level, row.stop_reason, row.next_at) == (2, "exhausted", None)

    rig.dispatcher().deliver_due()
    assert sorted(r.path for r in rig.peer.requests) == ["/boss", "/boss", "/crew"]


def test_acknowledging_before_the_step_stops_the_escalation(rig: Rig) -> None:
    ref = rig.open_entrapment()
    rig.clock.set(T0 + 2 * MINUTE)
    service.acknowledge(rig.uow(), order_id=ref.order_id, actor="wang", clock=rig.clock)
    row = clock_of(rig)
    assert (row.stop_reason, row.stopped_at, row.next_at) == ("acknowledged", T0 + 2 * MINUTE, None)
    assert check_at(rig, 3 * MINUTE) == 0
    assert check_at(rig, 20 * MINUTE) == 0
    assert rig.rows(kind="escalation") == []


def test_an_acknowledgement_that_bypassed_the_outbox_still_stops_the_escalation(rig: Rig) -> None:
    ref = rig.open_entrapment()
    rig.clock.set(T0 + 2 * MINUTE)
    plain = SqlAlchemyUnitOfWork(rig.sessions)  # e.g. a command wired without alerts
    service.acknowledge(plain, order_id=ref.order_id, actor="wang", clock=rig.clock)
    assert check_at(rig, 3 * MINUTE) == 0
    assert rig.rows(kind="escalation") == []
    assert clock_of(rig).stop_reason == "acknowledged"


def test_a_missed_arrival_tells_the_breach_teams(rig: Rig) -> None:
    rig.open_entrapment()
    rig.clock.set(T0 + 10 * MINUTE)
    run_sla_check(uow_factory=rig.uow, clock=rig.clock, publish=lambda event: None)
    [breach] = rig.rows(kind="breach")
    assert (breach.team, breach.channel) == ("supervisors", "boss-hook")
    assert breach.title == "【超时】到场超时 · Passenger trapped between floors 3 and 4 · B1-L1"
    assert breach.body.splitlines()[0] == "应于 11-26 16:10 前到场，仍未完成"
