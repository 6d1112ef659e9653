"""Lists: my team's open orders by deadline, every order filtered, and the month's SLA statistics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from access.orders import order_teams
from access.roles import Permission
from console.access import ConsoleConfig
from console.exports import MAX_ROWS, table_file
from console.order_facts import reporter_label
from console.views import (
    by_deadline,
    countdown,
    due_of,
    local,
    minutes_text,
)
from console.web import (
    PAGE_SIZE,
    app_deps,
    asset_name,
    console_config,
    render,
    site_zone,
    staff_or_login,
    words_for,
)
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.queries import (
    WorkOrderFilters,
    WorkOrderSummary,
    list_breaches,
    list_work_orders,
    monthly_site_statistics,
    satisfaction_counts,
)
from workorders.values import Category, Satisfaction, Source

router = APIRouter(prefix="/console", include_in_schema=False)


def _list_place(request: Request) -> Callable[[WorkOrderSummary], str]:
    def place(order: WorkOrderSummary) -> str:
        return order.unit_id or asset_name(request, order.asset_id) or order.building_id or ""

    return place


@router.get("/my")
def my_orders(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.READ_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    assert viewer.staff is not None  # noqa: S101 (staff_or_login returns staff viewers only)
    deps, words = app_deps(request), words_for(request)
    now = deps.clock.now()
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=WorkOrderFilters(statuses=ACTIVE_STATES), limit=1000, offset=0
        )
    team, actor = viewer.staff.team, viewer.staff.actor
    config = console_config(request)
    if team:
        rows = [o for o in found.items if team in order_teams(o, config.teams_for) or o.assignee == actor]
    else:  # no team: what they took themselves; staff and admins without a team see every active order
        rows = [o for o in found.items if o.assignee == actor or viewer.staff.role.value != "crew"]
    rows = by_deadline(rows, now)
    items = [(o, due_of(o, now)) for o in rows]
    return render(
        request,
        "list.html",
        viewer=viewer,
        heading=words.t("my_orders") + (f" · {_team_name(config, team)}" if team else ""),
        items=items,
        countdown=lambda due: countdown(due, words),
        local=lambda when: local(when, site_zone(request)),
        total=len(items),
        filters=None,
        place=_list_place(request),
    )


def _team_name(config: ConsoleConfig, team: str) -> str:
    return config.routing.team_name(team) if config.routing is not None else team


def order_filters(status: str, category: str, source: str, unit: str) -> WorkOrderFilters:
    """The all-orders list's filters from its query (unknown values mean any), shared with its export."""
    statuses = ACTIVE_STATES if status == "active" else frozenset({Status(status)}) if status in set(Status) else None
    return WorkOrderFilters(
        statuses=statuses or frozenset(),
        category=Category(category) if category in set(Category) else None,
        source=Source(source) if source in set(Source) else None,
        unit_id=unit.strip()[:64] or None,
    )


