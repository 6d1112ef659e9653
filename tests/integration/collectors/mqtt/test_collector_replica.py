"""`facilities collect` beside the hub: two processes' collectors in one share group, one spool, one store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.settings import Settings
from facilities.bootstrap import SetupError, build_ingest
from facilities.replica import build_collector_replica
from tests.support.mqtt import publish
from tests.support.servers import Mosquitto
from tests.support.services import wait_until

GROUP = "ingest-5d1c7a90e2b34f68"


def settings(broker: Mosquitto, data_dir: Path, site_file: Path, replica: str) -> Settings:
    return Settings(
        mqtt_url=broker.url, mqtt_client_id="hub", mqtt_protocol="5", mqtt_share_group=GROUP, mqtt_replica=replica,
        data_dir=data_dir, site_file=site_file,
    )  # fmt: skip


def test_hub_and_replica_share_the_stream_into_one_spool_and_store_all_of_it(
    mosquitto: Mosquitto, tmp_path: Path, example_site_path: Path
) -> None:
    hub = build_ingest(settings(mosquitto, tmp_path, example_site_path, "r1"))
    replica = build_collector_replica(settings(mosquitto, tmp_path, example_site_path, "r2"))
    assert (hub.collector.options.client_id, replica.collector.options.client_id) == (
        "hub-lakeview-r1",
        "hub-lakeview-r2",
    )
    hub.start()
    replica.start()
    try:
        assert hub.collector.subscribed.wait(10) and replica.collector.subscribed.wait(10)
        meters = sorted(hub.site.meters)[:40]
        ts = int(time.time()) - 3600
        publish(mosquitto.port, [(f"facilities/lakeview/{meters[n % 40]}/telemetry", {"ts": ts + n, "total": n})
                                 for n in range(400)])  # fmt: skip
        wait_until(lambda: hub.writer.stats.written >= 400, "400 readings stored through one spool", 30)
        assert hub.writer.stats.written == 400
        assert hub.collector.stats.accepted + replica.collector.stats.accepted == 400
        assert hub.collector.stats.accepted > 0 and replica.collector.stats.accepted > 0
    finally:
        replica.stop()
        hub.stop()


def test_a_replica_without_a_share_group_is_refused(tmp_path: Path, example_site_path: Path) -> None:
    with pytest.raises(SetupError, match="FACILITIES_MQTT_SHARE_GROUP"):
        build_collector_replica(Settings(data_dir=tmp_path, site_file=example_site_path))
