"""The company-wide figures from real rows (SQLite and the shared PostgreSQL) and readings in the embedded store:
two sites in two time zones, orders, alarms, maintenance and registers laid down by hand, every figure exact."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import load_site
from maintenance.orm import OccurrenceRow
from reports.portfolio import PortfolioSummary, SiteFigures, UnitConsumption, portfolio_summary, sorted_sites
from rules.state_store import RuleStateRow
from storage.database import make_engine, session_factory
from storage.embedded import EmbeddedStore
from storage.points import to_point
from storage.store import StoreUnavailable
from tests.support.patrols import firing
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.unit_of_work import SqlAlchemyUnitOfWork, run_in_transaction
from workorders.values import Category, Priority

EXAMPLES = Path(__file__).parents[3] / "examples" / "portfolio"
HK, URUMQI = ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Asia/Urumqi")
# 01:30 on 1 November in Hong Kong, still 23:30 on 31 October in Urumqi: one order, two different months.
BOUNDARY = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)
TABLES = ("work_orders", "work_order_code_counters", "rule_state", "maintenance_occurrences")


def renamed(path: Path, site_id: str) -> Site:
    """An example site under an id of the test's own, so rows in the shared PostgreSQL never collide."""
    site = load_site(path)
    return dataclasses.replace(site, info=site.info.model_copy(update={"id": site_id}))


@pytest.fixture
def sites() -> dict[str, Site]:
    tag = uuid.uuid4().hex[:8]
    harbour = renamed(EXAMPLES / "harbour" / "site.toml", f"harbour-{tag}")
    tianshan = renamed(EXAMPLES / "tianshan" / "site.toml", f"tianshan-{tag}")
    return {harbour.id: harbour, tianshan.id: tianshan}


@pytest.fixture
def sessions(database_url: str, sites: dict[str, Site]) -> Iterator[sa.orm.sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    with engine.begin() as conn:  # leave no open order behind: another test's SLA check would breach it
        for table in TABLES:
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE site_id IN (:a, :b)"),  # noqa: S608 (our own table names)
                dict(zip("ab", sites, strict=True)),
            )
    engine.dispose()


def request(sessions: Callable[[], Session], site_id: str, clock: FakeClock, title: str) -> uuid.UUID:
    ref = service.create_resident_request(
        SqlAlchemyUnitOfWork(sessions), site_id=site_id, category=Category.PLUMBING, priority=Priority.NORMAL,
        title=title, description="", reporter="resident", actor="desk", clock=clock,
    )  # fmt: skip
    return ref.order_id


def fix(sessions: Callable[[], Session], order_id: uuid.UUID, clock: FakeClock, *, after: timedelta) -> None:
    """Acknowledge, arrive and resolve, each step `after` the one before."""
    for step in ("acknowledge", "arrive", "resolve"):
        clock.advance(after)
        extra = {"resolution": "ok"} if step == "resolve" else {}
        getattr(service, step)(SqlAlchemyUnitOfWork(sessions), order_id=order_id, actor="zhao", clock=clock, **extra)


def breach(sessions: Callable[[], Session], order_id: uuid.UUID, now: datetime) -> None:
    """Record the steps this one order missed by `now` (the SLA job does every order's; others' are not ours)."""
    uow = SqlAlchemyUnitOfWork(sessions)

    def mark() -> None:
        order = uow.work_orders.get(order_id)
        assert order is not None
        order.record_breaches(now)

    run_in_transaction(uow, mark)


def occurrence(site_id: str, due_on: date, zone: ZoneInfo, done: datetime | None) -> OccurrenceRow:
    due_at = datetime.combine(due_on + timedelta(days=1), datetime.min.time(), zone)
    return OccurrenceRow(
        site_id=site_id, task_key=f"plan/task/{due_on}", plan_id="plan", task_id="task", asset_id="T1-L1",
        trigger="calendar", due_on=due_on, due_at=due_at, opened_at=due_at - timedelta(days=7),
        status="done" if done else "open", completed_at=done,
    )  # fmt: skip


