"""InfluxDB line protocol encoding with the escaping rules of the spec.

Measurements, tag keys, tag values and field keys escape only commas, equals signs and spaces
(InfluxDB 1.x does not unescape a doubled backslash there); string field values escape double
quotes and backslashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from core.reading import FieldValue
from storage.points import Point

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": " "})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " "})


def _escape_key(value: str) -> str:
    return value.translate(_KEY)


def _field_value(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=65_536)
def _series(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    # Tags sorted, as InfluxDB recommends; empty tag values are not allowed, so they are dropped.
    head = measurement.translate(_MEASUREMENT)
    return head + "".join(f",{_escape_key(k)}={_escape_key(v)}" for k, v in sorted(tags) if v)


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """The escaped `measurement,tag=value,…` prefix of a line (cached: an asset's tags rarely change)."""
    return _series(measurement, tuple(tags.items()))


def encode_point(point: Point) -> str:
    fields = ",".join(f"{_escape_key(k)}={_field_value(v)}" for k, v in point.fields.items())
    return f"{series_key(point.measurement, point.tags)} {fields} {point.ts_ns}"


def encode(points: Iterable[Point]) -> bytes:
    return "\n".join(encode_point(p) for p in points).encode("utf-8")
