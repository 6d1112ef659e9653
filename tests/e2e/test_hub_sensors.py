"""Issue 19 evidence through the real broker and the real hub: a leak detector, a smoke detector, a door contact,
a tank level and a pump, each publishing what its maker's firmware publishes, are stored with the right types,
fire their built-in rules, open a work order for the right trade, alert that trade's team, and clear.

Payloads are written from the makers' documentation: Zigbee2MQTT device pages (exposes `water_leak`, `smoke`,
`contact` — true means closed —, `battery`, `linkquality`; `last_seen` as epoch ms with the `last_seen: epoch`
option), Tasmota's `tele/<topic>/SENSOR` with an ADC range (`ANALOG.Range1`, a percentage) and its local `Time`,
and a Shelly Plus 1's Gen2 status topics `<id>/status/switch:0` (`output`) and `<id>/status/input:0` (`state`),
its dry contact wired to the pump controller's fault relay.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.e2e
ALERTS = Path(__file__).resolve().parents[2] / "examples" / "alerts-demo.toml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SHELLY = "shellyplus1-a8032ab12345"
SITE = parse_site(
    MINIMAL
    + """
[[areas]]
id = "b1-pump-room"
name = "B1 泵房"
kind = "plant_room"
building = "B1"

[[sensors]]
id = "leak-b1-pump"
kind = "water_leak"
area = "b1-pump-room"
[[sensors]]
id = "smoke-b1-pump"
kind = "smoke"
area = "b1-pump-room"
[[sensors]]
id = "door-b1-pump"
kind = "contact"
area = "b1-pump-room"
[[sensors]]
id = "tank-b1"
kind = "level"
area = "b1-pump-room"
[[sensors]]
id = "pump-b1-1"
kind = "pump"
area = "b1-pump-room"

[[mqtt_mappings]]
topic = "zigbee2mqtt/{device}"
asset = "{device}"
timestamp = "last_seen"
timestamp_format = "epoch_ms"
fields.leak = { path = "water_leak", optional = true }
fields.smoke = { path = "smoke", optional = true }
fields.open = { path = "contact", invert = true, optional = true }
fields.battery = { path = "battery", optional = true }
fields.linkquality = { path = "linkquality", optional = true }

[[mqtt_mappings]]
topic = "tele/{device}/SENSOR"
asset = "{device}"
timestamp = "Time"
timezone = "Asia/Shanghai"
fields.level_pct = "ANALOG.Range1"

[[mqtt_mappings]]
topic = "{device}/status/switch:0"
asset = "{device}"
lookup = { "shellyplus1-a8032ab12345" = "pump-b1-1" }
fields.running = "output"

