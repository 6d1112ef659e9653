"""`facilities run` as a child process for end-to-end tests: its environment on temporary files, a real broker."""

from __future__ import annotations

import os
from pathlib import Path


def hub_env(tmp_path: Path, *, site_file: Path, mqtt_url: str, port: int) -> dict[str, str]:
    """The environment of one single-site hub on SQLite under `tmp_path`, without a portfolio or a key from outside."""
    env = {
        **os.environ,
        "FACILITIES_SITE_FILE": str(site_file),
        "FACILITIES_DATA_DIR": str(tmp_path / "data"),
        "FACILITIES_DATABASE_URL": f"sqlite:///{tmp_path}/facilities.db",
        "FACILITIES_MQTT_URL": mqtt_url,
        "FACILITIES_API_PORT": str(port),
    }
    for name in ("FACILITIES_PORTFOLIO_FILE", "FACILITIES_API_KEY"):
        env.pop(name, None)
    return env
