"""The Utilities dashboard's power and flow panels and its drill-down to one unit and one meter.

Power (kW) and flow (m³/h) are the registers' growth per hour, per building. The `unit` and `meter` variables
pick one household and one of its meters (or a public-area meter); their panels show that unit's use per hour
and power, and that meter's register as it reported.
"""

from __future__ import annotations

from core.site import Utility
from dashboards import queries, queries_live
from dashboards.document import query_variable
from dashboards.grafana import Json, Layout, influx_target
from dashboards.i18n import Lang, Text
from dashboards.panels import stat, timeseries

RATE_UNITS = {
    Utility.ELECTRICITY: ("kwatt", Text("用电功率", "Power")),
    Utility.WATER: ("m3h", Text("用水流量", "Flow")),
}


def variables(lang: Lang) -> list[Json]:
    """Unit, then meter: the meter list follows the unit picked (and lists public-area meters for none)."""
    unit = queries.tag_values("meter", "unit", queries.SITE, queries.BUILDING)
    meter = queries.tag_values("meter", "meter_id", queries.SITE, queries_live.UNIT)
    return [
        query_variable("unit", Text("住户", "Unit")(lang), unit),
        query_variable("meter", Text("表计", "Meter")(lang), meter),
    ]


def rate_panels(lang: Lang, layout: Layout) -> None:
    layout.row(Text("功率与流量", "Power and flow")(lang))
    for utility, (unit, title) in RATE_UNITS.items():
        layout.add(
            timeseries(
                Text(f"各楼栋{title.zh}", f"{title.en} per building")(lang),
                [influx_target(queries_live.rate_per_building(utility), alias="$tag_building")],
                unit=unit,
                interval=queries_live.RATE_EVERY,
                description=Text(
                    "表读数每小时的增长（千瓦 / 立方米每小时），按楼栋合计；表每 15 分钟上报一次",
                    "Registers' growth per hour (kW, m³/h), summed per building; meters report every 15 min",
                )(lang),
            ),
            12,
        )


def drilldown_panels(lang: Lang, layout: Layout) -> None:
    layout.row(Text("住户与表计明细：$unit / $meter", "Unit and meter: $unit / $meter")(lang))
    layout.add(
        timeseries(
            Text("住户 $unit 每小时用量", "Unit $unit: use per hour")(lang),
            [influx_target(queries_live.unit_use(), alias="$tag_utility")],
            bars=True,
            interval="1h",
        ),
        8,
    )
    for utility, (unit, title) in RATE_UNITS.items():
        layout.add(
            timeseries(
                Text(f"住户 $unit {title.zh}", f"Unit $unit: {title.en.lower()}")(lang),
                [influx_target(queries_live.unit_rate(utility), alias=title(lang))],
                unit=unit,
                interval=queries_live.RATE_EVERY,
            ),
            8,
        )
    layout.add(
        timeseries(
            Text("表计 $meter 读数", "Meter $meter: register")(lang),
            [influx_target(queries_live.meter_register(), alias="$tag_meter_id")],
            steps_after=True,
            decimals=3,
        ),
        16,
    )
    layout.add(
        stat(
            Text("表计 $meter 最新读数", "Meter $meter: latest reading")(lang),
            [influx_target(queries_live.meter_last_seen(), alias="$tag_meter_id")],
            decimals=3,
            steps=((None, "blue"),),
            no_value="—",
        ),
        8,
    )
