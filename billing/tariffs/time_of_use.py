"""The `time_of_use` tariff kind (峰谷): named periods with daily windows covering the day exactly once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import time
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from billing.money import Money, RoundingRule
from billing.tariffs.base import (
    _MINUTES_PER_DAY,
    _ZERO,
    DEFAULT_ROUNDING,
    PriceBreakdown,
    _breakdown,
    _make_lines,
    _Strict,
    _usage,
)

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*(\S+)\s*[-–]\s*(\S+)\s*$")


def _minute_of_day(value: str, *, allow_end_of_day: bool) -> int:
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f"time {value!r} must be HH:MM, e.g. '08:00'")
    hour, minute = int(match[1]), int(match[2])
    if allow_end_of_day and (hour, minute) == (24, 0):
        return _MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        highest = "24:00" if allow_end_of_day else "23:59"
        raise ValueError(f"time {value!r} is not a time of day (00:00 to {highest})")
    return hour * 60 + minute


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class TimeWindow(_Strict):
    """A daily window [start, end) in local time, written "HH:MM-HH:MM"; wraps midnight if end < start.

    "22:00-08:00" is 22:00 to midnight plus midnight to 08:00. End may be "24:00"; a whole day is
    "00:00-24:00".
    """

    start: str
    end: str

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        # TOML-friendly shorthand: windows = ["08:00-22:00"].
        if isinstance(value, str):
            match = _WINDOW.match(value)
            if match is None:
                raise ValueError(f"window {value!r} must look like 'HH:MM-HH:MM', e.g. '22:00-08:00'")
            return {"start": match[1], "end": match[2]}
        return value

    @field_validator("start")
    @classmethod
    def _start_clock(cls, value: str) -> str:
        _minute_of_day(value, allow_end_of_day=False)
        return value

    @field_validator("end")
    @classmethod
    def _end_clock(cls, value: str) -> str:
        _minute_of_day(value, allow_end_of_day=True)
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start_minute == self.end_minute:
            raise ValueError(f"window {self} is empty or ambiguous; write a whole day as '00:00-24:00'")
        return self

    @property
    def start_minute(self) -> int:
        """Minutes after midnight the window opens."""
        return _minute_of_day(self.start, allow_end_of_day=False)

    @property
    def end_minute(self) -> int:
        """Minutes after midnight the window closes (1440 for 24:00)."""
        return _minute_of_day(self.end, allow_end_of_day=True)

    def minutes(self) -> list[int]:
        """Every minute of the day (0–1439) inside the window."""
        start, end = self.start_minute, self.end_minute
        if start < end:
            return list(range(start, end))
        return list(range(start, _MINUTES_PER_DAY)) + list(range(end))

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


class TouPeriod(_Strict):
    """A named time-of-use period (peak 峰, flat 平, valley 谷, …), its price and its daily windows."""

    name: str = Field(min_length=1, max_length=32)
    unit_price: Money
    windows: tuple[TimeWindow, ...] = Field(min_length=1)


def _runs(minutes: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted minutes into [start, end) runs."""
    runs: list[tuple[int, int]] = []
    for minute in minutes:
        if runs and runs[-1][1] == minute:
            runs[-1] = (runs[-1][0], minute + 1)
        else:
            runs.append((minute, minute + 1))
    return runs


class TimeOfUseTariff(_Strict):
    """峰谷 electricity tariff: usage is metered per named period and each period has its own price.

    The periods' windows must cover every minute of the day exactly once.
    """

    kind: Literal["time_of_use"] = "time_of_use"
    periods: tuple[TouPeriod, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_periods(self) -> TimeOfUseTariff:
        problems: list[str] = []
        seen: set[str] = set()
        for index, period in enumerate(self.periods):
            if period.name in seen:
                problems.append(f"periods[{index}]: name {period.name!r} is used by an earlier period")
            seen.add(period.name)
            if period.unit_price < 0:
                problems.append(f"periods[{index}] ({period.name}): unit_price {period.unit_price} is negative")
        owners: list[list[str]] = [[] for _ in range(_MINUTES_PER_DAY)]
        for period in self.periods:
            for window in period.windows:
                for minute in window.minutes():
                    owners[minute].append(period.name)
        gaps = [minute for minute in range(_MINUTES_PER_DAY) if not owners[minute]]
        for start, end in _runs(gaps):
            problems.append(f"no period covers {_clock(start)}-{_clock(end)}")
        # Group overlaps by who overlaps, so the message names the clashing periods.
        overlaps: dict[tuple[str, ...], list[int]] = {}
        for minute in range(_MINUTES_PER_DAY):
            if len(owners[minute]) > 1:
                overlaps.setdefault(tuple(owners[minute]), []).append(minute)
        for names, minutes in overlaps.items():
            for start, end in _runs(minutes):
                problems.append(f"{' and '.join(names)} overlap at {_clock(start)}-{_clock(end)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def period_names(self) -> tuple[str, ...]:
        """Period names in the order they are written."""
        return tuple(period.name for period in self.periods)

    def period_at(self, moment: time) -> str:
        """Name of the period in force at time of day `moment` (seconds are ignored)."""
        minute = moment.hour * 60 + moment.minute
        for period in self.periods:
            if any(minute in window.minutes() for window in period.windows):
                return period.name
        raise AssertionError("unreachable: windows are validated to cover the whole day")  # pragma: no cover

    def _items(self, usage_by_period: Mapping[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        unknown = sorted(set(usage_by_period) - set(self.period_names))
        if unknown:
            raise ValueError(
                f"usage for unknown time-of-use period(s) {', '.join(unknown)}; "
                f"this tariff has {', '.join(self.period_names)}"
            )
        return [
            (
                period.name,
                _usage(usage_by_period.get(period.name, _ZERO), f"usage[{period.name!r}]"),
                period.unit_price,
            )
            for period in self.periods
        ]

    def price(
        self, usage_by_period: Mapping[str, Decimal], *, rounding: RoundingRule = DEFAULT_ROUNDING
    ) -> PriceBreakdown:
        """Price usage given per period name (e.g. {"peak": Decimal("100"), "valley": Decimal("50")}).

        Periods missing from the mapping count as zero; unknown names raise ValueError. Lines follow the
        tariff's period order.
        """
        return _breakdown(_make_lines(self._items(usage_by_period), rounding), rounding)
