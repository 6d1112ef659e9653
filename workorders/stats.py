"""Monthly statistics per category for the service centre's report: orders, SLA breaches, median times.

An order counts in the month (site time zone) in which it was reported; each median is taken over
the orders of that month that reached the step, measured from the report.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from workorders.codes import CHINA
from workorders.unit_of_work import UnitOfWork
from workorders.values import Category, OrderTimes, SlaKind


@dataclass(frozen=True)
class CategoryStats:
    category: Category
    count: int
    breaches: int
    breaches_by_kind: Mapping[SlaKind, int]
    median_to_acknowledge: timedelta | None
    median_to_arrive: timedelta | None
    median_to_resolve: timedelta | None


def month_bounds(year: int, month: int, tz: tzinfo = CHINA) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next) in the site's time zone."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def summarize(orders: Iterable[OrderTimes]) -> list[CategoryStats]:
    """One row per category, in the order of `Category`, zeros where a category had no orders."""
    by_category: dict[Category, list[OrderTimes]] = {category: [] for category in Category}
    for order in orders:
        by_category[order.category].append(order)
    return [_stats(category, group) for category, group in by_category.items()]


def monthly_statistics(uow: UnitOfWork, *, year: int, month: int, tz: tzinfo = CHINA) -> list[CategoryStats]:
    """`summarize` over the orders reported in the given month of the site's calendar."""
    start, end = month_bounds(year, month, tz)
    with uow:
        orders = uow.work_orders.timings(reported_from=start, reported_before=end)
    return summarize(orders)


def _stats(category: Category, orders: list[OrderTimes]) -> CategoryStats:
    by_kind = {kind: sum(kind in order.breaches for order in orders) for kind in SlaKind}
    return CategoryStats(
        category=category,
        count=len(orders),
        breaches=sum(by_kind.values()),
        breaches_by_kind=by_kind,
        median_to_acknowledge=_median(o.acknowledged_at - o.reported_at for o in orders if o.acknowledged_at),
        median_to_arrive=_median(o.arrived_at - o.reported_at for o in orders if o.arrived_at),
        median_to_resolve=_median(o.resolved_at - o.reported_at for o in orders if o.resolved_at),
    )


def _median(durations: Iterable[timedelta]) -> timedelta | None:
    # Whole microseconds, so the median of an even count is exact to the microsecond.
    micros = [d // timedelta(microseconds=1) for d in durations]
    return timedelta(microseconds=statistics.median(micros)) if micros else None
