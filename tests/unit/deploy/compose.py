"""The deployment files as data: docker-compose.yml, .env.example, and compose's `${…}` interpolation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from facilities.envfile import generate

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
# The settings a user fills in besides the secrets (`facilities secrets generate --set …`).
FILLED_IN = {"PUBLIC_DOMAIN": "wuye.example.com"}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; `$$` is a literal dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def env_example() -> dict[str, str]:
    """KEY=value lines of .env.example (comments and blank lines skipped)."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def generated_env(*, demo: bool = False) -> dict[str, str]:
    """What `facilities secrets generate --set PUBLIC_DOMAIN=…` writes from .env.example, as KEY=value pairs."""
    text = generate(ENV_EXAMPLE.read_text(encoding="utf-8"), values=FILLED_IN, demo=demo).text
    return dict(line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()), encoding="utf-8")
    return path


def run_compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """docker-compose with only `env_file` as .env: a developer's own .env or environment must not leak in."""
    environment = {k: v for k, v in os.environ.items() if k not in env_example()}
    command = [require_docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's substitution: the value from `env`, else the default; a required one must be set."""

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        if env.get(name) or (name in env and ":" not in operator):
            return env[name]
        if operator.endswith("?"):
            raise KeyError(f"{name} is required: {argument}")
        return argument

    return INTERPOLATION.sub(value, text).replace("$$", "$")


def variables_used(text: str) -> set[str]:
    return {match.group(1) for match in INTERPOLATION.finditer(text)}


def service_environment(service: str, env: dict[str, str]) -> dict[str, str]:
    """A service's environment as the container would get it, with `env` as the .env file."""
    raw = compose()["services"][service].get("environment", {})
    return {key: interpolate(str(value), env) for key, value in raw.items()}


def require_docker_compose() -> str:
    """The docker-compose binary; a missing one skips locally and fails under CI."""
    path = shutil.which("docker-compose")
    if path is None:
        message = "docker-compose is not installed (apt-get install -y docker-compose)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run every test")
        pytest.skip(message)
    return path
