"""System dashboard: the hub's own health from its Prometheus metrics (scraped by VictoriaMetrics).

What an operator watches each day: is data coming in, is it being stored, are alarms judged and alerts
delivered, are devices answering, are SLAs kept. docs/operations.md says what each panel's red means.
"""

from __future__ import annotations

from typing import Any

from dashboards.document import dashboard, datasource_variable, generated_note
from dashboards.grafana import Json, Layout
from dashboards.i18n import Lang, Text
from dashboards.panels import stat, timeseries

UID = "facilities-system"
PROMETHEUS_UID = "facilities-victoriametrics"
PROMETHEUS: Json = {"type": "prometheus", "uid": "${prom}"}
RATE = "[5m]"


def _age_or_zero(age: str, always: str) -> str:
    """An age gauge exists only while something waits: 0 while the hub is scraped and nothing waits (`always` is
    a gauge the hub always reports), no data when the hub is not scraped at all."""
    return f"max({age}) or on() (0 * max({always}))"


# Every query by a stable key; the integration test runs each against a VictoriaMetrics that scraped a real hub.
QUERIES = {
    "ingest_rate": f"sum(rate(facilities_spool_readings_spooled_total{RATE}))",
    "mqtt_rate": f"sum(rate(facilities_mqtt_received_total{RATE}))",
    "mqtt_connected": "min(facilities_health_mqtt_connected)",
    "spool_depth": "max(facilities_spool_depth)",
    "spool_oldest": _age_or_zero("facilities_health_spool_oldest_unwritten_age_seconds", "facilities_spool_depth"),
    "store_errors": f"sum(increase(facilities_store_write_retries_total{RATE}))",
    "dead_letters": f"sum(increase(facilities_dead_letters_total{RATE}))",
    "store_latency": (
        f"sum(rate(facilities_store_write_seconds_sum{RATE})) / sum(rate(facilities_store_write_seconds_count{RATE}))"
    ),
    "rules_lag_seconds": _age_or_zero("facilities_health_rules_lag_seconds", "facilities_health_rules_lag_readings"),
    "rules_lag_readings": "max(facilities_health_rules_lag_readings)",
    "outbox_pending": "max(facilities_health_outbox_pending)",
    "outbox_oldest": _age_or_zero(
        "facilities_health_outbox_oldest_pending_age_seconds", "facilities_health_outbox_pending"
    ),
    "outbox_failed": "max(facilities_health_outbox_failed)",
    "devices_offline": "sum(facilities_health_devices_offline)",
    "devices_by_state": "sum by (state) (facilities_devices)",
    "sla_breaches_today": "sum(facilities_sla_breaches_today)",
    "component_state": "max by (component) (facilities_health_state)",
    "hub_up": 'min(up{job="facilities-hub"})',
    "thread_restarts": "sum(facilities_health_threads_restarts)",
}


def target(key: str, legend: str = "", ref_id: str = "A") -> Json:
    return {"datasource": PROMETHEUS, "expr": QUERIES[key], "legendFormat": legend or "__auto", "refId": ref_id}


def _panel_defaults(**kw: Any) -> dict[str, Any]:
    return {"datasource": PROMETHEUS, **kw}


def _headline(lang: Lang, layout: Layout) -> None:
    layout.row(Text("今日概况", "Today at a glance")(lang))
    cells = [
        ("hub_up", Text("指标可达", "Hub scraped"), "none", ((None, "red"), (1, "green"))),
        ("ingest_rate", Text("入库速率", "Ingest rate"), "reqps", ((None, "red"), (0.001, "green"))),
        (
            "spool_depth",
            Text("缓冲积压", "Spool depth"),
            "short",
            ((None, "green"), (10_000, "orange"), (100_000, "red")),
        ),
        ("rules_lag_seconds", Text("规则延迟", "Rules lag"), "s", ((None, "green"), (60, "orange"), (300, "red"))),
        ("outbox_pending", Text("待发通知", "Alerts waiting"), "short", ((None, "green"), (10, "orange"))),
        ("devices_offline", Text("离线设备", "Devices offline"), "short", ((None, "green"), (1, "orange"))),
        ("sla_breaches_today", Text("今日超时", "SLA breaches today"), "short", ((None, "green"), (1, "red"))),
    ]
    for key, title, unit, steps in cells:
        layout.add(stat(title(lang), [target(key)], **_panel_defaults(unit=unit, steps=steps, no_value="–")), 3, 4)


