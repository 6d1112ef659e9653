"""MQTT channel: alerts with QoS 1 on `<prefix>/alerts/<team>` (or `…/<team>/<member>` for a personal pager),
and each work order's state retained on `<prefix>/workorders/<code>/state`, cleared once the order is closed.

The payload is `OutgoingMessage.document()`, so subscribers drop repeats by its `idempotency_key`: a publish
whose PUBACK did not come in time is sent again.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from alerts.channels.base import OutgoingMessage, TemporaryFailure
from alerts.orm import MessageKind
from core.settings import Settings

log = logging.getLogger(__name__)

FINAL_STATES = frozenset({"closed", "cancelled"})


class MqttPublisher:
    """One broker connection shared by the MQTT channels; paho reconnects it in the background."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        keepalive_s: int = 30,
    ) -> None:
        self.host, self.port, self.keepalive_s = host, port, keepalive_s
        self.connected = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        if username:
            self._client.username_pw_set(username, password)
        if tls:
            self._client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file, cert_reqs=ssl.CERT_REQUIRED)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._started = False

    @classmethod
    def from_settings(cls, settings: Settings, *, client_id: str) -> MqttPublisher:
        """The hub's broker and credentials, under a client id of the alerts' own."""
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        return cls(
            settings.mqtt_host,
            settings.mqtt_port,
            client_id=client_id,
            username=settings.mqtt_username,
            password=password,
            tls=settings.mqtt_tls,
            ca_file=str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None,
            cert_file=str(settings.mqtt_cert_file) if settings.mqtt_cert_file else None,
            key_file=str(settings.mqtt_key_file) if settings.mqtt_key_file else None,
            keepalive_s=settings.mqtt_keepalive_s,
        )

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._client.connect_async(self.host, self.port, keepalive=self.keepalive_s)
            self._client.loop_start()

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._client.disconnect()
            self._client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool, timeout_s: float) -> None:
        """Publish with QoS 1 and wait for the broker's PUBACK; `TemporaryFailure` when it does not come."""
        self.start()
        if not self.connected.wait(timeout_s):
            raise TemporaryFailure(f"not connected to the MQTT broker {self.host}:{self.port}")
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError) as exc:  # paho's "queue full" / "not connected" answers
            raise TemporaryFailure(f"MQTT publish to {topic} failed: {exc}") from exc
        if not info.is_published():
            raise TemporaryFailure(f"the MQTT broker did not confirm {topic} within {timeout_s:g} s")

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT broker %s:%s refused the alerts connection: %s", self.host, self.port, reason)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):  # paho leaves Nagle on: each alert would wait ~40 ms for a delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.connected.clear()


class MqttChannel:
    def __init__(self, name: str, publisher: MqttPublisher, *, topic_prefix: str, timeout_s: float = 5.0) -> None:
        self.name = name
        self.publisher = publisher
        self.topic_prefix = topic_prefix
        self.timeout_s = timeout_s

    def topic(self, message: OutgoingMessage) -> str:
        if message.kind is MessageKind.STATE:
            return f"{self.topic_prefix}/workorders/{message.order_code}/state"
        team = message.team or "all"
        if message.personal and message.recipients:
            return f"{self.topic_prefix}/alerts/{team}/{message.recipients[0].id}"
        return f"{self.topic_prefix}/alerts/{team}"

    def send(self, message: OutgoingMessage) -> None:
        retain = message.kind is MessageKind.STATE
        payload = json.dumps(message.document(), ensure_ascii=False).encode()
        if retain and message.facts.get("status") in FINAL_STATES:
            payload = b""  # an empty retained message deletes the retained state: the order is done
        self.publisher.publish(self.topic(message), payload, retain=retain, timeout_s=self.timeout_s)

    def close(self) -> None:
        """The publisher is shared; whoever built it stops it."""
