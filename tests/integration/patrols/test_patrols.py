"""Walking patrols and telling the supervisor of late and missed ones, on SQLite and PostgreSQL, on a fake clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from alerts.loading import load_alerts
from alerts.orm import OutboxRow
from alerts.routing import Routing
from core.clock import FakeClock
from core.site_loader import load_site
from patrols.alerting import OutboxPatrolNotifier
from patrols.config import PatrolBook, load_patrols
from patrols.service import complete_patrol, load_patrol, note_sensor, record_visit, start_patrol
from patrols.watch import check_patrols
from storage.database import session_factory
from workorders.application import bus_for, execute
from workorders.commands import OpenRequest
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.service import ResidentRequest

EXAMPLES = Path(__file__).parents[3] / "examples"
ZONE = ZoneInfo("Asia/Shanghai")
ALL_OK = "ok"


@pytest.fixture
def book() -> PatrolBook:
    return load_patrols(EXAMPLES / "patrols.toml", load_site(EXAMPLES / "site.toml"))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


def answers(book: PatrolBook, code: str, failed: str | None = None) -> dict[str, str]:
    return {item: "fail" if item == failed else ALL_OK for item in book.checkpoints[code].items}


def test_a_manager_walks_the_daily_round_and_a_finding_opens_a_work_order(
    engine: Engine, site_id: str, book: PatrolBook
) -> None:
    sessions = session_factory(engine)
    clock = FakeClock(local(7, 9, 15))
    bus = bus_for(session_factory=sessions, uow_factory=None, clock=clock, publish=None)

    def open_order(request: ResidentRequest) -> str:
        return str(execute(bus, OpenRequest(request=dataclasses.replace(request, site_id=site_id))).code)

    patrol_id = start_patrol(
        sessions, book, site_id=site_id, route_id="manager-daily", by="sun", clock=clock, zone=ZONE
    )
    assert start_patrol(sessions, book, site_id=site_id, route_id="manager-daily", by="sun", clock=clock,
                        zone=ZONE) == patrol_id  # fmt: skip
    route = book.routes["manager-daily"]
    for code in route.checkpoints:
        clock.advance(timedelta(minutes=4))
        failed = "门已锁 Door locked" if code == "V-B1-0302" else None
        typed = f" {code.lower()} "  # typed on a phone keyboard
        visit = record_visit(sessions, book, patrol_id, code=typed, results=answers(book, code, failed),
                             note="门虚掩" if failed else "", by="sun", clock=clock, open_order=open_order)  # fmt: skip
        assert visit.finding is (failed is not None)
    note_sensor(sessions, patrol_id, key="lights-left-on|B1-CORRIDOR-LIGHT", kind="lights_on", verdict="confirmed",
                note="", by="sun", clock=clock)  # fmt: skip
    done = complete_patrol(sessions, book, patrol_id, clock=clock)

    assert done.completed_at == local(7, 9, 35).astimezone(UTC)
    assert done.slot_at == local(7, 9).astimezone(UTC)
    assert [v.checkpoint for v in done.visits] == list(route.checkpoints)
    [finding] = [v for v in done.visits if v.finding]
    assert finding.results["门已锁 Door locked"] == "fail" and finding.work_order_code
    with sessions() as session:
        order = SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=site_id, code=finding.work_order_code)
    assert order is not None
    assert (order.building_id, order.unit_id, order.category.value) == ("B1", "B1-0302", "plumbing")
    assert "V-B1-0302" in order.description and "门虚掩" in order.description
    assert [(n.key, n.verdict) for n in done.sensor_notes] == [("lights-left-on|B1-CORRIDOR-LIGHT", "confirmed")]


def test_refusals_name_what_was_wrong(engine: Engine, site_id: str, book: PatrolBook) -> None:
    sessions = session_factory(engine)
    clock = FakeClock(local(7, 9, 5))
    patrol_id = start_patrol(
        sessions, book, site_id=site_id, route_id="manager-daily", by="sun", clock=clock, zone=ZONE
    )

    def visit(code: str, results: dict[str, str], note: str = "") -> None:
        record_visit(sessions, book, patrol_id, code=code, results=results, note=note, by="sun", clock=clock,
                     open_order=None)  # fmt: skip

    with pytest.raises(ValueError, match="not a checkpoint of this route; its codes: B1-COR"):
        visit("GARAGE", answers(book, "GARAGE"))  # a real checkpoint, but of another route
    with pytest.raises(ValueError, match="not a checkpoint"):
        visit("\udcff" * 10_000, {})
    with pytest.raises(ValueError, match="missing: 门已锁"):
        visit("V-B1-0302", {})
    with pytest.raises(ValueError, match="must be ok or fail"):
        visit("PUMP", {**answers(book, "PUMP"), "无漏水积水 No leaks or standing water": "maybe"})
    with pytest.raises(ValueError, match="keep it under 1000"):
        visit("PUMP", answers(book, "PUMP"), note="漏" * 1001)
    visit("PUMP", answers(book, "PUMP"))
    with pytest.raises(ValueError, match="already recorded"):
        visit("pump", answers(book, "PUMP"))
    with pytest.raises(ValueError, match="not yet recorded: B1-COR, B2-COR, V-B1-0302, ROOF-B1"):
        complete_patrol(sessions, book, patrol_id, clock=clock)
    with pytest.raises(ValueError, match="needs a note"):
        note_sensor(
            sessions, patrol_id, key="k", kind="lights_on", verdict="explained", note=" ", by="sun", clock=clock
        )
    assert [v.checkpoint for v in load_patrol(sessions, patrol_id).visits] == ["PUMP"]


def test_late_and_missed_patrols_alert_the_supervisor_once(engine: Engine, site_id: str, book: PatrolBook) -> None:
    sessions = session_factory(engine)
    routing = Routing(load_alerts(EXAMPLES / "alerts.toml"))
    clock = FakeClock(local(7, 8))
    notify = OutboxPatrolNotifier(routing, clock=clock, zone=ZONE)
    daily = PatrolBook(checkpoints=book.checkpoints, routes={"manager-daily": book.routes["manager-daily"]},
                       supervisor_team="supervisors")  # fmt: skip

    def check() -> list[tuple[str, str]]:
        sent = check_patrols(sessions, daily, site_id=site_id, zone=ZONE, now=clock.now(), notify=notify)
        return [(n.kind, n.slot_at.astimezone(ZONE).strftime("%d %H:%M")) for n in sent]

    clock.set(local(7, 10, 59))  # due 09:00, late after 2 h
    assert [n for n in check() if n[1].startswith("07")] == []
    clock.set(local(7, 11, 0))
    assert [n for n in check() if n[1].startswith("07")] == [("late", "07 09:00")]
    assert [n for n in check() if n[1].startswith("07")] == []  # told once
    clock.set(local(7, 19, 0))  # the window of 10 h is over: missed
    assert [n for n in check() if n[1].startswith("07")] == [("missed", "07 09:00")]
    with sessions() as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.site_id == site_id)).all()
    titles = {(row.channel, row.title) for row in rows if row.facts["slot"].startswith("2026-12-07T01")}
    assert ("supervisors-dingtalk", "巡检漏检: 经理每日巡查 Manager's daily round") in titles
    assert ("sms", "巡检未按时开始: 经理每日巡查 Manager's daily round") in titles
    assert all(row.recipients[0]["id"] == "zhou" for row in rows if row.channel == "sms")

    # The next day the manager starts late but completes within the window: late, not missed.
    clock.set(local(8, 11, 30))
    patrol_id = start_patrol(sessions, daily, site_id=site_id, route_id="manager-daily", by="sun", clock=clock,
                             zone=ZONE)  # fmt: skip
    for code in daily.routes["manager-daily"].checkpoints:
        record_visit(sessions, daily, patrol_id, code=code, results=answers(daily, code), note="", by="sun",
                     clock=clock, open_order=None)  # fmt: skip
    complete_patrol(sessions, daily, patrol_id, clock=clock)
    clock.set(local(8, 20))
    assert [n for n in check() if n[1].startswith("08")] == [("late", "08 09:00")]


def test_a_patrol_on_time_raises_nothing(engine: Engine, site_id: str, book: PatrolBook) -> None:
    sessions = session_factory(engine)
    clock = FakeClock(local(9, 9, 30))
    sent: list[object] = []
    daily = PatrolBook(checkpoints=book.checkpoints, routes={"manager-daily": book.routes["manager-daily"]})
    patrol_id = start_patrol(sessions, daily, site_id=site_id, route_id="manager-daily", by="sun", clock=clock,
                             zone=ZONE)  # fmt: skip
    for code in daily.routes["manager-daily"].checkpoints:
        record_visit(sessions, daily, patrol_id, code=code, results=answers(daily, code), note="", by="sun",
                     clock=clock, open_order=None)  # fmt: skip
    complete_patrol(sessions, daily, patrol_id, clock=clock)
    clock.set(local(9, 23))
    check_patrols(sessions, daily, site_id=site_id, zone=ZONE, now=clock.now(), notify=lambda s, n: sent.append(n))
    assert [n for n in sent if n.slot_at == local(9, 9).astimezone(UTC)] == []  # type: ignore[attr-defined]
