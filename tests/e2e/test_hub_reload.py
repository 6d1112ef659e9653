"""Issue 19 evidence: the site file reloaded into a running hub under live traffic through a real Mosquitto.

Three reloads (add, change, remove) and one refused file, while a device publishes all along: every reading of
the untouched device is stored exactly once, an added device's readings land from the reload on, a changed
binding takes its new topic and drops its old one, a removed device's readings become dead letters; the alarm
raised before the reloads stays open with one work order, and the alarm of the removed device is cleared once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from access.roles import Role
from api.keys_crud import create_key
from collectors.mqtt.discovery import FILTERS as DISCOVERY_FILTERS
from core.config_files import ConfigError
from core.settings import Settings
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.e2e
BASE = "use_builtin_rules = true\n" + MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
L2 = '[[elevators]]\nid = "L2"\nbuilding = "B1"\nhighest_floor = 6\n'
PUMP = '[[meters]]\nid = "PUMP-E"\nutility = "electricity"\narea = "lobby"\n'
MAPPING = (
    '[[mqtt_mappings]]\ntopic = "{prefix}/{{device}}/energy"\nasset = "{{device}}"\nfields = {{ total = "total" }}\n'
)
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


class Device(threading.Thread):
    """B1-0101-W publishing all along, each message with its own timestamp; `stop()` returns how many."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="steady-meter", protocol=mqtt.MQTTv311)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_until(self.client.is_connected, "the steady meter's connection", 10)
        self.sent = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            ts = (START + timedelta(seconds=self.sent)).isoformat()
            info = self.client.publish("facilities/demo/B1-0101-W/telemetry", json.dumps({"ts": ts, "total": 1.0}), 1)
            info.wait_for_publish(10)
            assert info.is_published()
            self.sent += 1
            self._halt.wait(0.005)

    def stop(self) -> int:
        self._halt.set()
        self.join(10)
        self.client.disconnect()
        self.client.loop_stop()
        return self.sent


def send(port: int, messages: list[tuple[str, dict[str, object]]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for topic, payload in messages:
            info = client.publish(topic, json.dumps(payload), 1)
            info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def energy(prefix: str, count: int, offset: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (f"{prefix}/PUMP-E/energy", {"total": 100.0 + n, "ts": (START + timedelta(seconds=offset + n)).isoformat()})
        for n in range(count)
    ]


def fault(asset: str, code: int) -> tuple[str, dict[str, object]]:
    return f"facilities/demo/{asset}/telemetry", {"fault_code": code, "state": "stopped", "floor": 3}


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hub]:
    site_file = tmp_path / "site.toml"
    site_file.write_text(BASE, encoding="utf-8")
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-reload",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        site_file=site_file,
    )
    running = build_hub(settings)
    running.start()
    assert running.ingest.collector.subscribed.wait(10)
    yield running
    running.stop()


def stored(hub: Hub, asset_id: str, field: str) -> int:
    info = hub.ingest.registry.lookup(asset_id)
    return len(hub.ingest.store.history(info, field, START - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)))


def orders(hub: Hub) -> list[tuple[str, str]]:
    with hub.sessions() as session:
        rows = session.execute(text("SELECT asset_id, rule_id FROM work_orders ORDER BY asset_id, rule_id"))
        return [(row[0], row[1]) for row in rows]


def settled(hub: Hub) -> None:
    """Everything the broker delivered is committed, stored and judged, its alarms handed on."""

    def done() -> bool:
        spool = hub.ingest.spool
        return (
            hub.ingest.collector.pending == 0
            and spool.lag("store") == 0
            and spool.lag("rules") == 0
            and not hub.rules._undelivered
        )

    wait_until(done, "the hub caught up", 30)


def unknown(hub: Hub) -> list[str]:
    """The topics' asset ids of dead letters refused as not in the site file."""
    letters = hub.ingest.spool.dead_letters(limit=100)
    return [d.source.split("/")[2] for d in letters if "unknown asset id" in d.error]


def open_alarms(hub: Hub) -> list[tuple[str, str]]:
    return [(a.asset_id, a.rule_id) for a in hub.engine.open_alarms()]


