"""Monthly statistics: counts, breaches and medians per category, months in the site's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FakeClock
from tests.unit.workorders.builders import MINUTE, T0, elevator_alarm
from workorders import service
from workorders.codes import CHINA
from workorders.stats import CategoryStats, month_bounds, monthly_statistics, summarize
from workorders.unit_of_work import FakeUnitOfWork
from workorders.values import Category, OrderTimes, SlaKind

NO_BREACHES = {SlaKind.ACKNOWLEDGE: 0, SlaKind.ON_SITE: 0, SlaKind.RESOLVE: 0}


def times(
    category: Category,
    ack: int | None,
    arrive: int | None = None,
    resolve: int | None = None,
    breaches: frozenset[SlaKind] = frozenset(),
) -> OrderTimes:
    def after(minutes: int | None) -> datetime | None:
        return None if minutes is None else T0 + minutes * MINUTE

    return OrderTimes(category, T0, after(ack), after(arrive), after(resolve), breaches)


def test_medians_counts_and_breaches_per_category() -> None:
    rows = summarize(
        [
            times(Category.ELEVATOR, 1, 5, 30),
            times(Category.ELEVATOR, 2, 9, 60),
            times(Category.ELEVATOR, 4, 15, None, frozenset({SlaKind.ON_SITE})),
            times(Category.PLUMBING, 10),
            times(Category.PLUMBING, 20, breaches=frozenset({SlaKind.ACKNOWLEDGE, SlaKind.RESOLVE})),
            times(Category.PLUMBING, None),
        ]
    )

    assert [r.category for r in rows] == list(Category)
    by_category = {r.category: r for r in rows}
    assert by_category[Category.ELEVATOR] == CategoryStats(
        category=Category.ELEVATOR,
        count=3,
        breaches=1,
        breaches_by_kind={SlaKind.ACKNOWLEDGE: 0, SlaKind.ON_SITE: 1, SlaKind.RESOLVE: 0},
        median_to_acknowledge=timedelta(minutes=2),
        median_to_arrive=timedelta(minutes=9),
        median_to_resolve=timedelta(minutes=45),  # even count: halfway between 30 and 60
    )
    assert by_category[Category.PLUMBING] == CategoryStats(
        category=Category.PLUMBING,
        count=3,
        breaches=2,
        breaches_by_kind={SlaKind.ACKNOWLEDGE: 1, SlaKind.ON_SITE: 0, SlaKind.RESOLVE: 1},
        median_to_acknowledge=timedelta(minutes=15),
        median_to_arrive=None,
        median_to_resolve=None,
    )
    assert by_category[Category.LIGHTING] == CategoryStats(Category.LIGHTING, 0, 0, NO_BREACHES, None, None, None)


def test_months_follow_the_sites_calendar() -> None:
    assert month_bounds(2026, 11) == (
        datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
    )
    assert month_bounds(2026, 12, CHINA)[1] == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_monthly_statistics_counts_the_orders_reported_in_the_month() -> None:
    uow = FakeUnitOfWork()
    for n, reported in enumerate(
        [
            datetime(2026, 10, 31, 15, 59, tzinfo=UTC),  # 31 October, 23:59 in Shanghai
            datetime(2026, 10, 31, 16, 0, tzinfo=UTC),  # 1 November, 00:00 in Shanghai
            datetime(2026, 11, 30, 15, 59, tzinfo=UTC),  # 30 November, 23:59
            datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # 1 December
        ]
    ):
        clock = FakeClock(reported)
        ref = service.open_from_alarm(uow, elevator_alarm(asset_id=f"L{n}", raised_at=reported), clock=clock)
        clock.advance(12 * MINUTE)
        service.acknowledge(uow, order_id=ref.order_id, actor="tech-wang", clock=clock)

    (elevator,) = [r for r in monthly_statistics(uow, year=2026, month=11) if r.category is Category.ELEVATOR]

    assert (elevator.count, elevator.breaches, elevator.median_to_acknowledge) == (2, 2, timedelta(minutes=12))
    assert elevator.breaches_by_kind[SlaKind.ON_SITE] == 2  # acknowledged at 12 minutes, so not on site by 10
