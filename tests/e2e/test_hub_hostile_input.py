"""Hostile payloads through a real Mosquitto into the real hub: every good reading lands, every bad one is a
dead letter with its reason, and nothing is redelivered after a restart (issue 16)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.e2e
SITE = parse_site(
    MINIMAL
    + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
    + '[[circuits]]\nid = "LOBBY-LIGHT"\narea = "lobby"\nrated_power_w = 300\n'
)
METERS = sorted(SITE.meters)
NOW = int(time.time())
LIFT, LIGHT = "facilities/demo/L1/telemetry", "facilities/demo/LOBBY-LIGHT/telemetry"


def meter_topic(n: int) -> str:
    return f"facilities/demo/{METERS[n % len(METERS)]}/telemetry"


def nested(depth: int) -> str:
    return '{"state": ' + "[" * depth + "1" + "]" * depth + "}"


# (topic, payload, a word the dead letter's reason must contain): every field type, every way to be wrong.
BAD: list[tuple[str, bytes, str]] = [
    *(
        (LIFT, json.dumps({"floor": v}).encode(), "field 'floor': ")
        for v in (1e308, 2**63, -(2**63) - 1, 1e19, 2.5, "x")
    ),
    (LIFT, b'{"floor": 1e400}', "not JSON"),
    (LIFT, b'{"floor": 123456789012345678901234567890}', "field 'floor': "),
    (LIFT, b'{"floor": true}', "field 'floor': "),
    (LIFT, b'{"floor": [3]}', "list value"),
    (LIFT, b'{"floor": {"n": 3}}', "dict value"),
    (LIFT, b'{"fault_code": 99999999999999999999}', "field 'fault_code': "),
    (LIFT, b'{"fault_code": "E17"}', "field 'fault_code': "),
    (LIFT, b'{"vibration": "NaN"}', "field 'vibration': "),
    (LIFT, b'{"vibration": "inf"}', "field 'vibration': "),
    (LIFT, b'{"vibration": "-1e999"}', "field 'vibration': "),
    (LIFT, b'{"vibration": false}', "field 'vibration': "),
    (LIFT, b'{"noise_db": "loud"}', "field 'noise_db': "),
    (LIFT, json.dumps({"state": "x" * 60_000}).encode(), "field 'state': 'xxx"),
    (LIFT, json.dumps({"state": "x" * 1_000_000}).encode(), "exceeds the 65536-byte limit"),
    (LIFT, b'{"state": "moving\\u0000"}', "contains NUL"),
    (LIFT, b'{"state": "\\ud800"}', "not JSON"),
    (LIFT, b'{"state": "\xff\xfe"}', "not JSON"),
    (LIFT, b'{"state": true}', "field 'state': "),
    (LIFT, json.dumps({"door": "o" * 300}).encode(), "field 'door': "),
    (LIFT, b'{"alarm": "maybe"}', "field 'alarm': "),
    (LIFT, b'{"alarm": 2}', "field 'alarm': "),
    (LIFT, b'{"in_door_zone": 0.5}', "field 'in_door_zone': "),
    (LIFT, json.dumps({f"f{n}": n for n in range(100)}).encode(), "100 fields; at most 64"),
    (LIFT, json.dumps({f"k{n:x}": 0 for n in range(10_000)}).encode(), "exceeds the 65536-byte limit"),
    (LIFT, nested(5).encode(), "list value"),
    (LIFT, nested(5000).encode(), "not JSON"),
    (LIFT, b'{"bad name": 1}', "field name"),
    (LIFT, b'{"": 1}', "field name"),
    (LIFT, b'{"x\\ny": 1}', "field name"),
    (LIGHT, b'{"on": "sometimes"}', "'on'"),
    (LIGHT, b'{"power_w": [1]}', "list value"),
    (LIGHT, b'{"power_w": "1e400"}', "field 'power_w': "),
    (meter_topic(0), b'{"total": -5}', "negative"),
    (meter_topic(1), b'{"total": "-0.5"}', "negative"),
    (meter_topic(2), b'{"total": 1e309}', "not JSON"),
    (meter_topic(3), b'{"total": "NaN"}', "field 'total': "),
    (meter_topic(4), b'{"total": null}', "NoneType value"),
    (meter_topic(5), b'{"rate": "fast"}', "field 'rate': "),
    (meter_topic(6), b'{"total": 1, "ts": "yesterday"}', "ts 'yesterday'"),
    (meter_topic(7), b'{"total": 1, "ts": 1e30}', "out of range"),
    (meter_topic(8), json.dumps({"total": 1, "ts": NOW + 86_400}).encode(), "in the future"),
    (meter_topic(9), json.dumps({"total": 1, "ts": NOW - 500 * 86_400}).encode(), "days old"),
    (meter_topic(10), b'{"ts": 1}', "no fields besides ts"),
    (meter_topic(11), b"[1, 2, 3]", "expected a JSON object"),
    (meter_topic(0), b"", "not JSON"),
    (meter_topic(1), b"\x00\x01\x02", "not JSON"),
    (meter_topic(2), b"total=5", "not JSON"),
    ("facilities/demo/NOPE/telemetry", b'{"total": 1}', "unknown asset id 'NOPE'"),
    ("facilities/demo/" + "A" * 5000 + "/telemetry", b'{"total": 1}', "unknown asset id"),
    ("facilities/demo/B1-0101-W/telemetry", json.dumps({"total": 2**70, "rate": "1" * 400}).encode(), "field 'rate': "),
]


def good(n: int) -> tuple[str, bytes]:
    """A distinct (meter, time) reading, or an elevator's, so every good one is one point of its own."""
    if n % 5 == 4:
        return LIFT, json.dumps({"ts": NOW - 3600 + n, "state": "stopped", "floor": n % 6, "vibration": 0.1}).encode()
    return meter_topic(n), json.dumps({"ts": NOW - 3600 + n, "total": 1000.0 + n}).encode()


