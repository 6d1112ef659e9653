"""No default password works in production: the hub refuses .env.example's placeholders."""

from __future__ import annotations

import os
import secrets

import pytest
from pydantic import ValidationError

from core.settings import Settings
from tests.unit.deploy.compose import PLACEHOLDER, env_example, require_docker_compose, service_environment


def _hub_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """Settings as the hub container builds them from its environment in docker-compose.yml."""
    for name in list(os.environ):
        if name.startswith("FACILITIES_"):
            monkeypatch.delenv(name)
    for name, value in service_environment("hub", env).items():
        monkeypatch.setenv(name, value)
    return Settings()


def _filled_in() -> dict[str, str]:
    return {k: secrets.token_hex(16) if v == PLACEHOLDER else v for k, v in env_example().items()}


def test_the_hub_refuses_the_example_env_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_example()
    assert env["FACILITIES_ENV"] == "production"
    with pytest.raises(ValidationError) as refused:
        _hub_settings(monkeypatch, env)
    for secret in ("FACILITIES_MQTT_PASSWORD", "FACILITIES_INFLUX_TOKEN", "a real database password"):
        assert secret in str(refused.value)


def test_the_hub_starts_once_the_placeholders_are_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _filled_in()
    settings = _hub_settings(monkeypatch, env)
    assert settings.env.value == "production"
    assert settings.influx_token is not None and settings.influx_token.get_secret_value() == env["INFLUXDB_TOKEN"]
    assert (settings.mqtt_host, settings.mqtt_port, settings.mqtt_username) == ("mosquitto", 1883, "facilities-hub")


def test_compose_defaults_to_production_when_the_env_file_does_not_say() -> None:
    env = {k: v for k, v in _filled_in().items() if k != "FACILITIES_ENV"}
    assert service_environment("hub", env)["FACILITIES_ENV"] == "production"


def test_missing_docker_compose_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every test"):
        require_docker_compose()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y docker-compose"):
        require_docker_compose()
