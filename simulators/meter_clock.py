"""Simulated meters kept in step with a clock, shared by the Modbus and DL/T 645 simulators.

Reading a meter first lets it consume up to now (`sync`); `run_ahead` consumes a span the clock has not
reached yet, and the meters then wait for the clock to catch up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from core.clock import Clock


class Advancing(Protocol):
    def advance(self, start: datetime, seconds: float) -> None:
        """Consume for `seconds` from `start`."""


class MeterClock:
    """Not thread-safe by itself: the simulators call it under their own lock."""

    def __init__(self, clock: Clock, meters: Iterable[Advancing], *, synced: datetime) -> None:
        """`synced`: the instant the meters' values stand at."""
        self.clock = clock
        self._meters = list(meters)
        self.synced = synced

    def sync(self) -> None:
        now = self.clock.now()
        seconds = (now - self.synced).total_seconds()
        if seconds > 0:
            for meter in self._meters:
                meter.advance(self.synced, seconds)
            self.synced = now

    def run_ahead(self, delta: timedelta) -> None:
        self.sync()
        for meter in self._meters:
            meter.advance(self.synced, delta.total_seconds())
        self.synced += delta
