"""The time series: `influxd backup -portable` for InfluxDB 1.x, `influx backup` for 2.x, the embedded store's file.

Each is the store's own online backup: writes continue while it runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from core.settings import Settings
from operations.sqlite_copy import copy_sqlite, sqlite_has_rows
from operations.tools import BackupError, run_tool

EMBEDDED_FILE = "readings.db"


def _rpc(settings: Settings, rpc: str | None) -> str:
    return rpc or f"{urlsplit(settings.influx_url or '').hostname or '127.0.0.1'}:8088"


def _v2_env(settings: Settings) -> dict[str, str]:
    if settings.influx_token is None:
        raise BackupError("InfluxDB 2.x backup needs FACILITIES_INFLUX_TOKEN (an all-access or operator token)")
    return {**os.environ, "INFLUX_TOKEN": settings.influx_token.get_secret_value()}


def dump_timeseries(settings: Settings, destination: Path, *, rpc: str | None = None) -> dict[str, str]:
    """Back up the reading store into `destination`; returns the manifest's part."""
    destination.mkdir(parents=True, exist_ok=True)
    if not settings.influx_url:
        copy_sqlite(settings.data_dir / EMBEDDED_FILE, destination / EMBEDDED_FILE)
        return {"kind": "embedded", "path": f"timeseries/{EMBEDDED_FILE}"}
    if settings.influx_api == "v1":
        run_tool(
            [
                "influxd",
                "backup",
                "-portable",
                "-host",
                _rpc(settings, rpc),
                "-database",
                settings.influx_db,
                str(destination / "influx"),
            ],
            what="InfluxDB 1.x backup",
        )
        return {"kind": "influx-v1", "path": "timeseries/influx", "database": settings.influx_db}
    run_tool(
        [
            "influx",
            "backup",
            "--host",
            settings.influx_url,
            "--org",
            settings.influx_org,
            "--bucket",
            settings.influx_bucket,
            str(destination / "influx"),
        ],
        what="InfluxDB 2.x backup (the `influx` CLI of 2.x)",
        env=_v2_env(settings),
    )
    return {"kind": "influx-v2", "path": "timeseries/influx", "bucket": settings.influx_bucket}


def _v1_query(settings: Settings, q: str) -> list[list[object]]:
    auth = None
    if settings.influx_username:
        password = settings.influx_password.get_secret_value() if settings.influx_password else ""
        auth = (settings.influx_username, password)
    try:
        response = httpx.post(
            f"{settings.influx_url}/query", data={"q": q, "db": settings.influx_db}, auth=auth, timeout=30
        )
    except httpx.HTTPError as exc:
        raise BackupError(f"InfluxDB at {settings.influx_url} does not answer ({exc}); start it first") from None
    response.raise_for_status()
    result = response.json()["results"][0]
    if "error" in result:
        raise BackupError(f"InfluxDB: {q}: {result['error']}")
    return [row for series in result.get("series", []) for row in series.get("values", [])]


def timeseries_in_use(settings: Settings) -> bool:
    """Whether the store already holds readings (an empty installation holds none)."""
    if not settings.influx_url:
        return sqlite_has_rows(settings.data_dir / EMBEDDED_FILE, "points")
    if settings.influx_api == "v1":
        databases = {row[0] for row in _v1_query(settings, "SHOW DATABASES")}
        return settings.influx_db in databases and bool(_v1_query(settings, "SHOW MEASUREMENTS LIMIT 1"))
    return True  # 2.x: `influx restore` itself refuses an existing bucket; --force is needed to replace it


def restore_timeseries(settings: Settings, unpacked: Path, part: dict[str, str], *, rpc: str | None = None) -> None:
    """Load the archive's time series into the store named by `settings`."""
    source = unpacked / part["path"]
    expected = {
        "embedded": not settings.influx_url,
        "influx-v1": settings.influx_api == "v1" and bool(settings.influx_url),
        "influx-v2": settings.influx_api == "v2" and bool(settings.influx_url),
    }
    if not expected.get(part["kind"], False):
        raise BackupError(f"the archive holds {part['kind']} time series; set FACILITIES_INFLUX_* to match it")
    if part["kind"] == "embedded":
        copy_sqlite(source, settings.data_dir / EMBEDDED_FILE)
        return
    if part["kind"] == "influx-v1":
        # `influxd restore` refuses an existing database: drop the empty (or, with --force, live) one first.
        _v1_query(settings, f'DROP DATABASE "{settings.influx_db}"')
        run_tool(
            [
                "influxd",
                "restore",
                "-portable",
                "-host",
                _rpc(settings, rpc),
                "-db",
                part["database"],
                "-newdb",
                settings.influx_db,
                str(source),
            ],
            what="InfluxDB 1.x restore",
        )
        return
    run_tool(
        [
            "influx",
            "restore",
            "--host",
            settings.influx_url or "",
            "--org",
            settings.influx_org,
            "--bucket",
            part["bucket"],
            "--new-bucket",
            settings.influx_bucket,
            str(source),
        ],
        what="InfluxDB 2.x restore (the `influx` CLI of 2.x)",
        env=_v2_env(settings),
    )
