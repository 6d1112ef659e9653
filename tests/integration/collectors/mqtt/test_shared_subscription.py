"""Collectors in one MQTT 5 share group against a real Mosquitto: the stream split, nothing lost, nothing twice."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collectors.mqtt.collector import MqttCollector, MqttOptions, OwnTopicDecoder, own_topic_filter
from core.clock import SystemClock
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from facilities.mqtt_identities import HUB_USER, render_acl, site_identities
from storage.spool import Spool
from tests.support.mqtt import Session, publish
from tests.support.servers import Mosquitto
from tests.support.services import make_server, wait_until
from tests.unit.core.test_config import MINIMAL

SITE = parse_site(MINIMAL)
METERS = sorted(m for m in SITE.meters if SITE.meters[m].binding.protocol == "mqtt")
RECENT_TS = int(time.time()) - 86_400  # valid for the validator on whatever day the tests run


def spool_at(path: Path) -> Spool:
    clock = SystemClock()
    return Spool(path, ReadingValidator(AssetRegistry.from_site(SITE), clock), clock)


@pytest.fixture
def spools(tmp_path: Path) -> Iterator[tuple[Spool, Spool]]:
    pair = (spool_at(tmp_path / "a.db"), spool_at(tmp_path / "b.db"))
    yield pair
    for spool in pair:
        spool.close()


def shared_options(broker: Mosquitto, replica: str, **extra: object) -> MqttOptions:
    return MqttOptions(
        port=broker.port,
        client_id=f"ingest-demo-{replica}",
        subscriptions=(own_topic_filter("demo"),),
        keepalive_s=5,
        protocol="5",
        share_group="ingest",
        **extra,  # type: ignore[arg-type]
    )


def started(options: MqttOptions, spool: Spool) -> MqttCollector:
    collector = MqttCollector(options, OwnTopicDecoder("demo"), spool, SystemClock())
    collector.start()
    assert collector.subscribed.wait(10), "no SUBACK"
    return collector


def messages(numbers: range) -> list[tuple[str, dict[str, object]]]:
    """Reading n goes to meter n % 12 with total n: each message is told apart by its total."""
    return [
        (f"facilities/demo/{METERS[n % len(METERS)]}/telemetry", {"ts": RECENT_TS + n, "total": n}) for n in numbers
    ]


def spooled(spool: Spool) -> list[tuple[str, int, float]]:
    return [
        (s.reading.asset_id, int(s.reading.ts.timestamp()), float(s.reading.fields["total"])) for s in spool.take(10**6)
    ]


def expected(numbers: range) -> Counter[tuple[str, int, float]]:
    return Counter((METERS[n % len(METERS)], RECENT_TS + n, float(n)) for n in numbers)


def test_two_collectors_split_the_stream_and_a_replica_away_loses_nothing(
    mosquitto: Mosquitto, spools: tuple[Spool, Spool]
) -> None:
    a_spool, b_spool = spools
    a = started(shared_options(mosquitto, "a"), a_spool)
    b = started(shared_options(mosquitto, "b"), b_spool)
    try:
        publish(mosquitto.port, messages(range(0, 300)))
        wait_until(lambda: a_spool.depth + b_spool.depth == 300, "the first 300 readings spooled", 20)
        assert a_spool.depth > 0 and b_spool.depth > 0, "the broker gave one replica everything"
        b.stop()  # replica b goes away; its session (and any message the broker gives it) stays at the broker
        publish(mosquitto.port, messages(range(300, 600)))
        b = started(shared_options(mosquitto, "b"), b_spool)  # same client id: resumes its session
        publish(mosquitto.port, messages(range(600, 900)))
        wait_until(lambda: a_spool.depth + b_spool.depth >= 900, "all 900 readings spooled", 30)
        got = Counter(spooled(a_spool) + spooled(b_spool))
        assert got == expected(range(900)), "a reading was lost or spooled twice"
    finally:
        a.stop()
        b.stop()


def test_a_broker_restart_in_the_middle_loses_nothing(mosquitto: Mosquitto, spools: tuple[Spool, Spool]) -> None:
    a_spool, b_spool = spools
    a = started(shared_options(mosquitto, "a"), a_spool)
    b = started(shared_options(mosquitto, "b"), b_spool)
    try:
        publish(mosquitto.port, messages(range(0, 400)))
        mosquitto.restart()  # deliveries may be in flight: what was not acked is delivered again
        wait_until(lambda: a.stats.connects >= 2 and b.stats.connects >= 2, "both replicas back", 30)
        publish(mosquitto.port, messages(range(400, 800)))
        wait_until(lambda: len(set(spooled(a_spool) + spooled(b_spool))) == 800, "all 800 readings spooled", 30)
        got = Counter(spooled(a_spool) + spooled(b_spool))
        assert set(got) == set(expected(range(800))), "a reading was lost"
        # At least once: a reading committed whose PUBACK the dying broker never read comes again (the rules and
        # the store ignore a repeat), and only those can.
        assert sum(got.values()) - 800 <= 400
        assert a_spool.depth > 0 and b_spool.depth > 0
    finally:
        a.stop()
        b.stop()


def test_mqtt5_session_keeps_what_was_published_while_away(mosquitto: Mosquitto, spools: tuple[Spool, Spool]) -> None:
    spool, _ = spools
    options = MqttOptions(
        port=mosquitto.port,
        client_id="ingest-demo",
        subscriptions=(own_topic_filter("demo"),),
        protocol="5",
        session_expiry_s=3600,
    )
    first = started(options, spool)
    first.stop()
    publish(mosquitto.port, messages(range(50)))  # nobody is connected now
    mosquitto.restart()  # the session and its queue outlive a broker restart too (persistence on)
    second = started(options, spool)
    try:
        wait_until(lambda: spool.depth == 50, "the queued messages", 15)
        assert Counter(spooled(spool)) == expected(range(50))
    finally:
        second.stop()


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[Mosquitto, dict[str, str], str]]:
    """A broker with the ACL `facilities devices credentials` writes: the hub reads `#`, devices write their own."""
    identities = list(site_identities(SITE).identities)
    acl = tmp_path / "acl"
    acl.write_text(render_acl(identities, HUB_USER))
    device = identities[0].username
    users = {HUB_USER: "hub-password-0123456789", device: "device-password-0123456789"}
    broker = make_server(lambda d: Mosquitto(d, users=users, acl_file=acl), tmp_path / "b")
    broker.start()
    yield broker, users, device
    broker.stop()


def _hub_with_a_device_subscribed(
    guarded: tuple[Mosquitto, dict[str, str], str], spool: Spool, device_filter: str
) -> tuple[MqttCollector, Session]:
    broker, users, device = guarded
    collector = started(shared_options(broker, "a", username=HUB_USER, password=users[HUB_USER]), spool)
    intruder = Session(broker.port, device, users[device])
    intruder.subscribe(device_filter)
    publish(broker.port, messages(range(60)), username=HUB_USER, password=users[HUB_USER])
    return collector, intruder


def test_the_hub_account_takes_a_shared_subscription_under_the_generated_acl(
    guarded: tuple[Mosquitto, dict[str, str], str], spools: tuple[Spool, Spool]
) -> None:
    spool, _ = spools
    # A device guessing another group, or subscribing plainly, has no read right and takes nothing from the hub.
    collector, intruder = _hub_with_a_device_subscribed(guarded, spool, f"$share/guess/{own_topic_filter('demo')}")
    try:
        wait_until(lambda: spool.depth == 60, "every reading through the shared subscription", 10)
        assert intruder.received.empty()
    finally:
        intruder.close()
        collector.stop()


def test_a_device_that_knows_the_group_name_swallows_readings(
    guarded: tuple[Mosquitto, dict[str, str], str], spools: tuple[Spool, Spool]
) -> None:
    """Why FACILITIES_MQTT_SHARE_GROUP is a secret in production: Mosquitto 2.0's ACL file acknowledges every
    SUBSCRIBE, counts a member without read right in the round robin, then drops what it would hand it.
    If this starts failing, the broker checks SUBSCRIBE or the read right first, and docs/scaling.md can relax."""
    spool, _ = spools
    collector, intruder = _hub_with_a_device_subscribed(guarded, spool, f"$share/ingest/{own_topic_filter('demo')}")
    try:
        broker, users, _ = guarded
        # Markers until one reaches the hub: a session gets its messages in order, so every reading routed
        # before that marker is in the spool by then (or was handed to the device).
        for marker in range(100, 110):
            publish(broker.port, messages(range(marker, marker + 1)), username=HUB_USER, password=users[HUB_USER])
            if _wait_quietly(lambda m=float(marker): any(total == m for _, _, total in spooled(spool))):
                break
        firsts = [total for _, _, total in spooled(spool) if total < 60]
        assert 0 < len(firsts) < 60, "the device took no share: the broker now guards shared subscriptions"
        assert intruder.received.empty()  # dropped, not delivered: gone for everyone
    finally:
        intruder.close()
        collector.stop()


def _wait_quietly(ready: Callable[[], bool]) -> bool:
    try:
        wait_until(ready, "a marker reading", 5)
    except TimeoutError:
        return False  # the broker gave this marker to the device: try the next
    return True
