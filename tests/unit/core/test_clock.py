"""Injected clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FakeClock, ScaledClock

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_scaled_clock_runs_speed_times_faster() -> None:
    wall = [100.0]
    clock = ScaledClock(T0, 60, monotonic=lambda: wall[0])
    assert clock.now() == T0
    wall[0] = 101.5
    assert clock.now() == T0 + timedelta(seconds=90)


@pytest.mark.parametrize(("start", "speed"), [(datetime(2026, 1, 1), 1.0), (T0, 0.0)])
def test_scaled_clock_refuses_naive_start_or_no_speed(start: datetime, speed: float) -> None:
    with pytest.raises(ValueError):
        ScaledClock(start, speed)


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(T0)
    clock.advance(timedelta(minutes=10))
    assert clock.now() == T0 + timedelta(minutes=10)
