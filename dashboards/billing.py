"""Billing dashboard (PostgreSQL): what a period billed, per building and unit, and how far it is finalised."""

from __future__ import annotations

from dashboards import sql_billing as sql
from dashboards.document import dashboard, datasource_variable, generated_note, query_variable
from dashboards.grafana import POSTGRES, POSTGRES_UID, Json, Layout, override, sql_target
from dashboards.i18n import Lang, Text
from dashboards.panels import barchart, stat, table, timeseries
from dashboards.sql import ALL_BUILDINGS

UID = "facilities-billing"
MONEY = "currencyCNY"  # the billing configuration's default currency

BUILDING = Text("楼栋", "Building")
AMOUNT = Text("金额", "Amount")
PERIOD_NOTE = Text("所选账期（含调整账单）", "The chosen period, adjusting statements included")


def variables(lang: Lang) -> list[Json]:
    return [
        datasource_variable("pg", Text("数据库", "Database")(lang), POSTGRES["type"], POSTGRES_UID),
        query_variable("site", Text("小区", "Site")(lang), sql.sites(), datasource=POSTGRES),
        query_variable(
            "building",
            BUILDING(lang),
            sql.buildings(),
            multi=True,
            all_value=ALL_BUILDINGS,
            datasource=POSTGRES,
        ),
        # Newest period first and by default: keep the query's order (sort 0) rather than sorting.
        {**query_variable("period", Text("账期", "Period")(lang), sql.periods(), datasource=POSTGRES), "sort": 0},
    ]


def _stat(title: Text, query: str, lang: Lang, **kw: object) -> Json:
    return stat(
        title(lang),
        [sql_target(query)],
        datasource=POSTGRES,
        no_value="0",
        unit=MONEY,
        decimals=2,
        description=PERIOD_NOTE(lang),
        **kw,
    )


def _period(lang: Lang, layout: Layout) -> None:
    layout.row(Text("本期", "This period")(lang))
    layout.add(_stat(Text("本期账单合计", "Total billed this period"), sql.total(), lang, steps=((None, "blue"),)), 6)
    final = Text("其中已定稿", "Of which final")
    layout.add(_stat(final, sql.total(sql.FINAL), lang, steps=((None, "green"),)), 6)
    layout.add(
        barchart(
            Text("账单状态", "Statements by status")(lang),
            [sql_target(sql.statements_by_state(lang))],
            x_field="status",
            datasource=POSTGRES,
            decimals=0,
            description=Text(
                "待复核：草稿中有待复核的表计行，不能定稿", "Held for review: a draft with a meter line to review"
            )(lang),
        ),
        12,
    )
    columns = {"unit": Text("房号", "Unit")(lang), "building": BUILDING(lang), "amount": AMOUNT(lang)}
    layout.add(
        table(
            Text("本期金额最高的住户", "Top units by amount")(lang),
            [sql_target(sql.top_units())],
            columns=columns,
            datasource=POSTGRES,
            unit=MONEY,
            decimals=2,
            description=PERIOD_NOTE(lang),
        ),
        10,
        10,
    )
    layout.add(
        timeseries(
            Text("各楼栋每月金额", "Monthly amount per building")(lang),
            [sql_target(sql.amount_per_building_per_month(), time_series=True)],
            bars=True,
            datasource=POSTGRES,
            unit=MONEY,
            decimals=2,
        ),
        14,
        10,
    )


def _monthly(lang: Lang, layout: Layout) -> None:
    layout.row(Text("每月用量", "Monthly consumption")(lang))
    amount = AMOUNT(lang)
    columns = {
        "period": Text("账期", "Period")(lang),
        "building": BUILDING(lang),
        "utility": Text("类别", "Utility")(lang),
        "uom": Text("单位", "Unit")(lang),
        "consumption": Text("用量", "Consumption")(lang),
        "amount": amount,
    }
    layout.add(
        table(
            Text("各楼栋每月分类用量", "Consumption per utility per building per month")(lang),
            [sql_target(sql.consumption_per_month(lang))],
            columns=columns,
            datasource=POSTGRES,
            decimals=3,
            overrides=[override(amount, decimals=2, unit=MONEY)],
        ),
        24,
        10,
    )


def build(lang: Lang) -> Json:
    """The Billing dashboard in one language."""
    layout = Layout()
    _period(lang, layout)
    _monthly(lang, layout)
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("账单", "Billing")(lang),
        description=generated_note("billing", lang),
        lang=lang,
        panels=layout.panels,
        variables=variables(lang),
        time_from="now-1y",
        refresh="1h",  # statements change once a month
    )
