"""Typed builders for Grafana dashboard JSON (schema of Grafana 11): targets, fields, layout.

Plain dicts rather than a dashboard library: the Grafana Foundation SDK has no InfluxDB or
PostgreSQL query types, and grafanalib is untyped. Panel ids and positions come from `Layout`
in the order panels are added, so the generated JSON is the same on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Json = dict[str, Any]

SCHEMA_VERSION = 39  # Grafana 11.x; newer versions migrate it on load
GRID_WIDTH = 24

# Provisioned datasource uids (dashboards/provisioning/datasources); panels reach them through
# datasource variables so the same JSON also works on a Grafana whose datasources have other uids.
INFLUX_UID = "facilities-influxdb"
POSTGRES_UID = "facilities-postgres"
INFLUX: Json = {"type": "influxdb", "uid": "${datasource}"}
POSTGRES: Json = {"type": "grafana-postgresql-datasource", "uid": "${pg}"}

Steps = Sequence[tuple[float | None, str]]


def influx_target(query: str, ref_id: str = "A", *, alias: str = "", table: bool = False) -> Json:
    """A raw InfluxQL query; `alias` names series (`$tag_<key>` takes a tag value)."""
    target: Json = {
        "datasource": INFLUX,
        "query": query,
        "rawQuery": True,
        "refId": ref_id,
        "resultFormat": "table" if table else "time_series",
    }
    if alias:
        target["alias"] = alias
    return target


def sql_target(sql: str, ref_id: str = "A", *, time_series: bool = False) -> Json:
    """Raw SQL for PostgreSQL; a time series needs a `time` column (and `metric` to name series)."""
    return {
        "datasource": POSTGRES,
        "editorMode": "code",
        "format": "time_series" if time_series else "table",
        "rawQuery": True,
        "rawSql": sql,
        "refId": ref_id,
    }


def thresholds(steps: Steps) -> Json:
    """Absolute thresholds; the first step's value is None (the base colour)."""
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for value, color in steps]}


def value_mappings(texts: dict[str, tuple[str, str]]) -> list[Json]:
    """One value mapping: raw value -> (display text, colour)."""
    options = {
        value: {"color": color, "index": index, "text": text}
        for index, (value, (text, color)) in enumerate(texts.items())
    }
    return [{"options": options, "type": "value"}]


def panel(
    kind: str,
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    unit: str = "",
    decimals: int | None = None,
    interval: str = "",
    steps: Steps = ((None, "green"),),
    mappings: list[Json] | None = None,
    custom: Json | None = None,
    options: Json | None = None,
    overrides: list[Json] | None = None,
    transformations: list[Json] | None = None,
    no_value: str = "",
    datasource: Json = INFLUX,
) -> Json:
    """A panel without its position (Layout adds `id` and `gridPos`)."""
    defaults: Json = {"thresholds": thresholds(steps), "mappings": mappings or []}
    if unit:
        defaults["unit"] = unit
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom:
        defaults["custom"] = custom
    if no_value:
        defaults["noValue"] = no_value
    result: Json = {
        "datasource": datasource,
        "description": description,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
        "targets": targets,
        "title": title,
        "transformations": transformations or [],
        "type": kind,
    }
    if interval:
        # Grafana's minimum interval: $__interval never drops below it.
        result["interval"] = interval
    return result


def override(name: str, **properties: Any) -> Json:
    """Field properties (unit, displayName, …) for the field called `name`."""
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": key, "value": value} for key, value in sorted(properties.items())],
    }


class Layout:
    """Places panels left to right in rows of 24 columns and numbers them in the order added."""

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self._x = self._y = self._row_height = 0

    def row(self, title: str) -> None:
        self._newline()
        self._place({"collapsed": False, "panels": [], "title": title, "type": "row"}, GRID_WIDTH, 1)
        self._newline()

    def add(self, item: Json, width: int, height: int = 8) -> None:
        if self._x + width > GRID_WIDTH:
            self._newline()
        self._place(item, width, height)

    def _place(self, item: Json, width: int, height: int) -> None:
        item = {**item, "gridPos": {"h": height, "w": width, "x": self._x, "y": self._y}, "id": len(self.panels) + 1}
        self.panels.append(item)
        self._x += width
        self._row_height = max(self._row_height, height)

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x = self._row_height = 0
