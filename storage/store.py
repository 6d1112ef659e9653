"""The ReadingStore port: what every time-series backend (InfluxDB, embedded SQLite) offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.reading import FieldValue
from core.registry import AssetInfo
from storage.points import Point


class StoreUnavailable(Exception):
    """The store could not be reached or answered with a server error: retry later, keep the data."""


class StoreRejected(Exception):
    """The store refused the data itself (4xx): retrying the same points will not help."""


@dataclass(frozen=True, slots=True)
class StoredValue:
    ts: datetime
    fields: Mapping[str, FieldValue]


class ReadingStore(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """Store all points or raise; returning means the store has confirmed them."""

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        """The most recent values of an asset's fields."""
