"""Plain paho clients for tests: what a meter on the network would do, and a session that records answers."""

from __future__ import annotations

import json
import queue
import ssl
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.servers import wait_until

if TYPE_CHECKING:
    from tests.support.tls import PkiFiles


def publish(
    port: int,
    messages: list[tuple[str, bytes | str | dict[str, object]]],
    qos: int = 1,
    *,
    username: str | None = None,
    password: str | None = None,
    tls: PkiFiles | None = None,
) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    if tls:
        client.tls_set(ca_certs=str(tls.ca_file), certfile=str(tls.client_cert), keyfile=str(tls.client_key),
                       cert_reqs=ssl.CERT_REQUIRED)  # fmt: skip
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = []
        for topic, payload in messages:
            body = json.dumps(payload) if isinstance(payload, dict) else payload
            infos.append(client.publish(topic, body, qos=qos))
        for info in infos:
            info.wait_for_publish(timeout=10)
            assert info.is_published(), f"broker did not confirm message {info.mid}"
    finally:
        client.disconnect()
        client.loop_stop()


class Session:
    """A logged-in test client that records what it receives and what the broker answers to its subscriptions."""

    def __init__(
        self, port: int, username: str | None, password: str | None = None, *, ca_file: Path | None = None
    ) -> None:
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._connected: queue.Queue[int] = queue.Queue()
        self._subscribed: queue.Queue[list[int]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
        if username:
            self.client.username_pw_set(username, password)
        if ca_file:
            self.client.tls_set(ca_certs=str(ca_file), cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = lambda _c, _u, _f, reason, _p: self._connected.put(reason.value)
        self.client.on_subscribe = lambda _c, _u, _mid, codes, _p: self._subscribed.put([c.value for c in codes])
        self.client.on_message = lambda _c, _u, message: self.received.put((message.topic, bytes(message.payload)))
        self.closed = threading.Event()
        self.client.on_disconnect = lambda *_: self.closed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.code = self._connected.get(timeout=10)  # CONNACK: 0 accepted, 5 not authorised

    def subscribe(self, topic: str) -> int:
        """The broker's answer: the granted QoS (0-2), or 128 (0x80) when it refused the subscription."""
        self.client.subscribe(topic, qos=1)
        (code,) = self._subscribed.get(timeout=10)
        return code

    def publish(self, topic: str, payload: str | bytes = b"{}") -> None:
        """QoS 1, acknowledged by the broker (Mosquitto acknowledges a publish its ACL drops, too)."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), f"broker did not confirm message {info.mid}"

    def attempt(self, topic: str, payload: str | bytes = b"{}") -> None:
        """Publish QoS 1 and wait for the broker's answer, whatever it is: a PUBACK, or a closed connection.

        Mosquitto 2.0 answers a publish its ACL refuses with a PUBACK carrying reason 135 even to an MQTT 3.1.1
        client, which paho takes as a protocol error and disconnects. Either way the broker has decided.
        """
        info = self.client.publish(topic, payload, qos=1)
        wait_until(lambda: info.is_published() or self.closed.is_set(), f"the broker's answer to a publish on {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
