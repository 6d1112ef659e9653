"""MQTT payload mappings: config validation (payload_config) and decoding third-party payloads (payloads)."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from collectors.mqtt.collector import NoRoute, OwnTopicDecoder, own_topic_filter
from collectors.mqtt.payload_config import MqttField, MqttMapping
from collectors.mqtt.payloads import MappingDecoder, MappingError, NoMappingMatches, subscription_filters
from collectors.mqtt.telemetry import MAX_PAYLOAD_BYTES, PayloadError
from core.reading import Reading

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[4] / "collectors" / "mqtt" / "README.md"

TASMOTA_PAYLOAD = (
    b'{"Time":"2026-11-26T08:00:00","ENERGY":{"TotalStartTime":"2025-01-01T00:00:00","Total":123.456,'
    b'"Yesterday":1.204,"Today":0.512,"Period":0,"Power":40,"ApparentPower":45,"ReactivePower":20,'
    b'"Factor":0.89,"Voltage":230,"Current":0.19}}'
)
Z2M_WATER_PAYLOAD = b'{"water_consumed":12.345,"flow":0.4,"battery":87,"linkquality":96,"last_seen":1795651200123}'
WMBUS_PAYLOAD = (
    b'{"media":"water","meter":"multical21","name":"","id":"76348799","total_m3":6.408,"target_m3":6.301,'
    b'"current_status":"DRY","timestamp":"2026-11-26T00:00:00Z"}'
)
CHIRPSTACK_PAYLOAD = (
    b'{"deduplicationId":"3ac7e3c4-4401-4b8d-9386-a5c902f9202d","time":"2026-11-26T00:00:00.123+00:00",'
    b'"deviceInfo":{"applicationId":"17c82e96-be03-4f38-aef3-f83d48582d97","devEui":"0004a30b001c0530"},'
    b'"fPort":2,"object":{"readings":[{"channel":1,"value":12.5},{"channel":2,"value":0.3}]}}'
)


def mapping(**spec: Any) -> MqttMapping:
    return MqttMapping.model_validate(spec)


def tasmota(**overrides: Any) -> MqttMapping:
    spec: dict[str, Any] = {
        "topic": "tele/{device}/SENSOR",
        "asset": "{device}",
        "timestamp": "Time",
        "timezone": "Asia/Shanghai",
        "fields": {"total": "ENERGY.Total", "rate": {"path": "ENERGY.Power", "scale": 0.001}},
    }
    spec.update(overrides)
    return mapping(**spec)


def decode_one(m: MqttMapping, topic: str, payload: bytes) -> Reading:
    [reading] = MappingDecoder([m])(topic, payload, NOW)
    return reading


def problem(m: MqttMapping, topic: str, payload: bytes) -> str:
    """The part of the error after the topic/mapping prefix."""
    with pytest.raises(MappingError) as caught:
        MappingDecoder([m])(topic, payload, NOW)
    return caught.value.problem


# --- realistic devices -------------------------------------------------------------------------------------


def test_tasmota_energy_plug() -> None:
    reading = decode_one(tasmota(), "tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD)
    # 08:00 local time in Shanghai (UTC+8) is midnight UTC.
    assert reading == Reading("PUMP-E", datetime(2026, 11, 26, 0, 0, tzinfo=UTC), {"total": 123.456, "rate": 0.04})
    assert reading.ts.utcoffset() == timedelta(hours=8)


def test_a_time_without_offset_is_utc_unless_the_mapping_names_a_zone() -> None:
    m = tasmota(timezone=None)
    reading = decode_one(m, "tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD)
    assert reading.ts == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_a_time_with_an_offset_keeps_it_whatever_the_zone() -> None:
    payload = b'{"Time":"2026-11-26T08:00:00+00:00","ENERGY":{"Total":1,"Power":2}}'
    assert decode_one(tasmota(), "tele/PUMP-E/SENSOR", payload).ts == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def z2m_water() -> MqttMapping:
    return mapping(
        topic="zigbee2mqtt/{building}/{device}",
        asset="{building}-{device}-W",
        timestamp="last_seen",
        timestamp_format="epoch_ms",
        fields={"total": "water_consumed", "rate": {"path": "flow", "optional": True}},
    )


def test_zigbee2mqtt_water_meter() -> None:
    reading = decode_one(z2m_water(), "zigbee2mqtt/B1/0101", Z2M_WATER_PAYLOAD)
    assert reading == Reading(
        "B1-0101-W", datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC), {"total": 12.345, "rate": 0.4}
    )


def test_an_absent_optional_field_is_left_out() -> None:
    payload = b'{"water_consumed":12.345,"battery":87,"last_seen":1795651200123}'
    assert decode_one(z2m_water(), "zigbee2mqtt/B1/0101", payload).fields == {"total": 12.345}


def test_a_null_optional_field_is_left_out() -> None:
    payload = b'{"water_consumed":12.345,"flow":null,"last_seen":1795651200123}'
    assert decode_one(z2m_water(), "zigbee2mqtt/B1/0101", payload).fields == {"total": 12.345}


def test_zigbee2mqtt_plug_on_a_lighting_circuit_passes_text_and_numbers_through() -> None:
    m = mapping(topic="zigbee2mqtt/lights/{circuit}", asset="{circuit}", fields={"on": "state", "power_w": "power"})
    reading = decode_one(m, "zigbee2mqtt/lights/B1-CORRIDOR-LIGHT", b'{"state":"ON","power":1180.5,"energy":2.1}')
    assert reading == Reading("B1-CORRIDOR-LIGHT", NOW, {"on": "ON", "power_w": 1180.5})


def esphome_wh() -> MqttMapping:
    return mapping(
        topic="esphome/{asset}/sensor/energy/state",
        asset="{asset}",
        payload="number",
        fields={"total": {"scale": 0.001}},
    )


def test_plain_number_wh_counter_is_scaled_to_kwh() -> None:
    reading = decode_one(esphome_wh(), "esphome/B1-0101-E/sensor/energy/state", b"4567891\n")
    # 4567891 * 0.001 would be 4567.8910000000005; the decoder divides by 1000 instead.
    assert reading == Reading("B1-0101-E", NOW, {"total": 4567.891})


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(b"42", 42), (b" -4.5 ", -4.5), (b"1.2e3", 1200.0), (b".5", 0.5), (b"+7.", 7.0)],
)
def test_plain_number_unscaled(payload: bytes, expected: float) -> None:
    m = mapping(topic="sensors/{asset}/count", asset="{asset}", payload="number", fields={"total": {}})
    value = decode_one(m, "sensors/PUMP-W/count", payload).fields["total"]
    assert value == expected
    assert type(value) is type(expected)


def test_scale_that_is_not_a_fraction_multiplies() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", payload="number", fields={"total": {"scale": 2.5}})
    assert decode_one(m, "m/PUMP-E", b"4").fields == {"total": 10.0}


def test_a_negative_fraction_scale_divides_with_the_sign() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", payload="number", fields={"total": {"scale": -0.001}})
    assert decode_one(m, "m/PUMP-E", b"4567891").fields == {"total": -4567.891}


def test_scaled_text_holding_a_number_is_scaled() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", fields={"total": {"path": "wh", "scale": 0.001}})
    assert decode_one(m, "m/PUMP-E", b'{"wh": " 4567891 "}').fields == {"total": 4567.891}


def wmbus() -> MqttMapping:
    return mapping(
        topic="wmbusmeters/{serial}",
        asset="{serial}",
        timestamp="timestamp",
        timestamp_format="iso",
        fields={"total": "total_m3"},
        lookup={"76348799": "B1-0101-W", "76348800": "B1-0102-W"},
    )


def test_lookup_by_serial_number() -> None:
    reading = decode_one(wmbus(), "wmbusmeters/76348799", WMBUS_PAYLOAD)
    assert reading == Reading("B1-0101-W", datetime(2026, 11, 26, 0, 0, tzinfo=UTC), {"total": 6.408})


def test_lookup_key_is_the_rendered_template() -> None:
    m = mapping(
        topic="gw/{site}/{mac}",
        asset="{site}:{mac}",
        lookup={"north:A4:C1:38:F0:11:22": "B2-0301-E"},
        fields={"total": "kwh"},
    )
    assert decode_one(m, "gw/north/A4:C1:38:F0:11:22", b'{"kwh": 7}').asset_id == "B2-0301-E"


def chirpstack() -> MqttMapping:
    return mapping(
        topic="application/+/device/{dev_eui}/event/up",
        asset="{dev_eui}",
        timestamp="time",
        lookup={"0004a30b001c0530": "PUMP-W"},
        fields={"total": "object.readings.0.value", "rate": "object.readings.1.value"},
    )


def test_nested_list_paths() -> None:
    topic = "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0004a30b001c0530/event/up"
    reading = decode_one(chirpstack(), topic, CHIRPSTACK_PAYLOAD)
    assert reading == Reading(
        "PUMP-W", datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC), {"total": 12.5, "rate": 0.3}
    )


def test_a_digit_step_is_a_key_in_an_object() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", fields={"total": "registers.0"})
    assert decode_one(m, "m/PUMP-E", b'{"registers": {"0": 5.5}}').fields == {"total": 5.5}


def test_fixed_asset_for_a_fixed_topic() -> None:
    m = mapping(topic="plant/pump/energy", asset="PUMP-E", fields={"total": "kwh"})
    assert decode_one(m, "plant/pump/energy", b'{"kwh": 3}') == Reading("PUMP-E", NOW, {"total": 3})


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("auto", "1795651200", None),  # text is ISO in auto mode, so this one is an error
        ("auto", 1795651200, datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("auto", 1795651200123, datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)),
        ("auto", "2026-11-26T08:00:00+08:00", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("epoch_s", 1795651200, datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
        ("epoch_s", "1795651200.5", datetime(2026, 11, 26, 0, 0, 0, 500000, tzinfo=UTC)),
        ("epoch_ms", 1795651200123, datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)),
        ("epoch_ms", "1795651200123", datetime(2026, 11, 26, 0, 0, 0, 123000, tzinfo=UTC)),
        # A small epoch_ms is still milliseconds; auto would have read it as seconds.
        ("epoch_ms", 86_400_000, datetime(1970, 1, 2, tzinfo=UTC)),
        ("iso", "2026-11-26T00:00:00Z", datetime(2026, 11, 26, 0, 0, tzinfo=UTC)),
    ],
)
def test_timestamp_formats(fmt: str, value: object, expected: datetime | None) -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", timestamp="t", timestamp_format=fmt, fields={"total": "v"})
    payload = json.dumps({"t": value, "v": 1}).encode()
    if expected is None:
        with pytest.raises(MappingError, match="is not ISO 8601"):
            decode_one(m, "m/PUMP-E", payload)
    else:
        assert decode_one(m, "m/PUMP-E", payload).ts == expected


def test_receive_time_without_a_timestamp_path() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", fields={"total": "v"})
    assert decode_one(m, "m/PUMP-E", b'{"v": 1, "ts": 1795651200}').ts == NOW


def test_ignore_mapping_drops_the_message() -> None:
    decode = MappingDecoder([mapping(topic="zigbee2mqtt/bridge/+", ignore=True), z2m_water()])
    assert list(decode("zigbee2mqtt/bridge/logging", b'{"level":"info","message":"hi"}', NOW)) == []
    [reading] = decode("zigbee2mqtt/B1/0101", Z2M_WATER_PAYLOAD, NOW)
    assert reading.asset_id == "B1-0101-W"


# --- precedence, fallback, no match ------------------------------------------------------------------------


def test_first_matching_mapping_wins() -> None:
    general = mapping(topic="tele/{device}/SENSOR", asset="{device}", fields={"total": "ENERGY.Total"})
    specific = mapping(topic="tele/PUMP-E/SENSOR", asset="PUMP-W", fields={"total": "ENERGY.Today"})
    assert MappingDecoder([general, specific])("tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD, NOW)[0].fields == {
        "total": 123.456
    }
    assert MappingDecoder([specific, general])("tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD, NOW)[0] == Reading(
        "PUMP-W", NOW, {"total": 0.512}
    )


def test_a_failing_match_does_not_fall_through_to_later_mappings() -> None:
    first = mapping(topic="tele/{device}/SENSOR", asset="{device}", fields={"total": "missing"})
    second = mapping(topic="tele/{device}/SENSOR", asset="{device}", fields={"total": "ENERGY.Total"})
    with pytest.raises(MappingError) as caught:
        MappingDecoder([first, second])("tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD, NOW)
    assert caught.value.index == 0


def test_non_matching_mappings_are_skipped() -> None:
    decode = MappingDecoder([esphome_wh(), z2m_water(), tasmota()])
    assert decode("tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD, NOW)[0].asset_id == "PUMP-E"
    with pytest.raises(MappingError, match=re.escape("mqtt_mappings[2] 'tele/{device}/SENSOR'")):
        decode("tele/PUMP-E/SENSOR", b"{}", NOW)


def test_fallback_decodes_our_own_topics() -> None:
    decode = MappingDecoder([tasmota()], fallback=OwnTopicDecoder("lakeview"))
    [reading] = decode("facilities/lakeview/B1-L1/telemetry", b'{"ts": 1795651200, "floor": 3}', NOW)
    assert reading == Reading("B1-L1", datetime(2026, 11, 26, 0, 0, tzinfo=UTC), {"floor": 3})


def test_no_match_with_fallback_names_both() -> None:
    decode = MappingDecoder([tasmota()], fallback=OwnTopicDecoder("lakeview"))
    with pytest.raises(NoMappingMatches) as caught:
        decode("stat/PUMP-E/POWER", b"ON", NOW)
    assert str(caught.value) == (
        "no mqtt_mappings entry matches topic 'stat/PUMP-E/POWER', and topic 'stat/PUMP-E/POWER' does not "
        "match facilities/lakeview/<asset_id>/telemetry"
    )
    assert isinstance(caught.value, NoRoute)
    assert isinstance(caught.value, PayloadError)


def test_no_match_without_fallback() -> None:
    with pytest.raises(NoMappingMatches, match=r"^no mqtt_mappings entry matches topic 'tele/PUMP-E/STATE'$"):
        MappingDecoder([tasmota()])("tele/PUMP-E/STATE", b"{}", NOW)


def test_payload_errors_of_the_fallback_pass_unchanged() -> None:
    decode = MappingDecoder([tasmota()], fallback=OwnTopicDecoder("lakeview"))
    with pytest.raises(PayloadError, match=r"^no fields besides ts$"):
        decode("facilities/lakeview/B1-L1/telemetry", b'{"ts": 1795651200}', NOW)


@pytest.mark.parametrize(
    ("topic", "matches"),
    [
        ("tele/PUMP-E/SENSOR", True),
        ("tele/PUMP-E/SENSOR/extra", False),
        ("tele/a/b/SENSOR", False),
        ("tele/PUMP-E/sensor", False),
        ("xtele/PUMP-E/SENSOR", False),
        ("tele/PUMP-E/SENSORS", False),
    ],
)
def test_variables_match_exactly_one_level(topic: str, matches: bool) -> None:
    decode = MappingDecoder([tasmota()])
    if matches:
        assert decode(topic, TASMOTA_PAYLOAD, NOW)[0].asset_id == "PUMP-E"
    else:
        with pytest.raises(NoMappingMatches):
            decode(topic, TASMOTA_PAYLOAD, NOW)


def test_literal_levels_are_not_regexes() -> None:
    decode = MappingDecoder([mapping(topic="a.b/{asset}", asset="{asset}", fields={"total": "v"})])
    with pytest.raises(NoMappingMatches):
        decode("aXb/PUMP-E", b'{"v": 1}', NOW)
    assert decode("a.b/PUMP-E", b'{"v": 1}', NOW)[0].asset_id == "PUMP-E"


def test_wildcard_first_level_does_not_match_dollar_topics() -> None:
    decode = MappingDecoder([mapping(topic="{asset}/energy", asset="{asset}", fields={"total": "v"})])
    with pytest.raises(NoMappingMatches):
        decode("$SYS/energy", b'{"v": 1}', NOW)
    assert decode("PUMP-E/energy", b'{"v": 1}', NOW)[0].asset_id == "PUMP-E"


def test_an_empty_level_matches_like_on_the_broker_and_fails_as_an_asset_id() -> None:
    assert problem(tasmota(), "tele//SENSOR", TASMOTA_PAYLOAD).startswith("asset id '' built from '{device}'")


# --- run-time errors, with their messages ------------------------------------------------------------------


def test_error_message_names_topic_mapping_field_and_path() -> None:
    with pytest.raises(MappingError) as caught:
        MappingDecoder([tasmota()])("tele/plug-7/SENSOR", b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Power":4}}', NOW)
    assert str(caught.value) == (
        "topic 'tele/plug-7/SENSOR' (mqtt_mappings[0] 'tele/{device}/SENSOR'): field 'total': "
        "path 'ENERGY.Total' not found in payload (no key 'Total' in 'ENERGY')"
    )
    assert (caught.value.topic, caught.value.index, caught.value.pattern) == (
        "tele/plug-7/SENSOR",
        0,
        "tele/{device}/SENSOR",
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            b'{"Time":"2026-11-26T08:00:00"}',
            "field 'total': path 'ENERGY.Total' not found in payload (no key 'ENERGY')",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":5}',
            "field 'total': path 'ENERGY.Total' not found in payload ('ENERGY' is 5, not an object)",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":[1,2]}',
            "field 'total': path 'ENERGY.Total' not found in payload ('ENERGY' is a list; 'Total' is no index)",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":null,"Power":1}}',
            "field 'total': path 'ENERGY.Total' is null in payload",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":{"kWh":1},"Power":1}}',
            "field 'total': path 'ENERGY.Total' holds an object, not a value; extend the path with a key inside it",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":[1],"Power":1}}',
            "field 'total': path 'ENERGY.Total' holds a list of 1, not a value; extend the path with an index",
        ),
        (
            # NaN is not JSON; some firmware sends it anyway.
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":NaN,"Power":1}}',
            "not JSON: unexpected character",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":1,"Power":"n/a"}}',
            "field 'rate': path 'ENERGY.Power' holds 'n/a', not a number; a scaled field needs a number",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":1,"Power":true}}',
            "field 'rate': path 'ENERGY.Power' holds True, not a number; a scaled field needs a number",
        ),
        (
            b'{"Time":"2026-11-26T08:00:00","ENERGY":{"Total":1,"Power":"NaN"}}',
            "field 'rate': path 'ENERGY.Power' holds 'NaN', not a number",
        ),
        (
            b'{"ENERGY":{"Total":1,"Power":1}}',
            "timestamp path 'Time' not found in payload (no key 'Time'); fix the path or remove 'timestamp'",
        ),
        (b'{"Time":null,"ENERGY":{"Total":1,"Power":1}}', "timestamp path 'Time' is null in payload"),
        (
            b'{"Time":"yesterday","ENERGY":{"Total":1,"Power":1}}',
            "timestamp path 'Time': ts 'yesterday' is not ISO 8601 or epoch seconds",
        ),
        (
            b'{"Time":"' + b"9" * 100 + b'","ENERGY":{"Total":1,"Power":1}}',
            "timestamp path 'Time' holds '" + "9" * 56 + "..., which is too long to be a time",
        ),
        (b"{bad", "not JSON: "),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b"\xff\xfe", "not JSON: "),
        (b'{"pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}', "payload of 65547 bytes exceeds the 65536-byte limit"),
        (b"[" * 60_000, "not JSON: depth limit exceeded"),
        (b'{"ENERGY": {"Total": ' + b"1" * 5000 + b"}}", "not JSON: number is infinity"),
    ],
)
def test_payload_problems_are_explained(payload: bytes, message: str) -> None:
    assert problem(tasmota(), "tele/PUMP-E/SENSOR", payload).startswith(message)


def test_list_index_out_of_range() -> None:
    topic = "application/x/device/0004a30b001c0530/event/up"
    payload = b'{"time":"2026-11-26T00:00:00Z","object":{"readings":[{"value":12.5}]}}'
    assert problem(chirpstack(), topic, payload) == (
        "field 'rate': path 'object.readings.1.value' not found in payload ('object.readings' has 1 item)"
    )


def test_scaled_value_out_of_range() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", fields={"total": {"path": "v", "scale": 1000}})
    assert problem(m, "m/PUMP-E", b'{"v": 1e306}') == "field 'total': path 'v': 1e+306 scaled by 1000.0 is out of range"


def test_all_optional_fields_absent() -> None:
    m = mapping(
        topic="m/{asset}",
        asset="{asset}",
        fields={"total": {"path": "a", "optional": True}, "rate": {"path": "b.c", "optional": True}},
    )
    assert problem(m, "m/PUMP-E", b'{"b": {}}') == (
        "none of the fields is in the payload: path 'a' not found in payload (no key 'a'); "
        "path 'b.c' not found in payload (no key 'c' in 'b')"
    )


def test_missing_lookup_entry() -> None:
    assert problem(wmbus(), "wmbusmeters/76348801", WMBUS_PAYLOAD) == (
        "no lookup entry for '76348801'; add it to this mapping's lookup table"
    )


def test_topic_level_that_is_not_an_asset_id() -> None:
    m = mapping(topic="zigbee2mqtt/{device}", asset="{device}", fields={"total": "v"})
    assert problem(m, "zigbee2mqtt/living room", b'{"v": 1}').startswith(
        "asset id 'living room' built from '{device}' is not valid; an asset id has letters, digits"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"ON", "payload 'ON' is not a number"),
        (b"nan", "payload 'nan' is not a number"),
        (b"1_000", "payload '1_000' is not a number"),
        (b"", "payload '' is not a number"),
        (b"\xd9\xa3", "payload b'\\xd9\\xa3' is not a number"),  # Arabic-Indic 3: float() would take it
        (b'{"v": 1}', "payload '{\"v\": 1}' is not a number"),
        (b"1" * 65, "a number payload of 65 bytes is too long to be a number"),
    ],
)
def test_number_payload_problems(payload: bytes, message: str) -> None:
    assert problem(esphome_wh(), "esphome/B1-0101-E/sensor/energy/state", payload) == message


@pytest.mark.parametrize(
    ("fmt", "value", "message"),
    [
        ("iso", 1795651200, "timestamp path 't' holds 1795651200; timestamp_format 'iso' expects text"),
        ("epoch_s", "noon", "timestamp path 't' holds 'noon'; timestamp_format 'epoch_s' expects a number"),
        ("epoch_ms", True, "timestamp path 't' holds True; timestamp_format 'epoch_ms' expects a number"),
        ("epoch_s", 1e20, "timestamp path 't' holds 1e+20, which is out of range as epoch_s"),
        ("auto", [1], "timestamp path 't': ts [1] is not a time"),
    ],
)
def test_timestamp_problems(fmt: str, value: object, message: str) -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", timestamp="t", timestamp_format=fmt, fields={"total": "v"})
    assert problem(m, "m/PUMP-E", json.dumps({"t": value, "v": 1}).encode()) == message


# --- subscriptions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("tele/{device}/SENSOR", "tele/+/SENSOR"),
        ("zigbee2mqtt/{building}/{device}", "zigbee2mqtt/+/+"),
        ("application/+/device/{dev_eui}/event/up", "application/+/device/+/event/up"),
        ("plant/pump/energy", "plant/pump/energy"),
        ("{site}/meters", "+/meters"),
    ],
)
def test_subscription_filter(topic: str, expected: str) -> None:
    m = mapping(topic=topic, asset="PUMP-E", fields={"total": "v"})
    assert m.subscription_filter() == expected


def test_variables_in_order() -> None:
    assert z2m_water().variables == ("building", "device")


def test_subscription_filters_drop_duplicates_covered_filters_and_ignore_mappings() -> None:
    mappings = [
        mapping(topic="zigbee2mqtt/bridge/+", ignore=True),
        z2m_water(),
        mapping(topic="zigbee2mqtt/lights/{circuit}", asset="{circuit}", fields={"on": "state"}),
        tasmota(),
        tasmota(asset="PUMP-E"),
        mapping(topic="$SYS/broker/load", asset="PUMP-E", fields={"total": "v"}),
        mapping(topic="{x}/broker/load", asset="PUMP-E", fields={"total": "v"}),
    ]
    assert subscription_filters(mappings, own_topic_filter("lakeview")) == (
        "facilities/lakeview/+/telemetry",
        "zigbee2mqtt/+/+",
        "tele/+/SENSOR",
        "$SYS/broker/load",  # '+' in the first level does not reach '$' topics
        "+/broker/load",
    )


def test_fixed_assets() -> None:
    assert wmbus().fixed_assets() == ("B1-0101-W", "B1-0102-W")
    assert tasmota().fixed_assets() == ()
    assert tasmota(asset="PUMP-E").fixed_assets() == ("PUMP-E",)
    assert mapping(topic="a/+", ignore=True).fixed_assets() == ()


# --- load-time validation ----------------------------------------------------------------------------------

BASE: dict[str, Any] = {"topic": "tele/{device}/SENSOR", "asset": "{device}", "fields": {"total": "ENERGY.Total"}}


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        (
            {"asset": "{dev}"},
            "asset",
            "{dev} is not a variable of topic 'tele/{device}/SENSOR', which defines {device}",
        ),
        ({"topic": "tele/SENSOR", "asset": "{device}"}, "asset", "which defines no variables"),
        ({"topic": "zigbee2mqtt/{device}/{device}"}, "topic", "variable {device} appears twice"),
        ({"topic": "tele/#"}, "topic", "'#' is not supported"),
        ({"topic": "tele/dev+/SENSOR"}, "topic", "level 'dev+': '+' must be a whole topic level"),
        ({"topic": "meters/meter_{device}"}, "topic", "level 'meter_{device}': a variable must be a whole topic level"),
        ({"topic": "tele/{1st}/SENSOR"}, "topic", "variable '{1st}' needs a name of letters, digits and '_'"),
        ({"topic": "tele/{}/SENSOR"}, "topic", "variable '{}' needs a name"),
        ({"topic": ""}, "topic", "the topic pattern is empty"),
        ({"topic": "tele/\x00/SENSOR"}, "topic", "a topic cannot contain the NUL character"),
        ({"topic": "t/" + "x" * 65_534}, "topic", "longer than MQTT's 65535 bytes"),
        ({"asset": "{device"}, "asset", "unmatched '{' in '{device'"),
        ({"asset": "device}"}, "asset", "unmatched '}' in 'device}'"),
        ({"asset": "{de-vice}"}, "asset", "{de-vice} in '{de-vice}' is not a variable name"),
        ({"asset": "Plug {device}"}, "", "asset 'Plug {device}': 'Plug ' has characters an asset id cannot hold"),
        ({"asset": "pump room"}, "", "asset 'pump room' is not an asset id"),
        ({"asset": ""}, "asset", "the asset template is empty"),
        ({"payload": "number", "fields": {"total": {}, "rate": {}}}, "fields", "got 2 (total, rate)"),
        ({"payload": "number", "fields": {"total": "v"}}, "fields", "a number payload has no JSON paths"),
        (
            {"payload": "number", "fields": {"total": {"optional": True}}},
            "fields",
            "the only field of a number payload cannot be optional",
        ),
        ({"payload": "text"}, "payload", "Input should be 'json' or 'number'"),
        ({"fields": {"total": ""}}, "fields", "field 'total': give the JSON path of its value"),
        ({"fields": {"total": {"scale": 0.001}}}, "fields", "field 'total': give the JSON path of its value"),
        ({"fields": {"total": {"path": "v", "scale": 0}}}, "fields.total.scale", "scale must be a finite number"),
        ({"fields": {"total": {"path": "v", "scale": float("inf")}}}, "fields.total.scale", "other than 0"),
        ({"fields": {"total": "ENERGY..Total"}}, "fields.total.path", "path 'ENERGY..Total' has an empty step"),
        ({"fields": {"total": ".Total"}}, "fields.total.path", "path '.Total' has an empty step"),
        ({"fields": {"total": 5}}, "fields", "field 'total': write a JSON path like"),
        ({"fields": {"total power": "v"}}, "fields", "field name 'total power': use letters, digits and '_'"),
        ({"fields": {"total": {"path": "v", "sacle": 2}}}, "fields.total.sacle", "Extra inputs are not permitted"),
        ({"fields": {}}, "", "fields is missing or empty"),
        ({"fields": None}, "fields", "valid dictionary"),
        ({"asset": None}, "", "asset is missing"),
        ({"lookup": {}}, "lookup", "the lookup table is empty"),
        ({"lookup": {"": "PUMP-E"}}, "lookup", "a lookup key is empty"),
        ({"lookup": {"76348799": "B1 0101"}}, "lookup", "lookup '76348799' = 'B1 0101': not an asset id"),
        ({"payload": "number", "fields": {"total": {}}, "timestamp": "t"}, "timestamp", "a number payload carries"),
        ({"timestamp": "a..b"}, "timestamp", "path 'a..b' has an empty step"),
        ({"timestamp_format": "epoch_ms"}, "", "timestamp_format only applies to a timestamp in the payload"),
        (
            {"timestamp_format": "iso", "timezone": "UTC"},
            "",
            "timestamp_format and timezone only apply to a timestamp in the payload; set 'timestamp' to its JSON "
            "path or remove them",
        ),
        ({"timestamp": "t", "timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        (
            {"timestamp": "t", "timestamp_format": "epoch_s", "timezone": "Asia/Shanghai"},
            "",
            "timezone has no effect on epoch_s timestamps",
        ),
        ({"timestamp_format": "rfc822", "timestamp": "t"}, "timestamp_format", "Input should be 'auto'"),
        ({"ignore": True}, "", "an ignore mapping only needs 'topic'; remove asset, fields"),
        ({"feilds": {}}, "feilds", "Extra inputs are not permitted"),
    ],
)
def test_invalid_mappings_are_explained(changes: dict[str, Any], loc: str, message: str) -> None:
    spec = {**BASE, **changes}
    with pytest.raises(ValidationError) as caught:
        MqttMapping.model_validate(spec)
    [error] = caught.value.errors()
    assert ".".join(str(part) for part in error["loc"]) == loc
    assert message in error["msg"]


def test_models_are_frozen() -> None:
    m = tasmota()
    with pytest.raises(ValidationError):
        m.topic = "x/{device}"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        m.fields["total"].path = "x"  # type: ignore[misc]


def test_path_shorthand_equals_the_table_form() -> None:
    assert mapping(**BASE).fields == {"total": MqttField(path="ENERGY.Total")}


def test_toml_examples_in_the_docs_are_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 6
    for block in blocks:
        tables = tomllib.loads(block)["mqtt_mappings"]
        MappingDecoder([MqttMapping.model_validate(table) for table in tables])


def test_docs_wmbus_example_decodes() -> None:
    # The wmbusmeters example in the docs, with bare numeric keys in the lookup table.
    text = DOCS.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL) if "wmbusmeters" in b)
    [table] = tomllib.loads(block)["mqtt_mappings"]
    decode = MappingDecoder([MqttMapping.model_validate(table)])
    assert decode("wmbusmeters/76348800", WMBUS_PAYLOAD, NOW)[0] == Reading(
        "B1-0102-W", datetime(2026, 11, 26, tzinfo=UTC), {"total": 6.408}
    )


# --- properties --------------------------------------------------------------------------------------------

PROPERTY_DECODER = MappingDecoder(
    [
        mapping(topic="zigbee2mqtt/bridge/+", ignore=True),
        tasmota(),
        z2m_water(),
        esphome_wh(),
        wmbus(),
        chirpstack(),
        mapping(
            topic="any/{asset}",
            asset="{asset}",
            timestamp="t",
            fields={"a": {"path": "a", "optional": True}, "b": {"path": "b.0.c", "scale": 0.1, "optional": True}},
        ),
    ],
    fallback=OwnTopicDecoder("lakeview"),
)
TOPICS = st.sampled_from(
    [
        "tele/PUMP-E/SENSOR",
        "zigbee2mqtt/B1/0101",
        "zigbee2mqtt/bridge/state",
        "esphome/B1-0101-E/sensor/energy/state",
        "wmbusmeters/76348799",
        "wmbusmeters/0",
        "application/x/device/0004a30b001c0530/event/up",
        "any/PUMP-E",
        "any/bad id",
        "facilities/lakeview/B1-L1/telemetry",
        "unmatched/topic",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
JSON_KEYS = st.sampled_from(["a", "b", "c", "t", "ts", "0", "Time", "ENERGY", "Total", "Power", "total_m3"])
JSON_OBJECTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(JSON_KEYS, children, max_size=4),
    max_leaves=25,
)


def _decode_or_payload_error(topic: str, payload: bytes) -> None:
    try:
        readings = PROPERTY_DECODER(topic, payload, NOW)
    except PayloadError:
        return
    for reading in readings:
        assert isinstance(reading, Reading)
        assert reading.ts.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(topic=TOPICS | st.text(max_size=40), payload=st.binary(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_payload_error(topic: str, payload: bytes) -> None:
    _decode_or_payload_error(topic, payload)


@settings(max_examples=300, deadline=None)
@given(topic=TOPICS, value=JSON_VALUES | JSON_OBJECTS)
def test_arbitrary_json_raises_nothing_but_payload_error(topic: str, value: object) -> None:
    _decode_or_payload_error(topic, json.dumps(value).encode())


def test_time_zone_offsets_are_kept_on_readings() -> None:
    m = mapping(topic="m/{asset}", asset="{asset}", timestamp="t", fields={"total": "v"})
    ts = decode_one(m, "m/PUMP-E", b'{"t": "2026-11-26T08:00:00+08:00", "v": 1}').ts
    assert ts.utcoffset() == timedelta(hours=8)
