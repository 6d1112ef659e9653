"""Runtime settings: production refuses guessable secrets, names each one, and quotes none of them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings

REAL = {
    "env": "production",
    "mqtt_username": "facilities-hub",
    "mqtt_password": "x8Jq-Vn2pK7wQz4Rb",
    "influx_url": "http://influxdb:8086",
    "influx_api": "v2",
    "influx_token": "Hc9Tm3Lq8Ws2Yd6Pf",
    "database_url": "postgresql+psycopg://facilities:Zr7kX2mQ9vN4bT6w@postgres/facilities",
    "public_url": "https://wuye.example.com",
}

DATABASE_PASSWORD = r"FACILITIES_DATABASE_URL \(user:HERE@host\) is"


def test_real_secrets_are_accepted_in_production() -> None:
    assert Settings(**REAL).env == "production"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"mqtt_password": "changeme"}, "FACILITIES_MQTT_PASSWORD is shorter than 16"),
        ({"mqtt_password": None}, "FACILITIES_MQTT_PASSWORD is empty"),
        ({"mqtt_password": "1"}, "FACILITIES_MQTT_PASSWORD is shorter than 16"),
        ({"mqtt_username": None}, "FACILITIES_MQTT_USERNAME"),
        ({"influx_token": "changeme"}, "FACILITIES_INFLUX_TOKEN"),
        ({"influx_token": "t" * 40}, "FACILITIES_INFLUX_TOKEN uses fewer than"),
        ({"database_url": "sqlite:///var/facilities.db"}, "PostgreSQL, not SQLite"),
        (
            {"database_url": "postgresql+psycopg://postgres:postgres@postgres/facilities"},
            r"FACILITIES_DATABASE_URL \(user:HERE@host\) is",
        ),
        (
            {"database_url": "postgresql+psycopg://facilities@postgres/facilities"},
            r"FACILITIES_DATABASE_URL \(user:HERE@host\) is",
        ),
        (
            {"influx_api": "v1", "influx_username": "hub", "influx_password": "password"},
            "FACILITIES_INFLUX_PASSWORD",
        ),
        ({"console_secret": "a" * 32}, "FACILITIES_CONSOLE_SECRET uses fewer than"),
        ({"console_secret": "changeme" * 4}, "FACILITIES_CONSOLE_SECRET repeats"),
        ({"billing_webhook_url": "https://fees.example.com/hook"}, "FACILITIES_BILLING_WEBHOOK_TOKEN is empty"),
        ({"billing_webhook_token": "webhook-token-123"}, "FACILITIES_BILLING_WEBHOOK_TOKEN is too predictable"),
        ({"grafana_token": "glsa_1234567890abcdef"}, "FACILITIES_GRAFANA_TOKEN is too predictable"),
        ({"public_url": ""}, "FACILITIES_PUBLIC_URL must be the https://"),
        ({"public_url": "http://wuye.example.com"}, "FACILITIES_PUBLIC_URL must be the https://"),
    ],
)
def test_placeholders_are_refused_in_production(override: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**{**REAL, **override})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "override",
    [
        {"mqtt_password": "postgrespostgres1"},
        {"influx_token": "changemechangeme"},
        {"database_url": "postgresql+psycopg://facilities:Summer2024Summer2024@postgres/facilities"},
        {"console_secret": "qwertyuiopasdfghjkl12345678901234"},
        {"billing_webhook_token": "iloveyou12345678"},
    ],
)
def test_the_error_quotes_no_secret_and_not_the_environment(
    override: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # From the environment, as the hub reads them: pydantic would otherwise print every input value.
    for key, value in {**REAL, **override}.items():
        monkeypatch.setenv(f"FACILITIES_{key.upper()}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    (secret,) = override.values()
    secret = secret.rsplit(":", 1)[-1].split("@")[0]
    pieces = {secret[i : i + 4] for i in range(len(secret) - 3)}
    assert [piece for piece in pieces if piece in message] == []
    assert all(value not in message for value in REAL.values() if value not in ("production", "v2"))


def test_the_accepted_secrets_pass_the_policy_as_written_in_the_example_above() -> None:
    # Guards the fixture: REAL must stay acceptable, or every refusal above would be for the wrong reason.
    Settings(**{**REAL, "console_secret": "Kq8vN2xT7mW4pZ9rB3yH6jL1cF5dG0sE"})  # type: ignore[arg-type]


def test_development_accepts_the_defaults() -> None:
    assert Settings(env="development").database_url.startswith("sqlite")  # type: ignore[arg-type]


def test_bad_mqtt_url_is_named() -> None:
    with pytest.raises(ValidationError, match="must start with mqtt:// or mqtts://"):
        Settings(mqtt_url="http://broker:1883")


def test_the_spool_in_postgresql_refuses_a_sqlite_database() -> None:
    with pytest.raises(ValidationError, match=r"FACILITIES_SPOOL=postgresql .* not PostgreSQL \(sqlite://\)"):
        Settings(spool="postgresql", database_url="sqlite:///var/facilities.db")  # type: ignore[arg-type]
    chosen = Settings(spool="postgresql", database_url="postgresql+psycopg://u:p@db/facilities")  # type: ignore[arg-type]
    assert chosen.spool == "postgresql" and Settings().spool == "sqlite"


def test_an_unknown_spool_is_refused_with_the_choices() -> None:
    with pytest.raises(ValidationError, match="'sqlite' or 'postgresql'"):
        Settings(spool="redis")  # type: ignore[arg-type]
