"""docker-compose.yml: valid for Debian's docker-compose, and everything it names exists here.

There is no container engine in CI: `docker-compose config` checks the file against the Compose schema and
resolves its variables; the rest is read from the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.settings import Settings
from facilities.envfile import ALL_SECRETS, OPTIONAL_SECRETS, SECRETS
from facilities.mqtt_identities import HUB_USER, SIMULATOR_USER
from tests.unit.deploy.compose import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    FILLED_IN,
    ROOT,
    compose,
    env_example,
    generated_env,
    interpolate,
    run_compose,
    service_environment,
    variables_used,
    write_env,
)

SERVICES = {
    "secrets-check",
    "caddy",
    "mosquitto",
    "influxdb",
    "postgres",
    "grafana",
    "hub",
    "simulators",
    "victoriametrics",
    "backup",
}
ONE_SHOT = {"secrets-check"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET")
OUR_IMAGE = "facilities:local"
# Environment variables of our image that are not FACILITIES_* settings: uvicorn's own.
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}


def test_compose_config_is_valid_with_a_generated_env(tmp_path: Path) -> None:
    result = run_compose(write_env(tmp_path / ".env", generated_env()), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_render_the_example_env_as_it_is() -> None:
    result = run_compose(ENV_EXAMPLE, "config", "-q")
    assert result.returncode != 0
    assert "in .env (facilities secrets generate)" in result.stderr


@pytest.mark.parametrize("name", [*SECRETS, *FILLED_IN, "CADDY_TLS"])
def test_compose_stops_on_an_empty_or_missing_setting_and_names_it(tmp_path: Path, name: str) -> None:
    empty = {**generated_env(), name: ""}
    missing = {k: v for k, v in generated_env().items() if k != name}
    for env in (empty, missing):
        result = run_compose(write_env(tmp_path / ".env", env), "config", "-q")
        assert result.returncode != 0, f"compose rendered with {name} unset"
        assert f"set {name} in .env" in result.stderr


def test_the_simulators_start_only_with_the_demo_profile(tmp_path: Path) -> None:
    demo = run_compose(write_env(tmp_path / ".env", generated_env()), "--profile", "demo", "config", "--services")
    assert set(demo.stdout.split()) == SERVICES, demo.stderr
    # docker-compose 1.29 lists every service whatever the profile; `up` starts only those without one.
    profiled = {name for name, service in compose()["services"].items() if service.get("profiles")}
    assert profiled == {"simulators"}


def test_every_variable_is_in_env_example_and_every_example_is_used() -> None:
    used = variables_used(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert used == set(env_example())


def test_every_secret_is_empty_in_the_example_and_required_by_compose() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    secrets = {name for name in env_example() if any(word in name for word in SECRET_WORDS)}
    assert secrets == set(ALL_SECRETS), "facilities.envfile must know every secret of .env.example"
    for name in secrets:
        assert env_example()[name] == "", f"{name} in .env.example must be empty, or compose would accept it"
    for name in SECRETS:
        assert f"${{{name}:-" not in text and f"${{{name}-" not in text, f"{name} has a default in compose"
        assert f"${{{name}}}" not in text, f"{name} is used without :? somewhere"
        assert f"${{{name}:?" in text
    for name in OPTIONAL_SECRETS:  # empty means the account is off
        assert {part[:3] for part in text.split(f"${{{name}")[1:]} == {":-}"}


def test_only_the_proxy_and_mqtt_over_tls_are_published(tmp_path: Path) -> None:
    rendered = run_compose(write_env(tmp_path / ".env", generated_env()), "--profile", "demo", "config")
    assert rendered.returncode == 0, rendered.stderr
    services = yaml.safe_load(rendered.stdout)["services"]
    published = {
        name: sorted(f"{p['published']}:{p['target']}/{p.get('protocol', 'tcp')}" for p in service.get("ports", []))
        for name, service in services.items()
        if service.get("ports")
    }
    assert published == {
        "caddy": ["443:443/tcp", "443:443/udp", "80:80/tcp"],
        "mosquitto": ["8883:8883/tcp"],
    }


def test_the_hub_and_grafana_are_reached_over_https_at_the_public_domain() -> None:
    hub = service_environment("hub", generated_env())
    grafana = service_environment("grafana", generated_env())
    assert hub["FACILITIES_PUBLIC_URL"] == "https://wuye.example.com"
    assert grafana["GF_SERVER_ROOT_URL"] == "https://wuye.example.com/grafana/"
    assert grafana["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true" and grafana["GF_SECURITY_COOKIE_SECURE"] == "true"
    assert "/grafana/api/health" in compose()["services"]["grafana"]["healthcheck"]["test"][-1]
    caddy = compose()["services"]["caddy"]
    assert "./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert service_environment("caddy", generated_env()) == {
        "PUBLIC_DOMAIN": "wuye.example.com",
        "CADDY_TLS": "internal",
    }


def test_every_service_but_the_check_itself_waits_for_the_secrets_check() -> None:
    services = compose()["services"]
    check = services["secrets-check"]
    assert check["command"] == ["facilities", "secrets", "check"]
    assert set(check["environment"]) == {"FACILITIES_ENV", *ALL_SECRETS}
    # Everything else starts after it, directly or through a service that does.
    for name, service in services.items():
        if name in ONE_SHOT or name == "simulators":
            continue
        assert service["depends_on"]["secrets-check"] == {"condition": "service_completed_successfully"}, name
    assert "hub" in services["simulators"]["depends_on"]


def _bind_sources(service: dict[str, object]) -> list[str]:
    volumes = service.get("volumes", [])
    assert isinstance(volumes, list)
    sources = [interpolate(str(v), generated_env()).split(":", 1)[0] for v in volumes]
    return [s for s in sources if s.startswith((".", "/"))]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_mounted_paths_exist_in_the_repository(name: str) -> None:
    for source in _bind_sources(compose()["services"][name]):
        assert source.startswith("./"), f"{name}: {source} is outside the repository"
        assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_the_hub_image_is_built_from_the_dockerfile_here() -> None:
    services = compose()["services"]
    for name in ("hub", "secrets-check"):  # whichever starts first builds it
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert {services[name]["image"] for name in ("hub", "secrets-check", "simulators")} == {OUR_IMAGE}


@pytest.mark.parametrize("name", ["hub", "simulators"])
def test_our_services_set_only_settings_that_exist(name: str) -> None:
    known = {f"FACILITIES_{field.upper()}" for field in Settings.model_fields}
    assert set(service_environment(name, generated_env())) <= known | UVICORN_ENV


def test_hub_and_simulators_run_the_facilities_commands() -> None:
    services = compose()["services"]
    assert services["hub"]["command"] == ["facilities", "run"]
    assert services["simulators"]["command"] == ["facilities", "simulate"]
    assert services["simulators"]["profiles"] == ["demo"]


def test_every_service_restarts_and_long_running_ones_report_health() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if name in ONE_SHOT:  # restarting a check that passed would run it forever
            assert service["restart"] == "no" and "healthcheck" not in service, name
            continue
        assert service.get("restart") == "unless-stopped", name
        if name != "simulators":  # `facilities simulate` has no endpoint to probe
            assert service["healthcheck"]["test"], name
        for needed, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{name} waits for {needed}'s health check"
            elif condition["condition"] == "service_completed_successfully":
                assert needed in ONE_SHOT, f"{name} waits for {needed} to finish, which never happens"


def test_third_party_images_are_pinned() -> None:
    for name, service in compose()["services"].items():
        image = service["image"]
        if image != OUR_IMAGE:
            assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image} to a version"


def test_mosquitto_runs_the_entrypoint_from_its_mounted_config() -> None:
    service = compose()["services"]["mosquitto"]
    assert service["entrypoint"][-1] == "/mosquitto/config/entrypoint.sh"
    assert "./deploy/mosquitto:/mosquitto/config:ro" in service["volumes"]
    assert "./deploy/certs:/mosquitto/certs:ro" in service["volumes"]
    assert (ROOT / "deploy" / "mosquitto" / "entrypoint.sh").is_file()


def test_the_hub_and_simulators_use_the_accounts_the_entrypoint_and_acl_know() -> None:
    env = generated_env()
    hub = service_environment("hub", env)
    simulators = service_environment("simulators", env)
    entrypoint = (ROOT / "deploy" / "mosquitto" / "entrypoint.sh").read_text(encoding="utf-8")
    assert hub["FACILITIES_MQTT_URL"] == "mqtt://mosquitto:1883"
    assert hub["FACILITIES_MQTT_USERNAME"] == HUB_USER and f'{HUB_USER} "${{MQTT_HUB_PASSWORD' in entrypoint
    assert simulators["FACILITIES_MQTT_USERNAME"] == SIMULATOR_USER and f"{SIMULATOR_USER} " in entrypoint
    assert simulators["FACILITIES_ENV"] == "development"  # a demo tool; the production checks are the hub's
    assert hub["FACILITIES_INFLUX_URL"] == "http://influxdb:8086" and hub["FACILITIES_INFLUX_API"] == "v2"
    password = env["POSTGRES_PASSWORD"]
    assert hub["FACILITIES_DATABASE_URL"] == f"postgresql+psycopg://facilities:{password}@postgres:5432/facilities"


def test_the_hub_reports_ready_from_its_readiness_endpoint() -> None:
    test = compose()["services"]["hub"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8000/health/ready" in test[-1]
    assert compose()["services"]["hub"]["environment"]["FACILITIES_API_PORT"] == "8000"
