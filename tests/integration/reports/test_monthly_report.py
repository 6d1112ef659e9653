"""The monthly operations report (月度小结) from real rows on SQLite and PostgreSQL and readings in the embedded
store: its figures by hand, then the PDF turned into PNG pages and read back, and the Excel workbook read back."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from PIL import Image

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import load_site
from patrols.config import PatrolBook, load_patrols
from patrols.orm import PatrolRow
from reports.excel import monthly_workbook
from reports.gather import build_monthly_report, parse_period
from reports.model import MonthlyReport, PlannedMaintenance
from reports.render import monthly_pdf
from storage.database import make_engine, session_factory
from storage.embedded import EmbeddedStore
from storage.points import to_point
from tests.support.pdf import png_pages, text_of
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.sla_job import run_sla_check
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority, Satisfaction

EXAMPLES = Path(__file__).parents[3] / "examples"
DOCS = Path(__file__).parents[3] / "docs" / "images"
ZONE = ZoneInfo("Asia/Shanghai")
SITE = load_site(EXAMPLES / "site.toml")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


@pytest.fixture
def sessions(database_url: str, site_id: str) -> Iterator[sa.orm.sessionmaker[sa.orm.Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    with engine.begin() as conn:
        for table in ("patrols", "work_orders", "work_order_code_counters"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE site_id = :site"), {"site": site_id})  # noqa: S608
    engine.dispose()


@pytest.fixture
def report(sessions: sa.orm.sessionmaker[sa.orm.Session], site_id: str, tmp_path: Path) -> MonthlyReport:
    site = SITE.__class__(**{**SITE.__dict__, "info": SITE.info.model_copy(update={"id": site_id})})
    book = load_patrols(EXAMPLES / "patrols.toml", site)
    daily = PatrolBook(checkpoints=book.checkpoints, routes={"manager-daily": book.routes["manager-daily"]})
    clock = FakeClock(cst(2026, 11, 3, 10))
    uow = lambda: SqlAlchemyUnitOfWork(sessions)  # noqa: E731
    # Two repair requests from one vacant unit (a recurring problem), one fixed and called back.
    first = service.create_resident_request(
        uow(), site_id=site_id, category=Category.PLUMBING, priority=Priority.NORMAL, title="长流水", description="",
        reporter="patrol", actor="sun", clock=clock, building_id="B1", unit_id="B1-0302",
    )  # fmt: skip
    for step in ("acknowledge", "arrive"):
        getattr(service, step)(uow(), order_id=first.order_id, actor="zhao", clock=clock)
    clock.advance(timedelta(hours=3))
    service.resolve(uow(), order_id=first.order_id, actor="zhao", resolution="换阀门", clock=clock)
    service.record_follow_up(uow(), order_id=first.order_id, actor="sun", satisfaction=Satisfaction.SATISFIED,
                             feedback="", clock=clock)  # fmt: skip
    clock.set(cst(2026, 11, 20, 9))
    service.create_resident_request(
        uow(), site_id=site_id, category=Category.PLUMBING, priority=Priority.NORMAL, title="门未锁", description="",
        reporter="patrol", actor="sun", clock=clock, building_id="B1", unit_id="B1-0302",
    )  # fmt: skip
    for rule in ("elevator-vibration-limit", "elevator-fault-code"):
        alarm = AlarmFacts(rule_id=rule, asset_id="B1-L1", severity="major", raised_at=clock.now(), message=rule,
                           site_id=site_id, building_id="B1", category=Category.ELEVATOR, title=rule)  # fmt: skip
        ref = service.open_from_alarm(uow(), alarm, clock=clock)
        for step in ("acknowledge", "arrive"):  # fixed before the next alarm: two jobs on one car
            getattr(service, step)(uow(), order_id=ref.order_id, actor="wang", clock=clock)
        service.resolve(uow(), order_id=ref.order_id, actor="wang", resolution="ok", clock=clock)
        clock.advance(timedelta(days=1))
    # Nobody took the second request: by the 25th it has missed its SLA steps.
    run_sla_check(uow_factory=uow, clock=FakeClock(cst(2026, 11, 25)), publish=lambda _event: None)
    # The manager's round: 28 on time, 1 completed after its window (21:00), 1 missed (the 15th).
    with sessions() as session, session.begin():
        for day in range(1, 31):
            if day == 15:
                continue
            slot = cst(2026, 11, day, 9)
            done = slot + (timedelta(hours=12) if day == 16 else timedelta(hours=1))
            session.add(PatrolRow(id=uuid.uuid4(), site_id=site_id, route_id="manager-daily", slot_at=slot,
                                  started_at=slot, started_by="sun", completed_at=done, note=""))  # fmt: skip
    # Registers just before each boundary: water 10 → 12 → 15 m³ (last year, October, November); power 150 kWh.
    store = EmbeddedStore(tmp_path / "readings.db")
    registry = AssetRegistry.from_site(site)
    registers = {
        "B1-0101-W": [((2025, 10, 31), 100), ((2025, 11, 30), 110), ((2026, 9, 30), 200), ((2026, 10, 31), 212),
                      ((2026, 11, 30), 227)],
        "B1-0101-E": [((2026, 10, 31), 1000), ((2026, 11, 30), 1150)],
    }  # fmt: skip
    store.write(
        [to_point(Reading(meter, cst(*day, 23), {"total": float(value)}), registry.get(meter))
         for meter, points in registers.items() for day, value in points]
    )  # fmt: skip
    planned = lambda site_id, start, end: PlannedMaintenance(due=4, on_time=3, overdue=("B2-L1 半月保养",))  # noqa: E731
    try:
        return build_monthly_report(site, sessions, store, "2026-11", book=daily, clock=FakeClock(cst(2026, 12, 1, 2)),
                                    planned=planned)  # fmt: skip
    finally:
        store.close()


def test_the_figures(report: MonthlyReport) -> None:
    by_category = {line.category: line for line in report.orders}
    assert (by_category["plumbing"].count, by_category["plumbing"].resolved) == (2, 1)
    assert by_category["plumbing"].median_hours_to_resolve == 3.0
    assert (by_category["plumbing"].within_sla, by_category["plumbing"].sla_rate) == (1, 0.5)
    assert by_category["plumbing"].breaches >= 1 and by_category["elevator"].within_sla == 2
    assert (by_category["elevator"].count, by_category["elevator"].resolved) == (2, 2)
    assert report.satisfaction["satisfied"] == 1 and report.satisfied_share == 1.0
    assert report.alarms == {"threshold": 1, "state": 1}
    [patrols] = report.patrols
    assert (patrols.due, patrols.on_time, patrols.late, patrols.missed) == (30, 28, 1, (cst(2026, 11, 15, 9),))
    assert round(report.patrol_rate or 0, 3) == round(28 / 30, 3)
    use = {line.utility: line for line in report.consumption}
    water = use["water"]
    assert (water.this_month, water.previous_month, water.last_year) == (15, 12, 10)
    assert water.meters == len([m for m in SITE.meters.values() if m.utility.value == "water"])
    assert water.meters_without_data == water.meters - 1
    assert (use["electricity"].this_month, use["electricity"].previous_month) == (150, None)
    assert [(p.place, p.count) for p in report.recurring] == [("B1-0302", 2), ("B1-L1", 2)]


def test_the_pdf_shows_every_section(report: MonthlyReport, tmp_path: Path) -> None:
    pdf = monthly_pdf(report, ZONE)
    text = " ".join(text_of(pdf, tmp_path).split())
    assert "2026-11 月度小结" in text
    missed = "漏检 Missed · 经理每日巡查 Manager's daily round: 11-15 09:00"
    for expected in ("93%", "50%", missed, "B1-0302", "+25%", "+50%", "B2-L1 半月保养", "满意 1", "threshold",
                     "给排水 Plumbing"):  # fmt: skip
        assert expected in text, expected
    pages = png_pages(pdf, tmp_path / "pages")
    assert 1 <= len(pages) <= 3
    first = Image.open(pages[0]).convert("L")
    dark = sum(first.histogram()[:128]) / (first.width * first.height)
    assert 0.01 < dark < 0.5
    if os.environ.get("FACILITIES_UPDATE_SCREENSHOTS"):
        first.save(DOCS / "monthly-report.png")


def test_the_workbook_reads_back(report: MonthlyReport) -> None:
    book = load_workbook(io.BytesIO(monthly_workbook(report, ZONE)))
    assert book.sheetnames[0] == "小结 Summary"
    assert {"工单 Orders", "巡检 Patrols", "能耗 Consumption", "告警 Alarms", "重复 Recurring"} <= set(book.sheetnames)
    patrols = list(book["巡检 Patrols"].iter_rows(values_only=True))
    assert patrols[1][:6] == ("manager-daily", "经理每日巡查 Manager's daily round", 30, 28, 1, 1)
    assert len(book["工单 Orders"]._charts) == 1


@pytest.mark.parametrize("text", ["2026-13", "26-11", "11/2026", "1999-01", "2026-11; drop table", "\x00"])
def test_a_bad_period_is_named(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        parse_period(text)
