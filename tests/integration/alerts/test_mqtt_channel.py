"""The MQTT channel against a real Mosquitto: alerts with QoS 1, and the order's state retained until it closes."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from alerts.channels.base import OutgoingMessage, TemporaryFailure
from alerts.channels.mqtt import MqttChannel, MqttPublisher
from alerts.orm import MessageKind
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until
from tests.unit.alerts.builders import message

PREFIX = "facilities/test"
STATE_TOPIC = f"{PREFIX}/workorders/WO-20261126-0001/state"


class Subscriber:
    """A plain paho subscriber with QoS 1, as a pager app would be."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        subscribed = threading.Event()
        self.client.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.on_connect = lambda client, *_args: client.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(10), f"no SUBACK for {topic}"

    def next(self) -> mqtt.MQTTMessage:
        return self.messages.get(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def channel(mosquitto: Mosquitto) -> Iterator[MqttChannel]:
    publisher = MqttPublisher("127.0.0.1", mosquitto.port, client_id="facilities-alerts-test")
    yield MqttChannel("app", publisher, topic_prefix=PREFIX, timeout_s=2)
    publisher.stop()


def state(status: str) -> OutgoingMessage:
    sent = message(kind=MessageKind.STATE, recipients=())
    return replace(sent, facts={**sent.facts, "status": status}, key=f"state-{status}")


def test_an_alert_goes_to_the_team_topic_with_qos_1(mosquitto: Mosquitto, channel: MqttChannel) -> None:
    subscriber = Subscriber(mosquitto.port, f"{PREFIX}/alerts/#")
    try:
        channel.send(message())
        channel.send(message(personal=True, key="personal"))
        team, personal = subscriber.next(), subscriber.next()
    finally:
        subscriber.close()
    assert (team.topic, team.qos, team.retain) == (f"{PREFIX}/alerts/elevator-crew", 1, False)
    document = json.loads(team.payload)
    assert (document["idempotency_key"], document["title"]) == (
        "5f0c0ffee0ddf00d5f0c0ffee0ddf00d",
        "【紧急】困人 · B1-L1",
    )
    assert personal.topic == f"{PREFIX}/alerts/elevator-crew/wang"


def test_the_state_is_retained_for_late_subscribers_and_cleared_when_closed(
    mosquitto: Mosquitto, channel: MqttChannel
) -> None:
    channel.send(state("open"))
    channel.send(state("acknowledged"))
    late = Subscriber(mosquitto.port, f"{PREFIX}/workorders/+/state")  # subscribes after both were published
    try:
        retained = late.next()
    finally:
        late.close()
    assert (retained.topic, retained.qos, retained.retain) == (STATE_TOPIC, 1, True)
    document = json.loads(retained.payload)
    assert (document["facts"]["status"], document["idempotency_key"]) == ("acknowledged", "state-acknowledged")

    channel.send(state("closed"))
    after = Subscriber(mosquitto.port, STATE_TOPIC)
    try:
        publish(mosquitto.port, [(STATE_TOPIC, b"marker")])  # not retained: arrives after any retained state
        first = after.next()
    finally:
        after.close()
    assert (first.payload, first.retain) == (b"marker", False)  # nothing was retained any more


def test_a_broker_that_is_away_is_a_temporary_failure_and_the_retry_goes_through(
    mosquitto: Mosquitto, channel: MqttChannel
) -> None:
    channel.send(message())
    mosquitto.stop()
    wait_until(lambda: not channel.publisher.connected.is_set(), "the publisher to notice", 10)
    with pytest.raises(TemporaryFailure, match="not connected"):
        channel.send(replace(message(), key="retry-me"))
    mosquitto.start()
    wait_until(channel.publisher.connected.is_set, "the publisher to reconnect", 15)
    subscriber = Subscriber(mosquitto.port, f"{PREFIX}/alerts/#")
    try:
        channel.send(replace(message(), key="retry-me"))
        assert json.loads(subscriber.next().payload)["idempotency_key"] == "retry-me"
    finally:
        subscriber.close()
