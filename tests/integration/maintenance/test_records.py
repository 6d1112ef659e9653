"""Completing tasks: results kept with who and when, a value out of limits opens an order, a contractor's visit is
signed off by our staff, and the month's completion rate counts the misses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from facilities.reporting import planned_maintenance
from maintenance.records import Completed, ItemResult, RecordRefused, complete, parse_result_form, sign_off
from maintenance.reports import occurrences, planned_completion, records_csv
from tests.integration.maintenance.conftest import Rig, make_rig
from tests.integration.maintenance.test_planner import SMALL
from workorders.lifecycle import Status
from workorders.messagebus import build_bus
from workorders.repository import SqlAlchemyWorkOrderRepository
from workorders.values import Priority

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHOTO = "ab" * 32 + ".jpg"


@pytest.fixture
def small(database_url: str, tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(database_url, tmp_path, SMALL)


def _open(rig: Rig, key: str) -> int:
    [view] = [v for v in occurrences(rig.sessions, rig.site.id, status="open") if v.task_key == key]
    return view.id


def _done(rig: Rig, occurrence_id: int, results: dict[str, ItemResult], **kw: str) -> Completed:
    bus = build_bus(rig.uow, clock=rig.clock, tz=SHANGHAI)
    return complete(bus, rig.maintenance, occurrence_id, results, actor="王师傅 (wang)", clock=rig.clock,
                    tz=SHANGHAI, **kw)  # fmt: skip


def test_a_value_out_of_limits_opens_a_work_order_and_the_planned_order_is_resolved(small: Rig) -> None:
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    small.planner().run()
    occ = _open(small, "lift/half-monthly/B1-L1")
    small.clock.advance(timedelta(days=1))
    done = _done(small, occ, {"A-1.29": ItemResult("A-1.29", value=6.0, note="左侧层门", photos=(PHOTO,))})
    with small.sessions() as s:
        repo = SqlAlchemyWorkOrderRepository(s)
        planned = repo.get_by_code(site_id=small.site.id, code=done.order_code or "")
        followup = repo.get_by_code(site_id=small.site.id, code=done.followup_code or "")
    assert planned is not None and planned.status is Status.RESOLVED and "1 项不合格" in (planned.resolution or "")
    assert followup is not None and followup.status is Status.OPEN and followup.asset_id == "B1-L1"
    assert followup.priority is Priority.HIGH and "6 mm（限值 7 ~ ）" in followup.description
    [view] = [v for v in occurrences(small.sessions, small.site.id) if v.id == occ]
    assert (view.status, view.completed_by, view.photos, view.followup_codes) == (
        "done",
        "王师傅 (wang)",
        [PHOTO],
        [done.followup_code],
    )
    assert view.results[0]["ok"] is False and view.results[0]["value"] == 6.0
    with pytest.raises(RecordRefused, match="already done"):
        _done(small, occ, {"A-1.29": ItemResult("A-1.29", value=8.0)})
    text = records_csv([view], SHANGHAI)
    assert "lift/half-monthly/B1-L1,B1-L1,calendar,2026-01-05" in text and ",A-1.29,fail,6,mm,左侧层门," in text


@pytest.mark.parametrize(
    ("results", "words"),
    [
        ({}, "enter the measured value"),
        ({"A-1.29": ItemResult("A-1.29", value=float("nan"))}, "enter the measured value"),
        ({"A-1.29": ItemResult("A-1.29", value=8.0), "X9": ItemResult("X9", ok=True)}, "X9 are not on this checklist"),
        ({"A-1.29": ItemResult("A-1.29", value=8.0, photos=("../../etc/passwd",))}, "not a stored photo"),
        ({"A-1.29": ItemResult("A-1.29", value=8.0, note="x" * 2001)}, "longer than 2000"),
    ],
)
def test_incomplete_or_hostile_records_are_refused_and_change_nothing(small: Rig, results: dict[str, ItemResult],
                                                                      words: str) -> None:  # fmt: skip
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    small.planner().run()
    occ = _open(small, "lift/half-monthly/B1-L1")
    with pytest.raises(RecordRefused, match=words):
        _done(small, occ, results)
    assert _open(small, "lift/half-monthly/B1-L1") == occ


def test_the_form_is_parsed_with_its_numbers_checked() -> None:
    parsed = parse_result_form({"value:A-1.29": "7,5", "note:A-1.29": "ok", "ok:B": "fail"}, {"B": ["k"]})
    assert parsed["A-1.29"].value == 7.5 and parsed["B"].ok is False and parsed["B"].photos == ("k",)
    with pytest.raises(RecordRefused, match="is not a number"):
        parse_result_form({"value:A": "七"}, {})


def test_a_contractors_visit_is_entered_then_signed_off_by_our_staff(small: Rig) -> None:
    small.clock.set(datetime(2026, 1, 17, 1, 0, tzinfo=UTC))
    small.planner().run()
    occ = _open(small, "lift-xunda/quarterly/B2-L1")
    with pytest.raises(RecordRefused, match="name the contractor's person"):
        _done(small, occ, {"A-2.1": ItemResult("A-2.1", ok=True)})
    done = _done(small, occ, {"A-2.1": ItemResult("A-2.1", ok=True)}, contractor_person="李工（迅达）")
    assert done.awaiting_sign_off
    with small.sessions() as s:
        order = SqlAlchemyWorkOrderRepository(s).get_by_code(site_id=small.site.id, code=done.order_code or "")
    assert order is not None and order.status is Status.OPEN  # not resolved before sign-off
    bus = build_bus(small.uow, clock=small.clock, tz=SHANGHAI)
    sign_off(bus, small.maintenance, occ, actor="周主管 (zhou)", clock=small.clock)
    with pytest.raises(RecordRefused, match="signed off by 周主管"):
        sign_off(bus, small.maintenance, occ, actor="周主管 (zhou)", clock=small.clock)
    with small.sessions() as s:
        order = SqlAlchemyWorkOrderRepository(s).get_by_code(site_id=small.site.id, code=done.order_code or "")
    assert order is not None and order.status is Status.RESOLVED and "李工（迅达）" in (order.resolution or "")
    [view] = [v for v in occurrences(small.sessions, small.site.id) if v.id == occ]
    assert (view.done_by_contractor, view.signed_off_by) == ("李工（迅达）", "周主管 (zhou)")


def test_the_months_completion_rate_names_the_misses(small: Rig) -> None:
    planner = small.planner()
    small.clock.set(datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    for _ in range(40):  # through 2026-02-11
        planner.run()
        for view in occurrences(small.sessions, small.site.id, status="open"):
            # the crew does the half-monthly visits in January on their due date, except the one due 01-20
            today = small.clock.now().astimezone(SHANGHAI).date()
            crew = view.task_key.startswith("lift/") and view.due_on.month == 1 and view.due_on != date(2026, 1, 20)
            if crew and today == view.due_on:
                _done(small, view.id, {"A-1.29": ItemResult("A-1.29", value=8.0)})
        small.clock.advance(timedelta(days=1))
    january = planned_completion(small.sessions, site_id=small.site.id, year=2026, month=1, tz=SHANGHAI)
    # due in January: half-monthly 01-05, 01-20 (missed), and the contractor's quarterly on 01-20 (not done)
    assert (january.due, january.on_time, january.not_done, january.late) == (3, 1, 2, 0)
    assert [(m.task_key, m.due_on) for m in january.misses] == [
        ("lift-xunda/quarterly/B2-L1", date(2026, 1, 20)), ("lift/half-monthly/B1-L1", date(2026, 1, 20)),
    ]  # fmt: skip
    assert january.rate == pytest.approx(1 / 3)
    empty = planned_completion(small.sessions, site_id=small.site.id, year=2025, month=12, tz=SHANGHAI)
    assert empty.rate is None and empty.due == 0
    with pytest.raises(ValueError, match="month 13"):
        planned_completion(small.sessions, site_id=small.site.id, year=2026, month=13, tz=SHANGHAI)
    # The monthly report's planned-maintenance section reads the same records through facilities/reporting.py.
    assert planned_maintenance(Settings(), small.site, small.sessions) is None  # no plans file: not connected
    source = planned_maintenance(Settings(maintenance_file=Path("plans.toml")), small.site, small.sessions)
    assert source is not None
    month = source(small.site.id, datetime(2025, 12, 31, 16, 0, tzinfo=UTC), datetime(2026, 1, 31, 16, 0, tzinfo=UTC))
    assert (month.due, month.on_time, month.rate) == (3, 1, pytest.approx(1 / 3))
    codes = [m.work_order_code for m in january.misses]
    assert all(codes) and month.overdue == (
        f"2026-01-20 lift-xunda/quarterly/B2-L1 B2-L1 {codes[0]} (not done)",
        f"2026-01-20 lift/half-monthly/B1-L1 B1-L1 {codes[1]} (not done)",
    )
