"""Sensor payloads: inverted booleans (Zigbee2MQTT's contact) and scaling without binary noise."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from collectors.mqtt.payload_config import MqttMapping
from collectors.mqtt.payloads import MappingDecoder, MappingError, scale_exactly

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def decoded(payload: object, **fields: Any) -> dict[str, object]:
    m = MqttMapping.model_validate({"topic": "zigbee2mqtt/{device}", "asset": "{device}", "fields": fields})
    [reading] = MappingDecoder([m])("zigbee2mqtt/door-1", json.dumps(payload).encode(), NOW)
    return dict(reading.fields)


def test_scale_stores_what_the_input_and_scale_imply() -> None:
    assert scale_exactly(8123456.7, 0.001) == 8123.4567  # not 8123.456700000001
    assert decoded({"e": 8123456.7}, total={"path": "e", "scale": 0.001}) == {"total": 8123.4567}
    assert decoded({"e": "8123456.7"}, total={"path": "e", "scale": 0.001}) == {"total": 8123.4567}
    assert scale_exactly(0.1, 3.0) == 0.3  # 0.1 * 3 is 0.30000000000000004 in binary
    assert scale_exactly(123456, 0.001) == 123.456
    assert scale_exactly(-5, 0.1) == -0.5


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=0, max_value=3),
    st.sampled_from([(0.001, -3), (0.01, -2), (0.1, -1), (10.0, 1), (1000.0, 3)]),
)
def test_scaling_is_the_correctly_rounded_decimal(digits: int, places: int, scale: tuple[float, int]) -> None:
    raw = float(f"{digits}e-{places}")  # a reading with up to 3 decimals, as a device sends it
    factor, exponent = scale
    # The decimal the device meant (the float's shortest text), shifted by the scale's power of ten.
    assert scale_exactly(raw, factor) == float(Decimal(repr(raw)).scaleb(exponent))


def test_scaling_out_of_range_is_refused() -> None:
    assert math.isinf(scale_exactly(10**400, 0.001))
    with pytest.raises(MappingError, match="out of range"):
        decoded({"e": 1e308}, total={"path": "e", "scale": 1000.0})


def test_invert_turns_zigbee2mqtt_contact_into_open() -> None:
    assert decoded({"contact": False, "battery": 100}, open={"path": "contact", "invert": True}) == {"open": True}
    assert decoded({"contact": True}, open={"path": "contact", "invert": True}) == {"open": False}
    assert decoded({"contact": "OFF"}, open={"path": "contact", "invert": True}) == {"open": True}
    assert decoded({"contact": 1}, open={"path": "contact", "invert": True}) == {"open": False}


@pytest.mark.parametrize("bad", ["maybe", 2, 0.5, "", "x" * 60_000, "\u202e", -1])
def test_invert_refuses_what_is_not_a_boolean(bad: object) -> None:
    with pytest.raises(MappingError, match="inverted field needs true/false"):
        decoded({"contact": bad}, open={"path": "contact", "invert": True})


def test_invert_and_scale_together_are_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="either inverted"):
        MqttMapping.model_validate(
            {"topic": "t/{d}", "asset": "{d}", "fields": {"open": {"path": "c", "invert": True, "scale": 2.0}}}
        )
