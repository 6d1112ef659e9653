"""The compose stack's `.env`: which keys are secrets, a fresh file with random ones, and the production check.

`.env.example` ships every secret empty, so `docker-compose` refuses to render until each is set (`${NAME:?…}`);
`facilities secrets generate` fills them with random values, and the stack's `secrets-check` service runs
`facilities secrets check` before anything else starts, so a guessable value typed by hand stops it too.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from console.secret import MIN_SECRET
from core.secret_policy import WeakSecret, weakness

# Required by docker-compose.yml; each is checked by the policy in production.
SECRETS = (
    "MQTT_HUB_PASSWORD",
    "INFLUXDB_ADMIN_PASSWORD",
    "INFLUXDB_TOKEN",
    "POSTGRES_PASSWORD",
    "GRAFANA_DB_PASSWORD",
    "CONSOLE_SECRET",
    "GRAFANA_ADMIN_PASSWORD",
)
# Empty means off: the simulated community's broker account exists only when this is set (--profile demo).
OPTIONAL_SECRETS = ("MQTT_SIMULATOR_PASSWORD",)
ALL_SECRETS = SECRETS + OPTIONAL_SECRETS
# Longer minimums than the policy's 16, where a consumer demands them.
MIN_LENGTHS = {"CONSOLE_SECRET": MIN_SECRET}


class EnvFileError(ValueError):
    """A .env or .env.example that cannot be used; the message names the file and line, never a secret."""


def parse_env(text: str, *, source: str = ".env") -> dict[str, str]:
    """`KEY=value` lines as docker-compose reads them; comments and blank lines are skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, equals, value = stripped.partition("=")
        if not equals or not key.strip().isidentifier():
            raise EnvFileError(f"{source}:{number}: not a KEY=value line")
        values[key.strip()] = value.strip()
    return values


def new_secret() -> str:
    """48 hex characters (192 bits): valid in a URL's password, a shell word and every service's settings."""
    return secrets.token_hex(24)


@dataclass(frozen=True, slots=True)
class Generated:
    text: str
    secrets: list[str]  # the keys given a random value
    empty: list[str]  # settings still to fill in (PUBLIC_DOMAIN …)


def generate(example: str, *, values: Mapping[str, str] | None = None, demo: bool = False) -> Generated:
    """The example's text with every secret random and `values` filled in, and which keys are still empty.

    Comments and order stay as in the example. `values` may not name a secret: secrets are always generated.
    `demo` also generates MQTT_SIMULATOR_PASSWORD, which turns the simulators' account on.
    """
    given = dict(values or {})
    known = parse_env(example, source=".env.example")
    named = sorted(set(given) & set(ALL_SECRETS))
    if named:
        raise EnvFileError(f"{', '.join(named)}: secrets are generated, not given")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise EnvFileError(f"{', '.join(unknown)}: not a key of .env.example; known: {', '.join(known)}")
    lines: list[str] = []
    generated: list[str] = []
    empty: list[str] = []
    for line in example.splitlines():
        stripped = line.strip()
        key = stripped.partition("=")[0].strip()
        if not stripped or stripped.startswith("#") or key not in known:
            lines.append(line)
            continue
        value = known[key]
        if key in SECRETS or (demo and key in OPTIONAL_SECRETS):
            value = new_secret()
            generated.append(key)
        elif key in given:
            value = given[key]
        if not value and key not in OPTIONAL_SECRETS:
            empty.append(key)
        lines.append(f"{key}={value}")
    return Generated("\n".join(lines) + "\n", generated, empty)


def problems(values: Mapping[str, str]) -> list[str]:
    """Why each secret in `values` would be refused in production; empty when all pass. Quotes no secret."""
    found = []
    for name in ALL_SECRETS:
        value = values.get(name, "")
        if name in OPTIONAL_SECRETS and not value:
            continue
        reason = weakness(value)
        if reason is None and len(value) < MIN_LENGTHS.get(name, 0):
            reason = f"is shorter than {MIN_LENGTHS[name]} characters"
        if reason is not None:
            found.append(str(WeakSecret(name, reason)))
    return found


def read_env_file(path: Path) -> dict[str, str]:
    try:
        return parse_env(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"{path}: cannot read it ({type(exc).__name__})") from None