def hub_for(tmp_path: Path, mosquitto: Mosquitto) -> Hub:
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-hostile",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
    )
    hub = build_hub(settings, site=SITE)
    hub.start()
    assert hub.ingest.collector.subscribed.wait(10)
    return hub


def stored_points(hub: Hub, goods: list[tuple[str, bytes]]) -> int:
    """How many of the good readings the store holds, each found by its asset, field and time."""
    found = 0
    for topic, payload in goods:
        body = json.loads(payload)
        asset = hub.ingest.registry.get(topic.split("/")[2])
        field = "total" if "total" in body else "floor"
        at = datetime.fromtimestamp(body["ts"], UTC)
        samples = hub.ingest.store.history(asset, field, at, at + timedelta(seconds=1))
        found += len(samples) == 1
    return found


def test_every_good_reading_lands_and_every_bad_one_is_a_dead_letter_once(tmp_path: Path, mosquitto: Mosquitto) -> None:
    assert len(BAD) >= 50
    goods = [good(n) for n in range(len(BAD) + 30)]
    interleaved: list[tuple[str, bytes | str | dict[str, object]]] = []
    for n, message in enumerate(goods):
        interleaved.append(message)
        if n < len(BAD):
            interleaved.append(BAD[n][:2])
    hub = hub_for(tmp_path, mosquitto)
    try:
        publish(mosquitto.port, interleaved)
        wait_until(lambda: hub.ingest.spool.dead_letter_count() == len(BAD), "every bad message dead-lettered", 30)
        wait_until(lambda: stored_points(hub, goods) == len(goods), "every good reading in the store", 30)
        letters = {d.id: d for d in hub.ingest.spool.dead_letters(limit=500)}
        assert len(letters) == len(BAD)
        # Each bad message has its own dead letter, from its topic, with its reason.
        unused = dict(letters)
        for topic, _, reason in BAD:
            match = next((i for i, d in unused.items() if d.source == topic and reason in d.error), None)
            assert match is not None, (topic[:80], reason, [d.error for d in unused.values() if d.source == topic])
            assert len(unused.pop(match).error) <= 1000
        assert hub.ingest.collector.stats.received == len(interleaved)
        assert hub.ingest.collector.connected.is_set() and hub.ingest.collector.stats.connects == 1
    finally:
        hub.stop()

    # Every message was acknowledged: after a restart nothing comes back but what is published anew.
    hub = hub_for(tmp_path, mosquitto)
    try:
        sentinel = (meter_topic(0), json.dumps({"ts": NOW - 10, "total": 5000.0}).encode())
        publish(mosquitto.port, [sentinel])
        wait_until(lambda: stored_points(hub, [sentinel]) == 1, "the sentinel stored", 30)
        assert hub.ingest.collector.stats.received == 1
        assert hub.ingest.spool.dead_letter_count() == len(BAD)
        assert stored_points(hub, goods) == len(goods)
    finally:
        hub.stop()
