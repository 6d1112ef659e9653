"""Grafana alert rules as code, for the checks that belong in Grafana rather than in the hub's own rules engine.

The hub judges assets (an entrapment, a leak) and opens work orders; these rules watch the pipeline itself and the
fleet of meters as a whole, from the same stores the dashboards read:

- silent meters: meters heard in the last day but not in the last hour (InfluxDB, the Utilities dashboard's query);
- store write errors: the hub retrying writes to the time-series store (VictoriaMetrics scraping the hub);
- spool depth: readings waiting in the spool, not yet stored;
- ingest stopped: nothing spooled for 10 minutes, or the hub not scraped at all.

Rendered to `dashboards/provisioning/alerting/facilities.json` in Grafana's file-provisioning format (apiVersion 1,
groups → rules → data with relativeTimeRange), which docker-compose.yml mounts at /etc/grafana/provisioning/alerting.
Strings other than the queries must not contain `$`: Grafana expands `$NAME` in provisioning files from its
environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards import queries
from dashboards.grafana import INFLUX_UID, Json
from dashboards.system import PROMETHEUS_UID, QUERIES

FOLDER = "设施监控"  # the zh-CN dashboards' folder (dashboards/provisioning/dashboards/facilities.yaml)
GROUP = "facilities-hub"
INTERVAL = "1m"
EXPRESSION_UID = "__expr__"
NO_VALUE_IS_ZERO = {"mode": "replaceNN", "replaceWithValue": 0}
ALL_METERS = "\"meter_id\" != ''"
SILENT_AFTER = "1h"
HEARD_WITHIN_S = 86_400  # a meter silent for a day or more is the Utilities dashboard's and billing's business
SPOOL_DEPTH_LIMIT = 10_000  # readings: about half an hour of the example site's traffic


@dataclass(frozen=True)
class Check:
    uid: str
    title: str
    summary: str
    datasource: str  # INFLUX_UID or PROMETHEUS_UID
    query: str
    above: float | None  # fire when the value is above this …
    below: float | None  # … or below this
    window_s: int  # how far back the query looks
    wait: str  # `for`: how long the condition must hold
    no_data: str  # NoData, Alerting, OK or KeepLast
    severity: str


CHECKS = (
    Check(
        uid="facilities-silent-meters",
        title="Silent meters 静默表计",
        summary="Meters that reported in the last day but not in the last hour: check battery, link or meter.",
        datasource=INFLUX_UID,
        query=queries.silent_meter_count(ALL_METERS, silence=SILENT_AFTER),
        above=0,
        below=None,
        window_s=HEARD_WITHIN_S,
        wait="5m",
        no_data="OK",  # no row: no meter is silent
        severity="warning",
    ),
    Check(
        uid="facilities-store-write-errors",
        title="Store write errors 存储写入失败",
        summary="The hub is retrying writes to the time-series store; readings wait in the spool.",
        datasource=PROMETHEUS_UID,
        query=QUERIES["store_errors"],
        above=0,
        below=None,
        window_s=600,
        wait="5m",
        no_data="OK",  # the hub not scraped at all is the ingest-stopped rule's finding
        severity="critical",
    ),
    Check(
        uid="facilities-spool-depth",
        title="Spool depth 缓存积压",
        summary=f"More than {SPOOL_DEPTH_LIMIT} readings wait in the spool unwritten: the store is slow or down.",
        datasource=PROMETHEUS_UID,
        query=QUERIES["spool_depth"],
        above=SPOOL_DEPTH_LIMIT,
        below=None,
        window_s=600,
        wait="10m",
        no_data="OK",
        severity="warning",
    ),
    Check(
        uid="facilities-ingest-stopped",
        title="Ingest stopped 数据接入停止",
        summary="Nothing was spooled for 10 minutes, or the hub is not scraped: devices, broker or hub are down.",
        datasource=PROMETHEUS_UID,
        query=QUERIES["ingest_rate"],
        above=None,
        below=0.001,  # readings per second
        window_s=600,
        wait="10m",
        no_data="Alerting",  # no figures at all: the hub is down
        severity="critical",
    ),
)


def _query_model(check: Check) -> Json:
    if check.datasource == INFLUX_UID:
        return {"datasource": {"type": "influxdb", "uid": INFLUX_UID}, "query": check.query, "rawQuery": True,
                "refId": "A", "resultFormat": "time_series"}  # fmt: skip
    return {"datasource": {"type": "prometheus", "uid": PROMETHEUS_UID}, "expr": check.query, "instant": True,
            "range": False, "refId": "A"}  # fmt: skip


def _expression(ref_id: str, model: Json) -> Json:
    return {
        "refId": ref_id,
        "relativeTimeRange": {"from": 0, "to": 0},
        "datasourceUid": EXPRESSION_UID,
        "model": {"datasource": {"type": "__expr__", "uid": EXPRESSION_UID}, "refId": ref_id, **model},
    }


def rule(check: Check) -> Json:
    """One rule: A the query, B its last value (no value counts as 0), C the threshold on B."""
    if (check.above is None) == (check.below is None):
        raise ValueError(f"{check.uid}: give exactly one of above and below")
    evaluator = (
        {"type": "gt", "params": [check.above]} if check.above is not None else {"type": "lt", "params": [check.below]}
    )
    return {
        "uid": check.uid,
        "title": check.title,
        "condition": "C",
        "data": [
            {
                "refId": "A",
                "relativeTimeRange": {"from": check.window_s, "to": 0},
                "datasourceUid": check.datasource,
                "model": _query_model(check),
            },
            _expression(
                "B",
                {
                    "type": "reduce",
                    "expression": "A",
                    "reducer": "last",
                    "settings": {"mode": "replaceNN", "replaceWithValue": 0},
                },
            ),
            _expression("C", {"type": "threshold", "expression": "B", "conditions": [{"evaluator": evaluator}]}),
        ],
        "noDataState": check.no_data,
        "execErrState": "Error",
        "for": check.wait,
        "annotations": {"summary": check.summary},
        "labels": {"team": "facilities", "severity": check.severity},
        "isPaused": False,
    }


def provisioning() -> Json:
    """The whole alerting provisioning file."""
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": GROUP,
                "folder": FOLDER,
                "interval": INTERVAL,
                "rules": [rule(check) for check in CHECKS],
            }
        ],
    }
