"""docker-compose.yml: valid for Debian's docker-compose, and everything it names exists here.

There is no container engine in CI: `docker-compose config` checks the file against the Compose
schema and resolves its variables; the rest is read from the file itself.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from core.settings import Settings
from tests.unit.deploy.compose import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    PLACEHOLDER,
    ROOT,
    compose,
    env_example,
    interpolate,
    require_docker_compose,
    service_environment,
    variables_used,
)

SERVICES = {"mosquitto", "influxdb", "postgres", "grafana", "hub", "simulators"}
SECRET_WORDS = ("PASSWORD", "TOKEN")
OUR_IMAGE = "facilities:local"


def _run_compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A developer's own .env must not leak in: only the env file given, and no such variables set.
    environment = {k: v for k, v in os.environ.items() if k not in env_example()}
    command = [require_docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)


def test_compose_config_is_valid_with_the_example_env() -> None:
    result = _run_compose(ENV_EXAMPLE, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_the_simulators_start_only_with_the_demo_profile() -> None:
    demo = _run_compose(ENV_EXAMPLE, "--profile", "demo", "config", "--services")
    assert set(demo.stdout.split()) == SERVICES, demo.stderr
    # docker-compose 1.29 lists every service whatever the profile; `up` starts only those without one.
    profiled = {name for name, service in compose()["services"].items() if service.get("profiles")}
    assert profiled == {"simulators"}


def test_compose_stops_on_a_missing_secret(tmp_path: Path) -> None:
    partial = tmp_path / "partial.env"
    partial.write_text("".join(f"{k}={v}\n" for k, v in env_example().items() if k != "POSTGRES_PASSWORD"))
    result = _run_compose(partial, "config", "-q")
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in result.stderr


def test_every_variable_is_in_env_example_and_every_example_is_used() -> None:
    used = variables_used(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert used == set(env_example())


def test_secrets_have_no_default_and_are_placeholders_in_the_example() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    secrets = {name for name in env_example() if any(word in name for word in SECRET_WORDS)}
    assert secrets >= {"MQTT_HUB_PASSWORD", "INFLUXDB_TOKEN", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}
    for name in secrets:
        assert f"${{{name}:-" not in text and f"${{{name}-" not in text, f"{name} has a default in compose"
        assert env_example()[name] == PLACEHOLDER, f"{name} in .env.example is not the placeholder"


def _bind_sources(service: dict[str, object]) -> list[str]:
    volumes = service.get("volumes", [])
    assert isinstance(volumes, list)
    sources = [interpolate(str(v), env_example()).split(":", 1)[0] for v in volumes]
    return [s for s in sources if s.startswith((".", "/"))]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_mounted_paths_exist_in_the_repository(name: str) -> None:
    for source in _bind_sources(compose()["services"][name]):
        assert source.startswith("./"), f"{name}: {source} is outside the repository"
        assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_the_hub_image_is_built_from_the_dockerfile_here() -> None:
    build = compose()["services"]["hub"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert compose()["services"]["hub"]["image"] == compose()["services"]["simulators"]["image"] == OUR_IMAGE


@pytest.mark.parametrize("name", ["hub", "simulators"])
def test_our_services_set_only_settings_that_exist(name: str) -> None:
    known = {f"FACILITIES_{field.upper()}" for field in Settings.model_fields}
    assert set(service_environment(name, env_example())) <= known


def test_hub_and_simulators_run_the_facilities_commands() -> None:
    services = compose()["services"]
    assert services["hub"]["command"] == ["facilities", "run"]
    assert services["simulators"]["command"] == ["facilities", "simulate"]
    assert services["simulators"]["profiles"] == ["demo"]


def test_every_service_restarts_and_long_running_ones_report_health() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        if name != "simulators":  # `facilities simulate` has no endpoint to probe
            assert service["healthcheck"]["test"], name
        for needed, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{name} waits for {needed}'s health check"


def test_third_party_images_are_pinned() -> None:
    for name, service in compose()["services"].items():
        image = service["image"]
        if image != OUR_IMAGE:
            assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image} to a version"


def test_mosquitto_runs_the_entrypoint_from_its_mounted_config() -> None:
    service = compose()["services"]["mosquitto"]
    assert service["entrypoint"][-1] == "/mosquitto/config/entrypoint.sh"
    assert "./deploy/mosquitto:/mosquitto/config:ro" in service["volumes"]
    assert (ROOT / "deploy" / "mosquitto" / "entrypoint.sh").is_file()


def test_the_hub_talks_to_the_compose_services_with_the_accounts_the_broker_knows() -> None:
    hub = service_environment("hub", env_example())
    acl = (ROOT / "deploy" / "mosquitto" / "acl").read_text(encoding="utf-8")
    assert hub["FACILITIES_MQTT_URL"] == "mqtt://mosquitto:1883"
    assert f"user {hub['FACILITIES_MQTT_USERNAME']}" in acl
    assert f"user {service_environment('simulators', env_example())['FACILITIES_MQTT_USERNAME']}" in acl
    assert hub["FACILITIES_INFLUX_URL"] == "http://influxdb:8086" and hub["FACILITIES_INFLUX_API"] == "v2"
    assert hub["FACILITIES_DATABASE_URL"] == f"postgresql+psycopg://facilities:{PLACEHOLDER}@postgres:5432/facilities"
