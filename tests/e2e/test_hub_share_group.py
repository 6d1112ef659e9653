"""The hub and a `facilities collect` replica in one MQTT 5 share group: the wearing-bearing evidence of
test_hub_alarms.py, with every elevator reading dealt to one of two processes, still raises one alarm and
opens one work order, and the rules judge every reading of the car (none late behind the reorder hold)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from core.settings import Settings
from facilities.bootstrap import bootstrap as build_hub
from facilities.replica import build_collector_replica
from simulators.community import CommunitySimulator
from simulators.scenarios import Scenario
from tests.e2e.test_hub_alarms import SITE, START, WEAR, publish_days, work_orders
from tests.support.services import Mosquitto, wait_until

GROUP = "hub-3e8b1f0c92d74a65"


def settings(tmp_path: Path, mosquitto: Mosquitto, replica: str) -> Settings:
    return Settings(
        mqtt_url=mosquitto.url, mqtt_client_id="hub-shared", mqtt_protocol="5", mqtt_share_group=GROUP,
        mqtt_replica=replica, data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/facilities.db",
    )  # fmt: skip


def test_two_processes_in_a_share_group_raise_the_one_alarm(tmp_path: Path, mosquitto: Mosquitto) -> None:
    simulator = CommunitySimulator(SITE, seed=5, start=START, scenario=Scenario(faults=(WEAR,)))
    hub = build_hub(settings(tmp_path, mosquitto, "r1"), site=SITE)
    replica = build_collector_replica(settings(tmp_path, mosquitto, "r2"), site=SITE)
    hub.start()
    replica.start()
    try:
        assert hub.ingest.collector.subscribed.wait(10) and replica.collector.subscribed.wait(10)
        sent = publish_days(mosquitto, simulator, START + timedelta(days=4))
        collectors = (hub.ingest.collector, replica.collector)

        def drained() -> bool:
            committed = sum(c.stats.accepted + c.stats.rejected for c in collectors)
            rules = hub.rules
            return committed >= sent and hub.ingest.spool.lag("rules") == 0 and not len(rules.reorder)

        wait_until(drained, "the rules to judge every reading from both processes", 90)
        assert all(c.stats.accepted > 0 for c in collectors), "the broker dealt one process everything"
        assert hub.rules.stats.raised == 1
        [alarm] = hub.engine.open_alarms()
        assert (alarm.rule_id, alarm.asset_id) == ("car-vibration", "L1")
        assert START + timedelta(days=1) < alarm.raised_at < START + timedelta(days=4)
        assert hub.rules.stats.late == 0
    finally:
        replica.stop()
        hub.stop()
    assert work_orders(tmp_path) == [("L1", "car-vibration", "elevator", "open")]