@pytest.fixture
def summary(sessions: sa.orm.sessionmaker[Session], sites: dict[str, Site], tmp_path: Path) -> PortfolioSummary:
    harbour, tianshan = sites.values()
    clock = FakeClock(BOUNDARY)
    # The order at the boundary: November in Hong Kong, October in Urumqi. Both fixed within minutes.
    for site in (harbour, tianshan):
        fix(sessions, request(sessions, site.id, clock, "漏水"), clock, after=timedelta(minutes=5))
    # Hong Kong, 10 November: one fixed in time, one taken two days late (its SLA steps missed), one untouched.
    clock.set(datetime(2026, 11, 10, 9, tzinfo=HK))
    fix(sessions, request(sessions, harbour.id, clock, "水压低"), clock, after=timedelta(minutes=10))
    clock.set(datetime(2026, 11, 10, 10, tzinfo=HK))
    late = request(sessions, harbour.id, clock, "天花渗水")
    fix(sessions, late, clock, after=timedelta(days=2))
    clock.set(datetime(2026, 11, 20, 10, tzinfo=HK))
    untouched = request(sessions, harbour.id, clock, "门铃坏")
    breach(sessions, untouched, datetime(2026, 11, 24, tzinfo=HK))  # as the hub's SLA job would by then
    # Urumqi: one alarm's order in November, still open; one request in December (another month, still open).
    alarm = AlarmFacts(rule_id="boiler-gas", asset_id="BOILER-G", severity="major", raised_at=clock.now(),
                       message="gas", site_id=tianshan.id, category=Category.PLUMBING, title="锅炉房燃气")  # fmt: skip
    service.open_from_alarm(SqlAlchemyUnitOfWork(sessions), alarm, clock=clock)
    clock.set(datetime(2026, 12, 2, 10, tzinfo=URUMQI))
    request(sessions, tianshan.id, clock, "暖气不热")
    # Alarms firing now: two in Hong Kong, one in Urumqi (and one of its rows back to normal, not counted).
    now = clock.now()
    firing(sessions, harbour.id, "lights-left-on", "T1-LOBBY-LIGHT", now)
    firing(sessions, harbour.id, "silence", "PLANT-E", now)
    firing(sessions, tianshan.id, "silence", "BOILER-G", now)
    firing(sessions, tianshan.id, "silence", "A-0101-W", now)
    with sessions() as session, session.begin():
        row = session.get_one(RuleStateRow, (tianshan.id, "silence", "A-0101-W"))
        row.status = "normal"
    # Planned maintenance due in November: Hong Kong 3 (2 on time, 1 late); Urumqi none (and one in October).
    with sessions() as session, session.begin():
        session.add_all([
            occurrence(harbour.id, date(2026, 11, 5), HK, datetime(2026, 11, 5, 15, tzinfo=HK)),
            occurrence(harbour.id, date(2026, 11, 12), HK, datetime(2026, 11, 11, 9, tzinfo=HK)),
            occurrence(harbour.id, date(2026, 11, 19), HK, datetime(2026, 11, 21, 9, tzinfo=HK)),
            occurrence(tianshan.id, date(2026, 10, 30), URUMQI, None),
        ])  # fmt: skip
    # Registers just before each local midnight: Hong Kong water, two units read (+20 and +10 m³ in November,
    # +10 and +5 in October), a third read only at the end; the plant room's meter is no unit's and not counted.
    store = EmbeddedStore(tmp_path / "readings.db")
    registers = {
        ("harbour", "T1-0101-W"): [((2026, 9, 30), 90), ((2026, 10, 31), 100), ((2026, 11, 30), 120)],
        ("harbour", "T1-0102-W"): [((2026, 9, 30), 45), ((2026, 10, 31), 50), ((2026, 11, 30), 60)],
        ("harbour", "T1-0103-W"): [((2026, 11, 30), 7)],
        ("harbour", "T1-0101-E"): [((2026, 10, 31), 1000), ((2026, 11, 30), 1150)],
        ("harbour", "PLANT-E"): [((2026, 10, 31), 0), ((2026, 11, 30), 99999)],
        ("tianshan", "A-0101-G"): [((2026, 9, 30), 10), ((2026, 10, 31), 14), ((2026, 11, 30), 20)],
    }
    points = []
    for (name, meter), readings in registers.items():
        site = harbour if name == "harbour" else tianshan
        asset = AssetRegistry.from_site(site).get(meter)
        zone = ZoneInfo(site.info.timezone)
        points += [to_point(Reading(meter, datetime(*day, 23, tzinfo=zone), {"total": float(v)}), asset)
                   for day, v in readings]  # fmt: skip
    store.write(points)
    try:
        return portfolio_summary("测试物业", sites, sessions, lambda _site: store, "2026-11",
                                 clock=FakeClock(datetime(2026, 12, 3, tzinfo=UTC)))  # fmt: skip
    finally:
        store.close()


