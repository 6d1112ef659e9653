"""Backup settings from `FACILITIES_BACKUP_*` environment variables (the hub's own are core.settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BackupSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACILITIES_BACKUP_", extra="ignore")

    dir: Path = Path("var/backups")
    keep_daily: int = Field(default=7, ge=1, le=3650)
    keep_monthly: int = Field(default=12, ge=0, le=1200)
    # InfluxDB 1.x backs up over its RPC port (bind-address, 8088 by default), not the HTTP one.
    influx_rpc: str | None = None
