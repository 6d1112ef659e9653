"""Publishes simulator output over MQTT exactly as field devices do: QoS 1 JSON on our topic."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.reading import FieldValue


class DevicePublisher:
    def __init__(
        self,
        host: str,
        port: int,
        site_id: str,
        *,
        client_id: str = "facilities-simulator",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.site_id = site_id
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        # No limit in paho (its queue past the limit is rescanned on every acknowledgement, which made a backfill
        # crawl); `send` bounds what is unconfirmed instead.
        self._client.max_inflight_messages_set(0)
        if username:
            self._client.username_pw_set(username, password)
        self._client.connect(host, port)
        self._client.loop_start()
        self._unconfirmed: deque[mqtt.MQTTMessageInfo] = deque()

    def publish(self, messages: Iterable[tuple[str, dict[str, FieldValue] | bytes]], timeout_s: float = 60) -> int:
        """Publish and wait until the broker confirmed every message (QoS 1); returns how many."""
        sent = self.send(messages, timeout_s=timeout_s)
        self.flush(timeout_s)
        return sent

    def send(
        self,
        messages: Iterable[tuple[str, dict[str, FieldValue] | bytes]],
        *,
        window: int = 5000,
        timeout_s: float = 60,
    ) -> int:
        """Publish without waiting for each batch: at most `window` messages stay unconfirmed (a backfill
        simulates the next batch while the broker confirms this one). `flush` waits for the rest."""
        sent = 0
        for asset_id, body in messages:
            payload = body if isinstance(body, bytes) else orjson.dumps(body)
            topic = f"facilities/{self.site_id}/{asset_id}/telemetry"
            self._unconfirmed.append(self._client.publish(topic, payload, qos=1))
            sent += 1
            while len(self._unconfirmed) > window:
                self._confirmed(self._unconfirmed.popleft(), timeout_s)
        return sent

    def flush(self, timeout_s: float = 60) -> None:
        """Wait until the broker confirmed every message sent so far."""
        while self._unconfirmed:
            self._confirmed(self._unconfirmed.popleft(), timeout_s)

    @staticmethod
    def _confirmed(info: mqtt.MQTTMessageInfo, timeout_s: float) -> None:
        info.wait_for_publish(timeout=timeout_s)
        if not info.is_published():
            raise TimeoutError(f"the broker did not confirm message {info.mid} within {timeout_s} s")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