def test_three_reloads_and_a_refused_file_under_live_traffic(hub: Hub, mosquitto: Mosquitto, tmp_path: Path) -> None:
    site_file = hub.settings.site_file
    device = Device(mosquitto.port)
    device.start()
    send(mosquitto.port, [fault("L1", 17)])
    wait_until(lambda: orders(hub) == [("L1", "elevator-fault-code")], "L1's work order", 30)

    # 1. add: an elevator on our own topic, a pump meter on a third-party topic (a new subscription)
    site_file.write_text(BASE + L2 + PUMP + MAPPING.format(prefix="pump"), encoding="utf-8")
    result = hub.reload()
    assert (result.added, result.removed, result.subscribed) == (["L2", "PUMP-E"], [], ["pump/+/energy"])
    send(mosquitto.port, [*energy("pump", 20, 0), fault("L2", 5)])
    wait_until(lambda: ("L2", "elevator-fault-code") in orders(hub), "L2's work order", 30)

    # 2. change: the pump's mapping moves to another topic; the old one is dropped at the broker
    site_file.write_text(BASE + L2 + PUMP + MAPPING.format(prefix="plant"), encoding="utf-8")
    result = hub.reload()
    assert (result.subscribed, result.unsubscribed, result.added, result.removed) == (
        ["plant/+/energy"], ["pump/+/energy"], [], [],
    )  # fmt: skip
    send(mosquitto.port, [*energy("pump", 10, 100), *energy("plant", 15, 200)])

    # a refused file: the running configuration stays, the message names file, key and fix
    site_file.write_text(BASE + L2 + PUMP.replace('"lobby"', '"roof"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"site\.toml: meters\[0\]\.area: .*roof"):
        hub.reload()
    assert "PUMP-E" in hub.ingest.registry and hub.ingest.collector.options.subscriptions == (
        "facilities/demo/+/telemetry", "plant/+/energy", *DISCOVERY_FILTERS,
    )  # fmt: skip
    # … and through the API, as an admin does it
    _, admin_key = _key(hub, Role.ADMIN)
    _, staff_key = _key(hub, Role.STAFF)
    with TestClient(hub.api()) as client:
        refused = client.post("/admin/reload", headers={"X-API-Key": admin_key})
        assert refused.status_code == 422 and "meters[0].area" in refused.json()["error"]["message"]
        assert client.post("/admin/reload", headers={"X-API-Key": staff_key}).status_code == 403

    # 3. remove: L2 (firing) and the pump go; L2's alarm is cleared once, L1's stays open
    wait_until(lambda: stored(hub, "PUMP-E", "total") == 35, "the pump's readings on its new topic", 30)
    site_file.write_text(BASE, encoding="utf-8")
    with TestClient(hub.api()) as client:
        answer = client.post("/admin/reload", headers={"X-API-Key": admin_key})
    assert answer.status_code == 200, answer.text
    assert answer.json()["removed"] == ["L2", "PUMP-E"] and answer.json()["alarms_cleared"] == 1
    send(mosquitto.port, [fault("L2", 6), *energy("plant", 3, 300)])

    sent = device.stop()
    wait_until(lambda: unknown(hub) == ["L2"], "the removed elevator's dead letter", 30)
    settled(hub)
    assert stored(hub, "B1-0101-W", "total") == sent  # the steady device: not one reading lost or doubled
    assert stored(hub, "PUMP-E", "total") == 20 + 15  # the old topic's 10 never arrived
    assert stored(hub, "L2", "fault_code") == 1
    assert stored(hub, "L1", "fault_code") == 1
    assert orders(hub) == [("L1", "elevator-fault-code"), ("L2", "elevator-fault-code")]  # none twice
    assert open_alarms(hub) == [("L1", "elevator-fault-code")]
    assert unknown(hub) == ["L2"]  # the pump's topic is no longer subscribed: its 3 messages never came
    assert hub.reloader is not None and (hub.reloader.reloads, hub.reloader.refused) == (3, 2)

    # the device inventory: online by their last readings, L1 with its open alarm, removed devices gone
    with TestClient(hub.api()) as client:
        online = client.get("/devices?state=online", headers={"X-API-Key": staff_key}).json()["items"]
        offline = client.get("/devices?state=offline", headers={"X-API-Key": staff_key}).json()["items"]
        elevators = client.get("/devices?kind=elevator", headers={"X-API-Key": staff_key}).json()["items"]
    assert [d["asset_id"] for d in online] == ["L1"]  # a reading just now
    assert [d["asset_id"] for d in offline] == ["B1-0101-W"]  # its readings are stamped two hours ago
    assert [(d["asset_id"], d["open_alarms"], d["protocol"]) for d in elevators] == [
        ("L1", ["elevator-fault-code"], "mqtt")
    ]


def _key(hub: Hub, role: Role) -> tuple[int, str]:
    with hub.sessions() as session:
        row, secret = create_key(session=session, name=f"reload-{role.value}", role=role, now=datetime.now(UTC))
        return row.id, secret
