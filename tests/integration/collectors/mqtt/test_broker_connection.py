"""The collector against a real Mosquitto: credentials, TLS, reconnects and persistent sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from collectors.mqtt.collector import MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from core.clock import SystemClock
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from storage.spool import Spool
from tests.support.mqtt import publish
from tests.support.servers import Mosquitto
from tests.support.services import make_server, wait_until
from tests.support.tls import PkiFiles, make_pki
from tests.unit.core.test_config import MINIMAL

SITE = parse_site(MINIMAL)
TOPIC = "facilities/demo/B1-0101-W/telemetry"
RECENT_TS = int(time.time()) - 86_400  # valid for the validator on whatever day the tests run


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    clock = SystemClock()
    spool = Spool(tmp_path / "spool.db", ReadingValidator(AssetRegistry.from_site(SITE), clock), clock)
    yield spool
    spool.close()


@pytest.fixture
def pki(tmp_path: Path) -> PkiFiles:
    return make_pki(tmp_path / "pki")


def options_for(broker: Mosquitto, **overrides: object) -> MqttOptions:
    base = MqttOptions(
        host="127.0.0.1",
        port=broker.port,
        client_id="collector-under-test",
        subscriptions=(own_topic_filter("demo"),),
        keepalive_s=5,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def run_collector(options: MqttOptions, spool: Spool) -> MqttCollector:
    collector = MqttCollector(options, OwnTopicDecoder("demo"), spool, SystemClock())
    collector.start()
    return collector


def message(n: int) -> tuple[str, dict[str, object]]:
    return (TOPIC, {"ts": RECENT_TS + n, "total": float(n)})


def spooled_totals(spool: Spool) -> list[float]:
    return sorted(float(item.reading.fields["total"]) for item in spool.take(10_000))


def test_username_and_password(tmp_path: Path, spool: Spool) -> None:
    broker = make_server(lambda d: Mosquitto(d, users={"ingest": "s3cret", "meter": "m3ter"}), tmp_path / "b")
    broker.start()
    collector = run_collector(options_for(broker, username="ingest", password="s3cret"), spool)
    try:
        assert collector.subscribed.wait(10)
        publish(broker.port, [message(1)], username="meter", password="m3ter")
        wait_until(lambda: spool.depth == 1, "the reading in the spool", 10)
    finally:
        collector.stop()
        broker.stop()


def test_wrong_password_is_refused_without_crashing(tmp_path: Path, spool: Spool) -> None:
    broker = make_server(lambda d: Mosquitto(d, users={"ingest": "s3cret"}), tmp_path / "b")
    broker.start()
    collector = run_collector(options_for(broker, username="ingest", password="wrong"), spool)
    try:
        wait_until(lambda: collector.stats.refused > 0, "the broker's refusal", 10)
        assert not collector.connected.is_set()
    finally:
        collector.stop()
        broker.stop()


def test_tls_with_a_private_ca_and_client_certificate(tmp_path: Path, spool: Spool, pki: PkiFiles) -> None:
    broker = make_server(lambda d: Mosquitto(d, tls=pki.broker(require_client_cert=True)), tmp_path / "b")
    broker.start()
    options = options_for(
        broker, tls=True, ca_file=str(pki.ca_file), cert_file=str(pki.client_cert), key_file=str(pki.client_key)
    )
    collector = run_collector(options, spool)
    try:
        assert collector.subscribed.wait(10), broker.log()
        publish(broker.port, [message(1)], tls=pki)
        wait_until(lambda: spool.depth == 1, "the reading in the spool", 10)
    finally:
        collector.stop()
        broker.stop()


def test_reconnects_and_resubscribes_after_broker_restart(mosquitto: Mosquitto, spool: Spool) -> None:
    collector = run_collector(options_for(mosquitto), spool)
    try:
        assert collector.subscribed.wait(10)
        publish(mosquitto.port, [message(1)])
        wait_until(lambda: spool.depth == 1, "first reading", 10)
        mosquitto.restart()
        wait_until(lambda: collector.stats.connects >= 2, "the collector to reconnect", 30)
        publish(mosquitto.port, [message(2)])
        wait_until(lambda: spool.depth == 2, "second reading after the restart", 10)
        assert spooled_totals(spool) == [1.0, 2.0]
    finally:
        collector.stop()


def test_persistent_session_delivers_what_was_published_while_away(mosquitto: Mosquitto, spool: Spool) -> None:
    options = options_for(mosquitto)
    first = run_collector(options, spool)
    assert first.subscribed.wait(10)
    first.stop()

    publish(mosquitto.port, [message(n) for n in range(50)])  # nobody is connected now

    second = run_collector(options, spool)
    try:
        wait_until(lambda: spool.depth == 50, "the queued messages", 15)
        assert spooled_totals(spool) == [float(n) for n in range(50)]
    finally:
        second.stop()
