"""The ReadingStore port: what every time-series backend (InfluxDB, embedded SQLite) offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from core.reading import FieldValue
from core.registry import AssetInfo
from storage.points import Point


class StoreUnavailable(Exception):
    """The store could not be reached or answered with a server error: retry later, keep the data."""


class StoreRejected(Exception):
    """The store refused the data itself (4xx): retrying the same points will not help."""


class Aggregate(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    FIRST = "first"
    LAST = "last"
    SUM = "sum"
    COUNT = "count"


# Aggregates InfluxDB 1.x refuses per field type ("unsupported mean iterator type"), keyed by the type
# names SHOW FIELD KEYS uses; every store checks them up front so all raise the same ValueError.
UNSUPPORTED_AGGREGATES: dict[str, frozenset[Aggregate]] = {
    "boolean": frozenset({Aggregate.MEAN, Aggregate.SUM}),
    "string": frozenset({Aggregate.MEAN, Aggregate.SUM, Aggregate.MIN, Aggregate.MAX}),
}


def check_aggregate(aggregate: Aggregate, field_type: str | None, field: str) -> None:
    if field_type is not None and aggregate in UNSUPPORTED_AGGREGATES.get(field_type, ()):
        raise ValueError(f"{aggregate.value} is not defined for {field_type} field {field!r}")


def bucket_micros(every: timedelta, max_ns: int) -> int:
    """The bucket length in microseconds, refusing a non-positive or unrepresentable one."""
    micros = every // timedelta(microseconds=1)
    if micros <= 0:
        raise ValueError(f"every must be positive, not {every}")
    if micros * 1_000 > max_ns:
        raise ValueError(f"every {every} is longer than the store's time range")
    return micros


@dataclass(frozen=True, slots=True)
class StoredValue:
    """The last stored value of each field of an asset; `ts` is the newest of their times.

    A device that reports fields in separate messages (a Shelly's power, then its total) keeps every
    field here: `times` says when each one was last reported.
    """

    ts: datetime
    fields: Mapping[str, FieldValue]
    times: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sample:
    """One field's value at one time."""

    ts: datetime
    value: FieldValue


class ReadingStore(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """Store all points or raise; returning means the store has confirmed them.

        A point with the same measurement, tag set and timestamp as a stored one replaces it,
        so a replayed batch never duplicates.
        """

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        """The most recent values of an asset's fields (the newest point)."""

    def history(
        self,
        asset: AssetInfo,
        field: str,
        start: datetime,
        end: datetime,
        *,
        every: timedelta | None = None,
        aggregate: Aggregate = Aggregate.MEAN,
    ) -> list[Sample]:
        """Samples of one field in [start, end), oldest first.

        Without `every`, the raw samples. With it, one sample per non-empty bucket of that length,
        aligned to the epoch, time-stamped at the bucket start, with `aggregate` applied.
        """

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        """The first and last sample of a field in [start, end), or None when there is none."""

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The newest sample strictly before `when` (a register at a billing boundary)."""

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The oldest sample at or after `when`."""