@router.get("/orders")
def all_orders(
    request: Request,
    status: str = "active",
    category: str = "",
    source: str = "",
    unit: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    viewer = staff_or_login(request, Permission.READ_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    deps, words = app_deps(request), words_for(request)
    filters = order_filters(status, category, source, unit)
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    now = deps.clock.now()
    query = {"status": status, "category": category, "source": source, "unit": unit}
    export = urlencode(query)
    return render(
        request,
        "list.html",
        viewer=viewer,
        heading=words.t("all_orders"),
        items=[(o, due_of(o, now)) for o in found.items],
        countdown=lambda due: countdown(due, words),
        local=lambda when: local(when, site_zone(request)),
        total=found.total,
        place=_list_place(request),
        filters={"values": query, "statuses": list(Status), "categories": list(Category), "sources": list(Source)},
        export_query=export,
        page=page,
        prev_url=f"/console/orders?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/console/orders?{urlencode({**query, 'page': page + 1})}"
        if page * PAGE_SIZE < found.total
        else None,
    )


def _satisfied_share(verdicts: Mapping[Satisfaction, int]) -> int | None:
    """Per cent of follow-ups that found the resident satisfied or very satisfied (满意率), None without any."""
    calls = sum(verdicts.values())
    pleased = verdicts[Satisfaction.VERY_SATISFIED] + verdicts[Satisfaction.SATISFIED]
    return round(100 * pleased / calls) if calls else None


def _month(year: int, number: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime(year, number, 1, tzinfo=zone), datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)


def _recent_months(year: int, month: int, lang: str, shown: str) -> list[tuple[str, str]]:
    """The last 24 months (and the one shown), newest first, labelled in the page's language: a month picker
    that follows the page, not the browser's locale."""
    values = [
        f"{(year * 12 + month - 1 - back) // 12:04d}-{(year * 12 + month - 1 - back) % 12 + 1:02d}"
        for back in range(24)
    ]
    if shown not in values:
        values = sorted({*values, shown}, reverse=True)

    def label(value: str) -> str:
        y, m = value.split("-")
        return f"{y}年{int(m)}月" if lang == "zh-CN" else datetime(int(y), int(m), 1).strftime("%B %Y")

    return [(value, label(value)) for value in values]


@router.get("/stats")
def statistics(request: Request, month: str = "") -> Response:
    viewer = staff_or_login(request, Permission.READ_SLA)
    if isinstance(viewer, Response):
        return viewer
    deps, words, zone = app_deps(request), words_for(request), site_zone(request)
    today = deps.clock.now().astimezone(zone)
    try:
        year, number = (int(part) for part in month.split("-")) if month else (today.year, today.month)
        start, end = _month(year, number, zone)
    except ValueError:  # not a month we can show (2026-13, 9999-12): this month instead
        year, number = today.year, today.month
        start, end = _month(year, number, zone)
    with deps.session_factory() as session:
        stats = monthly_site_statistics(session, site_id=deps.site.id, year=year, month=number, tz=zone)
        verdicts = satisfaction_counts(session, site_id=deps.site.id, recorded_from=start, recorded_before=end)
        breaches = list_breaches(
            session, site_id=deps.site.id, limit=50, offset=0, detected_from=start, detected_before=end
        )
    return render(
        request,
        "stats.html",
        viewer=viewer,
        month=f"{year:04d}-{number:02d}",
        months=_recent_months(today.year, today.month, words.lang, f"{year:04d}-{number:02d}"),
        stats=stats,
        verdicts=verdicts,
        satisfied_share=_satisfied_share(verdicts),
        breaches=breaches.items,
        minutes=lambda value: minutes_text(value, words),
        local=lambda when: local(when, zone),
    )


@router.get("/export/orders.{fmt}")
def export_orders(
    request: Request, fmt: str, status: str = "active", category: str = "", source: str = "", unit: str = ""
) -> Response:
    """The all-orders list as filtered, every page of it, as CSV or Excel."""
    viewer = staff_or_login(request, Permission.READ_WORK_ORDERS)
    if isinstance(viewer, Response):
        return viewer
    deps, words, zone = app_deps(request), words_for(request), site_zone(request)
    with deps.session_factory() as session:
        found = list_work_orders(
            session, site_id=deps.site.id, filters=order_filters(status, category, source, unit), limit=MAX_ROWS,
            offset=0,
        )  # fmt: skip
    config, place = console_config(request), _list_place(request)
    header = [words.t(k) for k in ("code", "status", "priority", "category", "source", "title", "where", "team",
                                   "assignee", "reporter", "reported", "resolved")]  # fmt: skip
    rows = [
        [o.code, words.t(o.status.value), words.t(o.priority.value), words.t(o.category.value),
         words.t(o.source.value), o.title, place(o), _team_name(config, o.team) if o.team else "", o.assignee or "",
         reporter_label(o.reporter, words.lang), local(o.reported_at, zone), local(o.resolved_at, zone)]
        for o in found.items
    ]  # fmt: skip
    stamp = deps.clock.now().astimezone(zone).strftime("%Y%m%d-%H%M")
    return table_file(header, rows, fmt, f"work-orders-{stamp}")
