"""The generated alert rules and dashboards are in the formats the pinned Grafana (11.6, docker-compose.yml) reads.

The alert file follows Grafana's file provisioning (pkg/services/provisioning/alerting/rules_types.go of 11.x):
apiVersion 1; groups with orgId, name, folder, interval and rules; each rule a uid, title, condition, `for`,
noDataState/execErrState and data (refId, relativeTimeRange in seconds, datasourceUid, model). Grafana expands
`$NAME` from its environment in every value but the models, so no other string may hold a `$`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from dashboards import alert_rules
from dashboards.document import REFRESH_INTERVALS, SITE_TIMEZONE
from dashboards.generate import ALERTING_FILE, generate

ROOT = Path(__file__).resolve().parents[3]
PROVISIONING = ROOT / "dashboards" / "provisioning"
BOARDS: dict[str, dict[str, Any]] = {name: json.loads(text) for name, text in generate().items()}

GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}
RULE_KEYS = {"uid", "title", "condition", "data", "dashboardUid", "panelId", "noDataState", "execErrState", "for",
             "keepFiringFor", "annotations", "labels", "isPaused", "notification_settings", "record"}  # fmt: skip
QUERY_KEYS = {"refId", "queryType", "relativeTimeRange", "datasourceUid", "model"}
NO_DATA_STATES = {"NoData", "Alerting", "OK", "KeepLast"}
ERROR_STATES = {"Error", "Alerting", "OK", "KeepLast"}
DURATION = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")  # Prometheus model.ParseDuration
PANEL_TYPES = {"row", "stat", "table", "timeseries", "state-timeline", "barchart", "bargauge", "gauge", "text"}


def provisioned_uids() -> set[str]:
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "facilities.yaml").read_text(encoding="utf-8"))
    return {source["uid"] for source in datasources["datasources"]}


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdw])", duration))


def strings_outside_models(value: Any, key: str = "") -> list[str]:
    if key == "model":
        return []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_outside_models(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in strings_outside_models(v)]
    return [value] if isinstance(value, str) else []


def test_the_checks_are_written_for_the_pinned_grafana() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "image: grafana/grafana-oss:11.6." in compose, "Grafana was upgraded: re-check the provisioning formats"


def test_the_committed_alerting_file_is_what_the_code_makes() -> None:
    assert json.loads(ALERTING_FILE.read_text(encoding="utf-8")) == alert_rules.provisioning()


def test_the_alerting_file_is_grafana_s_file_provisioning_format() -> None:
    document = json.loads(ALERTING_FILE.read_text(encoding="utf-8"))
    assert document["apiVersion"] == 1
    assert set(document) <= {"apiVersion", "groups", "deleteRules"}
    uids = provisioned_uids()
    titles: set[tuple[str, str]] = set()
    for group in document["groups"]:
        assert set(group) == GROUP_KEYS
        assert group["orgId"] == 1 and group["name"].strip() and group["folder"].strip()
        assert DURATION.fullmatch(group["interval"]) and seconds(group["interval"]) % 10 == 0  # base interval 10 s
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= RULE_KEYS, set(rule) - RULE_KEYS
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", rule["uid"])
            assert rule["title"].strip() and (group["folder"], rule["title"]) not in titles
            titles.add((group["folder"], rule["title"]))
            assert DURATION.fullmatch(rule["for"])
            assert rule["noDataState"] in NO_DATA_STATES and rule["execErrState"] in ERROR_STATES
            assert all(isinstance(v, str) for part in ("labels", "annotations") for v in rule[part].values())
            refs = [query["refId"] for query in rule["data"]]
            assert len(set(refs)) == len(refs) and rule["condition"] in refs
            for query in rule["data"]:
                assert set(query) <= QUERY_KEYS and query["model"]["refId"] == query["refId"]
                window = query["relativeTimeRange"]
                assert set(window) == {"from", "to"} and all(isinstance(window[k], int) for k in window)
                model = query["model"]
                if query["datasourceUid"] == alert_rules.EXPRESSION_UID:
                    assert model["type"] in {"reduce", "threshold", "math", "classic_conditions"}
                    assert model["expression"] in refs and model["expression"] != query["refId"]
                else:
                    assert query["datasourceUid"] in uids, query["datasourceUid"]
                    assert window["from"] > window["to"] >= 0
                    assert model["datasource"]["uid"] == query["datasourceUid"]
                    assert model.get("query") or model.get("expr")
    assert "$" not in "".join(strings_outside_models(document))


def test_the_four_checks_are_there() -> None:
    (group,) = alert_rules.provisioning()["groups"]
    assert {rule["uid"] for rule in group["rules"]} == {
        "facilities-silent-meters", "facilities-store-write-errors", "facilities-spool-depth",
        "facilities-ingest-stopped",
    }  # fmt: skip
    ingest = next(r for r in group["rules"] if r["uid"] == "facilities-ingest-stopped")
    assert ingest["noDataState"] == "Alerting"  # the hub not scraped at all is ingest stopped


def test_a_check_needs_exactly_one_threshold() -> None:
    check = alert_rules.CHECKS[0]
    with pytest.raises(ValueError, match="exactly one"):
        alert_rules.rule(alert_rules.Check(**{**check.__dict__, "above": 1, "below": 2}))


def test_grafana_mounts_the_alerting_folder() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "./dashboards/provisioning/alerting:/etc/grafana/provisioning/alerting:ro" in compose


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_dashboards_are_grafana_11_dashboards_in_the_site_zone_with_a_fitting_refresh(name: str) -> None:
    board = BOARDS[name]
    assert {"uid", "title", "panels", "schemaVersion", "templating", "time", "refresh", "timezone"} <= set(board)
    assert board["schemaVersion"] == 39
    ZoneInfo(board["timezone"])  # an IANA zone Grafana accepts, not "browser"
    assert board["timezone"] == SITE_TIMEZONE
    assert board["refresh"] in {"", *REFRESH_INTERVALS}
    assert board["timepicker"]["refresh_intervals"] == list(REFRESH_INTERVALS)
    for panel in board["panels"]:
        assert panel["type"] in PANEL_TYPES
        for rule in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in rule["properties"]:
                if prop["id"] == "links":
                    assert all(set(link) >= {"title", "url"} for link in prop["value"])


def test_wall_screens_refresh_as_their_data_changes() -> None:
    refresh = {name.split("/")[1][:-5]: board["refresh"] for name, board in BOARDS.items() if name.startswith("en/")}
    assert refresh == {"elevator-board": "10s", "elevators": "30s", "system": "30s", "workorders": "1m",
                       "utilities": "5m", "billing": "1h"}  # fmt: skip


def order_links(board: dict[str, Any]) -> list[str]:
    return [
        link["url"]
        for panel in board["panels"]
        for rule in panel.get("fieldConfig", {}).get("overrides", [])
        for prop in rule["properties"]
        if prop["id"] == "links"
        for link in prop["value"]
    ]


@pytest.mark.parametrize("name", ["workorders", "elevator-board"])
def test_order_codes_link_to_the_console(name: str) -> None:
    board = BOARDS[f"en/{name}.json"]
    links = order_links(board)
    assert links and set(links) == {"${console}/orders/${__value.raw}"}
    (console,) = [v for v in board["templating"]["list"] if v["name"] == "console"]
    assert console["type"] == "constant" and console["query"] == "/console" and console["hide"] == 2


def test_utilities_drill_down_to_a_unit_and_its_meters() -> None:
    board = BOARDS["en/utilities.json"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert '"unit" =~ /^$unit$/' in variables["meter"]["query"]  # the meter list follows the unit
    titles = [p["title"] for p in board["panels"]]
    assert "Unit $unit: use per hour" in titles and "Meter $meter: register" in titles
    assert {"Power per building", "Flow per building"} <= set(titles)
    units = {p["title"]: p["fieldConfig"]["defaults"].get("unit") for p in board["panels"] if p["type"] != "row"}
    assert units["Power per building"] == "kwatt" and units["Flow per building"] == "m3h"


def test_the_elevator_board_has_a_tile_per_car() -> None:
    board = BOARDS["en/elevator-board.json"]
    state = next(p for p in board["panels"] if p["title"] == "State")
    assert state["type"] == "stat" and state["options"]["textMode"] == "value_and_name"
    assert state["targets"][0]["alias"] == "$tag_elevator_id"
    assert 'GROUP BY "elevator_id"' in state["targets"][0]["query"]
