"""MQTT collector: paho-mqtt 2.x, QoS 1, persistent session, acked only after the sink commits."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from collectors.telemetry import PayloadError, decode_telemetry
from core.clock import Clock
from core.ports import ReadingSink
from core.reading import Reading

log = logging.getLogger(__name__)

Decoder = Callable[[str, bytes, datetime], Sequence[Reading]]


class NoRoute(PayloadError):
    pass


@dataclass(frozen=True)
class MqttOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "facilities-ingest"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    keepalive_s: int = 30
    subscriptions: tuple[str, ...] = ()
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    # Retry interval while the sink is full: the message stays un-acked, which is the back-pressure.
    full_retry_s: float = 0.2


def own_topic_filter(site_id: str) -> str:
    return f"facilities/{site_id}/+/telemetry"


class OwnTopicDecoder:
    """facilities/<site>/<asset_id>/telemetry with our JSON payload."""

    def __init__(self, site_id: str) -> None:
        self.site_id = site_id

    def __call__(self, topic: str, payload: bytes, now: datetime) -> Sequence[Reading]:
        parts = topic.split("/")
        if len(parts) != 4 or parts[0] != "facilities" or parts[1] != self.site_id or parts[3] != "telemetry":
            raise NoRoute(f"topic {topic!r} does not match facilities/{self.site_id}/<asset_id>/telemetry")
        return [decode_telemetry(parts[2], payload, now)]


@dataclass
class CollectorStats:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    backpressure_waits: int = 0
    connects: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class MqttCollector:
    def __init__(self, options: MqttOptions, decoder: Decoder, sink: ReadingSink, clock: Clock) -> None:
        self.options = options
        self.decoder = decoder
        self.sink = sink
        self.clock = clock
        self.stats = CollectorStats()
        self.connected = threading.Event()
        # Set on the first SUBACK: before it, a broker without our session has nowhere to queue messages.
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.options.client_id,
            clean_session=False,  # persistent session: the broker queues QoS 1 messages while we are away
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.options.username:
            client.username_pw_set(self.options.username, self.options.password)
        if self.options.tls:
            client.tls_set(ca_certs=self.options.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(
            min_delay=max(1, int(self.options.reconnect_min_s)), max_delay=int(self.options.reconnect_max_s)
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        self._client.connect_async(self.options.host, self.options.port, keepalive=self.options.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        self._stopping.set()
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT broker %s:%s refused the connection: %s", self.options.host, self.options.port, reason)
            return
        self.stats.connects += 1
        # Subscribing again after every reconnect is harmless and covers a broker that lost its state.
        for topic in self.options.subscriptions:
            client.subscribe(topic, qos=1)
        self.connected.set()
        log.info("connected to MQTT broker %s:%s", self.options.host, self.options.port)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: object, _mid: int, reasons: object, _props: object
    ) -> None:
        failures = [r for r in reasons if getattr(r, "is_failure", False)] if isinstance(reasons, list) else []
        if failures:
            log.error("MQTT broker refused a subscription: %s", failures)
            return
        self.subscribed.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object
    ) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        if self.handle(message.topic, bytes(message.payload)):
            client.ack(message.mid, message.qos)

    def handle(self, topic: str, payload: bytes) -> bool:
        """Decode and commit one message; True once it is safe to ack."""
        try:
            readings = self.decoder(topic, payload, self.clock.now())
        except (PayloadError, ValueError) as exc:
            self.stats.rejected += 1
            self.sink.reject(source=topic, payload=payload, error=str(exc))
            return True
        while not self.sink.accept(readings, source=topic):
            self.stats.backpressure_waits += 1
            if self._stopping.wait(self.options.full_retry_s):
                return False  # stopping with the sink full: leave it un-acked for redelivery
        self.stats.accepted += 1
        return True
