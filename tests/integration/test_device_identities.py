"""One MQTT identity per device and gateway, on a real Mosquitto with the password and ACL files we generate.

A device may publish its own telemetry topic only, a gateway only its mappings' topics, neither receives anything
it subscribes to, and the hub's account alone reads. "Not received" is proven by order, never by waiting: see
`_assert_dropped` and the subscription test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.site_loader import parse_site
from facilities.mqtt_credentials import CredentialStore, write_private
from facilities.mqtt_identities import HUB_USER, render_acl, site_identities
from tests.support.mqtt import Session
from tests.support.servers import Mosquitto, wait_until
from tests.support.services import make_server

pytestmark = pytest.mark.integration

SITE = """
[site]
id = "lakeview"
name = "Lakeview"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 2
units = [{ id = "B1-0101" }, { id = "B1-0102" }]

[[meters]]
id = "B1-0101-W"
utility = "water"
unit = "B1-0101"

[[meters]]
id = "B1-0102-W"
utility = "water"
unit = "B1-0102"

[[meters]]
id = "B1-0102-E"
utility = "electricity"
unit = "B1-0102"
binding = { protocol = "modbus", host = "192.0.2.10", port = 502, device_id = 1, profile = "eastron_sdm630" }

[[mqtt_mappings]]
topic = "zigbee2mqtt/bridge/+"
ignore = true
gateway = "zigbee-b1"

[[mqtt_mappings]]
topic = "zigbee2mqtt/{building}/{device}"
asset = "{building}-{device}-W"
fields = { total = "water_consumed" }
gateway = "zigbee-b1"

