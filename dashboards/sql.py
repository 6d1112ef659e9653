"""PostgreSQL for the work-order dashboard, on the tables of `workorders/orm.py`.

Grafana fills in `$__timeFilter(column)`, `$__timeGroupAlias(column, interval)` and the template
variables: `$site` unquoted (a single value, its quotes escaped), `$building` as a quoted list.
Category, priority and SLA-step names are turned into the dashboard's language in SQL, so tables
and legends read in it. Every literal comes from the domain's enums, never from user text.
"""

# ruff: noqa: S608  -- query templates for Grafana built from constants and enum values

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from dashboards.i18n import Lang, Text
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.values import Category, Priority, SlaKind

E = TypeVar("E", bound=StrEnum)

ALL_BUILDINGS = "'__all'"  # the custom All value, inserted by Grafana as it is
SITE = "o.site_id = '$site'"
# Orders of site-wide areas have no building: All must not filter them out.
BUILDING = f"({ALL_BUILDINGS} IN ($building) OR o.building_id IN ($building))"
ORDERS = "work_orders o"
BREACHES = "sla_breaches b JOIN work_orders o ON o.id = b.work_order_id"

CATEGORY = {
    Category.ELEVATOR: Text("电梯", "Elevator"),
    Category.PLUMBING: Text("给排水", "Plumbing"),
    Category.ELECTRICAL: Text("电气", "Electrical"),
    Category.LIGHTING: Text("照明", "Lighting"),
    Category.METERING: Text("计量", "Metering"),
    Category.SECURITY: Text("安防", "Security"),
    Category.OTHER: Text("其他", "Other"),
}
PRIORITY = {
    Priority.EMERGENCY: Text("紧急", "Emergency"),
    Priority.HIGH: Text("高", "High"),
    Priority.NORMAL: Text("普通", "Normal"),
    Priority.LOW: Text("低", "Low"),
}
STATUS = {
    Status.OPEN: Text("待接单", "Open"),
    Status.ACKNOWLEDGED: Text("已接单", "Acknowledged"),
    Status.ON_SITE: Text("已到场", "On site"),
    Status.RESOLVED: Text("已修复", "Resolved"),
    Status.CLOSED: Text("已关闭", "Closed"),
    Status.CANCELLED: Text("已取消", "Cancelled"),
}
SLA_STEP = {
    SlaKind.ACKNOWLEDGE: Text("接单超时", "Acknowledge late"),
    SlaKind.ON_SITE: Text("到场超时", "Arrival late"),
    SlaKind.RESOLVE: Text("修复超时", "Resolution late"),
}
STEPS = {  # (timestamp column, heading) of each step, timed from the report
    "acknowledged_at": Text("接单", "acknowledge"),
    "arrived_at": Text("到场", "arrive"),
    "resolved_at": Text("修复", "resolve"),
}


def label(column: str, names: Mapping[E, Text], lang: Lang) -> str:
    """A CASE giving each enum value of `column` its name in `lang` (unknown values stay as they are)."""
    whens = " ".join(f"WHEN '{value.value}' THEN '{text(lang)}'" for value, text in names.items())
    return f"CASE {column} {whens} ELSE {column} END"


def _in(column: str, values: frozenset[Status]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in sorted(values))})"


def _where(*conditions: str) -> str:
    return " AND ".join((SITE, BUILDING, *conditions))


ACTIVE = _in("o.status", ACTIVE_STATES)


def open_count(*conditions: str) -> str:
    """Orders someone still has to work on, now (not limited to the time range)."""
    return f'SELECT count(*) AS "open" FROM {ORDERS} WHERE {_where(ACTIVE, *conditions)}'


def breach_count() -> str:
    return f'SELECT count(*) AS "breaches" FROM {BREACHES} WHERE {_where("$__timeFilter(b.detected_at)")}'


def arrived_on_time_percent() -> str:
    """Of the orders reported in the range that reached the site and had an arrival deadline, the share on time."""
    where = _where("$__timeFilter(o.reported_at)", "o.arrived_at IS NOT NULL", "o.on_site_due_at IS NOT NULL")
    on_time = "count(*) FILTER (WHERE o.arrived_at <= o.on_site_due_at)"
    return f'SELECT 100.0 * {on_time} / NULLIF(count(*), 0) AS "on_time" FROM {ORDERS} WHERE {where}'


def open_by_category_and_priority(lang: Lang) -> str:
    """One row per category with open orders, one column per priority (for stacked bars)."""
    columns = ", ".join(
        f"count(*) FILTER (WHERE o.priority = '{priority.value}') AS \"{text(lang)}\""
        for priority, text in PRIORITY.items()
    )
    category = label("o.category", CATEGORY, lang)
    return f'SELECT {category} AS "category", {columns} FROM {ORDERS} WHERE {_where(ACTIVE)} GROUP BY 1 ORDER BY 1'


