"""Elevators dashboard: state per car, trips, vibration and noise against thresholds, faults, alarms."""

from __future__ import annotations

from dashboards import queries
from dashboards.document import dashboard, generated_note, influx_annotation, influx_datasource_variable, query_variable
from dashboards.grafana import Json, Layout, influx_target, value_mappings
from dashboards.i18n import Lang, Text
from dashboards.panels import stat, state_timeline, table, timeseries

UID = "facilities-elevators"

# Display thresholds (warning, alarm). The alarm rules have their own per-site levels; these only
# colour the charts, at levels typical for passenger lifts (ISO 18738 ride quality, lobby noise).
VIBRATION_MS2 = (0.25, 0.4)
NOISE_DB = (65.0, 75.0)

STATES = {
    "idle": (Text("空闲", "Idle"), "green"),
    "moving": (Text("运行", "Moving"), "blue"),
    "stopped": (Text("停梯", "Stopped"), "red"),
    "fault": (Text("故障", "Fault"), "red"),
    "maintenance": (Text("检修", "Maintenance"), "purple"),
    "offline": (Text("离线", "Offline"), "text"),
}

CAR = "$tag_elevator_id"


def variables(lang: Lang) -> list[Json]:
    return [
        influx_datasource_variable(lang),
        query_variable("site", Text("小区", "Site")(lang), queries.tag_values("elevator", "site")),
        query_variable(
            "building",
            Text("楼栋", "Building")(lang),
            queries.tag_values("elevator", "building", queries.SITE),
            multi=True,
        ),
        query_variable(
            "elevator",
            Text("电梯", "Elevator")(lang),
            queries.tag_values("elevator", "elevator_id", queries.SITE, queries.BUILDING),
            multi=True,
            # All = the listed cars: alarms match on asset_id, which meters and circuits have too.
            all_value=None,
        ),
    ]


def alarm_annotations(lang: Lang) -> list[Json]:
    return [
        influx_annotation(
            Text("电梯告警", "Elevator alarms")(lang),
            queries.elevator_alarm_annotations(),
            title="title",
            text="text",
            tags=("rule", "severity", "state", "asset_id"),
            color="red",
        )
    ]


def _levels(warning: float, alarm: float) -> tuple[tuple[float | None, str], ...]:
    return ((None, "green"), (warning, "orange"), (alarm, "red"))


def _overview(lang: Lang, layout: Layout) -> None:
    layout.row(Text("运行状态", "Operation")(lang))
    mappings = value_mappings({raw: (text(lang), color) for raw, (text, color) in STATES.items()})
    layout.add(
        state_timeline(
            Text("各电梯状态", "State per car")(lang),
            [influx_target(queries.elevator_last("state"), alias=CAR)],
            mappings=mappings,
        ),
        24,
        8,
    )
    layout.add(
        timeseries(
            Text("所在楼层", "Floor")(lang),
            [influx_target(queries.elevator_last("floor"), alias=CAR)],
            decimals=0,
            steps_after=True,
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("运行次数", "Trips")(lang),
            [influx_target(queries.trips_per_interval(), alias=CAR)],
            bars=True,
            decimals=0,
            interval="1h",
            description=Text(
                "状态为「运行」的上报次数：电梯在每次状态变化时上报，一次即一趟",
                "Readings with state moving: cars report each change of state, so one reading is one trip",
            )(lang),
        ),
        12,
    )


def _condition(lang: Lang, layout: Layout) -> None:
    layout.row(Text("振动与噪声", "Vibration and noise")(lang))
    layout.add(
        timeseries(
            Text("振动（峰值）", "Vibration (peak)")(lang),
            [influx_target(queries.elevator_max("vibration"), alias=CAR)],
            unit="accMS2",
            steps=_levels(*VIBRATION_MS2),
            threshold_lines=True,
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("噪声（峰值）", "Noise (peak)")(lang),
            [influx_target(queries.elevator_max("noise_db"), alias=CAR)],
            unit="dB",
            steps=_levels(*NOISE_DB),
            threshold_lines=True,
        ),
        12,
    )


def _faults(lang: Lang, layout: Layout) -> None:
    layout.row(Text("故障与告警", "Faults and alarms")(lang))
    for title, query, field in (
        (Text("各电梯运行次数", "Trips per car"), queries.trips_total(), "trips"),
        (Text("各电梯故障上报", "Fault readings per car"), queries.fault_count(), "faults"),
    ):
        layout.add(
            stat(
                title(lang),
                [influx_target(query, alias=CAR)],
                no_value="0",
                steps=((None, "green"), (1, "red")) if field == "faults" else ((None, "blue"),),
            ),
            12,
            4,
        )
    layout.add(
        table(
            Text("故障记录", "Fault readings")(lang),
            [influx_target(queries.fault_readings(), table=True)],
            columns={
                "Time": Text("时间", "Time")(lang),
                "elevator_id": Text("电梯", "Elevator")(lang),
                "fault_code": Text("故障码", "Fault code")(lang),
                "state": Text("状态", "State")(lang),
                "floor": Text("楼层", "Floor")(lang),
                "door": Text("门", "Door")(lang),
            },
            show_time=True,
        ),
        12,
        10,
    )
    layout.add(
        table(
            Text("告警记录", "Alarms")(lang),
            [influx_target(queries.elevator_alarms(), table=True)],
            columns={
                "Time": Text("时间", "Time")(lang),
                "asset_id": Text("电梯", "Elevator")(lang),
                "severity": Text("级别", "Severity")(lang),
                "title": Text("告警", "Alarm")(lang),
                "state": Text("状态", "State")(lang),
                "rule": Text("规则", "Rule")(lang),
            },
            show_time=True,
        ),
        12,
        10,
    )


def build(lang: Lang) -> Json:
    """The Elevators dashboard in one language."""
    layout = Layout()
    _overview(lang, layout)
    _condition(lang, layout)
    _faults(lang, layout)
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("电梯运行", "Elevators")(lang),
        description=generated_note("elevators", lang),
        lang=lang,
        panels=layout.panels,
        variables=variables(lang),
        annotations=alarm_annotations(lang),
        time_from="now-6h",
        refresh="30s",  # the live tiles are on the elevator board (10 s)
    )
