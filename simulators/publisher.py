"""Publishes simulator output over MQTT exactly as field devices do: QoS 1 JSON on our topic."""

from __future__ import annotations

import json
from collections.abc import Iterable

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
        self._client.max_inflight_messages_set(1000)  # a backfill publishes fast; 20 in flight would crawl
        if username:
            self._client.username_pw_set(username, password)
        self._client.connect(host, port)
        self._client.loop_start()

    def publish(self, messages: Iterable[tuple[str, dict[str, FieldValue] | bytes]], timeout_s: float = 60) -> int:
        """Publish and wait until the broker confirmed every message (QoS 1); returns how many."""
        infos = []
        for asset_id, body in messages:
            payload = body if isinstance(body, bytes) else json.dumps(body)
            infos.append(self._client.publish(f"facilities/{self.site_id}/{asset_id}/telemetry", payload, qos=1))
        for info in infos:
            info.wait_for_publish(timeout=timeout_s)
            if not info.is_published():
                raise TimeoutError(f"the broker did not confirm message {info.mid} within {timeout_s} s")
        return len(infos)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
