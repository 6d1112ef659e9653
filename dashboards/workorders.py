"""Work orders and SLA dashboard (PostgreSQL): what is open, what missed its deadline, how fast staff act."""

from __future__ import annotations

from dashboards import sql
from dashboards.document import (
    console_variable,
    dashboard,
    datasource_variable,
    generated_note,
    order_link,
    query_variable,
)
from dashboards.grafana import POSTGRES, POSTGRES_UID, Json, Layout, override, sql_target
from dashboards.i18n import Lang, Text
from dashboards.panels import barchart, stat, table, timeseries
from workorders.values import Priority

UID = "facilities-workorders"

TIME = Text("时间", "Time")
CODE = Text("单号", "Order")
TITLE = Text("内容", "Title")
CATEGORY = Text("类别", "Category")
PRIORITY = Text("优先级", "Priority")
ASSIGNEE = Text("处理人", "Assignee")


def variables(lang: Lang) -> list[Json]:
    return [
        datasource_variable("pg", Text("数据库", "Database")(lang), POSTGRES["type"], POSTGRES_UID),
        query_variable("site", Text("小区", "Site")(lang), sql.sites(), datasource=POSTGRES),
        query_variable(
            "building",
            Text("楼栋", "Building")(lang),
            sql.buildings(),
            multi=True,
            all_value=sql.ALL_BUILDINGS,
            datasource=POSTGRES,
        ),
        console_variable(lang),
    ]


def _stat(title: Text, query: str, lang: Lang, **kw: object) -> Json:
    return stat(title(lang), [sql_target(query)], datasource=POSTGRES, no_value="0", **kw)


def _overview(lang: Lang, layout: Layout) -> None:
    layout.row(Text("总览", "Overview")(lang))
    alarm = ((None, "green"), (1, "red"))
    layout.add(_stat(Text("未完成工单", "Open orders"), sql.open_count(), lang, steps=((None, "blue"),)), 6, 4)
    emergency = f"o.priority = '{Priority.EMERGENCY.value}'"
    layout.add(_stat(Text("未完成紧急工单", "Open emergencies"), sql.open_count(emergency), lang, steps=alarm), 6, 4)
    layout.add(_stat(Text("超时次数", "SLA breaches"), sql.breach_count(), lang, steps=alarm), 6, 4)
    on_time = Text("按时到场率", "Arrived on time")
    steps = ((None, "red"), (80, "orange"), (95, "green"))
    layout.add(_stat(on_time, sql.arrived_on_time_percent(), lang, unit="percent", decimals=0, steps=steps), 6, 4)


def _open(lang: Lang, layout: Layout) -> None:
    layout.row(Text("未完成工单", "Open orders")(lang))
    layout.add(
        barchart(
            Text("按类别与优先级", "By category and priority")(lang),
            [sql_target(sql.open_by_category_and_priority(lang))],
            x_field="category",
            datasource=POSTGRES,
            decimals=0,
        ),
        10,
        9,
    )
    columns = {
        "time": Text("报修时间", "Reported")(lang),
        "code": CODE(lang),
        "title": TITLE(lang),
        "category": CATEGORY(lang),
        "priority": PRIORITY(lang),
        "status": Text("状态", "Status")(lang),
        "assignee": ASSIGNEE(lang),
        "on_site_due": Text("应到场", "Due on site")(lang),
    }
    layout.add(
        table(
            Text("工单列表", "Orders")(lang),
            [sql_target(sql.open_orders(lang))],
            columns=columns,
            datasource=POSTGRES,
            overrides=[override(CODE(lang), links=order_link(lang))],
        ),
        14,
        9,
    )


def _sla(lang: Lang, layout: Layout) -> None:
    layout.row(Text("服务时限", "Service levels")(lang))
    layout.add(
        barchart(
            Text("超时：按类别与环节", "Breaches by category and step")(lang),
            [sql_target(sql.breaches_by_category_and_step(lang))],
            x_field="category",
            datasource=POSTGRES,
            decimals=0,
        ),
        10,
        9,
    )
    columns = {
        "time": Text("发现时间", "Detected")(lang),
        "code": CODE(lang),
        "title": TITLE(lang),
        "category": CATEGORY(lang),
        "priority": PRIORITY(lang),
        "step": Text("环节", "Step")(lang),
        "due": Text("时限", "Due")(lang),
        "assignee": ASSIGNEE(lang),
    }
    layout.add(
        table(
            Text("超时记录", "Breaches")(lang),
            [sql_target(sql.recent_breaches(lang))],
            columns=columns,
            overrides=[override(CODE(lang), links=order_link(lang))],
            datasource=POSTGRES,
        ),
        14,
        9,
    )
    layout.add(
        table(
            Text("从报修到接单、到场、修复的用时", "Time from report to acknowledge, arrive, resolve")(lang),
            [sql_target(sql.step_durations(lang))],
            datasource=POSTGRES,
            unit="s",
            decimals=0,
            description=Text(
                "时间范围内报修的工单；中位数与 90% 分位，按类别",
                "Orders reported in the range; median and 90th percentile",
            )(lang),
        ),
        24,
        7,
    )
    layout.add(
        timeseries(
            Text("报修数量", "Orders reported")(lang),
            [sql_target(sql.reported_per_interval(lang), time_series=True)],
            bars=True,
            datasource=POSTGRES,
            decimals=0,
            interval="1h",
        ),
        24,
        8,
    )


def build(lang: Lang) -> Json:
    """The Work orders and SLA dashboard in one language."""
    layout = Layout()
    _overview(lang, layout)
    _open(lang, layout)
    _sla(lang, layout)
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("工单与服务时限", "Work orders and SLA")(lang),
        description=generated_note("workorders", lang),
        lang=lang,
        panels=layout.panels,
        variables=variables(lang),
        time_from="now-7d",
        refresh="1m",  # the duty room's wall screen: new orders within a minute
    )
