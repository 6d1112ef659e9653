"""`facilities secrets generate|check`: a fresh .env from .env.example, and the check the compose stack runs first."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.secret_policy import weakness
from facilities.cli import app
from facilities.envfile import ALL_SECRETS, SECRETS, EnvFileError, parse_env

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / ".env.example"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env.example").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    for name in [*ALL_SECRETS, "FACILITIES_ENV"]:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _generate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["secrets", "generate", *args])
    return result.exit_code, result.output


def test_generate_writes_a_private_env_with_every_secret_random(folder: Path) -> None:
    code, output = _generate("--set", "PUBLIC_DOMAIN=wuye.example.com")
    assert code == 0, output
    env_file = folder / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = parse_env(env_file.read_text())
    example = parse_env(EXAMPLE.read_text())
    assert list(values) == list(example)  # same keys, same order
    generated = [values[name] for name in SECRETS]
    assert len(set(generated)) == len(SECRETS)
    assert all(weakness(value) is None and len(value) == 48 for value in generated)
    assert values["MQTT_SIMULATOR_PASSWORD"] == ""  # the simulators' account stays off
    assert values["PUBLIC_DOMAIN"] == "wuye.example.com"
    assert {k: v for k, v in values.items() if k not in ALL_SECRETS and k != "PUBLIC_DOMAIN"} == {
        k: v for k, v in example.items() if k not in ALL_SECRETS and k != "PUBLIC_DOMAIN"
    }
    # The comments that explain each setting come along.
    assert env_file.read_text().count("\n#") == EXAMPLE.read_text().count("\n#")
    assert not any(secret in output for secret in generated)
    assert "still to fill in" not in output


def test_generate_says_what_is_still_empty_and_demo_turns_the_simulator_on(folder: Path) -> None:
    code, output = _generate("--demo")
    assert code == 0, output
    assert "still to fill in before docker-compose up: PUBLIC_DOMAIN" in output
    assert weakness(parse_env((folder / ".env").read_text())["MQTT_SIMULATOR_PASSWORD"]) is None


def test_generate_never_overwrites_without_force(folder: Path) -> None:
    _generate()
    first = (folder / ".env").read_text()
    code, output = _generate()
    assert code == 2 and "exists; --force replaces it" in output
    assert (folder / ".env").read_text() == first
    code, _ = _generate("--force")
    assert code == 0 and (folder / ".env").read_text() != first


@pytest.mark.parametrize(
    ("args", "told"),
    [
        (["--set", "POSTGRES_PASSWORD=hunter2hunter2hunter2"], "POSTGRES_PASSWORD: secrets are generated"),
        (["--set", "PUBLIC_DOMAN=x"], "PUBLIC_DOMAN: not a key of .env.example"),
        (["--set", "PUBLIC_DOMAIN"], "write KEY=value"),
        (["--example", "missing.example"], "missing.example: cannot read it"),
    ],
)
def test_generate_refuses_bad_requests_and_writes_nothing(folder: Path, args: list[str], told: str) -> None:
    code, output = _generate(*args)
    assert code == 2 and told in output
    assert not (folder / ".env").exists()


def _check(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["secrets", "check", *args], env=env)
    return result.exit_code, result.output


def _good() -> dict[str, str]:
    return {name: os.urandom(24).hex() for name in SECRETS}


def test_check_accepts_random_secrets(folder: Path) -> None:
    code, output = _check({**_good(), "FACILITIES_ENV": "production"})
    assert code == 0 and "every secret looks random" in output


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("GRAFANA_ADMIN_PASSWORD", "changeme", "is shorter than 16 characters"),
        ("INFLUXDB_ADMIN_PASSWORD", "", "is empty"),
        ("INFLUXDB_TOKEN", "changeme" * 4, "repeats a shorter pattern"),
        ("POSTGRES_PASSWORD", "postgrespostgres1", "is too predictable"),
        ("CONSOLE_SECRET", "9f86d081884c7d659a2feaa0c55ad015"[:24], "is shorter than 32 characters"),
        ("MQTT_SIMULATOR_PASSWORD", "simulator", "is shorter than 16 characters"),
    ],
)
def test_check_refuses_each_guessable_secret_in_production_without_quoting_it(
    folder: Path, name: str, value: str, reason: str
) -> None:
    code, output = _check({**_good(), name: value, "FACILITIES_ENV": "production"})
    assert code == 2
    assert output.startswith(f"{name} {reason}") and len(output.strip().splitlines()) == 1
    assert not [value[i : i + 4] for i in range(len(value) - 3) if value[i : i + 4] in output]


def test_check_only_warns_outside_production(folder: Path) -> None:
    code, output = _check({**_good(), "GRAFANA_ADMIN_PASSWORD": "admin", "FACILITIES_ENV": "development"})
    assert code == 0
    assert "GRAFANA_ADMIN_PASSWORD is shorter" in output and "would be refused there" in output


def test_check_reads_an_env_file_with_its_own_facilities_env(folder: Path) -> None:
    env_file = folder / "site.env"
    env_file.write_text("FACILITIES_ENV=production\n" + "".join(f"{k}={v}\n" for k, v in _good().items()))
    assert _check({}, "--env-file", str(env_file))[0] == 0
    env_file.write_text(env_file.read_text().replace("CONSOLE_SECRET=", "CONSOLE_SECRET=x"))  # 49 chars: fine
    assert _check({}, "--env-file", str(env_file))[0] == 0
    env_file.write_text("FACILITIES_ENV=production\nthis is not a setting\n")
    code, output = _check({}, "--env-file", str(env_file))
    assert code == 2 and f"{env_file}:2: not a KEY=value line" in output


def test_parse_env_skips_comments_and_blank_lines() -> None:
    assert parse_env("# a comment\n\nA=1\n  B = two words \nC=\n") == {"A": "1", "B": "two words", "C": ""}
    with pytest.raises(EnvFileError, match=r"\.env:1: not a KEY=value line"):
        parse_env("export A=1")


def test_dashboards_push_refuses_a_guessable_grafana_token_in_production(folder: Path) -> None:
    env = {
        "FACILITIES_ENV": "production",
        "FACILITIES_GRAFANA_URL": "http://127.0.0.1:9",
        "FACILITIES_GRAFANA_TOKEN": "admin",
    }
    result = runner.invoke(app, ["dashboards", "push"], env=env)
    assert result.exit_code == 2
    assert result.output.startswith("FACILITIES_GRAFANA_TOKEN is shorter than 16 characters")
    # Outside production the token goes to Grafana as given (here: nobody listens, so the push itself fails).
    result = runner.invoke(app, ["dashboards", "push"], env={**env, "FACILITIES_ENV": "development"})
    assert result.exit_code == 2 and "FACILITIES_GRAFANA_TOKEN" not in result.output
