"""Collector options for MQTT 5 and shared subscriptions: what goes on the wire, and what is refused."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest

from collectors.mqtt.session import MqttOptions, connect_async, new_client, subscription_filter


def test_a_shared_filter_carries_the_group() -> None:
    assert subscription_filter("facilities/x/+/telemetry", None) == "facilities/x/+/telemetry"
    assert subscription_filter("facilities/x/+/telemetry", "g1") == "$share/g1/facilities/x/+/telemetry"


def test_mqtt5_resumes_its_session_on_every_connect_and_asks_the_broker_to_keep_it() -> None:
    options = MqttOptions(client_id="c", protocol="5", session_expiry_s=600)
    client = new_client(options)
    connect_async(client, options)
    # paho's default would start the first connect clean and drop what the broker kept for us.
    assert client._clean_start is False
    assert client._connect_properties is not None
    assert client._connect_properties.SessionExpiryInterval == 600
    assert client._protocol == mqtt.MQTTv5


def test_mqtt311_keeps_its_persistent_session() -> None:
    client = new_client(MqttOptions(client_id="c"))
    assert client._protocol == mqtt.MQTTv311
    assert client._clean_session is False


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"share_group": "g"}, "needs MQTT protocol 5"),
        ({"protocol": "5", "share_group": "a/b"}, "one topic level"),
        ({"protocol": "5", "share_group": ""}, "one topic level"),
        ({"protocol": "5", "share_group": "#"}, "one topic level"),
        ({"protocol": "4"}, "use '3.1.1' or '5'"),
        ({"session_expiry_s": 0}, "session_expiry_s=0"),
    ],
)
def test_bad_options_are_refused(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        MqttOptions(**overrides)  # type: ignore[arg-type]