def _ingest(lang: Lang, layout: Layout) -> None:
    layout.row(Text("采集与存储", "Ingest and storage")(lang))
    layout.add(
        timeseries(
            Text("每秒读数", "Readings per second")(lang),
            [target("ingest_rate", Text("入缓冲", "spooled")(lang)), target("mqtt_rate", "MQTT", "B")],
            **_panel_defaults(unit="reqps"),
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("缓冲积压与最旧未写入", "Spool depth and oldest unwritten")(lang),
            [
                target("spool_depth", Text("积压", "depth")(lang)),
                target("spool_oldest", Text("最旧 (秒)", "oldest (s)")(lang), "B"),
            ],
            **_panel_defaults(unit="short"),
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("存储写入失败与死信", "Store write errors and dead letters")(lang),
            [
                target("store_errors", Text("重试", "retries")(lang)),
                target("dead_letters", Text("死信", "dead letters")(lang), "B"),
            ],
            **_panel_defaults(unit="short", steps=((None, "green"), (1, "red"))),
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("批量写入耗时", "Batch write latency")(lang),
            [target("store_latency", Text("平均", "mean")(lang))],
            **_panel_defaults(unit="s", steps=((None, "green"), (1, "orange"), (5, "red")), threshold_lines=True),
        ),
        12,
    )


def _rules_and_alerts(lang: Lang, layout: Layout) -> None:
    layout.row(Text("规则与通知", "Rules and alerts")(lang))
    layout.add(
        timeseries(
            Text("规则延迟", "Rules lag")(lang),
            [
                target("rules_lag_seconds", Text("秒", "seconds")(lang)),
                target("rules_lag_readings", Text("读数", "readings")(lang), "B"),
            ],
            **_panel_defaults(unit="short"),
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("通知积压与失败", "Alert backlog and failures")(lang),
            [
                target("outbox_pending", Text("待发", "pending")(lang)),
                target("outbox_oldest", Text("最旧 (秒)", "oldest (s)")(lang), "B"),
                target("outbox_failed", Text("最终失败", "failed for good")(lang), "C"),
            ],
            **_panel_defaults(unit="short"),
        ),
        12,
    )


def _parts(lang: Lang, layout: Layout) -> None:
    layout.row(Text("各部分状态", "Parts of the hub")(lang))
    layout.add(
        timeseries(
            Text("状态 (0 正常, 1 降级, 2 故障)", "State (0 ok, 1 degraded, 2 failing)")(lang),
            [target("component_state", "{{component}}")],
            **_panel_defaults(unit="none", steps=((None, "green"), (1, "orange"), (2, "red")), steps_after=True),
        ),
        12,
    )
    layout.add(
        timeseries(
            Text("MQTT 连接、离线设备与线程重启", "MQTT connected, devices offline, thread restarts")(lang),
            [
                target("mqtt_connected", Text("MQTT 已连接", "MQTT connected")(lang)),
                target("devices_offline", Text("离线设备", "devices offline")(lang), "B"),
                target("thread_restarts", Text("线程重启", "thread restarts")(lang), "C"),
            ],
            **_panel_defaults(unit="short", steps_after=True),
        ),
        12,
    )


def _devices(lang: Lang, layout: Layout) -> None:
    layout.row(Text("设备在线", "Devices online")(lang))
    layout.add(
        timeseries(
            Text(
                "设备：在线、离线、未知（按最后上报与预期间隔）",
                "Devices online, offline, unknown (last report vs. interval)",
            )(lang),
            [target("devices_by_state", "{{state}}")],
            **_panel_defaults(unit="short", steps_after=True),
        ),
        24,
    )


def build(lang: Lang) -> Json:
    """The System dashboard in one language."""
    layout = Layout()
    _headline(lang, layout)
    _ingest(lang, layout)
    _rules_and_alerts(lang, layout)
    _parts(lang, layout)
    _devices(lang, layout)
    return dashboard(
        uid=f"{UID}-{lang.value.split('-')[0]}",
        title=Text("系统运行", "System")(lang),
        description=generated_note("system", lang),
        lang=lang,
        panels=layout.panels,
        variables=[
            datasource_variable("prom", Text("指标数据源", "Metrics source")(lang), "prometheus", PROMETHEUS_UID)
        ],
        time_from="now-24h",
        refresh="30s",  # the hub is scraped every 15 s
    )
