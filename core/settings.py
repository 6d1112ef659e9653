"""Runtime settings from `FACILITIES_*` environment variables; the site file says what, these say where."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that must never be accepted as a secret in production (.env.example uses "changeme").
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "password", "admin", "secret"})


def _placeholder(secret: SecretStr | None) -> bool:
    return secret is None or secret.get_secret_value().strip().lower() in PLACEHOLDERS


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACILITIES_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    site_file: Path = Path("examples/site.toml")
    data_dir: Path = Path("var")

    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_client_id: str = "facilities-ingest"
    # TLS: a private CA for the broker's certificate, and a client certificate if the broker wants one.
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    mqtt_keepalive_s: int = 30

    # Alert routing (teams, channels, on-call, escalation); unset: alerts are off. See docs/alerts.md.
    alerts_file: Path | None = None
    # Delivered and failed alert messages are kept this long for GET …/alert-deliveries, then deleted.
    alerts_retention_days: int = Field(default=180, ge=1, le=3650)
    # Tariffs and billing rules; the hub bills the last month on the 1st at 02:00 site time. See docs/billing.md.
    billing_file: Path = Path("examples/billing.toml")
    billing_webhook_url: str | None = None  # the fee module's endpoint for final statements
    billing_webhook_token: SecretStr | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Where people reach the hub (behind a proxy: https://wuye.example.com); fills {base} in alert links.
    # Empty: http://{api_host}:{api_port}.
    public_url: str = ""

    # Signs the work-order links in alerts and the web console's session cookies. Unset outside production:
    # one is generated once and kept in data_dir/console-secret, so links survive a restart.
    console_secret: SecretStr | None = None
    console_link_ttl_h: float = Field(default=72.0, gt=0, le=24 * 31)  # how long an alert's link works
    console_session_h: float = Field(default=12.0, gt=0, le=24 * 31)  # a staff sign-in lasts one shift

    spool_max_readings: int = 2_000_000
    metrics_port: int = 0  # 0 = no Prometheus endpoint
    log_format: Literal["text", "json"] = "text"

    # No InfluxDB URL means the embedded store.
    influx_url: str | None = None
    influx_api: Literal["v1", "v2"] = "v1"
    influx_db: str = "facilities"
    influx_rp: str = ""
    influx_username: str | None = None
    influx_password: SecretStr | None = None
    influx_token: SecretStr | None = None
    influx_org: str = "facilities"
    influx_bucket: str = "facilities"

    database_url: str = "sqlite:///var/facilities.db"

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme not in {"mqtt", "mqtts"}:
            raise ValueError(f"FACILITIES_MQTT_URL {value!r} must start with mqtt:// or mqtts://")
        return value

    @model_validator(mode="after")
    def _tls_files_exist(self) -> Settings:
        for name in ("mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"FACILITIES_{name.upper()}={path} is not a readable file")
        if (self.mqtt_cert_file is None) != (self.mqtt_key_file is None):
            raise ValueError("set both FACILITIES_MQTT_CERT_FILE and FACILITIES_MQTT_KEY_FILE, or neither")
        return self

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        """In production every secret must be real: a placeholder that works would be an open door."""
        if self.env is not Environment.PRODUCTION:
            return self
        problems = []
        if not self.mqtt_username or _placeholder(self.mqtt_password):
            problems.append("FACILITIES_MQTT_USERNAME and FACILITIES_MQTT_PASSWORD (a real password)")
        if self.influx_url and self.influx_api == "v2" and _placeholder(self.influx_token):
            problems.append("FACILITIES_INFLUX_TOKEN (a real token)")
        if self.influx_url and self.influx_api == "v1" and self.influx_username and _placeholder(self.influx_password):
            problems.append("FACILITIES_INFLUX_PASSWORD (a real password)")
        database = urlsplit(self.database_url)
        if database.scheme.startswith("sqlite"):
            problems.append("FACILITIES_DATABASE_URL (PostgreSQL, not SQLite)")
        elif (database.password or "") in PLACEHOLDERS:
            problems.append("FACILITIES_DATABASE_URL (a real database password)")
        if problems:
            raise ValueError("FACILITIES_ENV=production needs " + "; ".join(problems))
        return self

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def mqtt_host(self) -> str:
        return urlsplit(self.mqtt_url).hostname or "127.0.0.1"

    @property
    def mqtt_port(self) -> int:
        parts = urlsplit(self.mqtt_url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def mqtt_tls(self) -> bool:
        return urlsplit(self.mqtt_url).scheme == "mqtts" or self.mqtt_ca_file is not None
