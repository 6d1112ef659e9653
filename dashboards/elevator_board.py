"""Elevator board: each car's state now, for the duty room's wall screen (refreshes every 10 s).

One tile per car (state, floor, door as last reported), a table with when each car was last heard from, and
the open elevator work orders, each linked to its page in the web console.
"""

from __future__ import annotations

from dashboards import queries_live, sql
from dashboards.document import (
    console_variable,
    dashboard,
    datasource_variable,
    generated_note,
    order_link,
)
from dashboards.elevators import CAR, STATES
from dashboards.elevators import variables as car_variables
from dashboards.grafana import POSTGRES, POSTGRES_UID, Json, Layout, influx_target, override, sql_target, value_mappings
from dashboards.i18n import Lang, Text
from dashboards.panels import stat, table

UID = "facilities-elevator-board"
DOORS = {"open": (Text("开门", "Open"), "orange"), "closed": (Text("关门", "Closed"), "green")}


def _tiles(title: Text, field: str, lang: Lang, **kw: object) -> Json:
    tiles = stat(title(lang), [influx_target(queries_live.car_now(field), alias=CAR)], no_value="—", **kw)
    tiles["options"].update(colorMode="background", textMode="value_and_name", graphMode="none")
    return tiles


def variables(lang: Lang) -> list[Json]:
    return [
        *car_variables(lang),
        datasource_variable("pg", Text("数据库", "Database")(lang), POSTGRES["type"], POSTGRES_UID),
        console_variable(lang),
    ]


def build(lang: Lang) -> Json:
    """The live elevator board in one language."""
    layout = Layout()
    layout.row(Text("各电梯当前状态", "Each car now")(lang))
    states = value_mappings({raw: (text(lang), color) for raw, (text, color) in STATES.items()})
    layout.add(_tiles(Text("状态", "State"), "state", lang, mappings=states), 24, 5)
    layout.add(_tiles(Text("楼层", "Floor"), "floor", lang, decimals=0, steps=((None, "blue"),)), 12, 4)
    doors = value_mappings({raw: (text(lang), color) for raw, (text, color) in DOORS.items()})
    layout.add(_tiles(Text("门", "Door"), "door", lang, mappings=doors), 12, 4)
    seen = Text("最后上报", "Last seen")(lang)
    layout.add(
        table(
            Text("各电梯最后一次上报", "Each car's last report")(lang),
            [influx_target(queries_live.cars_now(), table=True)],
            columns={
                "elevator_id": Text("电梯", "Elevator")(lang),
                "state": Text("状态", "State")(lang),
                "floor": Text("楼层", "Floor")(lang),
                "door": Text("门", "Door")(lang),
                "alarm": Text("报警按钮", "Alarm button")(lang),
                "fault_code": Text("故障码", "Fault code")(lang),
                "Time": seen,
            },
            show_time=True,
            mappings=states,
            description=Text(
                "时间范围内每台电梯的最后一次上报；超过 1 分钟未上报的电梯请查看通信",
                "Each car's last report in the time range; a car not heard from for over a minute: check its link",
            )(lang),
        ),
        12,
        8,
    )
    code = Text("单号", "Order")(lang)
    layout.add(
        table(
            Text("未完成的电梯工单", "Open elevator orders")(lang),
            [sql_target(sql.open_elevator_orders(lang))],
            columns={
                "car": Text("电梯", "Elevator")(lang),
                "code": code,
                "title": Text("内容", "Title")(lang),
                "priority": Text("优先级", "Priority")(lang),
                "status": Text("状态", "Status")(lang),
                "time": Text("报修时间", "Reported")(lang),
            },
            datasource=POSTGRES,
            overrides=[override(code, links=order_link(lang))],
        ),
        12,
        8,
    )
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("电梯实时看板", "Elevator board (live)")(lang),
        description=generated_note("elevator_board", lang),
        lang=lang,
        panels=layout.panels,
        variables=variables(lang),
        time_from="now-1h",
        refresh="10s",
    )
