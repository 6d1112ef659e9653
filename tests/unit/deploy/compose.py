"""The deployment files as data: docker-compose.yml, .env.example, and compose's `${…}` interpolation."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
PLACEHOLDER = "changeme"
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
