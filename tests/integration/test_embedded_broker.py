"""The demo's fallback broker (amqtt) carries our QoS 1 path end to end."""

from __future__ import annotations

import time
from pathlib import Path

from core.settings import Settings
from facilities.bootstrap import build_ingest
from simulators.embedded_broker import EmbeddedBroker
from tests.support.mqtt import publish
from tests.support.services import wait_until


def test_readings_pass_through_the_embedded_broker(tmp_path: Path, example_site_path: Path) -> None:
    broker = EmbeddedBroker()
    broker.start()
    service = build_ingest(
        Settings(mqtt_url=broker.url, mqtt_client_id="via-amqtt", data_dir=tmp_path, site_file=example_site_path)
    )
    service.start()
    try:
        assert service.collector.subscribed.wait(10)
        ts = int(time.time()) - 60
        publish(
            broker.port, [("facilities/lakeview/B1-0101-W/telemetry", {"ts": ts + n, "total": n}) for n in range(50)]
        )
        wait_until(lambda: service.writer.stats.written == 50, "50 readings stored", 20)
    finally:
        service.stop()
        broker.stop()
