"""Issue 19 evidence: Home Assistant discovery through a real Mosquitto and the real hub. Zigbee2MQTT and Tasmota
announce their entities (retained, as they do); the hub lists them with name, model, manufacturer, topics,
template, unit, class and availability; staff adopt the Tasmota plug as the pump's meter, the site file keeps its
comments and is reloaded, and the plug's readings then land. A bad adoption leaves the file as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from access.roles import Role
from api.keys_crud import create_key
from core.settings import Settings
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.support.discovery_messages import (
    TASMOTA_ENERGY,
    TASMOTA_LWT,
    TASMOTA_MAC,
    TASMOTA_STATE,
    Z2M_LEAK,
    Z2M_TEMP,
)
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.e2e
SITE = "# Lakeview test site: comments survive adoption\n" + MINIMAL


def publish(port: int, messages: list[tuple[str, str]], *, retain: bool = False) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for topic, payload in messages:
            info = client.publish(topic, payload, qos=1, retain=retain)
            info.wait_for_publish(10)
            assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hub]:
    publish(mosquitto.port, [Z2M_LEAK, Z2M_TEMP, TASMOTA_ENERGY], retain=True)  # announced before the hub starts
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-discovery",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        site_file=site_file,
    )
    running = build_hub(settings)
    running.start()
    assert running.ingest.collector.subscribed.wait(10)
    yield running
    running.stop()
    publish(mosquitto.port, [(Z2M_LEAK[0], ""), (Z2M_TEMP[0], ""), (TASMOTA_ENERGY[0], "")], retain=True)


def key(hub: Hub, role: Role) -> dict[str, str]:
    with hub.sessions() as session:
        _, secret = create_key(session=session, name=f"discovery-{role.value}", role=role, now=datetime.now(UTC))
    return {"X-API-Key": secret}


def test_discovered_devices_are_listed_adopted_and_their_readings_land(hub: Hub, mosquitto: Mosquitto) -> None:
    wait_until(lambda: len(hub.ingest.discovery.entities()) == 3, "the three announced entities", 30)
    publish(mosquitto.port, [TASMOTA_LWT])
    staff = key(hub, Role.STAFF)
    with TestClient(hub.api()) as client:
        wait_until(
            lambda: any(e["online"] for e in client.get("/devices/discovered", headers=staff).json()["entities"]),
            "the plug's availability",
            30,
        )
        found = {e["unique_id"]: e for e in client.get("/devices/discovered", headers=staff).json()["entities"]}
        plug = found[f"{TASMOTA_MAC}_ENERGY_Total"]
        assert (plug["state_topic"], plug["json_path"], plug["unit"], plug["device_class"], plug["online"]) == (
            "tele/pump_plug/SENSOR", "ENERGY.Total", "kWh", "energy", True,
        )  # fmt: skip
        leak = found["0x00158d0008a1b2c3_water_leak_zigbee2mqtt"]
        assert (leak["device_name"], leak["model"], leak["manufacturer"]) == (
            "leak_b1_pump", "Water leak sensor (SJCGQ11LM)", "Aqara",
        )  # fmt: skip
        assert leak["online"] is None  # the bridge has not said yet

        # a bad adoption (no such area) is refused and the file stays as it was
        before = hub.settings.site_file.read_text(encoding="utf-8")
        body = {"asset_id": "PUMP-E", "kind": "electricity", "area": "roof", "unique_id": plug["unique_id"]}
        refused = client.post("/devices/adopt", headers=staff, json=body)
        assert refused.status_code == 422 and "area" in refused.json()["error"]["message"]
        assert hub.settings.site_file.read_text(encoding="utf-8") == before

        adopted = client.post("/devices/adopt", headers=staff, json={**body, "area": "lobby"})
        assert adopted.status_code == 201, adopted.text
        crew = client.post("/devices/adopt", headers=key(hub, Role.CREW), json={**body, "asset_id": "X"})
        assert crew.status_code == 403

    text = hub.settings.site_file.read_text(encoding="utf-8")
    assert text.startswith("# Lakeview test site: comments survive adoption\n")
    assert 'topic = "tele/pump_plug/SENSOR"' in text and 'total = "ENERGY.Total"' in text
    assert "PUMP-E" in hub.ingest.registry

    now = datetime.now(UTC)
    readings = [(TASMOTA_STATE[0], json.dumps({**json.loads(TASMOTA_STATE[1]), "ENERGY": {"Total": 812.345 + n}}))
                for n in range(5)]  # fmt: skip
    publish(mosquitto.port, readings)
    info = hub.ingest.registry.get("PUMP-E")
    window = (now - timedelta(hours=1), now + timedelta(hours=1))

    def landed() -> int:
        return len(hub.ingest.store.history(info, "total", *window))

    wait_until(lambda: landed() == 5, "the plug's five readings", 30)
    assert hub.ingest.store.history(info, "total", *window)[-1].value == pytest.approx(816.345)

    # availability feeds online/offline: the plug's last will says Offline, and the inventory says so at once
    with TestClient(hub.api()) as client:

        def state() -> str:
            [plug_row] = client.get("/devices?kind=meter&building=B1", headers=staff).json()["items"][-1:]
            return str(plug_row["state"]) if plug_row["asset_id"] == "PUMP-E" else "missing"

        assert state() == "online"
        publish(mosquitto.port, [(TASMOTA_LWT[0], "Offline")])
        wait_until(lambda: state() == "offline", "the plug offline by its last will", 30)