[[mqtt_mappings]]
topic = "{device}/status/input:0"
asset = "{device}"
lookup = { "shellyplus1-a8032ab12345" = "pump-b1-1" }
fields.fault = "state"
"""
)
NOW = datetime.now(UTC).replace(microsecond=0)


class AlertInbox:
    """Every team's phone: the alert messages on the demo routing's MQTT channel, by topic."""

    def __init__(self, port: int) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="team-phones", protocol=mqtt.MQTTv311)
        subscribed = threading.Event()
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, json.loads(m.payload)))
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("facilities/lakeview/alerts/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(10)

    def teams_told(self, title: str) -> set[str]:
        return {
            topic.split("/")[3]
            for topic, message in self.messages
            if message.get("kind") == "alert" and title in json.dumps(message, ensure_ascii=False)
        }

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hub]:
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-sensors",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        alerts_file=ALERTS,
    )
    hub = build_hub(settings, site=SITE)
    hub.start()
    try:
        assert hub.ingest.collector.subscribed.wait(10)
        yield hub
    finally:
        hub.stop()


def z2m(device: str, at: datetime, **state: object) -> tuple[str, bytes | str | dict[str, object]]:
    return f"zigbee2mqtt/{device}", {**state, "linkquality": 120, "last_seen": int(at.timestamp() * 1000)}


def tasmota(device: str, at: datetime, range_pct: int) -> tuple[str, bytes | str | dict[str, object]]:
    local = at.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
    return f"tele/{device}/SENSOR", {"Time": local, "ANALOG": {"A0": range_pct * 10, "Range1": range_pct}}


def orders(hub: Hub) -> dict[tuple[str, str], tuple[str, str]]:
    """(asset, rule) → (category, priority) of every work order."""
    with hub.sessions() as session:
        rows = session.execute(text("SELECT asset_id, rule_id, category, priority FROM work_orders"))
        return {(asset, rule): (category, priority) for asset, rule, category, priority in rows}


def open_alarms(hub: Hub) -> set[tuple[str, str]]:
    return {(alarm.asset_id, alarm.rule_id) for alarm in hub.engine.open_alarms()}


def drained(hub: Hub, sent: int) -> bool:
    stats = hub.ingest.collector.stats
    return stats.accepted + stats.rejected >= sent and hub.ingest.spool.lag("rules") == 0 and not hub.rules._undelivered


def stored(hub: Hub, asset_id: str, field: str) -> list[object]:
    asset = hub.ingest.registry.get(asset_id)
    samples = hub.ingest.store.history(asset, field, NOW - timedelta(hours=2), NOW + timedelta(hours=1))
    return [sample.value for sample in samples]


def test_five_sensors_from_third_party_payloads_alarm_order_alert_and_clear(hub: Hub, mosquitto: Mosquitto) -> None:
    inbox = AlertInbox(mosquitto.port)
    try:
        run(hub, mosquitto, inbox)
    finally:
        inbox.close()


def run(hub: Hub, mosquitto: Mosquitto, inbox: AlertInbox) -> None:
    t0 = NOW - timedelta(minutes=50)
    alarming = [
        z2m("leak-b1-pump", t0, water_leak=False, battery=97, battery_low=False, voltage=3005),
        z2m("leak-b1-pump", t0 + timedelta(minutes=1), water_leak=True, battery=97, battery_low=False, voltage=3005),
        z2m("smoke-b1-pump", t0, smoke=True, battery=100, battery_low=False, tamper=False),
        z2m("door-b1-pump", t0, contact=False, battery=100, voltage=3025),  # opened
        z2m("door-b1-pump", t0 + timedelta(minutes=31), contact=False, battery=100, voltage=3025),  # still open
        tasmota("tank-b1", t0, 15),
        tasmota("tank-b1", t0 + timedelta(minutes=6), 14),
        (f"{SHELLY}/status/switch:0", {"id": 0, "source": "init", "output": True, "temperature": {"tC": 41.3}}),
        (f"{SHELLY}/status/input:0", {"id": 0, "state": True}),
    ]
    started = time.monotonic()
    publish(mosquitto.port, alarming)
    wait_until(lambda: drained(hub, len(alarming)), "the hub to judge every reading", 30)
    assert hub.ingest.collector.stats.rejected == 0

    # Stored with the types the kinds declare: booleans as booleans, levels as floats.
    wait_until(lambda: hub.ingest.spool.depth == 0, "every reading written to the store", 30)
    assert stored(hub, "leak-b1-pump", "leak") == [False, True]
    assert stored(hub, "leak-b1-pump", "battery") == [97.0, 97.0]
    assert stored(hub, "door-b1-pump", "open") == [True, True]  # Zigbee2MQTT's contact=false is an open door
    assert stored(hub, "tank-b1", "level_pct") == [15.0, 14.0]
    assert stored(hub, "pump-b1-1", "fault") == [True]
    assert hub.ingest.registry.get("leak-b1-pump").measurement == "sensor_water_leak"

    expected = {
        ("leak-b1-pump", "water-leak"): ("plumbing", "emergency"),
        ("smoke-b1-pump", "smoke-alarm"): ("security", "emergency"),
        ("door-b1-pump", "plant-room-door-open"): ("security", "normal"),
        ("tank-b1", "tank-level-low"): ("plumbing", "high"),
        ("pump-b1-1", "pump-fault"): ("plumbing", "high"),
    }
    wait_until(lambda: orders(hub) == expected, f"work orders {expected}", 30)
    assert open_alarms(hub) == set(expected)

    wait_until(lambda: "plumbing" in inbox.teams_told("漏水"), "the plumbers' leak alert", 30)
    print(f"five sensors published → orders and the plumbers' alert in {time.monotonic() - started:.1f} s")
    wait_until(lambda: inbox.teams_told("烟感报警") >= {"security", "duty-manager"}, "smoke to security + duty", 30)
    assert "plumbing" not in inbox.teams_told("烟感报警")
    wait_until(lambda: "security" in inbox.teams_told("机房门未关"), "the door alert", 30)
    wait_until(lambda: "plumbing" in inbox.teams_told("水箱液位低"), "the tank alert", 30)
    wait_until(lambda: "plumbing" in inbox.teams_told("水泵故障"), "the pump alert", 30)

    t1 = t0 + timedelta(minutes=40)
    clearing = [
        z2m("leak-b1-pump", t1, water_leak=False, battery=96),
        z2m("smoke-b1-pump", t1, smoke=False, battery=100),
        z2m("door-b1-pump", t1, contact=True, battery=100),
        tasmota("tank-b1", t1, 35),
        (f"{SHELLY}/status/input:0", {"id": 0, "state": False}),
    ]
    publish(mosquitto.port, clearing)
    wait_until(lambda: drained(hub, len(alarming) + len(clearing)), "the clearing readings judged", 30)
    wait_until(lambda: not open_alarms(hub), "every alarm cleared", 30)
    assert hub.ingest.collector.stats.rejected == 0
    assert orders(hub) == expected  # cleared alarms note their order; nothing was opened twice
    with hub.sessions() as session:
        noted = session.execute(text("SELECT count(*) FROM work_order_comments WHERE text LIKE 'Alarm % cleared%'"))
        assert noted.scalar() == len(expected)


def test_a_leak_payload_that_is_not_a_boolean_is_a_dead_letter_naming_the_field(hub: Hub, mosquitto: Mosquitto) -> None:
    publish(mosquitto.port, [z2m("leak-b1-pump", NOW, water_leak="maybe", battery=97)])
    wait_until(lambda: hub.ingest.spool.dead_letter_count() == 1, "the bad reading dead-lettered", 30)
    [letter] = hub.ingest.spool.dead_letters(limit=5)
    assert letter.source == "zigbee2mqtt/leak-b1-pump"
    assert "field 'leak': 'maybe' is not a boolean" in letter.error
    assert orders(hub) == {}
