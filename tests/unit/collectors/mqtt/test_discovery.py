"""Home Assistant MQTT discovery: real Zigbee2MQTT and Tasmota config messages, and hostile ones."""

from __future__ import annotations

import json

import pytest

from collectors.mqtt.discovery import (
    MAX_PAYLOAD,
    DiscoveryError,
    parse_config,
    parse_topic,
    render,
    state_value,
    template_path,
)
from tests.support.discovery_messages import (
    TASMOTA_ENERGY,
    TASMOTA_STATE,
    Z2M_LEAK,
    Z2M_LEAK_STATE,
    Z2M_TEMP,
    Z2M_TEMP_STATE,
)


def entity(message: tuple[str, str]):  # type: ignore[no-untyped-def]
    found = parse_config(message[0], message[1].encode())
    assert found is not None
    return found


def test_zigbee2mqtt_leak_sensor() -> None:
    leak = entity(Z2M_LEAK)
    assert (leak.component, leak.node_id, leak.object_id) == ("binary_sensor", "0x00158d0008a1b2c3", "water_leak")
    assert (leak.device_name, leak.model, leak.manufacturer) == (
        "leak_b1_pump",
        "Water leak sensor (SJCGQ11LM)",
        "Aqara",
    )
    assert (leak.state_topic, leak.json_path, leak.device_class) == (
        "zigbee2mqtt/leak_b1_pump",
        "water_leak",
        "moisture",
    )
    assert (leak.payload_on, leak.payload_off, leak.supported) == ("true", "false", True)
    assert leak.availability[0].topic == "zigbee2mqtt/bridge/state"
    assert state_value(leak, Z2M_LEAK_STATE[1].encode()) is True


def test_zigbee2mqtt_temperature_sensor() -> None:
    temp = entity(Z2M_TEMP)
    assert (temp.unit, temp.device_class, temp.json_path) == ("°C", "temperature", "temperature")
    assert state_value(temp, Z2M_TEMP_STATE[1].encode()) == 24.6


def test_tasmota_abbreviated_keys_are_expanded() -> None:
    plug = entity(TASMOTA_ENERGY)
    assert (plug.state_topic, plug.unit, plug.device_class) == ("tele/pump_plug/SENSOR", "kWh", "energy")
    assert plug.json_path == "ENERGY.Total" and plug.device_ids == ("A4CF12B3C4D5",)
    [avail] = plug.availability
    assert (avail.topic, avail.payload_available, avail.payload_not_available) == (
        "tele/pump_plug/LWT",
        "Online",
        "Offline",
    )
    assert state_value(plug, TASMOTA_STATE[1].encode()) == 812.345


def test_node_id_form_and_base_topic() -> None:
    config = {"~": "esphome/pump-room", "stat_t": "~/sensor/pressure/state", "uniq_id": "pr1", "unit_of_meas": "bar"}
    found = parse_config("homeassistant/sensor/pump-room/pressure/config", json.dumps(config).encode())
    assert found is not None and (found.node_id, found.state_topic) == (
        "pump-room",
        "esphome/pump-room/sensor/pressure/state",
    )
    assert state_value(found, b"3.2") == 3.2  # no template: the payload is the value


def test_an_empty_payload_removes_the_entity_and_other_topics_are_not_discovery() -> None:
    assert parse_config(Z2M_LEAK[0], b"") is None
    assert parse_topic("zigbee2mqtt/leak_b1_pump") is None
    assert parse_topic("homeassistant/sensor/a/b/c/config") is None
    assert parse_topic("homeassistant/sensor/../config") is None


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("{{ value_json.temperature }}", "temperature"),
        ("{{value_json['ENERGY']['Total']}}", "ENERGY.Total"),
        ('{{ value_json["a"].b | float }}', "a.b"),
        ("{{ value_json.x | round(1) }}", "x"),
        ("{{ value_json.x * 10 }}", None),
        ("{{ value }}", None),
    ],
)
def test_common_templates_become_paths(template: str, path: str | None) -> None:
    assert template_path(template) == path


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"[1]", "not a JSON object"),
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"stat_t": "a/#"}', "not a topic"),
        (b'{"stat_t": 5}', "not text"),
        (b'{"name": "' + b"x" * 300 + b'"}', "at most 256"),
        (b" " * 10 + b"{" + b'"a":1,' * (MAX_PAYLOAD // 6) + b"}", "at most"),
    ],
)
def test_hostile_configs_are_refused_with_the_reason(payload: bytes, error: str) -> None:
    with pytest.raises(DiscoveryError, match=error):
        parse_config("homeassistant/sensor/x/config", payload)


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'a' * 100000000 }}",
        "{{ 10 ** 100000 }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ value_json.__class__ }}",
        "{% for i in range(100000) %}x{% endfor %}",
        "{{ " + "1+" * 200 + "1 }}",
        "{{ value_json.x ",
    ],
)
def test_hostile_templates_are_refused_or_harmless(template: str) -> None:
    config = json.dumps({"stat_t": "t/x", "val_tpl": template}).encode()
    try:
        found = parse_config("homeassistant/sensor/x/config", config)
    except DiscoveryError:
        return  # refused whole: too long
    assert found is not None and (not found.supported or _harmless(template))


def _harmless(template: str) -> bool:
    try:
        out = render(template, b'{"x": 1}')
    except DiscoveryError:
        return True
    return len(out) <= 1024 and "class" not in out


def test_a_template_that_fails_on_a_payload_names_the_template() -> None:
    temp = entity(Z2M_TEMP)
    assert state_value(temp, b'{"humidity": 50}') is None  # a missing key renders empty: no value, no crash
    with pytest.raises(DiscoveryError, match="value_template failed"):
        render("{{ value_json.a.b.c + 1 }}", b'{"a": 1}')
