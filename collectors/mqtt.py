"""MQTT collector: paho-mqtt 2.x, QoS 1, persistent session, acked only after the sink commits."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from collectors.telemetry import PayloadError, decode_telemetry
from core.clock import Clock
from core.ports import ReadingSink
from core.reading import Reading

log = logging.getLogger(__name__)

Decoder = Callable[[str, bytes, datetime], Sequence[Reading]]
Ack = Callable[[], object]


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
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = 30
    subscriptions: tuple[str, ...] = ()
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    # Retry interval while the sink is full: the message stays un-acked, which is the back-pressure.
    full_retry_s: float = 0.2
    # Group commit: the network thread commits every `group_max` messages; a partial group is committed
    # once no message came for `group_idle_s`, or its oldest message waited `group_max_delay_s`.
    group_max: int = 500
    group_idle_s: float = 0.002
    group_max_delay_s: float = 0.05


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
    refused: int = 0


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
        self._pending: list[tuple[Sequence[Reading], str, Ack]] = []
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._pending_since = self._last_offer = 0.0
        self._flusher: threading.Thread | None = None
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
            client.tls_set(
                ca_certs=self.options.ca_file,
                certfile=self.options.cert_file,
                keyfile=self.options.key_file,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        client.reconnect_delay_set(
            min_delay=max(1, int(self.options.reconnect_min_s)), max_delay=int(self.options.reconnect_max_s)
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        self._flusher = threading.Thread(target=self._flush_loop, name="mqtt-group-commit", daemon=True)
        self._flusher.start()
        self._client.connect_async(self.options.host, self.options.port, keepalive=self.options.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._flusher is not None:
            self._flusher.join(10)
        self.flush()  # commit what the spool has room for; the rest stays un-acked at the broker
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            self.stats.refused += 1
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
        log.info("subscribed to %s", ", ".join(self.options.subscriptions))
        self.subscribed.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object
    ) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        mid, qos = message.mid, message.qos
        self.offer(message.topic, bytes(message.payload), lambda: client.ack(mid, qos))

    def offer(self, topic: str, payload: bytes, ack: Ack) -> None:
        """Decode one message and queue it for the next group commit; `ack` runs once it is durable."""
        try:
            readings = self.decoder(topic, payload, self.clock.now())
        except (PayloadError, ValueError) as exc:
            self.stats.rejected += 1
            self.sink.reject(source=topic, payload=payload, error=str(exc))
            ack()
            return
        except Exception as exc:  # a decoder bug: keep the message as a dead letter, keep ingesting
            log.exception("decoder failed on a message from %s", topic)
            self.stats.rejected += 1
            self.sink.reject(source=topic, payload=payload, error=f"decoder failed: {exc!r}")
            ack()
            return
        if not readings:  # a mapping that ignores this topic
            ack()
            return
        with self._pending_lock:
            now = time.monotonic()
            if not self._pending:
                self._pending_since = now
            self._last_offer = now
            self._pending.append((readings, topic, ack))
            group_full = len(self._pending) >= self.options.group_max
        if group_full:
            self.flush()  # on the network thread: while the spool is full this blocks, which is the back-pressure
        elif not self._wake.is_set():  # Event.set takes a lock; most messages find it already set
            self._wake.set()

    def flush(self) -> bool:
        """Commit pending messages in groups and ack them. False if stopping left some un-acked."""
        with self._flush_lock:
            while True:
                with self._pending_lock:
                    group = self._pending[: self.options.group_max]
                if not group:
                    return True
                taken = self.sink.accept_many([(readings, topic) for readings, topic, _ in group])
                if taken:
                    with self._pending_lock:
                        del self._pending[:taken]
                    for _, _, ack in group[:taken]:
                        ack()
                    self.stats.accepted += taken
                    continue
                self.stats.backpressure_waits += 1
                if self._stopping.wait(self.options.full_retry_s):
                    return False  # stopping with the spool full: un-acked messages are redelivered later

    def _flush_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            while not self._stopping.wait(self.options.group_idle_s):
                with self._pending_lock:
                    if not self._pending:
                        break
                    now = time.monotonic()
                    quiet = now - self._last_offer >= self.options.group_idle_s
                    overdue = now - self._pending_since >= self.options.group_max_delay_s
                # Only the tail is ours: under load the network thread commits full groups itself,
                # which is far cheaper than handing the GIL back and forth for every small group.
                if quiet or overdue:
                    try:
                        self.flush()
                    except Exception:  # a bug must not stop ingest silently; un-acked messages are redelivered
                        log.exception("flushing received messages to the spool failed")
                    break
