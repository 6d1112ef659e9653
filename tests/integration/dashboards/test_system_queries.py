"""The System dashboard's PromQL against real data: VictoriaMetrics scrapes a running hub's /metrics (as in the
compose stack), and every panel's query answers with the figures the hub really has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import start_http_server

from dashboards import alert_rules
from dashboards.generate import generate
from dashboards.inspect import prometheus_queries
from dashboards.system import PROMETHEUS_UID, QUERIES
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.e2e.test_hub_faults import SITE, fault, meter_messages, settings_for, stored_totals
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, VictoriaMetrics, free_port, make_server, wait_until

pytestmark = pytest.mark.integration


class ScrapingVictoriaMetrics(VictoriaMetrics):
    """VictoriaMetrics with the compose stack's scrape job, pointed at the hub under test every second."""

    def __init__(self, workdir: Path, target: str) -> None:
        super().__init__(workdir)
        self.scrape_config = workdir / "scrape.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.scrape_config.write_text(
            "global:\n  scrape_interval: 1s\n"
            f"scrape_configs:\n  - job_name: facilities-hub\n    static_configs:\n      - targets: ['{target}']\n"
        )

    def command(self) -> list[str]:
        return [*super().command(), f"-promscrape.config={self.scrape_config}"]

    def query(self, promql: str) -> list[dict[str, object]]:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        result: list[dict[str, object]] = body["data"]["result"]
        return result


def value(vm: ScrapingVictoriaMetrics, key: str) -> float | None:
    result = vm.query(QUERIES[key])
    return float(result[0]["value"][1]) if result else None  # type: ignore[index]


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Hub, int]]:
    built = build_hub(settings_for(tmp_path, mosquitto), site=SITE)
    port = free_port()
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=built.metrics)
    built.start()
    assert built.ingest.collector.subscribed.wait(10)
    yield built, port
    built.stop()
    server.shutdown()
    server.server_close()


def test_every_system_panel_query_answers_from_a_scraped_hub(
    tmp_path: Path, mosquitto: Mosquitto, hub: tuple[Hub, int]
) -> None:
    running, port = hub
    vm = make_server(lambda workdir: ScrapingVictoriaMetrics(workdir, f"127.0.0.1:{port}"), tmp_path / "vm")
    vm.start()
    try:
        wait_until(lambda: value(vm, "spool_depth") is not None, "the first scrape", 30)
        # Before any reading the ingest-stopped rule fires: no rate yet (no data: Alerting) or a rate of 0.
        idle = vm.query(QUERIES["ingest_rate"])
        assert not idle or float(idle[0]["value"][1]) < 0.001  # type: ignore[index]
        publish(mosquitto.port, [*meter_messages(0, 60), fault("L1", 17)])
        wait_until(lambda: stored_totals(running) == 60, "the 60 readings stored", 30)
        wait_until(lambda: (value(vm, "ingest_rate") or 0) > 0, "a scrape after the readings", 30)
        wait_until(lambda: value(vm, "outbox_pending") == 0, "the alert delivered and scraped", 30)
        # The store's write counter moves a moment after the spool's: two scrapes of it before its rate exists.
        wait_until(lambda: value(vm, "store_latency") is not None, "two scrapes after the store's writes", 30)

        figures = {key: value(vm, key) for key in QUERIES}
        assert all(v is not None for v in figures.values()), [k for k, v in figures.items() if v is None]
        assert figures["mqtt_connected"] == 1 and figures["mqtt_rate"] > 0  # type: ignore[operator]
        assert figures["hub_up"] == 1 and figures["spool_depth"] == 0 and figures["rules_lag_readings"] == 0
        assert figures["spool_oldest"] == figures["rules_lag_seconds"] == figures["outbox_oldest"] == 0  # none waits
        # the site's Modbus pump meter points at a closed port: the hub says so
        assert figures["devices_offline"] == 1
        assert figures["store_errors"] == 0 and figures["dead_letters"] == 0 and figures["outbox_failed"] == 0
        assert figures["sla_breaches_today"] == 0 and figures["thread_restarts"] == 0
        assert 0 < figures["store_latency"] < 5  # type: ignore[operator]
        states = {r["metric"]["component"]: float(r["value"][1]) for r in vm.query(QUERIES["component_state"])}  # type: ignore[index]
        assert {"mqtt", "spool", "store", "rules", "outbox", "devices", "threads"} <= set(states)
        assert states["devices"] == 1 and states["spool"] == 0  # degraded: one device offline
        by_state = {r["metric"]["state"]: float(r["value"][1]) for r in vm.query(QUERIES["devices_by_state"])}  # type: ignore[index]
        assert by_state["online"] >= 1  # L1's fault, stamped now; the meters' readings are 50 minutes old
        # The provisioned alert rules' PromQL on the same scraped hub: data flows, so none of them fires.
        alerts = {rule["uid"]: rule for rule in alert_rules.provisioning()["groups"][0]["rules"]}
        answers = {
            uid: vm.query(rule["data"][0]["model"]["expr"])
            for uid, rule in alerts.items()
            if rule["data"][0]["datasourceUid"] == PROMETHEUS_UID
        }
        assert set(answers) == {"facilities-store-write-errors", "facilities-spool-depth", "facilities-ingest-stopped"}
        figure = {uid: float(result[0]["value"][1]) for uid, result in answers.items()}  # type: ignore[index]
        assert figure["facilities-store-write-errors"] == 0
        assert figure["facilities-spool-depth"] < alert_rules.SPOOL_DEPTH_LIMIT
        assert figure["facilities-ingest-stopped"] > 0.001  # above the rule's "below" threshold
    finally:
        vm.stop()


def test_the_dashboard_uses_exactly_the_tested_queries() -> None:
    for lang in ("en", "zh-CN"):
        used = {q.text for q in prometheus_queries(__import__("json").loads(generate()[f"{lang}/system.json"]))}
        assert used == set(QUERIES.values())
