"""Reading dashboards back: every query they hold, and the text Grafana would send for it.

The tests run each query against a real InfluxDB or PostgreSQL this way; it also helps when a
panel shows nothing (`expand` gives the exact statement to try in the `influx` shell or psql).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from dashboards.grafana import INFLUX, POSTGRES, Json

INFLUXQL, SQL, PROMQL = "influxql", "sql", "promql"
_PLUGIN = {INFLUXQL: INFLUX["type"], SQL: POSTGRES["type"], PROMQL: "prometheus"}
_TEXT_FIELD = {INFLUXQL: "query", SQL: "rawSql", PROMQL: "expr"}

# Grafana's "nice" intervals ($__interval is rounded up to one of them), in seconds.
_NICE_S = (1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_UNITS_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|{}\[\]/]")
_SQL_TIME_FILTER = re.compile(r"\$__timeFilter\(([^)]+)\)")
_SQL_TIME_GROUP = re.compile(r"\$__timeGroup(Alias)?\(([^,]+),\s*'?(\w+)'?\)")


@dataclass(frozen=True)
class Query:
    """One statement of a dashboard, where it sits, and its language (InfluxQL or SQL)."""

    where: str
    text: str
    min_interval: str = ""
    dialect: str = INFLUXQL


def influx_queries(board: Json) -> Iterator[Query]:
    """Panel targets, annotation queries and query-variable definitions that use InfluxDB."""
    yield from _queries(board, INFLUXQL)
    for annotation in board.get("annotations", {}).get("list", []):
        if _uses(annotation.get("datasource"), INFLUXQL):
            yield Query(f"annotation {annotation['name']!r}", annotation["query"])
            if annotation.get("target", {}).get("query") != annotation["query"]:
                raise ValueError(f"annotation {annotation['name']!r}: target.query differs from query")


def sql_queries(board: Json) -> Iterator[Query]:
    """Panel targets and query-variable definitions that use PostgreSQL."""
    yield from _queries(board, SQL)


def prometheus_queries(board: Json) -> Iterator[Query]:
    """Panel targets that use a Prometheus-compatible datasource (VictoriaMetrics)."""
    yield from _queries(board, PROMQL)


def _queries(board: Json, dialect: str) -> Iterator[Query]:
    for panel in _panels(board.get("panels", [])):
        for target in panel.get("targets", []):
            if _uses(target.get("datasource") or panel.get("datasource"), dialect):
                where = f"panel {panel['id']} {panel['title']!r} target {target['refId']}"
                yield Query(where, target[_TEXT_FIELD[dialect]], panel.get("interval", ""), dialect)
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query" and _uses(variable.get("datasource"), dialect):
            yield Query(f"variable {variable['name']!r}", variable["query"], dialect=dialect)


def _panels(panels: Sequence[Json]) -> Iterator[Json]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # panels inside collapsed rows


def _uses(datasource: object, dialect: str) -> bool:
    return isinstance(datasource, dict) and datasource.get("type") == _PLUGIN[dialect]


def seconds(duration: str) -> float:
    """Seconds in a Grafana/InfluxQL duration such as `15m` or `1h`."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", duration)
    if match is None:
        raise ValueError(f"not a duration: {duration!r}")
    return int(match.group(1)) * _UNITS_S[match.group(2)]


def auto_interval(start: datetime, end: datetime, min_interval: str = "", max_points: int = 1000) -> str:
    """$__interval as Grafana computes it: range / data points, rounded up, never below the minimum."""
    wanted = max((end - start).total_seconds() / max_points, seconds(min_interval) if min_interval else 0)
    chosen = next((nice for nice in _NICE_S if nice >= wanted), _NICE_S[-1])
    return f"{chosen // 3600}h" if chosen % 3600 == 0 else f"{chosen // 60}m" if chosen % 60 == 0 else f"{chosen}s"


def regex_variables(board: Json) -> frozenset[str]:
    """Variables Grafana formats as lists (regex alternatives in InfluxQL, quoted lists in SQL)."""
    listed = board.get("templating", {}).get("list", [])
    return frozenset(v["name"] for v in listed if v.get("multi") or v.get("includeAll"))


def all_values(board: Json) -> dict[str, str]:
    """Custom All values by variable: Grafana inserts them as they are, without formatting."""
    listed = board.get("templating", {}).get("list", [])
    return {v["name"]: v["allValue"] for v in listed if v.get("includeAll") and v.get("allValue")}


def expand(
    query: Query,
    *,
    start: datetime,
    end: datetime,
    variables: Mapping[str, str | Sequence[str]],
    regex_variables: frozenset[str] = frozenset(),
    raw_values: frozenset[str] = frozenset(),
) -> str:
    """The statement Grafana sends: macros and template variables replaced.

    Values of `regex_variables` (multi-value or All) are formatted as lists: `(a|b)` with regex
    escapes in InfluxQL, `'a','b'` in SQL. A value in `raw_values` (a custom All value such as
    `.*`) goes in as it is; other single values are inserted as they are (quotes doubled in SQL).
    """
    interval = auto_interval(start, end, query.min_interval)
    text = query.text.replace("$__interval_ms", str(int(seconds(interval) * 1000))).replace("$__interval", interval)
    if query.dialect == SQL:
        text = _sql_macros(text, start, end)
    else:
        text = text.replace("$timeFilter", f"time >= {_ms(start)}ms and time <= {_ms(end)}ms")

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name not in variables:
            raise KeyError(f"{query.where}: no value for ${name}")
        raw = variables[name]
        values = [raw] if isinstance(raw, str) else list(raw)
        if values and all(v in raw_values for v in values):
            return ",".join(values)
        if query.dialect == SQL:
            quoted = [v.replace("'", "''") for v in values]
            return ",".join(f"'{v}'" for v in quoted) if name in regex_variables else ",".join(quoted)
        if name not in regex_variables:
            return ",".join(values)
        escaped = [_REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"

    return _VARIABLE.sub(value, text)


def _sql_macros(text: str, start: datetime, end: datetime) -> str:
    """Grafana's PostgreSQL macros: time filter and epoch-aligned time buckets."""
    bounds = f"'{_iso(start)}' AND '{_iso(end)}'"
    text = _SQL_TIME_FILTER.sub(lambda m: f"{m.group(1)} BETWEEN {bounds}", text)

    def group(match: re.Match[str]) -> str:
        step = int(seconds(match.group(3)))
        bucket = f"floor(extract(epoch from {match.group(2)})/{step})*{step}"
        return f'{bucket} AS "time"' if match.group(1) else bucket

    return _SQL_TIME_GROUP.sub(group, text)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError(f"{when.isoformat()} has no time zone")
    return round(when.timestamp() * 1000)
