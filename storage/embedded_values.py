"""Field values of the embedded store: what it accepts (InfluxDB's four types, in range) and how they come back."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

from core.reading import FieldValue, to_ns
from storage.points import Point
from storage.store import Aggregate, StoreRejected, bucket_micros

# SQLite integers are signed 64-bit; query bounds are clamped to that range.
_MIN_NS = -(2**63)
_MAX_NS = 2**63 - 1

# The field types InfluxDB 1.x knows, under the names SHOW FIELD KEYS uses.
_FLOAT, _INTEGER, _BOOLEAN, _STRING = "float", "integer", "boolean", "string"


def validated(point: Point) -> tuple[Point, str, dict[str, tuple[str, FieldValue]]]:
    """The point, its series key and its typed fields; StoreRejected for what InfluxDB would refuse."""
    if not point.fields:
        raise StoreRejected(f"point of {point.measurement!r} at {point.ts_ns} has no fields")
    if not _MIN_NS < point.ts_ns < _MAX_NS:
        raise StoreRejected(f"timestamp {point.ts_ns} is out of range")
    typed: dict[str, tuple[str, FieldValue]] = {}
    for field, value in point.fields.items():
        kind = _kind(value)
        if kind is None:
            raise StoreRejected(f"field {field!r}: {value!r} is not a float, integer, boolean or string")
        if kind == _FLOAT and not math.isfinite(float(value)):
            raise StoreRejected(f"field {field!r}: {value!r} is not finite")
        typed[field] = (kind, value)
    # Empty tag values are dropped, as the line protocol encoder does for InfluxDB.
    tagset = json.dumps(sorted((k, v) for k, v in point.tags.items() if v), ensure_ascii=False, separators=(",", ":"))
    return point, tagset, typed


def _kind(value: object) -> str | None:
    # bool first: it is a subclass of int.
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _INTEGER if _MIN_NS <= value <= _MAX_NS else None
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    return None


def decode(value: Any, kind: str) -> FieldValue:
    if kind == _FLOAT:
        return float(value)
    if kind == _INTEGER:
        return int(value)
    if kind == _BOOLEAN:
        return bool(value)
    return str(value)


def decode_aggregate(value: Any, aggregate: Aggregate, kind: str) -> FieldValue:
    if aggregate is Aggregate.MEAN:
        return float(value)
    if aggregate is Aggregate.COUNT:
        return int(value)
    return decode(value, kind)


def bound(when: datetime) -> int:
    return min(max(to_ns(when), _MIN_NS), _MAX_NS)


def bucket_ns(every: timedelta) -> int:
    return bucket_micros(every, _MAX_NS) * 1_000
