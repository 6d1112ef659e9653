"""A stored point: a reading with the measurement and tags the registry gives it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.reading import FieldValue, Reading
from core.registry import AssetInfo


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    ts_ns: int


def to_point(reading: Reading, info: AssetInfo) -> Point:
    return Point(info.measurement, info.tags, dict(reading.fields), reading.ts_ns)
