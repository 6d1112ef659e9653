"""InfluxDB line protocol encoding with the escaping rules of the spec."""

from __future__ import annotations

from collections.abc import Iterable

from core.reading import FieldValue
from storage.points import Point

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})


def _escape_key(value: str) -> str:
    return value.replace("\\", "\\\\").translate(_KEY)


def _field_value(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_point(point: Point) -> str:
    head = point.measurement.replace("\\", "\\\\").translate(_MEASUREMENT)
    # Tags sorted, as InfluxDB recommends; empty tag values are not allowed, so they are dropped.
    tags = "".join(f",{_escape_key(k)}={_escape_key(v)}" for k, v in sorted(point.tags.items()) if v)
    fields = ",".join(f"{_escape_key(k)}={_field_value(v)}" for k, v in point.fields.items())
    return f"{head}{tags} {fields} {point.ts_ns}"


def encode(points: Iterable[Point]) -> bytes:
    return "\n".join(encode_point(p) for p in points).encode("utf-8")
