"""The dispatcher's backoff: doubling from the first delay, capped, counted per attempt."""

from __future__ import annotations

from datetime import timedelta

from alerts.dispatcher import RetryPolicy


def test_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=5), max_delay=timedelta(minutes=1))
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_the_defaults_give_up_after_about_half_an_hour() -> None:
    policy = RetryPolicy()
    waited = sum((policy.delay(n) for n in range(1, policy.max_attempts)), timedelta())
    assert timedelta(minutes=25) < waited < timedelta(minutes=40)
    assert policy.lease > timedelta(seconds=10)  # longer than any channel's timeout
