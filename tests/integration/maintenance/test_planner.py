"""The planner on an injected clock, on SQLite and on the real PostgreSQL: calendar, contractor notices, overdue
escalation, usage from real readings, condition alarms, inspections, and running twice at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.reading import Reading
from core.registry import AssetRegistry
from maintenance.cadence import due_dates, end_of_day, is_working_day
from maintenance.config import Cadence
from maintenance.orm import OccurrenceRow
from maintenance.reports import occurrences
from storage.points import to_point
from tests.integration.maintenance.conftest import CALENDAR, T0, Rig, make_rig
from workorders.commands import CheckSla
from workorders.events import SlaBreached, WorkOrderOpened
from workorders.messagebus import build_bus
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.values import SlaKind

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")

SMALL = """
[[plans]]
id = "lift"
name = "电梯半月保养"
assets = ["B1-L1"]
anchor = 2026-01-05
team = "elevator-crew"

[[plans.tasks]]
id = "half-monthly"
name = "半月维护保养"
cadence = "15d"
lead_days = 2

[[plans.tasks.items]]
id = "A-1.29"
text = "层门锁紧元件啮合长度"
kind = "measure"
unit = "mm"
min = 7

[[plans]]
id = "lift-xunda"
name = "委外保养"
assets = ["B2-L1"]
anchor = 2026-01-20
contractor = "xunda"

[[plans.tasks]]
id = "quarterly"
name = "季度维护保养"
cadence = "quarterly"
lead_days = 1

[[plans.tasks.items]]
id = "A-2.1"
text = "减速机润滑油"

[[plans]]
id = "usage"
name = "按使用"
assets = ["B1-L2"]

[[plans.tasks]]
id = "trips"
name = "按运行次数检查"
usage = { measure = "trips", every = 5 }
team = "elevator-crew"

[[plans.tasks.items]]
id = "T1"
text = "曳引钢丝绳"

[[plans.tasks]]
id = "doors"
name = "按开关门次数检查"
usage = { measure = "door_cycles", every = 3 }
team = "elevator-crew"

[[plans.tasks.items]]
id = "D1"
text = "门机"

[[plans.tasks]]
id = "vibration"
name = "振动上升检查"
condition = { rule = "elevator-vibration" }
team = "elevator-crew"

[[plans.tasks.items]]
id = "V1"
text = "导靴"

[[contractors]]
id = "xunda"
name = "迅达电梯维保"
team = "xunda-elevator"
scope = "2号楼电梯保养"
visits_per_month = 2
contact = "李工 138-0000-0099"
notice_days = 3

