"""Runtime settings from `FACILITIES_*` environment variables; the site file says what, these say where."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.photo_location import S3Location, check_endpoint, check_region, parse_photos_store
from core.secret_policy import weakness

# Values never accepted as a secret in production, even where the full policy (core.secret_policy) does not apply.
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "password", "admin", "secret"})


def _weakness(secret: SecretStr | None) -> str | None:
    return weakness(secret.get_secret_value() if secret is not None else "")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's error must not echo the environment, which holds the secrets.
    model_config = SettingsConfigDict(env_prefix="FACILITIES_", extra="ignore", hide_input_in_errors=True)

    env: Environment = Environment.DEVELOPMENT
    site_file: Path = Path("examples/site.toml")
    # A company's sites in one deployment (core.portfolio, docs/portfolio.md); set instead of site_file.
    portfolio_file: Path | None = None
    # With a portfolio, each `facilities run` is a replica sharing the sites under leases (docs/scaling.md):
    # its id (default host-pid), the address other replicas redirect a site's requests to, and the lease ttl.
    replica_id: str = Field(default="", max_length=200)
    replica_url: str = ""
    lease_ttl_s: float = Field(default=10.0, ge=3, le=300)
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
    # MQTT 5 is needed for a shared subscription (several replicas ingest one site, docs/scaling.md); 3.1.1 stays
    # the default because the demo's embedded broker (amqtt) speaks nothing else.
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"
    # MQTT 5: how long the broker keeps the hub's session and its queued readings while no replica holds it.
    mqtt_session_expiry_s: int = Field(default=7 * 86_400, ge=60, le=0xFFFFFFFF)
    # Replicas of one site subscribe as $share/<group>/…; each needs its own FACILITIES_MQTT_REPLICA name.
    mqtt_share_group: str | None = None
    mqtt_replica: str | None = None

    # Alert routing (teams, channels, on-call, escalation); unset: alerts are off. See docs/alerts.md.
    alerts_file: Path | None = None
    # Delivered and failed alert messages are kept this long for GET …/alert-deliveries, then deleted.
    alerts_retention_days: int = Field(default=180, ge=1, le=3650)
    # Tariffs and billing rules; the hub bills the last month on the 1st at 02:00 site time. See docs/billing.md.
    billing_file: Path = Path("examples/billing.toml")
    # Planned maintenance, contractors and statutory inspections (docs/maintenance.md); unset: none (the demo
    # and the `facilities maintenance` commands use examples/maintenance.toml).
    maintenance_file: Path | None = None
    photos_max_mb: float = Field(default=8.0, gt=0, le=64)  # the largest photo a phone may upload
    # Where checklist and patrol photos go: "folder" (<data_dir>/photos) or s3://bucket/prefix, with the server's
    # address for MinIO or Ceph and a region if it wants one (core/photo_location.py, docs/maintenance.md#photos).
    # The bucket's credentials are boto3's own (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never ours.
    photos_store: str = "folder"
    photos_s3_endpoint: str | None = None
    photos_s3_region: str | None = None
    billing_webhook_url: str | None = None  # the fee module's endpoint for final statements
    billing_webhook_token: SecretStr | None = None
    # Patrol routes and checkpoints (巡检); unset: no patrols (the demo uses examples/patrols.toml). docs/patrols.md.
    patrols_file: Path | None = None

    # For `facilities dashboards push` to a Grafana that is not provisioned from this repository.
    grafana_url: str | None = None
    grafana_token: SecretStr | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Where people reach the hub (behind the HTTPS proxy: https://wuye.example.com); fills {base} in alert links.
    # Empty: http://{api_host}:{api_port}, for development only; production requires an https:// address.
    public_url: str = ""

    # Signs the work-order links in alerts and the web console's session cookies. Unset outside production:
    # one is generated once and kept in data_dir/console-secret, so links survive a restart.
    console_secret: SecretStr | None = None
    console_link_ttl_h: float = Field(default=72.0, gt=0, le=24 * 31)  # how long an alert's link works
    console_session_h: float = Field(default=12.0, gt=0, le=24 * 31)  # a staff sign-in lasts one shift

    # Where the spool keeps readings until the store and the rules took them: "sqlite" (a file in data_dir:
    # fast, lost with the machine) or "postgresql" (tables in database_url, by site: the replica that takes
    # a site over resumes its readings). See docs/scaling.md.
    spool: Literal["sqlite", "postgresql"] = "sqlite"
    spool_max_readings: int = 2_000_000
    # Seconds the rules hold a reading for an older one of its asset that another producer commits later (replicas
    # in one MQTT share group, docs/scaling.md); duration and silence alarms come that much later. Unset: 2 s in a
    # share group, else none.
    rules_reorder_s: float | None = Field(default=None, ge=0, le=60)
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
            # The value is not quoted: a URL may carry a password.
            raise ValueError("FACILITIES_MQTT_URL must start with mqtt:// or mqtts://")
        return value

    @field_validator("photos_store")
    @classmethod
    def _photos_store(cls, value: str) -> str:
        location = parse_photos_store(value)
        return "folder" if location is None else str(location)

    @field_validator("photos_s3_endpoint")
    @classmethod
    def _photos_s3_endpoint(cls, value: str | None) -> str | None:
        return None if value is None else check_endpoint(value)

    @field_validator("photos_s3_region")
    @classmethod
    def _photos_s3_region(cls, value: str | None) -> str | None:
        return None if value is None else check_region(value)

    @model_validator(mode="after")
    def _photos_s3_settings_need_a_bucket(self) -> Settings:
        if self.photos_s3 is None:
            extra = [name for name in ("photos_s3_endpoint", "photos_s3_region") if getattr(self, name) is not None]
            if extra:
                named = " and ".join(f"FACILITIES_{name.upper()}" for name in extra)
                raise ValueError(
                    f"{named} is set but FACILITIES_PHOTOS_STORE is folder: set FACILITIES_PHOTOS_STORE=s3://bucket/"
                    "prefix to keep photos in the bucket, or unset it"
                )
        return self

    @model_validator(mode="after")
    def _shared_subscription(self) -> Settings:
        group, replica = self.mqtt_share_group, self.mqtt_replica
        if group is not None:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", group):
                raise ValueError("FACILITIES_MQTT_SHARE_GROUP must be 1-64 letters, digits, '_', '.' or '-'")
            if self.mqtt_protocol != "5":
                raise ValueError("FACILITIES_MQTT_SHARE_GROUP needs FACILITIES_MQTT_PROTOCOL=5 (shared subscriptions)")
            if replica is None:
                raise ValueError(
                    "FACILITIES_MQTT_SHARE_GROUP needs FACILITIES_MQTT_REPLICA, a name of its own for each replica "
                    "(two replicas with one client id would take the session from each other in turn)"
                )
        if replica is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", replica):
            raise ValueError("FACILITIES_MQTT_REPLICA must be 1-32 letters, digits, '_' or '-'")
        if replica is not None and group is None:
            raise ValueError("FACILITIES_MQTT_REPLICA goes with FACILITIES_MQTT_SHARE_GROUP: set both or neither")
        return self

    @model_validator(mode="after")
    def _one_site_or_a_portfolio(self) -> Settings:
        if self.portfolio_file is not None and "site_file" in self.model_fields_set:
            raise ValueError(
                "set FACILITIES_PORTFOLIO_FILE (a company's sites) or FACILITIES_SITE_FILE (one site), not both: "
                "the portfolio names each site's file"
            )
        return self

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
    def _spool_in_postgresql(self) -> Settings:
        if self.spool == "postgresql" and not urlsplit(self.database_url).scheme.startswith("postgresql"):
            # The scheme only: the URL may carry a password.
            raise ValueError(
                "FACILITIES_SPOOL=postgresql keeps the spool in FACILITIES_DATABASE_URL, which is not PostgreSQL "
                f"({urlsplit(self.database_url).scheme}://); set a postgresql:// URL or FACILITIES_SPOOL=sqlite"
            )
        return self

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> Settings:
        """In production every secret must look random (core.secret_policy): a guessable one is an open door.

        The error names each variable and why; it never contains any part of a secret.
        """
        if self.env is not Environment.PRODUCTION:
            return self
        problems = self._production_problems()
        if problems:
            raise ValueError("FACILITIES_ENV=production refuses: " + "; ".join(problems))
        return self

    def _production_problems(self) -> list[str]:
        problems = []
        secrets: list[tuple[str, SecretStr | None]] = [("FACILITIES_MQTT_PASSWORD", self.mqtt_password)]
        if not self.mqtt_username:
            problems.append("FACILITIES_MQTT_USERNAME is not set (the hub's own broker account)")
        if self.influx_url and self.influx_api == "v2":
            secrets.append(("FACILITIES_INFLUX_TOKEN", self.influx_token))
        if self.influx_url and self.influx_api == "v1" and self.influx_username:
            secrets.append(("FACILITIES_INFLUX_PASSWORD", self.influx_password))
        if self.console_secret is not None:
            secrets.append(("FACILITIES_CONSOLE_SECRET", self.console_secret))
        if self.billing_webhook_url or self.billing_webhook_token is not None:
            secrets.append(("FACILITIES_BILLING_WEBHOOK_TOKEN", self.billing_webhook_token))
        if self.grafana_token is not None:
            secrets.append(("FACILITIES_GRAFANA_TOKEN", self.grafana_token))
        weak = [f"{name} {reason}" for name, secret in secrets if (reason := _weakness(secret)) is not None]
        # Mosquitto's ACL file does not check SUBSCRIBE: any account that knows the share group can join it and
        # swallow its share of the readings (docs/scaling.md). The name is the replicas' shared secret.
        if self.mqtt_share_group is not None and (reason := weakness(self.mqtt_share_group)) is not None:
            weak.append(f"FACILITIES_MQTT_SHARE_GROUP {reason}")
        database = urlsplit(self.database_url)
        if database.scheme.startswith("sqlite"):
            problems.append("FACILITIES_DATABASE_URL must be PostgreSQL, not SQLite")
        elif (reason := weakness(unquote(database.password or ""))) is not None:
            weak.append(f"FACILITIES_DATABASE_URL (user:HERE@host) {reason}")
        if weak:
            weak.append("each secret needs 16 or more random characters (openssl rand -hex 24 makes one)")
        if urlsplit(self.public_url).scheme != "https":
            problems.append(
                "FACILITIES_PUBLIC_URL must be the https:// address people reach the hub at "
                "(alert links carry sign-in tokens)"
            )
        return weak + problems

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def photos_s3(self) -> S3Location | None:
        """The bucket and prefix photos go to, or None for the data folder."""
        return parse_photos_store(self.photos_store)

    @property
    def photos_max_bytes(self) -> int:
        return int(self.photos_max_mb * 1024 * 1024)

    @property
    def mqtt_host(self) -> str:
        return urlsplit(self.mqtt_url).hostname or "127.0.0.1"

    @property
    def mqtt_port(self) -> int:
        parts = urlsplit(self.mqtt_url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def rules_reorder(self) -> timedelta:
        if self.rules_reorder_s is not None:
            return timedelta(seconds=self.rules_reorder_s)
        return timedelta(seconds=2) if self.mqtt_share_group is not None else timedelta(0)

    def mqtt_ingest_client_id(self, site_id: str) -> str:
        """The collector's client id: FACILITIES_MQTT_CLIENT_ID, and per site and replica in a share group.

        Unshared it is the setting itself, so an upgrade resumes the session (and readings) the broker kept.
        """
        if self.mqtt_share_group is None:
            return self.mqtt_client_id
        return f"{self.mqtt_client_id}-{site_id}-{self.mqtt_replica}"

    @property
    def mqtt_tls(self) -> bool:
        return urlsplit(self.mqtt_url).scheme == "mqtts" or self.mqtt_ca_file is not None
