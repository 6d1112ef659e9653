"""A plain paho publisher for tests: what a meter on the network would do."""

from __future__ import annotations

import json
import ssl
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

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
