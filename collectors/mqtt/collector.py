"""MQTT collector: paho-mqtt 2.x, QoS 1, persistent session, acked only after the sink commits.

Back-pressure never blocks the network thread: while the sink is full or failing (disk full, read-only,
locked), received messages stay un-acked in memory and the group-commit thread retries with backoff. The
broker sends no more than its in-flight window of un-acked messages and queues the rest, and the network
thread keeps answering keep-alives, so the session stays up and ingestion resumes by itself.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import paho.mqtt.client as mqtt

from collectors.mqtt.acks import BrokerAck, Connection, ack_all
from collectors.mqtt.session import MqttOptions as MqttOptions  # re-exported: callers build options from here
from collectors.mqtt.session import connect_async, new_client, subscription_filter
from collectors.mqtt.telemetry import PayloadError, decode_telemetry
from core.clock import Clock
from core.ports import ReadingSink
from core.reading import Reading
from core.threads import Spawn, ThreadHandle, start_thread

log = logging.getLogger(__name__)

Decoder = Callable[[str, bytes, datetime], Sequence[Reading]]
Ack = Callable[[], object]


class NoRoute(PayloadError):
    pass


def own_topic_filter(site_id: str) -> str:
    return f"facilities/{site_id}/+/telemetry"


class OwnTopicDecoder:
    """facilities/<site>/<asset_id>/telemetry with our JSON payload."""

    def __init__(self, site_id: str) -> None:
        self.site_id = site_id

    def __call__(self, topic: str, payload: bytes, now: datetime) -> Sequence[Reading]:
        parts = topic.split("/")
        if len(parts) != 4 or parts[0] != "facilities" or parts[1] != self.site_id or parts[3] != "telemetry":
            raise NoRoute(f"topic {topic[:200]!r} does not match facilities/{self.site_id}/<asset_id>/telemetry")
        return [decode_telemetry(parts[2], payload, now)]


@dataclass
class CollectorStats:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    backpressure_waits: int = 0
    connects: int = 0
    refused: int = 0
    sink_failures: int = 0


@dataclass
class CollectorHealth:
    """What /health says about the collector; times come from the injected clock."""

    connected: bool = False
    last_message_at: datetime | None = None
    disconnected_since: datetime | None = None
    sink: str = "ok"  # ok | full | failing
    sink_error: str | None = None
    sink_since: datetime | None = None


_Pending = tuple[Sequence[Reading], str, Ack]
_Rejection = tuple[str, bytes, str, Ack]  # topic, payload, error, ack


class MqttCollector:
    def __init__(
        self,
        options: MqttOptions,
        decoder: Decoder,
        sink: ReadingSink,
        clock: Clock,
        *,
        spawn: Spawn = start_thread,
    ) -> None:
        self.options = options
        self.decoder = decoder
        self.sink = sink
        self.clock = clock
        self.spawn = spawn
        self.stats = CollectorStats()
        self.health = CollectorHealth(disconnected_since=clock.now())
        self.connected = threading.Event()
        # Set on the first SUBACK: before it, a broker without our session has nowhere to queue messages.
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        self._pending: list[_Pending] = []
        self._rejections: list[_Rejection] = []
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._room = threading.Event()  # set while fewer than max_pending messages wait in memory
        self._room.set()
        self._pending_since = self._last_offer = 0.0
        self._network_runs = 0
        self._threads: list[ThreadHandle] = []
        self._client = self._make_client()
        # Acks are only valid on the connection that delivered the message (collectors/mqtt/acks.py).
        self._connection = Connection(self._client)

    def _make_client(self) -> mqtt.Client:
        client = new_client(self.options)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        self._threads = [
            self.spawn("mqtt-group-commit", self._flush_loop),
            self.spawn("mqtt-network", self._network_loop),
        ]

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._room.set()
        self.flush()  # commit what the spool takes; the rest stays un-acked at the broker
        self._client.disconnect()
        for thread in self._threads:
            thread.join(10)

    def reconfigure(
        self, decoder: Decoder, subscriptions: Sequence[str], *, unshared: Sequence[str] = ()
    ) -> tuple[list[str], list[str]]:
        """A live reload: decode with `decoder` from the next message on, subscribe to the new filters and
        drop the old ones (on this connection and every later one); `unshared` adds filters that stay out of
        the share group. Returns (added, removed) filters."""
        old = list(self.options.subscriptions)
        added = [topic for topic in subscriptions if topic not in old]
        removed = [topic for topic in old if topic not in subscriptions]
        gone = [self._filter(topic) for topic in removed]
        self.decoder = decoder
        keep = (*self.options.unshared, *(t for t in unshared if t not in self.options.unshared))
        self.options = replace(self.options, subscriptions=tuple(subscriptions), unshared=keep)
        if self.health.connected:  # otherwise _on_connect subscribes to the new list
            for topic in added:
                self._client.subscribe(self._filter(topic), qos=1)
            if gone:
                self._client.unsubscribe(gone)
        log.info("MQTT subscriptions reloaded: +%s -%s", added, removed)
        return added, removed

    def _network_loop(self) -> None:
        """paho's loop in our own (supervised) thread; after a crash, a reconnect makes the broker resend."""
        self._network_runs += 1
        if self._network_runs == 1:
            connect_async(self._client, self.options)
        elif not self._stopping.is_set():
            try:
                self._client.reconnect()
            except OSError as exc:
                log.warning("MQTT reconnect after a restart failed (%s); retrying with backoff", exc)
        if not self._stopping.is_set():
            self._client.loop_forever(retry_first_connection=True)

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _props: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            self.stats.refused += 1
            log.warning("MQTT broker %s:%s refused the connection: %s", self.options.host, self.options.port, reason)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):  # paho leaves Nagle on: each PUBACK would wait for a delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connection.generation += 1
        self.stats.connects += 1
        self.health.connected, self.health.disconnected_since = True, None
        # Subscribing again after every reconnect is harmless and covers a broker that lost its state.
        for topic in self.options.subscriptions:
            client.subscribe(self._filter(topic), qos=1)
        self.connected.set()
        log.info("connected to MQTT broker %s:%s", self.options.host, self.options.port)

    def _filter(self, topic: str) -> str:
        """Shared, unless retained state (discovery, availability) that a shared subscription never gets."""
        shared = topic not in self.options.unshared
        return subscription_filter(topic, self.options.share_group if shared else None)

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
        if self.health.connected:
            self.health.connected, self.health.disconnected_since = False, self.clock.now()
        if not self._stopping.is_set():
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:  # brokers should refuse such topics; keep the message as a dead letter
            topic = bytes(message._topic).decode("utf-8", "replace")  # paho keeps the raw bytes here
        self.offer(topic, bytes(message.payload), BrokerAck(self._connection, message.mid, message.qos))

    def offer(self, topic: str, payload: bytes, ack: Ack) -> None:
        """Decode one message and queue it for the next group commit; `ack` runs once it is durable."""
        now = self.health.last_message_at = self.clock.now()
        try:
            readings = self.decoder(topic, payload, now)
        except (PayloadError, ValueError) as exc:
            self._reject(topic, payload, str(exc), ack)
            return
        except Exception as exc:  # a decoder bug: keep the message as a dead letter, keep ingesting
            log.exception("decoder failed on a message from %s", topic[:200])
            self._reject(topic, payload, f"decoder failed: {exc!r}", ack)
            return
        if not readings:  # a mapping that ignores this topic
            ack()
            return
        with self._pending_lock:
            mono = time.monotonic()
            if not self._pending:
                self._pending_since = mono
            self._last_offer = mono
            self._pending.append((readings, topic, ack))
            waiting = len(self._pending)
            group_full = waiting >= self.options.group_max
            if waiting >= self.options.max_pending:
                self._room.clear()
        if group_full and self.health.sink == "ok":
            self.flush()  # on the network thread: cheaper than handing every full group to the flusher
        if not self._wake.is_set():  # Event.set takes a lock; most messages find it already set
            self._wake.set()
        if not self._room.is_set():
            # Memory is the last buffer: past it the network thread waits (see max_pending).
            log.warning("%d un-acked messages held in memory; waiting for the spool", waiting)
            self._room.wait()

    @property
    def pending(self) -> int:
        """Messages received and not yet committed (un-acked)."""
        return len(self._pending) + len(self._rejections)

    def _reject(self, topic: str, payload: bytes, error: str, ack: Ack) -> None:
        self.stats.rejected += 1
        with self._pending_lock:
            self._rejections.append((topic, payload, error, ack))
        self._wake.set()

    def flush(self) -> bool:
        """Commit pending messages in groups and ack them. False: the sink refused or failed; they stay un-acked."""
        with self._flush_lock:
            if not self._flush_rejections():
                return False
            while True:
                with self._pending_lock:
                    group = self._pending[: self.options.group_max]
                if not group:
                    self._sink_state("ok")
                    return True
                try:
                    taken = self.sink.accept_many([(readings, topic) for readings, topic, _ in group])
                except Exception as exc:  # disk full, read-only, locked, or a bug: keep them, retry later
                    self.stats.sink_failures += 1
                    self._sink_state("failing", exc)
                    return False
                if not taken:
                    self.stats.backpressure_waits += 1
                    self._sink_state("full")
                    return False
                with self._pending_lock:
                    del self._pending[:taken]
                    if len(self._pending) < self.options.max_pending:
                        self._room.set()
                ack_all(ack for _, _, ack in group[:taken])
                self.stats.accepted += taken

    def _flush_rejections(self) -> bool:
        while True:
            with self._pending_lock:
                if not self._rejections:
                    return True
                topic, payload, error, ack = self._rejections[0]
            try:
                self.sink.reject(source=topic, payload=payload, error=error)
            except Exception as exc:
                self.stats.sink_failures += 1
                self._sink_state("failing", exc)
                return False
            with self._pending_lock:
                self._rejections.pop(0)
            ack()

    def _sink_state(self, state: str, exc: Exception | None = None) -> None:
        """Record the sink's state for /health; log once per change, not once per retry."""
        health = self.health
        if state == health.sink:
            return
        previous, health.sink = health.sink, state
        health.sink_error = None if exc is None else f"{type(exc).__name__}: {exc}"
        health.sink_since = None if state == "ok" else self.clock.now()
        if state == "failing":
            log.error("the spool cannot take messages (%s); holding them un-acked and retrying", health.sink_error)
        elif state == "full":
            log.warning("the spool is full; holding messages un-acked until the store catches up")
        else:
            log.info("the spool takes messages again (was %s)", previous)

    def _flush_loop(self) -> None:
        failures = 0
        self._wake.set()  # a restarted loop (after a crash) first commits what is already waiting
        while not self._stopping.is_set():
            if not failures:
                self._wake.wait()
                self._wake.clear()
            elif self._stopping.wait(min(self.options.retry_max_s, self.options.full_retry_s * 2 ** (failures - 1))):
                return
            if failures or not self._wait_for_group():
                failures = 0 if self.flush() else failures + 1

    def _wait_for_group(self) -> bool:
        """Wait for the tail of a burst to end; True when the network thread already committed everything."""
        while not self._stopping.wait(self.options.group_idle_s):
            with self._pending_lock:
                if not self._pending and not self._rejections:
                    return True
                now = time.monotonic()
                quiet = now - self._last_offer >= self.options.group_idle_s
                overdue = now - self._pending_since >= self.options.group_max_delay_s
            # Only the tail is ours: under load the network thread commits full groups itself,
            # which is far cheaper than handing the GIL back and forth for every small group.
            if quiet or overdue or self._rejections:
                return False
        return True
