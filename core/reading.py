"""The one thing every collector produces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Reading:
    """A sample from one asset at one instant. Tags are not here: the registry adds them on write."""

    asset_id: str
    ts: datetime
    fields: Mapping[str, FieldValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None:
            raise ValueError(f"reading for {self.asset_id!r}: timestamp {self.ts.isoformat()} has no time zone")
        if not self.fields:
            raise ValueError(f"reading for {self.asset_id!r} has no fields")

    @property
    def ts_ns(self) -> int:
        """Nanoseconds since the epoch, exact (no float rounding)."""
        return to_ns(self.ts)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_ns(ts_ns: int) -> datetime:
    """The exact datetime (to the microsecond) of an epoch-nanosecond timestamp."""
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    return EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1_000)


def to_ns(when: datetime) -> int:
    """Exact epoch nanoseconds of an aware datetime."""
    if when.tzinfo is None:
        raise ValueError(f"timestamp {when.isoformat()} has no time zone")
    # Aware subtraction, not astimezone(): astimezone overflows near datetime.min/max.
    delta = when - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
