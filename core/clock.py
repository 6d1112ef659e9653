"""Injected time: production uses the wall clock, tests move a fake one by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a time-zone aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when


class ScaledClock:
    """Simulated time running `speed` times faster than the wall clock from `start` (demos, backfills)."""

    def __init__(self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a time-zone aware start")
        if speed <= 0:
            raise ValueError(f"speed {speed} must be positive")
        self.start = start
        self.speed = speed
        self._monotonic = monotonic
        self._began = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._monotonic() - self._began) * self.speed)