def reported_per_interval(lang: Lang) -> str:
    """Orders reported per interval and category (a time series named by category)."""
    category = label("o.category", CATEGORY, lang)
    where = _where("$__timeFilter(o.reported_at)")
    return (
        f'SELECT $__timeGroupAlias(o.reported_at, $__interval), {category} AS "metric", count(*) AS "orders" '
        f"FROM {ORDERS} WHERE {where} GROUP BY 1, 2 ORDER BY 1"
    )


def breaches_by_category_and_step(lang: Lang) -> str:
    """SLA breaches detected in the range: one row per category, one column per missed step."""
    columns = ", ".join(
        f"count(*) FILTER (WHERE b.kind = '{kind.value}') AS \"{text(lang)}\"" for kind, text in SLA_STEP.items()
    )
    category = label("o.category", CATEGORY, lang)
    where = _where("$__timeFilter(b.detected_at)")
    return f'SELECT {category} AS "category", {columns} FROM {BREACHES} WHERE {where} GROUP BY 1 ORDER BY 1'


def recent_breaches(lang: Lang, limit: int = 200) -> str:
    """The newest breaches with their order (columns time, code, title, category, priority, step, due, assignee)."""
    where = _where("$__timeFilter(b.detected_at)")
    return (
        f'SELECT b.detected_at AS "time", o.code AS "code", o.title AS "title", '
        f'{label("o.category", CATEGORY, lang)} AS "category", {label("o.priority", PRIORITY, lang)} AS "priority", '
        f'{label("b.kind", SLA_STEP, lang)} AS "step", b.due_at AS "due", o.assignee AS "assignee" '
        f"FROM {BREACHES} WHERE {where} ORDER BY b.detected_at DESC LIMIT {limit}"
    )


def open_orders(lang: Lang, limit: int = 200) -> str:
    """Orders still open, most urgent and oldest first."""
    urgency = " ".join(f"WHEN '{p.value}' THEN {rank}" for rank, p in enumerate(Priority))
    return (
        f'SELECT o.reported_at AS "time", o.code AS "code", o.title AS "title", '
        f'{label("o.category", CATEGORY, lang)} AS "category", {label("o.priority", PRIORITY, lang)} AS "priority", '
        f'{label("o.status", STATUS, lang)} AS "status", o.assignee AS "assignee", o.on_site_due_at AS "on_site_due" '
        f"FROM {ORDERS} WHERE {_where(ACTIVE)} ORDER BY CASE o.priority {urgency} END, o.reported_at LIMIT {limit}"
    )


def step_durations(lang: Lang) -> str:
    """Per category, median and 90th percentile seconds from report to each step, over orders reported in the range."""
    parts = []
    for column, step in STEPS.items():
        seconds = f"extract(epoch FROM o.{column} - o.reported_at)"
        for name, fraction in ((Text("中位数", "median"), 0.5), (Text("90%分位", "p90"), 0.9)):
            alias = Text(f"{step.zh}用时{name.zh}", f"{name.en} to {step.en}")(lang)
            parts.append(f'percentile_cont({fraction}) WITHIN GROUP (ORDER BY {seconds}) AS "{alias}"')
    category = label("o.category", CATEGORY, lang)
    where = _where("$__timeFilter(o.reported_at)")
    return f'SELECT {category} AS "category", {", ".join(parts)} FROM {ORDERS} WHERE {where} GROUP BY 1 ORDER BY 1'


def sites() -> str:
    return "SELECT DISTINCT site_id FROM work_orders ORDER BY 1"


def buildings() -> str:
    return "SELECT DISTINCT building_id FROM work_orders WHERE site_id = '$site' AND building_id IS NOT NULL ORDER BY 1"


def open_elevator_orders(lang: Lang, limit: int = 50) -> str:
    """Open elevator orders per car for the live board (columns car, code, title, priority, status, time)."""
    where = " AND ".join((SITE, ACTIVE, f"o.category = '{Category.ELEVATOR.value}'"))
    return (
        f'SELECT o.asset_id AS "car", o.code AS "code", o.title AS "title", '
        f'{label("o.priority", PRIORITY, lang)} AS "priority", {label("o.status", STATUS, lang)} AS "status", '
        f'o.reported_at AS "time" FROM {ORDERS} WHERE {where} ORDER BY o.reported_at DESC LIMIT {limit}'
    )