[[mqtt_mappings]]
topic = "tele/{device}/SENSOR"
asset = "{device}"
fields = { total = "ENERGY.Total" }
"""
OWN = "facilities/lakeview/B1-0101-W/telemetry"
OTHER = "facilities/lakeview/B1-0102-W/telemetry"
HUB_PASSWORD = "hub-" + "7f3a9c2e5b8d1f4a6c0e9b2d"
MARKER = "witness/marker"


@dataclass
class Broker:
    server: Mosquitto
    store: CredentialStore
    folder: Path

    def password(self, username: str) -> str:
        return self.store.credentials[username].password

    def session(self, username: str, password: str | None = None) -> Session:
        session = Session(self.server.port, username, password or self.password(username))
        assert session.code == 0, f"{username} was refused ({session.code})"
        return session

    def write_files(self) -> None:
        write_private(self.folder / "passwords", self.store.password_file(extra={HUB_USER: HUB_PASSWORD}))
        write_private(self.folder / "acl", render_acl(self.store.identities(), HUB_USER))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    site = parse_site(SITE, source="site.toml")
    store = CredentialStore()
    store.sync(site.id, site_identities(site).identities, now=datetime(2026, 11, 26, tzinfo=UTC))
    folder = tmp_path / "auth"
    rig = Broker(None, store, folder)  # type: ignore[arg-type]
    rig.write_files()
    rig.server = make_server(
        lambda d: Mosquitto(d, password_file=folder / "passwords", acl_file=folder / "acl"), tmp_path / "broker"
    )
    rig.server.start()
    yield rig
    rig.server.stop()


@pytest.fixture
def hub(broker: Broker) -> Iterator[Session]:
    session = broker.session(HUB_USER, HUB_PASSWORD)
    assert session.subscribe("#") == 1  # the hub's account alone may read: granted QoS 1
    yield session
    session.close()


def _next_topic(session: Session) -> str:
    topic, _payload = session.received.get(timeout=10)
    return topic


def _assert_dropped(broker: Broker, hub: Session, username: str, topic: str) -> None:
    """`username` publishes on `topic`; the hub, reading everything, must not get it.

    The broker has decided on the publish once the client has its answer; a marker the hub publishes after that
    reaches the hub after anything the broker routed before, so the marker arriving first proves the drop.
    """
    client = broker.session(username)
    try:
        client.attempt(topic, '{"total": 999}')
    finally:
        client.close()
    hub.publish(MARKER)
    assert _next_topic(hub) == MARKER, f"{username} could publish on {topic}"


def test_the_accounts_are_one_per_mqtt_device_and_gateway(broker: Broker) -> None:
    assert sorted(broker.store.credentials) == ["lakeview.B1-0101-W", "lakeview.B1-0102-W", "lakeview.zigbee-b1"]
    assert broker.store.credentials["lakeview.zigbee-b1"].topics == ("zigbee2mqtt/bridge/+", "zigbee2mqtt/+/+")


@pytest.mark.parametrize(
    "topic",
    [
        OTHER,  # a forged reading for the neighbour's meter
        "facilities/other-site/B1-0101-W/telemetry",
        "zigbee2mqtt/B1/0102",  # posing as the gateway
        "facilities/lakeview/B1-0101-W/telemetry/extra",
        "facilities/lakeview/B1-0101-W",
        "commands/B1-L1/stop",
    ],
)
def test_a_device_cannot_publish_another_topic(broker: Broker, hub: Session, topic: str) -> None:
    _assert_dropped(broker, hub, "lakeview.B1-0101-W", topic)


def test_a_device_publishes_its_own_topic(broker: Broker, hub: Session) -> None:
    device = broker.session("lakeview.B1-0101-W")
    try:
        device.publish(OWN, '{"total": 1.5}')
        assert hub.received.get(timeout=10) == (OWN, b'{"total": 1.5}')
    finally:
        device.close()


@pytest.mark.parametrize("topic", ["#", OWN, "facilities/#", "zigbee2mqtt/+/+", "$SYS/#"])
def test_a_device_receives_nothing_whatever_it_subscribes_to(broker: Broker, hub: Session, topic: str) -> None:
    # Mosquitto 2.0's ACL file acknowledges every SUBSCRIBE; it is the missing read right that delivers nothing.
    device = broker.session("lakeview.B1-0101-W")
    try:
        device.subscribe(topic)
        sent = [OWN, OTHER, "zigbee2mqtt/B1/0101", "facilities/lakeview/B1-L1/telemetry"]
        for sent_topic in sent:
            hub.publish(sent_topic, '{"total": 3}')
        assert [_next_topic(hub) for _ in sent] == sent
        # Anything routed to the device was queued to it before the answer to its own later publish.
        device.publish(OWN, '{"total": 4}')
        assert _next_topic(hub) == OWN
        assert device.received.empty()
    finally:
        device.close()


@pytest.mark.parametrize(
    "topic",
    [
        OWN,
        "tele/B1-0101-W/SENSOR",
        "zigbee2mqtt/B1/0101/extra",
        "zigbee2mqtt",
        "facilities/lakeview/zigbee-b1/telemetry",
    ],
)
def test_a_gateway_cannot_publish_outside_its_mappings(broker: Broker, hub: Session, topic: str) -> None:
    # tele/… belongs to a mapping without a gateway: nobody but the hub may publish there.
    _assert_dropped(broker, hub, "lakeview.zigbee-b1", topic)


def test_a_gateway_publishes_its_mappings_topics_and_receives_nothing(broker: Broker, hub: Session) -> None:
    gateway = broker.session("lakeview.zigbee-b1")
    try:
        gateway.subscribe("zigbee2mqtt/#")
        gateway.publish("zigbee2mqtt/bridge/state", '{"state": "online"}')
        gateway.publish("zigbee2mqtt/B1/0101", '{"water_consumed": 12.5}')
        assert [_next_topic(hub), _next_topic(hub)] == ["zigbee2mqtt/bridge/state", "zigbee2mqtt/B1/0101"]
        assert gateway.received.empty()  # its own messages came back to the hub only
    finally:
        gateway.close()


def test_wrong_passwords_and_anonymous_clients_are_refused(broker: Broker) -> None:
    attempts = [
        (None, None),
        ("lakeview.B1-0101-W", broker.password("lakeview.B1-0102-W")),
        ("lakeview.B1-0102-E", "anything"),  # a Modbus meter has no broker account
        (HUB_USER, broker.password("lakeview.B1-0101-W")),
    ]
    for username, password in attempts:
        session = Session(broker.server.port, username, password)
        session.close()
        assert session.code != 0, f"{username} logged in"


def test_a_rotated_password_replaces_the_old_one_and_keeps_the_others(broker: Broker) -> None:
    old = broker.password("lakeview.B1-0101-W")
    neighbour = broker.password("lakeview.B1-0102-W")
    broker.store.sync(
        "lakeview",
        [c.identity for c in broker.store.credentials.values()],
        now=datetime(2026, 11, 27, tzinfo=UTC),
        rotate=["B1-0101-W"],
    )
    assert broker.password("lakeview.B1-0101-W") != old
    assert broker.password("lakeview.B1-0102-W") == neighbour
    broker.write_files()
    broker.server.reload()

    def old_refused() -> bool:
        session = Session(broker.server.port, "lakeview.B1-0101-W", old)
        session.close()
        return session.code != 0

    wait_until(old_refused, "mosquitto to reload its password file")
    broker.session("lakeview.B1-0101-W").close()
    broker.session("lakeview.B1-0102-W", neighbour).close()
