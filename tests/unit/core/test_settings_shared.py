"""MQTT 5 and shared-subscription settings: each bad combination is refused with the variable to set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.settings import Settings
from tests.unit.core.test_settings import REAL

GROUP = "ingest-7f3a9c2e51d84b06"


def test_default_stays_mqtt_311_and_unshared_with_the_configured_client_id() -> None:
    settings = Settings()
    assert (settings.mqtt_protocol, settings.mqtt_share_group) == ("3.1.1", None)
    assert settings.mqtt_ingest_client_id("lakeview") == "facilities-ingest"  # an upgrade resumes its session


def test_a_replica_in_a_share_group_has_a_client_id_per_site_and_replica() -> None:
    settings = Settings(mqtt_protocol="5", mqtt_share_group=GROUP, mqtt_replica="r2")
    assert settings.mqtt_ingest_client_id("lakeview") == "facilities-ingest-lakeview-r2"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"mqtt_share_group": GROUP, "mqtt_replica": "r1"}, "needs FACILITIES_MQTT_PROTOCOL=5"),
        ({"mqtt_protocol": "5", "mqtt_share_group": GROUP}, "needs FACILITIES_MQTT_REPLICA"),
        ({"mqtt_protocol": "5", "mqtt_replica": "r1"}, "set both or neither"),
        ({"mqtt_protocol": "5", "mqtt_share_group": "a/b", "mqtt_replica": "r1"}, "FACILITIES_MQTT_SHARE_GROUP must"),
        ({"mqtt_protocol": "5", "mqtt_share_group": "+", "mqtt_replica": "r1"}, "FACILITIES_MQTT_SHARE_GROUP must"),
        ({"mqtt_protocol": "5", "mqtt_share_group": GROUP, "mqtt_replica": "r 1"}, "FACILITIES_MQTT_REPLICA must"),
        ({"mqtt_protocol": "4"}, "mqtt_protocol"),
        ({"mqtt_session_expiry_s": 0}, "mqtt_session_expiry_s"),
    ],
)
def test_bad_combinations_are_refused_by_name(values: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**values)  # type: ignore[arg-type]


def test_production_refuses_a_guessable_share_group() -> None:
    """Any broker account that knows the group may join it and swallow readings (see the integration test)."""
    shared = {**REAL, "mqtt_protocol": "5", "mqtt_replica": "r1"}
    assert Settings(**shared, mqtt_share_group=GROUP).mqtt_share_group == GROUP  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="FACILITIES_MQTT_SHARE_GROUP is shorter than 16"):
        Settings(**shared, mqtt_share_group="ingest")  # type: ignore[arg-type]


def test_the_rules_hold_readings_two_seconds_in_a_share_group_unless_told() -> None:
    assert Settings().rules_reorder == timedelta(0)
    shared = {"mqtt_protocol": "5", "mqtt_share_group": GROUP, "mqtt_replica": "r1"}
    assert Settings(**shared).rules_reorder == timedelta(seconds=2)  # type: ignore[arg-type]
    assert Settings(**shared, rules_reorder_s=0.5).rules_reorder == timedelta(seconds=0.5)  # type: ignore[arg-type]