def test_each_site_has_its_months_figures_and_its_figures_of_now(summary: PortfolioSummary) -> None:
    harbour, tianshan = summary.sites

    assert (summary.company, summary.period) == ("测试物业", "2026-11")
    # Breaches: the late order missed all three steps (taken after 2 days, on site after 4, fixed after 6), the
    # untouched one all three by the 24th (normal priority: 1 h, 24 h, 72 h).
    assert harbour == SiteFigures(
        site_id=harbour.site_id, site_name="海港苑 Harbour Court", timezone="Asia/Hong_Kong",
        open_orders=1, open_alarms=2, orders=4, within_sla=2, breaches=6, maintenance_due=3, maintenance_on_time=2,
        consumption=(
            UnitConsumption("electricity", "kWh", Decimal("150.00"), None, 48),
            UnitConsumption("water", "m3", Decimal("15.00"), Decimal("7.50"), 48),
        ),
    )  # fmt: skip
    assert tianshan == SiteFigures(
        site_id=tianshan.site_id, site_name="天山雅苑 Tianshan Gardens", timezone="Asia/Urumqi",
        open_orders=2, open_alarms=1, orders=1, within_sla=1, breaches=0, maintenance_due=0, maintenance_on_time=0,
        consumption=(
            UnitConsumption("electricity", "kWh", None, None, 24),
            UnitConsumption("gas", "m3", Decimal("6.00"), Decimal("4.00"), 24),
            UnitConsumption("water", "m3", None, None, 24),
        ),
    )  # fmt: skip
    assert (harbour.sla_rate, harbour.maintenance_rate, tianshan.maintenance_rate) == (0.5, 2 / 3, None)
    assert harbour.per_unit("water") is not None and harbour.per_unit("water").change == 1.0  # type: ignore[union-attr]
    assert summary.utilities == ("water", "electricity", "gas")


def test_sites_sort_by_any_column_with_missing_figures_last(summary: PortfolioSummary) -> None:
    harbour, tianshan = (site.site_id for site in summary.sites)

    def order(key: str, descending: bool = False) -> list[str]:
        return [site.site_id for site in sorted_sites(summary.sites, key, descending=descending)]

    assert order("open_orders") == [harbour, tianshan]
    assert order("open_orders", descending=True) == [tianshan, harbour]
    assert order("alarms", descending=True) == [harbour, tianshan]
    assert order("maintenance") == order("maintenance", descending=True) == [harbour, tianshan]
    assert order("gas") == [tianshan, harbour]  # Hong Kong has no gas: last, whichever way
    assert order("water", descending=True) == [harbour, tianshan]


class SilentStore:
    """A reading store that does not answer (InfluxDB down): the port's own error, from every read."""

    def last_before(self, *_args: object) -> None:
        raise StoreUnavailable("connection refused")


def test_a_site_whose_store_does_not_answer_shows_no_consumption_and_the_others_theirs(
    sessions: sa.orm.sessionmaker[Session], sites: dict[str, Site], tmp_path: Path
) -> None:
    harbour, tianshan = sites.values()
    store = EmbeddedStore(tmp_path / "readings.db")
    asset = AssetRegistry.from_site(tianshan).get("A-0101-G")
    registers = ((datetime(2026, 10, 31, 23, tzinfo=URUMQI), 1.0), (datetime(2026, 11, 30, 23, tzinfo=URUMQI), 4.0))
    store.write([to_point(Reading("A-0101-G", at, {"total": value}), asset) for at, value in registers])
    stores = {harbour.id: SilentStore(), tianshan.id: store}
    try:
        summary = portfolio_summary("测试物业", sites, sessions, stores.get, "2026-11",  # type: ignore[arg-type]
                                    clock=FakeClock(datetime(2026, 12, 3, tzinfo=UTC)))  # fmt: skip
    finally:
        store.close()

    first, second = summary.sites
    assert (first.consumption, first.consumption_unavailable) == ((), True)
    assert second.consumption_unavailable is False
    assert second.per_unit("gas") == UnitConsumption("gas", "m3", Decimal("3.00"), None, 24)
