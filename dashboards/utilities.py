"""Utilities dashboard: water, electricity and gas use per building and per unit, night flow, silent meters."""

from __future__ import annotations

from core.site import Utility
from dashboards import drilldown, queries
from dashboards.document import custom_variable, dashboard, generated_note, influx_datasource_variable, query_variable
from dashboards.grafana import Json, Layout, influx_target, override
from dashboards.i18n import Lang, Text
from dashboards.panels import stat, table, timeseries

UID = "facilities-utilities"
BUCKET = "1h"  # consumption buckets are at least an hour: meters report every 15 min or less often

UTILITY_NAME = {
    Utility.WATER: Text("用水", "Water"),
    Utility.ELECTRICITY: Text("用电", "Electricity"),
    Utility.GAS: Text("用气", "Gas"),
}
# Grafana unit ids: cubic metres and kilowatt-hours.
UTILITY_UNIT = {Utility.WATER: "m3", Utility.ELECTRICITY: "kwatth", Utility.GAS: "m3"}
UTILITY_COLOR = {Utility.WATER: "blue", Utility.ELECTRICITY: "yellow", Utility.GAS: "orange"}
SILENCE_CHOICES = ("30m", "1h", "3h", "6h", "24h")

GAUGE_CELL = {"mode": "basic", "type": "gauge"}  # a bar in the cell, so the biggest users stand out
UNIT_COLUMN = Text("户号", "Unit")
USE_COLUMN = Text("用量", "Use")


def variables(lang: Lang) -> list[Json]:
    return [
        influx_datasource_variable(lang),
        query_variable("site", Text("小区", "Site")(lang), queries.tag_values("meter", "site")),
        query_variable(
            "building",
            Text("楼栋", "Building")(lang),
            queries.tag_values("meter", "building", queries.SITE),
            multi=True,
        ),
        custom_variable("silence", Text("静默判定", "Silent after")(lang), SILENCE_CHOICES, "1h"),
        *drilldown.variables(lang),
    ]


def _per_utility_panels(lang: Lang, layout: Layout) -> None:
    layout.row(Text("总览", "Overview")(lang))
    for utility in Utility:
        name = UTILITY_NAME[utility](lang)
        layout.add(
            stat(
                Text(f"{name}总量", f"{name} used")(lang),
                [influx_target(queries.total_use(utility))],
                description=Text("所选楼栋在时间范围内的用量", "Use of the selected buildings in the time range")(lang),
                unit=UTILITY_UNIT[utility],
                decimals=1,
                interval=BUCKET,
                steps=((None, UTILITY_COLOR[utility]),),
                no_value="0",
            ),
            6,
            4,
        )
    layout.add(
        stat(
            Text("静默表计数", "Silent meters")(lang),
            [influx_target(queries.silent_meter_count())],
            description=Text(
                "时间范围内上报过、但最近 $silence 内未上报的表计数量",
                "Meters heard in the time range but not within the last $silence",
            )(lang),
            steps=((None, "green"), (1, "red")),
            no_value="0",
        ),
        6,
        4,
    )
    layout.row(Text("各楼栋用量", "Use per building")(lang))
    for utility in Utility:
        name = UTILITY_NAME[utility](lang)
        layout.add(
            timeseries(
                Text(f"各楼栋{name}量", f"{name} per building")(lang),
                [influx_target(queries.use_per_building(utility), alias="$tag_building")],
                bars=True,
                unit=UTILITY_UNIT[utility],
                interval=BUCKET,
            ),
            8,
        )
    layout.row(Text("用量最高的住户", "Top consumers")(lang))
    for utility in Utility:
        name = UTILITY_NAME[utility](lang)
        layout.add(_unit_table(lang, utility, Text(f"{name}前十住户", f"Top 10 units: {name}")(lang), top=True), 8)


def _unit_table(lang: Lang, utility: Utility, title: str, *, top: bool) -> Json:
    query = queries.top_units(utility) if top else queries.use_per_unit(utility)
    use = USE_COLUMN(lang)
    return table(
        title,
        [influx_target(query, table=True)],
        columns={"unit": UNIT_COLUMN(lang), "use": use},
        sort_by=use,
        overrides=[override(use, unit=UTILITY_UNIT[utility], decimals=2, **{"custom.cellOptions": GAUGE_CELL})],
        interval=BUCKET,
    )


def _watch_panels(lang: Lang, layout: Layout) -> None:
    layout.row(Text("长流水与静默表计", "Night flow and silent meters")(lang))
    lowest = Text("最低小时用水", "Lowest hourly use")(lang)
    layout.add(
        table(
            Text("最低小时用水量最高的住户（长流水）", "Water never stopping: highest lowest-hourly use")(lang),
            [influx_target(queries.night_flow(), table=True)],
            columns={"unit": UNIT_COLUMN(lang), "lowest": lowest},
            sort_by=lowest,
            description=Text(
                "每户在时间范围内用水最少的一小时；正常住户总有不用水的时段，大于零说明水一直在流（漏水或忘关水龙头）",
                "Each unit's lowest hourly water use in the range; a household always has an hour without "
                "use, so above zero means water kept running (a leak or an open tap)",
            )(lang),
            overrides=[override(lowest, unit="m3", decimals=3)],
            steps=((None, "green"), (0.001, "red")),
        ),
        12,
        10,
    )
    layout.add(
        table(
            Text("静默表计", "Silent meters")(lang),
            [influx_target(queries.silent_meters(), table=True)],
            columns={
                "meter_id": Text("表号", "Meter")(lang),
                "utility": Text("类别", "Utility")(lang),
                "building": Text("楼栋", "Building")(lang),
                "unit": UNIT_COLUMN(lang),
                "area": Text("公区", "Area")(lang),
            },
            description=Text(
                "时间范围内上报过、但最近 $silence 内未上报：检查电池、通信或表计本身",
                "Heard in the time range, silent for the last $silence: check battery, link or the meter",
            )(lang),
        ),
        12,
        10,
    )
    layout.row(Text("各户用量", "Use per unit")(lang))
    for utility in Utility:
        name = UTILITY_NAME[utility](lang)
        layout.add(_unit_table(lang, utility, Text(f"各户{name}量", f"{name} per unit")(lang), top=False), 8, 12)


def build(lang: Lang) -> Json:
    """The Utilities dashboard in one language."""
    layout = Layout()
    _per_utility_panels(lang, layout)
    drilldown.rate_panels(lang, layout)
    _watch_panels(lang, layout)
    drilldown.drilldown_panels(lang, layout)
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("能耗：水电气", "Utilities: water, electricity, gas")(lang),
        description=generated_note("utilities", lang),
        lang=lang,
        panels=layout.panels,
        variables=variables(lang),
        refresh="5m",  # meters report every 15 min
    )
