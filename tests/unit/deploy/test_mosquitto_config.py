"""deploy/mosquitto on a real Mosquitto: entrypoint.sh, mosquitto.conf and the ACL as shipped.

Only the container paths and the port are rewritten to a temporary folder; the broker then must
refuse anonymous and wrong logins, let devices publish telemetry only, and let the hub read it.
"""

from __future__ import annotations

import os
import queue
import secrets
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from facilities.localservers import ServerProcess, free_port, port_open, require_binary
from tests.support.mqtt import publish
from tests.support.services import make_server
from tests.unit.deploy.compose import ROOT

pytestmark = pytest.mark.integration

DEPLOY = ROOT / "deploy" / "mosquitto"
HUB, DEVICE = "facilities-hub", "facilities-device"
PASSWORDS = {HUB: secrets.token_hex(12), DEVICE: secrets.token_hex(12)}


class DeployedMosquitto(ServerProcess):
    """Mosquitto started through deploy/mosquitto/entrypoint.sh with the shipped configuration."""

    name = "mosquitto"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.binary = require_binary("mosquitto")
        require_binary("mosquitto_passwd")
        self.port = free_port()
        config = (DEPLOY / "mosquitto.conf").read_text(encoding="utf-8")
        config = config.replace("listener 1883", f"listener {self.port} 127.0.0.1")
        config = config.replace("/mosquitto/data", str(self.workdir / "data"))
        if os.geteuid() == 0:
            config += "user root\n"  # as in facilities.localservers: root-owned temp folders
        self.config_path = self.workdir / "mosquitto.conf"
        self.config_path.write_text(config)

    def command(self) -> list[str]:
        return ["sh", str(DEPLOY / "entrypoint.sh"), self.binary, "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        return port_open(self.port)


@pytest.fixture
def broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeployedMosquitto]:
    monkeypatch.setenv("MOSQUITTO_DATA_DIR", str(tmp_path / "broker" / "data"))
    monkeypatch.setenv("MQTT_HUB_PASSWORD", PASSWORDS[HUB])
    monkeypatch.setenv("MQTT_DEVICE_PASSWORD", PASSWORDS[DEVICE])
    server = make_server(DeployedMosquitto, tmp_path / "broker")
    server.start()
    yield server
    server.stop()


def _connect(port: int, username: str | None, password: str | None = None) -> tuple[mqtt.Client, int]:
    """A connected client and its CONNACK reason code (0 = accepted)."""
    answers: queue.Queue[int] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.put(reason.value)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client, answers.get(timeout=10)


def _subscriber(port: int, username: str, topic: str) -> tuple[mqtt.Client, queue.Queue[str]]:
    received: queue.Queue[str] = queue.Queue()
    client, code = _connect(port, username, PASSWORDS[username])
    assert code == 0
    subscribed: queue.Queue[int] = queue.Queue()
    client.on_message = lambda _c, _u, message: received.put(message.topic)
    client.on_subscribe = lambda _c, _u, mid, _codes, _p: subscribed.put(mid)
    client.subscribe(topic, qos=1)
    subscribed.get(timeout=10)
    return client, received


def _close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


def test_anonymous_and_wrong_passwords_are_refused(broker: DeployedMosquitto) -> None:
    for username, password in ((None, None), (HUB, "wrong"), (DEVICE, PASSWORDS[HUB])):
        client, code = _connect(broker.port, username, password)
        _close(client)
        assert code != 0, f"{username} logged in with {password!r}"


def test_devices_publish_telemetry_and_only_the_hub_reads_it(broker: DeployedMosquitto) -> None:
    hub, to_hub = _subscriber(broker.port, HUB, "#")
    snoop, to_device = _subscriber(broker.port, DEVICE, "facilities/#")
    telemetry = "facilities/lakeview/B1-0101-W/telemetry"
    publish(
        broker.port,
        [("commands/B1-L1/stop", "{}"), (telemetry, {"total": 1.5})],
        username=DEVICE,
        password=PASSWORDS[DEVICE],
    )
    try:
        # Messages arrive in order, so once the telemetry is in, the refused one is not coming.
        assert to_hub.get(timeout=10) == telemetry
        assert to_hub.empty()
        assert to_device.empty()
    finally:
        _close(hub)
        _close(snoop)


def test_the_hub_can_read_the_broker_status_the_health_check_uses(broker: DeployedMosquitto) -> None:
    client, received = _subscriber(broker.port, HUB, "$SYS/broker/uptime")
    try:
        assert received.get(timeout=20) == "$SYS/broker/uptime"
    finally:
        _close(client)


def test_passwords_are_stored_hashed_and_private(broker: DeployedMosquitto) -> None:
    data = broker.workdir / "data"
    stored = (data / "passwords").read_text()
    assert all(password not in stored for password in PASSWORDS.values())
    assert {line.split(":")[0] for line in stored.splitlines()} == {HUB, DEVICE}
    assert (data / "passwords").stat().st_mode & 0o077 == 0
    assert (data / "acl").stat().st_mode & 0o077 == 0
