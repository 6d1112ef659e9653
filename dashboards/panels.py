"""The panel kinds the dashboards use, with the options that make them read well."""

from __future__ import annotations

from typing import Any

from dashboards.grafana import Json, panel

LEGEND: Json = {"displayMode": "list", "placement": "bottom", "showLegend": True}


def timeseries(
    title: str,
    targets: list[Json],
    *,
    bars: bool = False,
    threshold_lines: bool = False,
    steps_after: bool = False,
    **kw: Any,
) -> Json:
    """A time series: bars for per-interval counts and use, lines (with threshold lines) for sensors,
    steps for values that hold until the next reading (a floor)."""
    custom: Json = {
        "drawStyle": "bars" if bars else "line",
        "fillOpacity": 70 if bars else 10,
        "lineInterpolation": "stepAfter" if steps_after else "linear",
        "lineWidth": 1,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if bars else "none"},
        "thresholdsStyle": {"mode": "line" if threshold_lines else "off"},
    }
    options = {"legend": LEGEND, "tooltip": {"mode": "multi"}}
    return panel("timeseries", title, targets, custom=custom, options=options, **kw)


def stat(title: str, targets: list[Json], **kw: Any) -> Json:
    options = {
        "colorMode": "value",
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "textMode": "auto",
    }
    return panel("stat", title, targets, options=options, **kw)


def table(
    title: str,
    targets: list[Json],
    *,
    columns: dict[str, str] | None = None,
    sort_by: str = "",
    show_time: bool = False,
    **kw: Any,
) -> Json:
    """A table of `columns` (query column -> heading) in that order, sorted by one heading (descending);
    without `columns`, the query's own columns as they come.

    InfluxQL answers every row with a time; it is hidden unless `show_time` (aggregates over the
    whole range carry the range start or 1970, which means nothing to a reader).
    """
    options: Json = {"cellHeight": "sm", "showHeader": True}
    if sort_by:
        options["sortBy"] = [{"desc": True, "displayName": sort_by}]
    transformations = []
    if columns is not None:
        organize = {
            "excludeByName": {"Time": not show_time},
            "indexByName": {name: index for index, name in enumerate(columns)},
            "renameByName": columns,
        }
        transformations.append({"id": "organize", "options": organize})
    return panel("table", title, targets, options=options, transformations=transformations, **kw)


def state_timeline(title: str, targets: list[Json], **kw: Any) -> Json:
    options = {
        "alignValue": "center",
        "legend": LEGEND,
        "mergeValues": True,
        "rowHeight": 0.9,
        "showValue": "auto",
    }
    return panel("state-timeline", title, targets, custom={"fillOpacity": 80, "lineWidth": 0}, options=options, **kw)


def barchart(title: str, targets: list[Json], *, x_field: str, **kw: Any) -> Json:
    """Stacked bars per row of a table (one bar per `x_field` value, one segment per numeric column)."""
    options = {
        "barWidth": 0.8,
        "groupWidth": 0.7,
        "legend": LEGEND,
        "orientation": "auto",
        "showValue": "auto",
        "stacking": "normal",
        "tooltip": {"mode": "multi"},
        "xField": x_field,
    }
    return panel("barchart", title, targets, custom={"fillOpacity": 80, "lineWidth": 1}, options=options, **kw)