[[inspections]]
asset = "B1-L1"
due = 2026-03-10
certificate = "TSX-2025-0311"
"""


@pytest.fixture
def small(database_url: str, tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(database_url, tmp_path, SMALL)


def _rows(rig: Rig, task_key: str) -> list[OccurrenceRow]:
    with rig.sessions() as s:
        rows = s.scalars(sa.select(OccurrenceRow).where(OccurrenceRow.site_id == rig.site.id,
                                                        OccurrenceRow.task_key == task_key)
                         .order_by(OccurrenceRow.due_on)).all()  # fmt: skip
        s.expunge_all()
        return list(rows)


def _local_day(when: datetime) -> date:
    return when.astimezone(SHANGHAI).date()


def test_fifteen_day_cadence_over_a_year_with_holidays(small: Rig) -> None:
    planner = small.planner()
    for _ in range(366):  # one pass a day, 08:00 Shanghai, for a year
        planner.run()
        small.clock.advance(timedelta(days=1))
    rows = _rows(small, "lift/half-monthly/B1-L1")
    dues = [r.due_on for r in rows]
    assert dues == list(due_dates(Cadence.DAYS_15, anchor=date(2026, 1, 5), until=date(2027, 1, 6), calendar=CALENDAR))
    assert all(is_working_day(d, CALENDAR) for d in dues)
    assert max((b - a).days for a, b in pairwise(dues)) <= 15
    # Each order opens two days ahead (the first one on the day the plan started) and is due at the day's end.
    assert all(_local_day(r.opened_at) == r.due_on - timedelta(days=2) for r in rows[1:])
    with small.sessions() as s:
        repo = SqlAlchemyWorkOrderRepository(s)
        for r in rows[:5]:
            order = repo.get_by_code(site_id=small.site.id, code=r.work_order_code or "")
            assert order is not None and order.team == "elevator-crew" and order.asset_id == "B1-L1"
            assert order.deadlines.resolve_by == end_of_day(r.due_on, SHANGHAI)
            assert order.deadlines.acknowledge_by is None and order.deadlines.on_site_by is None
    opened = [e for e in small.events if isinstance(e, WorkOrderOpened) and e.asset_id == "B1-L1"]
    assert len(opened) == len(rows) + 1  # and the statutory inspection's reminder


def test_a_second_pass_and_a_concurrent_pass_open_nothing_twice(small: Rig) -> None:
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    planners = [small.planner() for _ in range(4)]
    threads = [threading.Thread(target=p.run) for p in planners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    planners[0].run()
    assert len(_rows(small, "lift/half-monthly/B1-L1")) == 1
    with small.sessions() as s:
        count = s.scalar(sa.text("SELECT count(*) FROM work_orders WHERE site_id = :s"), {"s": small.site.id})
    assert count == 1


def test_the_contractor_is_notified_ahead_of_the_due_date_through_its_alert_channel(small: Rig) -> None:
    planner = small.planner()
    # Due 2026-01-20 (Tuesday); notice_days 3 → the order and the contractor's notice go out on 2026-01-17.
    small.clock.set(datetime(2026, 1, 16, 1, 0, tzinfo=UTC))
    planner.run()
    assert small.outbox("xunda-elevator") == []
    small.clock.set(datetime(2026, 1, 17, 1, 0, tzinfo=UTC))
    planner.run()
    [row] = _rows(small, "lift-xunda/quarterly/B2-L1")
    assert row.due_on == date(2026, 1, 20) and row.contractor_id == "xunda" and row.team == "xunda-elevator"
    notices = small.outbox("xunda-elevator")
    assert notices and all(code == row.work_order_code for code, _kind, _title in notices)
    assert any("季度维护保养" in title for _code, _kind, title in notices)


def test_an_overdue_plan_breaches_and_alerts_the_supervisors(small: Rig) -> None:
    planner = small.planner()
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    planner.run()
    [row] = _rows(small, "lift/half-monthly/B1-L1")
    bus = build_bus(small.uow, clock=small.clock, publish=small.events.append, tz=SHANGHAI)
    small.clock.set(datetime(2026, 1, 5, 15, 59, tzinfo=UTC))  # 23:59 on the due date: still in time
    assert [b for b in bus.handle(CheckSla()) if b.site_id == small.site.id] == []
    small.clock.set(datetime(2026, 1, 5, 16, 0, tzinfo=UTC))  # midnight: missed
    [breach] = [b for b in bus.handle(CheckSla()) if b.site_id == small.site.id]
    assert isinstance(breach, SlaBreached) and breach.kind is SlaKind.RESOLVE
    assert any(kind == "breach" and code == row.work_order_code for code, kind, _ in small.outbox("supervisors"))


def _write(rig: Rig, asset_id: str, rows: list[tuple[datetime, dict[str, object]]]) -> None:
    info = AssetRegistry.from_site(rig.site).get(asset_id)
    rig.store.write([to_point(Reading(asset_id, ts, fields), info) for ts, fields in rows])  # type: ignore[arg-type]


def test_usage_triggers_count_trips_and_door_cycles_from_real_readings(small: Rig) -> None:
    planner = small.planner()
    planner.run()  # the counters start now
    t = T0 + timedelta(minutes=1)
    states = ["idle", "moving", "moving", "idle", "moving", "idle", "moving", "idle", "moving"]  # 4 trips
    doors = ["open", "closed", "closed", "open", "closed", "open", "closed", "closed", "open"]  # 3 cycles
    readings = [(t + timedelta(seconds=10 * i), {"state": s, "door": d, "floor": 1.0})
                for i, (s, d) in enumerate(zip(states, doors, strict=True))]  # fmt: skip
    _write(small, "B1-L2", readings)
    small.clock.advance(timedelta(minutes=5))
    planner.run()
    assert _rows(small, "usage/trips/B1-L2") == []
    [doors_due] = _rows(small, "usage/doors/B1-L2")
    assert doors_due.trigger == "usage" and "3 door_cycles" in doors_due.trigger_detail
    # A replayed batch adds nothing; one more trip reaches five.
    _write(small, "B1-L2", readings)
    small.clock.advance(timedelta(minutes=5))
    planner.run()
    assert _rows(small, "usage/trips/B1-L2") == []
    later = small.clock.now() - timedelta(seconds=40)
    _write(small, "B1-L2", [(later, {"state": "idle", "door": "open"}),
                            (later + timedelta(seconds=10), {"state": "moving", "door": "open"})])  # fmt: skip
    planner.run()
    [trips] = _rows(small, "usage/trips/B1-L2")
    assert "5 trips" in trips.trigger_detail
    assert len(_rows(small, "usage/doors/B1-L2")) == 1  # the counter was taken down by 3: no second order


def test_a_rising_vibration_alarm_makes_the_condition_task_due_once(small: Rig) -> None:
    planner = small.planner()
    raised = T0 + timedelta(hours=3)
    assert planner.on_alarm(rule_id="elevator-vibration", asset_id="B1-L2", raised_at=raised)
    assert planner.on_alarm(rule_id="elevator-vibration", asset_id="B1-L2", raised_at=raised + timedelta(hours=1)) == []
    assert planner.on_alarm(rule_id="elevator-noise", asset_id="B1-L2", raised_at=raised) == []
    [row] = _rows(small, "usage/vibration/B1-L2")
    assert row.trigger == "condition" and "elevator-vibration" in row.trigger_detail


def test_the_statutory_inspection_is_announced_30_days_ahead_and_alerts_when_overdue(small: Rig) -> None:
    planner = small.planner()
    small.clock.set(datetime(2026, 2, 7, 1, 0, tzinfo=UTC))  # 31 days before 2026-03-10
    planner.run()
    assert _rows(small, "inspection/B1-L1") == []
    small.clock.set(datetime(2026, 2, 8, 1, 0, tzinfo=UTC))
    planner.run()
    planner.run()
    [row] = _rows(small, "inspection/B1-L1")
    assert row.due_on == date(2026, 3, 10) and row.trigger == "inspection"
    bus = build_bus(small.uow, clock=small.clock, publish=small.events.append, tz=SHANGHAI)
    small.clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    breaches = [b.code for b in bus.handle(CheckSla()) if b.site_id == small.site.id]
    assert breaches == [row.work_order_code]
    listed = occurrences(small.sessions, small.site.id, asset_id="B1-L1")
    assert any(v.trigger == "inspection" and v.overdue(small.clock.now()) for v in listed)


def test_the_hub_job_runs_the_planner_every_15_minutes_in_the_site_zone(small: Rig) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from maintenance.planner import PLANNER_JOB_ID, schedule_planner

    scheduler = BackgroundScheduler()
    planner = small.planner()
    job = schedule_planner(scheduler, planner)
    assert job.id == PLANNER_JOB_ID and job.trigger.interval == timedelta(minutes=15)
    assert str(job.trigger.timezone) == "Asia/Shanghai"
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    job.func()  # what the scheduler calls
    assert len(_rows(small, "lift/half-monthly/B1-L1")) == 1
    with pytest.raises(ValueError, match="must be positive"):
        schedule_planner(scheduler, planner, every=timedelta(0))


class DownStore:
    """The reading store gone (our own port): every read raises, as InfluxDB does when it is unreachable."""

    def history(self, *args: object, **kwargs: object) -> list[object]:
        from storage.store import StoreUnavailable

        raise StoreUnavailable("influxdb: connection refused")


def test_a_failing_task_is_logged_and_the_others_still_open(small: Rig, caplog: pytest.LogCaptureFixture) -> None:
    planner = small.planner()
    planner.store = DownStore()  # type: ignore[assignment]
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    result = planner.run()
    assert set(result.failed) == {"usage/trips/B1-L2", "usage/doors/B1-L2"}
    assert len(_rows(small, "lift/half-monthly/B1-L1")) == 1  # the calendar task opened all the same
    assert "usage/trips/B1-L2: the planner pass failed" in caplog.text


PUMP = """
[[equipment]]
id = "PUMP-9"
kind = "pump"
name = "生活水泵9号"
area = "pump-room"
run_circuit = "GARAGE-LIGHT"

[[plans]]
id = "pump-hours"
name = "水泵按运行小时"
assets = ["PUMP-9"]
team = "plumbing"

[[plans.tasks]]
id = "grease"
name = "轴承加脂"
usage = { measure = "run_hours", every = 2 }

[[plans.tasks.items]]
id = "R1"
text = "轴承加注润滑脂"
"""


def test_run_hours_of_a_pump_are_counted_from_its_circuit(database_url: str, tmp_path: Path) -> None:
    for rig in make_rig(database_url, tmp_path, PUMP):
        planner = rig.planner()
        planner.run()
        on: list[tuple[datetime, dict[str, object]]] = [
            (T0 + timedelta(minutes=10 * i), {"on": i % 12 < 9, "power_w": 1500.0}) for i in range(1, 25)
        ]
        _write(rig, "GARAGE-LIGHT", on)  # readings every 10 min for 4 h; the circuit on for 170 min: 2.8 h
        rig.clock.advance(timedelta(hours=5))
        planner.run()
        [row] = _rows(rig, "pump-hours/grease/PUMP-9")
        assert row.trigger == "usage" and row.team == "plumbing"
        assert row.trigger_detail.startswith("3 run_hours since last time")  # 2.83 h, printed rounded
