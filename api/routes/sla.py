"""Service levels of a site: the monthly report per category and the list of missed deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from access.roles import Permission
from api.deps import DepsDep, PaginationDep, SessionDep, require
from api.schemas import ERROR_RESPONSES, Page, not_found
from api.workorder_deps import SiteIdDep, site_zone, within_range
from workorders.lifecycle import Status
from workorders.queries import list_breaches, monthly_site_statistics
from workorders.stats import CategoryStats, month_bounds
from workorders.values import Category, Priority, SlaKind

router = APIRouter(
    prefix="/sites/{site_id}/sla",
    tags=["sla"],
    dependencies=[require(Permission.READ_SLA)],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub")},
)


class CategoryStatsOut(BaseModel):
    category: Category
    count: int  # orders reported in the month
    breaches: int
    breaches_by_kind: dict[SlaKind, int]
    # Medians from the report to each step, over the month's orders that reached it; None when none did.
    median_to_acknowledge_s: float | None
    median_to_arrive_s: float | None
    median_to_resolve_s: float | None


class MonthlyStatisticsOut(BaseModel):
    site_id: str
    year: int
    month: int
    timezone: str  # months follow the site's calendar
    start: datetime
    end: datetime  # exclusive
    categories: list[CategoryStatsOut]


class SlaBreachOut(BaseModel):
    code: str
    kind: SlaKind
    due_at: datetime
    detected_at: datetime
    category: Category
    priority: Priority
    status: Status
    asset_id: str | None
    assignee: str | None
    team: str | None


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


def _stats_out(stats: CategoryStats) -> CategoryStatsOut:
    return CategoryStatsOut(
        category=stats.category,
        count=stats.count,
        breaches=stats.breaches,
        breaches_by_kind=dict(stats.breaches_by_kind),
        median_to_acknowledge_s=_seconds(stats.median_to_acknowledge),
        median_to_arrive_s=_seconds(stats.median_to_arrive),
        median_to_resolve_s=_seconds(stats.median_to_resolve),
    )


@router.get("/statistics", summary="Orders, breaches and median times per category for one month")
def statistics(
    site_id: SiteIdDep,
    deps: DepsDep,
    session: SessionDep,
    year: Annotated[int, Query(ge=2000, le=2200, description="e.g. 2026")],
    month: Annotated[int, Query(ge=1, le=12)],
) -> MonthlyStatisticsOut:
    zone = site_zone(deps)
    start, end = month_bounds(year, month, zone)
    rows = monthly_site_statistics(session, site_id=site_id, year=year, month=month, tz=zone)
    return MonthlyStatisticsOut(
        site_id=site_id, year=year, month=month, timezone=zone.key, start=start, end=end,
        categories=[_stats_out(row) for row in rows],
    )  # fmt: skip


@router.get("/breaches", summary="Missed SLA steps of the site, most recently detected first")
def breaches(
    site_id: SiteIdDep,
    session: SessionDep,
    pagination: PaginationDep,
    kind: SlaKind | None = None,
    category: Category | None = None,
    detected_from: Annotated[AwareDatetime | None, Query(description="Inclusive, with an offset.")] = None,
    detected_before: Annotated[AwareDatetime | None, Query(description="Exclusive, with an offset.")] = None,
) -> Page[SlaBreachOut]:
    detected_from = within_range(detected_from, "detected_from")
    detected_before = within_range(detected_before, "detected_before")
    if detected_from and detected_before and detected_from >= detected_before:
        raise HTTPException(422, "detected_from must be before detected_before")
    found = list_breaches(
        session, site_id=site_id, limit=pagination.limit, offset=pagination.offset, kind=kind, category=category,
        detected_from=detected_from, detected_before=detected_before,
    )  # fmt: skip
    items = [SlaBreachOut.model_validate(record, from_attributes=True) for record in found.items]
    return Page(items=items, total=found.total, limit=pagination.limit, offset=pagination.offset)
