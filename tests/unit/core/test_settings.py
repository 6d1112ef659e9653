"""Runtime settings: production refuses placeholder secrets and names each one to set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings

REAL = {
    "env": "production",
    "mqtt_username": "facilities-hub",
    "mqtt_password": "x8Jq-long-random",
    "influx_url": "http://influxdb:8086",
    "influx_api": "v2",
    "influx_token": "t0k3n-long-random",
    "database_url": "postgresql+psycopg://facilities:Zr7-long-random@postgres/facilities",
}


def test_real_secrets_are_accepted_in_production() -> None:
    assert Settings(**REAL).env == "production"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"mqtt_password": "changeme"}, "FACILITIES_MQTT_USERNAME and FACILITIES_MQTT_PASSWORD"),
        ({"mqtt_username": None}, "FACILITIES_MQTT_USERNAME"),
        ({"influx_token": "changeme"}, "FACILITIES_INFLUX_TOKEN"),
        ({"database_url": "sqlite:///var/facilities.db"}, "PostgreSQL, not SQLite"),
        ({"database_url": "postgresql+psycopg://facilities:changeme@postgres/facilities"}, "a real database password"),
        (
            {"influx_api": "v1", "influx_username": "hub", "influx_password": "password"},
            "FACILITIES_INFLUX_PASSWORD",
        ),
    ],
)
def test_placeholders_are_refused_in_production(override: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**{**REAL, **override})  # type: ignore[arg-type]


def test_development_accepts_the_defaults() -> None:
    assert Settings(env="development").database_url.startswith("sqlite")  # type: ignore[arg-type]


def test_bad_mqtt_url_is_named() -> None:
    with pytest.raises(ValidationError, match="must start with mqtt:// or mqtts://"):
        Settings(mqtt_url="http://broker:1883")
