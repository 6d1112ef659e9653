"""Publishes simulator output over MQTT exactly as field devices do: QoS 1 JSON on our topic."""

from __future__ import annotations

import json
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.reading import FieldValue


class DevicePublisher:
    def __init__(self, host: str, port: int, site_id: str, client_id: str = "facilities-simulator") -> None:
        self.site_id = site_id
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        self._client.connect(host, port)
        self._client.loop_start()

    def publish(self, messages: Iterable[tuple[str, dict[str, FieldValue]]], timeout_s: float = 30) -> int:
        infos = [
            self._client.publish(f"facilities/{self.site_id}/{asset_id}/telemetry", json.dumps(body), qos=1)
            for asset_id, body in messages
        ]
        for info in infos:
            info.wait_for_publish(timeout=timeout_s)
        return len(infos)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
