"""The hub image's build context, and Grafana's provisioning as docker-compose.yml mounts it."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from typing import Any

import yaml

from dashboards.grafana import INFLUX_UID, POSTGRES_UID
from dashboards.system import PROMETHEUS_UID
from tests.unit.deploy.compose import ROOT, compose, generated_env, service_environment

PROVISIONING = ROOT / "dashboards" / "provisioning"


def _yaml(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROVISIONING / name).read_text(encoding="utf-8"))
    return loaded


def _ignored(path: str) -> bool:
    """Whether .dockerignore leaves `path` out of the build context (last matching rule wins)."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negated, pattern = rule.startswith("!"), rule.lstrip("!")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.removeprefix("**/")):
            ignored = not negated
    return ignored


def test_the_build_context_has_every_package_and_no_secrets() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for needed in [*packages, "pyproject.toml", project["project"]["readme"]]:
        assert not _ignored(needed), f".dockerignore leaves out {needed}, which the image build needs"
        assert (ROOT / needed).exists(), needed
    for secret in (
        ".env",
        ".env.production",
        ".venv",
        "var",
        ".git",
        "deploy/ca",
        "deploy/certs",
        "deploy/mosquitto/auth",
    ):
        assert _ignored(secret), f".dockerignore must leave out {secret}"


def test_the_image_runs_the_hub_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER facilities$", dockerfile, re.MULTILINE)
    assert 'CMD ["facilities", "run"]' in dockerfile
    assert '".[postgres,s3]"' in dockerfile  # psycopg for FACILITIES_DATABASE_URL, boto3 for a photo bucket
    runtime = dockerfile.split("AS runtime", 1)[1].split("AS backup", 1)[0]
    assert "libpangoft2-1.0-0" in runtime and "fonts-wqy-microhei" in runtime  # WeasyPrint's PDFs, in Chinese


def test_datasources_have_the_uids_the_dashboards_default_to() -> None:
    sources = {s["uid"]: s for s in _yaml("datasources/facilities.yaml")["datasources"]}
    assert set(sources) == {INFLUX_UID, POSTGRES_UID, PROMETHEUS_UID}
    assert sources[PROMETHEUS_UID]["type"] == "prometheus"
    influx = sources[INFLUX_UID]
    assert influx["type"] == "influxdb" and influx["jsonData"]["version"] == "InfluxQL"
    assert influx["secureJsonData"]["httpHeaderValue1"] == "Token $INFLUXDB_TOKEN"


def test_every_variable_of_the_datasources_is_in_grafanas_environment() -> None:
    lines = (PROVISIONING / "datasources" / "facilities.yaml").read_text(encoding="utf-8").splitlines()
    wanted = {name for line in lines if not line.lstrip().startswith("#") for name in re.findall(r"\$\{?(\w+)", line)}
    environment = service_environment("grafana", generated_env())
    assert wanted <= set(environment), f"not set for grafana: {wanted - set(environment)}"
    assert environment["INFLUXDB_DATABASE"] == service_environment("hub", generated_env())["FACILITIES_INFLUX_BUCKET"]


def test_the_postgres_login_is_the_one_the_init_script_creates() -> None:
    (postgres,) = [s for s in _yaml("datasources/facilities.yaml")["datasources"] if s["uid"] == POSTGRES_UID]
    script = (ROOT / "deploy" / "postgres" / "initdb" / "10-grafana-reader.sh").read_text(encoding="utf-8")
    assert f"GRAFANA_DB_USER:-{postgres['user']}" in script


def test_dashboard_providers_read_the_generated_folders_grafana_mounts() -> None:
    mounts = dict(v.split(":")[:2] for v in compose()["services"]["grafana"]["volumes"] if v.startswith("./"))
    assert mounts["./dashboards/provisioning/datasources"] == "/etc/grafana/provisioning/datasources"
    assert mounts["./dashboards/provisioning/dashboards"] == "/etc/grafana/provisioning/dashboards"
    target = mounts["./dashboards/generated"]
    providers = _yaml("dashboards/facilities.yaml")["providers"]
    for provider in providers:
        path = provider["options"]["path"]
        assert path.startswith(target + "/"), path
        folder = ROOT / "dashboards" / "generated" / path.removeprefix(target + "/")
        assert sorted(folder.glob("*.json")), f"{provider['name']}: nothing to load in {folder}"
        assert provider["allowUiUpdates"] is False
    assert len({p["folderUid"] for p in providers}) == len(providers)
