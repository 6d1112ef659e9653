"""No guessable password works in production: compose, the secrets-check service and the hub each refuse it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from core.settings import Settings
from facilities.cli import app
from facilities.envfile import SECRETS
from tests.unit.deploy.compose import (
    generated_env,
    require_docker_compose,
    run_compose,
    service_environment,
    write_env,
)

# What people type when told to "replace every changeme".
GUESSABLE = ["changeme", "changeme" * 4, "postgres", "1", "a" * 48, "Password12345678"]


def _hub_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """Settings as the hub container builds them from its environment in docker-compose.yml."""
    for name in list(os.environ):
        if name.startswith("FACILITIES_"):
            monkeypatch.delenv(name)
    for name, value in service_environment("hub", env).items():
        monkeypatch.setenv(name, value)
    return Settings()


def _pieces(value: str) -> set[str]:
    return {value[i : i + 4] for i in range(len(value) - 3)}


@pytest.mark.parametrize("guess", GUESSABLE)
def test_the_hub_refuses_guessed_secrets_and_names_each_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, guess: str
) -> None:
    env = {**generated_env(), **dict.fromkeys(SECRETS, guess)}
    assert env["FACILITIES_ENV"] == "production"
    with pytest.raises(ValidationError) as refused:
        _hub_settings(monkeypatch, env)
    message = str(refused.value)
    for named in ("FACILITIES_MQTT_PASSWORD", "FACILITIES_INFLUX_TOKEN", "FACILITIES_CONSOLE_SECRET"):
        assert named in message
    assert "FACILITIES_DATABASE_URL (user:HERE@host)" in message
    assert [piece for piece in _pieces(guess) if piece in message] == []
    assert len(guess) < 4 or guess not in message


def test_the_hub_starts_with_a_generated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    env = generated_env()
    settings = _hub_settings(monkeypatch, env)
    assert settings.env.value == "production"
    assert settings.influx_token is not None and settings.influx_token.get_secret_value() == env["INFLUXDB_TOKEN"]
    assert (settings.mqtt_host, settings.mqtt_port, settings.mqtt_username) == ("mosquitto", 1883, "facilities-hub")
    assert settings.base_url == "https://wuye.example.com"


def test_compose_defaults_to_production_when_the_env_file_does_not_say() -> None:
    env = {k: v for k, v in generated_env().items() if k != "FACILITIES_ENV"}
    assert service_environment("hub", env)["FACILITIES_ENV"] == "production"
    assert service_environment("secrets-check", env)["FACILITIES_ENV"] == "production"


def _rendered_check_environment(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """The secrets-check service's environment exactly as `docker-compose config` renders it from `env`."""
    rendered = run_compose(write_env(tmp_path / ".env", env), "config")
    assert rendered.returncode == 0, rendered.stderr
    environment: dict[str, str] = yaml.safe_load(rendered.stdout)["services"]["secrets-check"]["environment"]
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def _check(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> tuple[int, str]:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["secrets", "check"])
    return result.exit_code, result.output


@pytest.mark.parametrize("name", [*SECRETS, "MQTT_SIMULATOR_PASSWORD"])
@pytest.mark.parametrize("guess", ["changeme" * 4, "postgres"])
def test_a_guessed_secret_renders_but_the_stack_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, guess: str
) -> None:
    # Compose cannot judge a value, only its absence; the secrets-check service, which every service waits for,
    # runs the policy on what compose rendered.
    environment = _rendered_check_environment(tmp_path, {**generated_env(), name: guess})
    code, output = _check(monkeypatch, environment)
    assert code == 2
    assert output.startswith(name) and len(output.strip().splitlines()) == 1, output
    assert [piece for piece in _pieces(guess) if piece in output] == []


def test_the_generated_env_passes_the_check_as_compose_renders_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _check(monkeypatch, _rendered_check_environment(tmp_path, generated_env(demo=True)))
    assert code == 0, output
    assert "every secret looks random" in output and "MQTT_SIMULATOR_PASSWORD" in output


def test_missing_docker_compose_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every test"):
        require_docker_compose()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y docker-compose"):
        require_docker_compose()
